package ratelimit

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/bulwark-sec/bulwark/guard"
)

// scriptedLimiter answers with a fixed decision and error.
type scriptedLimiter struct {
	decision Decision
	err      error
	keys     []string
}

func (s *scriptedLimiter) Allow(_ context.Context, key string) (Decision, error) {
	s.keys = append(s.keys, key)
	return s.decision, s.err
}

func restEvent(ip string) events.APIGatewayProxyRequest {
	var e events.APIGatewayProxyRequest
	e.RequestContext.Identity.SourceIP = ip
	return e
}

func TestAPIGatewayAnswersForTheLimiter(t *testing.T) {
	outage := errors.New("dynamodb unavailable")
	tests := []struct {
		name           string
		decision       Decision
		err            error
		wantHandler    bool
		wantStatus     int
		wantRetryAfter string
	}{
		{name: "admitted", decision: Decision{Allowed: true, Limit: 5, Remaining: 4}, wantHandler: true, wantStatus: 200},
		{name: "too many", decision: Decision{Limit: 5, RetryAfter: 1500 * time.Millisecond}, wantStatus: 429, wantRetryAfter: "2"},
		{name: "fail open admits", decision: Decision{Allowed: true, Limit: 5}, err: outage, wantHandler: true, wantStatus: 200},
		{name: "fail closed is unavailable, not too many", decision: Decision{Limit: 5, RetryAfter: time.Minute}, err: outage, wantStatus: 503, wantRetryAfter: "60"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			limiter := &scriptedLimiter{decision: tt.decision, err: tt.err}
			called := false
			h := guard.Chain(func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
				called = true
				return events.APIGatewayProxyResponse{StatusCode: 200}, nil
			}, APIGateway(limiter, SourceIP))

			resp, err := h(context.Background(), restEvent("203.0.113.7"))
			if err != nil {
				t.Fatalf("handler error: %v", err)
			}
			if called != tt.wantHandler || resp.StatusCode != tt.wantStatus || resp.Headers["Retry-After"] != tt.wantRetryAfter {
				t.Fatalf("handler called=%v status=%d Retry-After=%q; want called=%v status=%d Retry-After=%q",
					called, resp.StatusCode, resp.Headers["Retry-After"], tt.wantHandler, tt.wantStatus, tt.wantRetryAfter)
			}
			if len(limiter.keys) != 1 || limiter.keys[0] != "203.0.113.7" {
				t.Fatalf("limiter keys = %v, want the source IP", limiter.keys)
			}
		})
	}
}

func TestHTTPAPILimitsEachSourceIPSeparately(t *testing.T) {
	m, _ := newTestMemory(t, 1, time.Minute)
	h := guard.Chain(func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return events.APIGatewayV2HTTPResponse{StatusCode: 200}, nil
	}, HTTPAPI(m, HTTPAPISourceIP))

	event := func(ip string) events.APIGatewayV2HTTPRequest {
		var e events.APIGatewayV2HTTPRequest
		e.RequestContext.HTTP.SourceIP = ip
		return e
	}
	steps := []struct {
		ip         string
		wantStatus int
	}{
		{"198.51.100.1", 200},
		{"198.51.100.1", 429},
		{"198.51.100.2", 200},
	}
	for i, step := range steps {
		resp, err := h(context.Background(), event(step.ip))
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != step.wantStatus {
			t.Fatalf("request %d from %s: status %d, want %d", i, step.ip, resp.StatusCode, step.wantStatus)
		}
		if step.wantStatus == 429 && (resp.Body != `{"message":"Too Many Requests"}` || resp.Headers["Retry-After"] != "60") {
			t.Fatalf("429 response = %+v", resp)
		}
	}
}
