package httpclient_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bulwark-sec/bulwark/guard/httpclient"
)

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}

// countingServer counts the requests that reached h.
type countingServer struct {
	*httptest.Server
	hits atomic.Int32
}

func newServer(t *testing.T, tlsOn bool, h http.HandlerFunc) *countingServer {
	t.Helper()
	s := &countingServer{}
	wrapped := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		h(w, r)
	})
	s.Server = httptest.NewUnstartedServer(wrapped)
	// Refused handshakes are the point of several tests; keep them quiet.
	s.Config.ErrorLog = log.New(io.Discard, "", 0)
	if tlsOn {
		s.StartTLS()
	} else {
		s.Start()
	}
	t.Cleanup(s.Close)
	return s
}

func trust(srv *httptest.Server) *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return pool
}

func ok(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "hello") }

func get(t *testing.T, c *http.Client, url string) (string, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return string(body), err
}

func TestClientReachesTrustedAllowedServer(t *testing.T) {
	srv := newServer(t, true, ok)
	c := httpclient.New(httpclient.Options{RootCAs: trust(srv.Server), AllowedDestinations: loopback})
	body, err := get(t, c, srv.URL)
	if err != nil || body != "hello" {
		t.Fatalf("got %q, %v; want hello", body, err)
	}
}

func TestClientRejectsUntrustedCertificate(t *testing.T) {
	srv := newServer(t, true, ok)
	// No RootCAs: the system roots do not include the test server's
	// self-signed certificate.
	c := httpclient.New(httpclient.Options{AllowedDestinations: loopback})
	_, err := get(t, c, srv.URL)
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Fatalf("error = %v, want an unknown authority error", err)
	}
	if n := srv.hits.Load(); n != 0 {
		t.Fatalf("handler ran %d time(s) despite the bad certificate", n)
	}
}

func TestClientRejectsServerCappedBelowTLS12(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(ok))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.TLS = &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}
	srv.StartTLS()
	defer srv.Close()

	// The test server really serves TLS 1.1: a client that accepts it
	// gets through. Otherwise the refusal below would prove nothing.
	permissive := srv.Client()
	permissive.Transport.(*http.Transport).TLSClientConfig.MinVersion = tls.VersionTLS10
	if _, err := get(t, permissive, srv.URL); err != nil {
		t.Fatalf("TLS 1.1 test server unreachable even for a TLS 1.0+ client: %v", err)
	}

	c := httpclient.New(httpclient.Options{RootCAs: trust(srv), AllowedDestinations: loopback})
	_, err := get(t, c, srv.URL)
	// Over TCP the server's alert arrives as a "remote error" whose type
	// crypto/tls does not export; its text is all there is to check.
	var opErr *net.OpError
	if !errors.As(err, &opErr) || opErr.Op != "remote error" || !strings.Contains(opErr.Err.Error(), "protocol version not supported") {
		t.Fatalf("error = %v, want the server's protocol_version alert", err)
	}
}

func TestClientRefusesRedirectFromHTTPSToHTTP(t *testing.T) {
	plain := newServer(t, false, ok)
	secure := newServer(t, true, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, plain.URL+"/landing", http.StatusFound)
	})
	// Plain HTTP is allowed, so only the downgrade itself can be refused.
	c := httpclient.New(httpclient.Options{RootCAs: trust(secure.Server), AllowedDestinations: loopback, AllowPlainHTTP: true})
	if _, err := get(t, c, plain.URL); err != nil {
		t.Fatalf("direct plain request failed: %v", err)
	}
	plain.hits.Store(0)

	_, err := get(t, c, secure.URL)
	if !errors.Is(err, httpclient.ErrInsecureRedirect) {
		t.Fatalf("error = %v, want ErrInsecureRedirect", err)
	}
	if n := plain.hits.Load(); n != 0 {
		t.Fatalf("the http target was requested %d time(s)", n)
	}
}

func TestClientBoundsRedirects(t *testing.T) {
	var srv *countingServer
	srv = newServer(t, true, func(w http.ResponseWriter, r *http.Request) {
		if srv.hits.Load() > 10 {
			fmt.Fprint(w, "done")
			return
		}
		http.Redirect(w, r, "/again", http.StatusFound)
	})
	tests := []struct {
		name         string
		maxRedirects int
		wantErr      error
		wantStatus   int
		wantHits     int32
	}{
		{"limit of 3", 3, httpclient.ErrTooManyRedirects, 0, 4},
		{"default of 5", 0, httpclient.ErrTooManyRedirects, 0, 6},
		{"none followed", -1, nil, http.StatusFound, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.hits.Store(0)
			c := httpclient.New(httpclient.Options{RootCAs: trust(srv.Server), AllowedDestinations: loopback, MaxRedirects: tt.maxRedirects})
			resp, err := c.Get(srv.URL)
			if err == nil {
				resp.Body.Close()
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr == nil && resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if n := srv.hits.Load(); n != tt.wantHits {
				t.Fatalf("server hit %d time(s), want %d", n, tt.wantHits)
			}
		})
	}
}

func TestClientRefusesPlainHTTPUnlessAllowed(t *testing.T) {
	srv := newServer(t, false, ok)
	_, err := get(t, httpclient.New(httpclient.Options{AllowedDestinations: loopback}), srv.URL)
	if !errors.Is(err, httpclient.ErrPlainHTTP) {
		t.Fatalf("error = %v, want ErrPlainHTTP", err)
	}
	if n := srv.hits.Load(); n != 0 {
		t.Fatalf("server hit %d time(s)", n)
	}
	body, err := get(t, httpclient.New(httpclient.Options{AllowedDestinations: loopback, AllowPlainHTTP: true}), srv.URL)
	if err != nil || body != "hello" {
		t.Fatalf("with AllowPlainHTTP got %q, %v", body, err)
	}
}

func TestClientGuardRefusesLoopbackByDefault(t *testing.T) {
	srv := newServer(t, true, ok)
	for _, url := range []string{srv.URL, strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)} {
		t.Run(url, func(t *testing.T) {
			// The guard runs in the dialer, after resolving "localhost".
			c := httpclient.New(httpclient.Options{RootCAs: trust(srv.Server)})
			_, err := get(t, c, url)
			if !errors.Is(err, httpclient.ErrForbiddenDestination) {
				t.Fatalf("error = %v, want ErrForbiddenDestination", err)
			}
			var derr *httpclient.DestinationError
			if !errors.As(err, &derr) || derr.Reason != "loopback" {
				t.Fatalf("error = %v, want a loopback DestinationError", err)
			}
		})
	}
	if n := srv.hits.Load(); n != 0 {
		t.Fatalf("server hit %d time(s)", n)
	}
}

func TestClientGuardCanBeDisabled(t *testing.T) {
	srv := newServer(t, true, ok)
	c := httpclient.New(httpclient.Options{RootCAs: trust(srv.Server), DisableDestinationGuard: true})
	if body, err := get(t, c, srv.URL); err != nil || body != "hello" {
		t.Fatalf("got %q, %v; want hello", body, err)
	}
}

func TestClientCapsResponseBodies(t *testing.T) {
	const limit = 1024
	tests := []struct {
		name    string
		size    int
		chunked bool
		wantErr bool
	}{
		{"at the cap with length", limit, false, false},
		{"over the cap with length", limit + 1, false, true},
		{"at the cap chunked", limit, true, false},
		{"over the cap chunked", 4 * limit, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, true, func(w http.ResponseWriter, _ *http.Request) {
				payload := strings.Repeat("x", tt.size)
				if tt.chunked {
					// Flushing before the end drops Content-Length.
					io.WriteString(w, payload[:1])
					w.(http.Flusher).Flush()
					io.WriteString(w, payload[1:])
					return
				}
				w.Header().Set("Content-Length", fmt.Sprint(tt.size))
				io.WriteString(w, payload)
			})
			c := httpclient.New(httpclient.Options{RootCAs: trust(srv.Server), AllowedDestinations: loopback, MaxResponseBytes: limit})
			body, err := get(t, c, srv.URL)
			if !tt.wantErr {
				if err != nil || len(body) != tt.size {
					t.Fatalf("got %d bytes, %v; want %d bytes", len(body), err, tt.size)
				}
				return
			}
			if !errors.Is(err, httpclient.ErrResponseTooLarge) {
				t.Fatalf("error = %v, want ErrResponseTooLarge", err)
			}
			if len(body) > limit {
				t.Fatalf("read %d bytes past a cap of %d", len(body), limit)
			}
		})
	}
}

func TestClientRefusesRequestsTooCloseToTheDeadline(t *testing.T) {
	srv := newServer(t, true, ok)
	c := httpclient.New(httpclient.Options{RootCAs: trust(srv.Server), AllowedDestinations: loopback, DeadlineMargin: time.Hour})
	// The invocation has a whole minute left, but less than the margin.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	_, err := c.Do(req)
	if !errors.Is(err, httpclient.ErrDeadlineTooClose) {
		t.Fatalf("error = %v, want ErrDeadlineTooClose", err)
	}
	if n := srv.hits.Load(); n != 0 {
		t.Fatalf("server hit %d time(s)", n)
	}
}
