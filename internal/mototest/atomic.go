package mototest

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// AtomicConfig is Config through a proxy that passes moto_server one request
// at a time.
//
// moto_server serves requests on parallel threads without isolating them,
// so a conditional write there is not atomic: two concurrent UpdateItem
// calls can both pass a condition that only one should. AWS executes each
// request atomically. The proxy restores that guarantee, and only that one:
// requests from concurrent callers still interleave, so a race between
// separate requests (a read, then a write) still shows. Use it in tests of
// conditional writes under concurrency.
func AtomicConfig(tb testing.TB) aws.Config {
	tb.Helper()
	target, err := url.Parse(Endpoint(tb))
	if err != nil {
		tb.Fatalf("mototest: endpoint: %v", err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	var oneAtATime sync.Mutex
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		oneAtATime.Lock()
		defer oneAtATime.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	tb.Cleanup(server.Close)
	return ConfigAt(server.URL)
}
