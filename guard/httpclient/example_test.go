package httpclient_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"time"

	"github.com/bulwark-sec/bulwark/guard/httpclient"
)

func ExampleNew() {
	// A stand-in for an internal service, listening on loopback.
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "pong")
	}))
	defer srv.Close()

	// In a handler, ctx carries the invocation deadline; requests made with
	// it end DeadlineMargin before that deadline.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	fetch := func(c *http.Client) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		if err != nil {
			log.Fatal(err)
		}
		resp, err := c.Do(req)
		if err != nil {
			fmt.Println("refused:", errors.Is(err, httpclient.ErrForbiddenDestination))
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		fmt.Println(resp.StatusCode, string(body))
	}

	// The zero Options refuse loopback, link-local (instance metadata) and
	// private addresses.
	pool := srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	fetch(httpclient.New(httpclient.Options{RootCAs: pool}))

	// Exempt the one range the function is meant to reach.
	fetch(httpclient.New(httpclient.Options{
		RootCAs:             pool,
		AllowedDestinations: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
	}))
	// Output:
	// refused: true
	// 200 pong
}
