// Package httpclient builds an *http.Client hardened for outbound calls from
// a Lambda function.
//
// The client always verifies certificates and speaks TLS 1.2 or newer (there
// is no option to turn either off), refuses plain http:// unless allowed,
// never follows a redirect from https to http, bounds redirects, timeouts and
// response sizes, and cuts every request's deadline short of the invocation
// deadline so the function keeps time to answer. A destination guard refuses
// connections to loopback, link-local (including the instance metadata
// service), private and other non-public addresses. It checks the address
// actually dialled, after DNS resolution, so a hostname that resolves (or
// re-resolves) to an internal address cannot slip past it.
//
// Options is a plain struct; its zero value gives the safest client.
package httpclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"time"
)

// Defaults used when the matching Options field is zero.
const (
	DefaultTimeout          = 30 * time.Second
	DefaultDeadlineMargin   = 500 * time.Millisecond
	DefaultMaxRedirects     = 5
	DefaultMaxResponseBytes = 10 << 20 // 10 MiB
)

// Errors reported by the client, wrapped in the *url.Error that
// http.Client returns; test for them with errors.Is.
var (
	// ErrForbiddenDestination: the address dialled is one the destination
	// guard refuses. The error is a *DestinationError.
	ErrForbiddenDestination = errors.New("httpclient: destination address refused")
	// ErrPlainHTTP: a request used http:// and Options.AllowPlainHTTP is off.
	ErrPlainHTTP = errors.New("httpclient: plain http refused")
	// ErrInsecureRedirect: a redirect led from https to a non-https URL.
	ErrInsecureRedirect = errors.New("httpclient: redirect from https to http refused")
	// ErrTooManyRedirects: more redirects than Options.MaxRedirects.
	ErrTooManyRedirects = errors.New("httpclient: too many redirects")
	// ErrResponseTooLarge: the response body is longer than
	// Options.MaxResponseBytes. A declared Content-Length fails the request
	// at once; otherwise reading the body fails once it passes the cap.
	ErrResponseTooLarge = errors.New("httpclient: response body too large")
	// ErrDeadlineTooClose: the request's context deadline, less
	// Options.DeadlineMargin, has already passed.
	ErrDeadlineTooClose = errors.New("httpclient: too close to the invocation deadline")
)

// Options configures New. The zero value is the safest configuration.
type Options struct {
	// RootCAs, when set, replaces the system roots: for a private CA, or
	// a test server. Verification itself cannot be turned off.
	RootCAs *x509.CertPool

	// Timeout bounds a whole request, redirects and body reading included.
	// Zero means DefaultTimeout.
	Timeout time.Duration

	// DeadlineMargin is the time kept free before the request context's
	// deadline, which in a Lambda handler is the invocation deadline. Each
	// request's context is cut to end that much earlier, so a slow
	// dependency times out while the function can still respond. Zero means
	// DefaultDeadlineMargin. Pass the handler's ctx to the request
	// (http.NewRequestWithContext) for this to apply.
	DeadlineMargin time.Duration

	// MaxRedirects is the number of redirects followed before failing with
	// ErrTooManyRedirects. Zero means DefaultMaxRedirects; a negative value
	// follows none and returns the redirect response itself.
	MaxRedirects int

	// MaxResponseBytes caps each response body. Zero means
	// DefaultMaxResponseBytes.
	MaxResponseBytes int64

	// AllowPlainHTTP permits http:// URLs. Even then, a redirect from https
	// to http is refused.
	AllowPlainHTTP bool

	// AllowedDestinations exempts address ranges from the destination
	// guard, such as a VPC's CIDR for internal services, or 127.0.0.1/32 for
	// a local test server.
	AllowedDestinations []netip.Prefix

	// DisableDestinationGuard lets the client connect to any address,
	// including loopback and the instance metadata service. Prefer
	// AllowedDestinations.
	DisableDestinationGuard bool
}

// New returns a client configured by opts. Proxy environment variables are
// ignored: through a proxy the destination guard would only see the proxy's
// address.
func New(opts Options) *http.Client {
	opts = withDefaults(opts)
	guard := destinationGuard{allowed: opts.AllowedDestinations, disabled: opts.DisableDestinationGuard}
	dialer := &net.Dialer{
		Timeout:   10 * time.Second,
		KeepAlive: 30 * time.Second,
		Control:   guard.control,
	}
	transport := &http.Transport{
		Proxy:       nil,
		DialContext: dialer.DialContext,
		TLSClientConfig: &tls.Config{
			MinVersion: tls.VersionTLS12,
			RootCAs:    opts.RootCAs,
		},
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConns:          100,
	}
	return &http.Client{
		Transport: &boundedTransport{
			next:           transport,
			margin:         opts.DeadlineMargin,
			maxBody:        opts.MaxResponseBytes,
			allowPlainHTTP: opts.AllowPlainHTTP,
		},
		CheckRedirect: checkRedirect(opts.MaxRedirects),
		Timeout:       opts.Timeout,
	}
}

func withDefaults(opts Options) Options {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.DeadlineMargin <= 0 {
		opts.DeadlineMargin = DefaultDeadlineMargin
	}
	if opts.MaxRedirects == 0 {
		opts.MaxRedirects = DefaultMaxRedirects
	}
	if opts.MaxResponseBytes <= 0 {
		opts.MaxResponseBytes = DefaultMaxResponseBytes
	}
	return opts
}

// checkRedirect bounds the redirect chain and refuses any step from https to
// anything else. The client has already removed credentials headers when the
// redirect changes host.
func checkRedirect(maxRedirects int) func(req *http.Request, via []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if maxRedirects < 0 {
			return http.ErrUseLastResponse
		}
		if len(via) > maxRedirects {
			return fmt.Errorf("%w: more than %d", ErrTooManyRedirects, maxRedirects)
		}
		if prev := via[len(via)-1]; prev.URL.Scheme == "https" && req.URL.Scheme != "https" {
			return ErrInsecureRedirect
		}
		return nil
	}
}

// boundedTransport applies the per-request rules the standard transport has
// no setting for: scheme, invocation deadline and response size.
type boundedTransport struct {
	next           http.RoundTripper
	margin         time.Duration
	maxBody        int64
	allowPlainHTTP bool
}

func (t *boundedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	switch {
	case req.URL.Scheme == "https":
	case req.URL.Scheme == "http" && t.allowPlainHTTP:
	case req.URL.Scheme == "http":
		return nil, ErrPlainHTTP
	default:
		return nil, fmt.Errorf("httpclient: unsupported scheme %q", req.URL.Scheme)
	}

	cancel := context.CancelFunc(func() {})
	if deadline, ok := req.Context().Deadline(); ok {
		cut := deadline.Add(-t.margin)
		if !time.Now().Before(cut) {
			return nil, ErrDeadlineTooClose
		}
		var ctx context.Context
		ctx, cancel = context.WithDeadline(req.Context(), cut)
		req = req.WithContext(ctx)
	}

	resp, err := t.next.RoundTrip(req)
	if err != nil {
		cancel()
		return nil, err
	}
	if resp.ContentLength > t.maxBody {
		resp.Body.Close()
		cancel()
		return nil, fmt.Errorf("%w: Content-Length %d exceeds %d", ErrResponseTooLarge, resp.ContentLength, t.maxBody)
	}
	// The shortened context must outlive RoundTrip, since the caller still
	// reads the body; it is released when the body is closed.
	resp.Body = &cappedBody{body: resp.Body, remaining: t.maxBody, release: cancel}
	return resp, nil
}

// cappedBody fails reads past the cap instead of silently truncating, so a
// caller never mistakes a cut-off document for a whole one.
type cappedBody struct {
	body      io.ReadCloser
	remaining int64
	exceeded  bool
	release   context.CancelFunc
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.exceeded {
		return 0, ErrResponseTooLarge
	}
	// Read one byte beyond the cap to tell "exactly at the cap" from "over".
	if int64(len(p)) > b.remaining+1 {
		p = p[:b.remaining+1]
	}
	n, err := b.body.Read(p)
	if int64(n) > b.remaining {
		n = int(b.remaining)
		b.remaining = 0
		b.exceeded = true
		return n, ErrResponseTooLarge
	}
	b.remaining -= int64(n)
	return n, err
}

func (b *cappedBody) Close() error {
	err := b.body.Close()
	b.release()
	return err
}
