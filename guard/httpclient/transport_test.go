package httpclient

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// recordingTransport answers every request and remembers its context.
type recordingTransport struct {
	ctx context.Context
}

func (r *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r.ctx = req.Context()
	return &http.Response{StatusCode: http.StatusOK, ContentLength: -1, Body: io.NopCloser(strings.NewReader("ok"))}, nil
}

func TestTransportCutsTheDeadlineByTheMargin(t *testing.T) {
	invocationDeadline := time.Now().Add(time.Hour)
	ctx, cancel := context.WithDeadline(context.Background(), invocationDeadline)
	defer cancel()

	next := &recordingTransport{}
	tr := &boundedTransport{next: next, margin: 2 * time.Second, maxBody: 10}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "https://example.com/", nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := next.ctx.Deadline()
	if !ok || !got.Equal(invocationDeadline.Add(-2*time.Second)) {
		t.Fatalf("request deadline = %v (set %v), want %v", got, ok, invocationDeadline.Add(-2*time.Second))
	}
	if next.ctx.Err() != nil {
		t.Fatal("request context cancelled before the body was closed")
	}
	resp.Body.Close()
	if next.ctx.Err() == nil {
		t.Fatal("closing the body did not release the request context")
	}
}

func TestTransportLeavesRequestsWithoutDeadlineToTheClientTimeout(t *testing.T) {
	next := &recordingTransport{}
	tr := &boundedTransport{next: next, margin: time.Second, maxBody: 10}
	req, _ := http.NewRequest(http.MethodGet, "https://example.com/", nil)
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, ok := next.ctx.Deadline(); ok {
		t.Fatal("a deadline was invented for a request without one")
	}
}

func TestTransportRefusesUnsupportedSchemes(t *testing.T) {
	tr := &boundedTransport{next: &recordingTransport{}, margin: time.Second, maxBody: 10, allowPlainHTTP: true}
	for _, url := range []string{"ftp://example.com/", "file:///etc/passwd", "gopher://example.com/"} {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if _, err := tr.RoundTrip(req); err == nil {
			t.Errorf("RoundTrip(%s) succeeded, want an error", url)
		}
	}
}
