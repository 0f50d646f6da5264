package ratelimit

import (
	"context"
	"log/slog"
	"math"
	"net/http"
	"strconv"

	"github.com/aws/aws-lambda-go/events"

	"github.com/bulwark-sec/bulwark/guard"
)

// Middleware puts l in front of a handler: each event is counted under
// key(event), and an event that is turned away gets reject's response
// without reaching the handler. reject receives the limiter's error, if any,
// so it can tell "too many requests" from "could not count". A limiter error
// on an admitted event (FailOpen) is logged on slog.Default and the event
// proceeds. Events whose key is empty share one limit.
func Middleware[In, Out any](l Limiter, key func(In) string, reject func(Decision, error) Out) guard.Middleware[In, Out] {
	return func(next guard.Handler[In, Out]) guard.Handler[In, Out] {
		return func(ctx context.Context, in In) (Out, error) {
			decision, err := l.Allow(ctx, key(in))
			if decision.Allowed {
				if err != nil {
					slog.Default().WarnContext(ctx, "ratelimit: admitted a request the limiter could not count", slog.Any("error", err))
				}
				return next(ctx, in)
			}
			if err != nil {
				slog.Default().ErrorContext(ctx, "ratelimit: turned away a request the limiter could not count", slog.Any("error", err))
			}
			return reject(decision, err), nil
		}
	}
}

// APIGateway limits API Gateway REST API (proxy integration) events,
// answering 429 Too Many Requests with a Retry-After header, or 503 Service
// Unavailable when a FailClosed limiter could not count the request.
func APIGateway(l Limiter, key func(events.APIGatewayProxyRequest) string) guard.Middleware[events.APIGatewayProxyRequest, events.APIGatewayProxyResponse] {
	return Middleware(l, key, func(d Decision, err error) events.APIGatewayProxyResponse {
		status, headers, body := rejection(d, err)
		return events.APIGatewayProxyResponse{StatusCode: status, Headers: headers, Body: body}
	})
}

// HTTPAPI limits API Gateway HTTP API events (payload format 2.0),
// answering as APIGateway does.
func HTTPAPI(l Limiter, key func(events.APIGatewayV2HTTPRequest) string) guard.Middleware[events.APIGatewayV2HTTPRequest, events.APIGatewayV2HTTPResponse] {
	return Middleware(l, key, func(d Decision, err error) events.APIGatewayV2HTTPResponse {
		status, headers, body := rejection(d, err)
		return events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: headers, Body: body}
	})
}

// SourceIP keys REST API events by the caller's IP address as API Gateway
// saw it (not a client-supplied X-Forwarded-For).
func SourceIP(req events.APIGatewayProxyRequest) string {
	return req.RequestContext.Identity.SourceIP
}

// HTTPAPISourceIP keys HTTP API events by the caller's IP address as API
// Gateway saw it.
func HTTPAPISourceIP(req events.APIGatewayV2HTTPRequest) string {
	return req.RequestContext.HTTP.SourceIP
}

// rejection builds the response for a turned-away request. The body says no
// more than the status line, so it reveals nothing about the limiter.
func rejection(d Decision, err error) (status int, headers map[string]string, body string) {
	status = http.StatusTooManyRequests
	if err != nil {
		status = http.StatusServiceUnavailable
	}
	headers = map[string]string{"Content-Type": "application/json"}
	if d.RetryAfter > 0 {
		seconds := int64(math.Ceil(d.RetryAfter.Seconds()))
		headers["Retry-After"] = strconv.FormatInt(seconds, 10)
	}
	return status, headers, `{"message":"` + http.StatusText(status) + `"}`
}
