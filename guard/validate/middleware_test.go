package validate_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/bulwark-sec/bulwark/guard"
	"github.com/bulwark-sec/bulwark/guard/validate"
)

// httpResult is the part of an HTTP response the middleware tests compare.
type httpResult struct {
	status      int
	contentType string
	body        string
}

func TestHTTPMiddlewareAnswers400WithJSONErrorBody(t *testing.T) {
	s := mustCompile(t, pingSchema, validate.Options{})
	type run func(body string) (res httpResult, handlerCalled bool, err error)
	envelopes := map[string]run{
		"REST": func(body string) (httpResult, bool, error) {
			called := false
			h := guard.Chain(func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
				called = true
				return events.APIGatewayProxyResponse{StatusCode: http.StatusOK}, nil
			}, validate.APIGateway(s))
			res, err := h(context.Background(), events.APIGatewayProxyRequest{Body: body})
			return httpResult{res.StatusCode, res.Headers["Content-Type"], res.Body}, called, err
		},
		"HTTP API": func(body string) (httpResult, bool, error) {
			called := false
			h := guard.Chain(func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
				called = true
				return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusOK}, nil
			}, validate.APIGatewayV2(s))
			res, err := h(context.Background(), events.APIGatewayV2HTTPRequest{Body: body})
			return httpResult{res.StatusCode, res.Headers["Content-Type"], res.Body}, called, err
		},
		"Function URL": func(body string) (httpResult, bool, error) {
			called := false
			h := guard.Chain(func(context.Context, events.LambdaFunctionURLRequest) (events.LambdaFunctionURLResponse, error) {
				called = true
				return events.LambdaFunctionURLResponse{StatusCode: http.StatusOK}, nil
			}, validate.FunctionURL(s))
			res, err := h(context.Background(), events.LambdaFunctionURLRequest{Body: body})
			return httpResult{res.StatusCode, res.Headers["Content-Type"], res.Body}, called, err
		},
	}
	tests := []struct {
		name       string
		body       string
		wantStatus int
		wantBody   *validate.ErrorBody
	}{
		{"valid body reaches the handler", `{"n": 1}`, http.StatusOK, nil},
		{
			"schema failure", `{"n": "secret-value"}`, http.StatusBadRequest,
			&validate.ErrorBody{Message: "request body is invalid", Reason: validate.ReasonSchema,
				Errors: []validate.Violation{{Pointer: "/n", Keyword: "type"}}},
		},
		{
			"malformed", `{"n": `, http.StatusBadRequest,
			&validate.ErrorBody{Message: "request body is invalid", Reason: validate.ReasonMalformed, Detail: "truncated JSON"},
		},
	}
	for envelope, call := range envelopes {
		for _, tt := range tests {
			t.Run(envelope+"/"+tt.name, func(t *testing.T) {
				res, called, err := call(tt.body)
				if err != nil {
					t.Fatalf("handler error: %v", err)
				}
				if res.status != tt.wantStatus {
					t.Fatalf("status = %d, want %d", res.status, tt.wantStatus)
				}
				if tt.wantBody == nil {
					if !called {
						t.Fatal("valid request did not reach the handler")
					}
					return
				}
				if called {
					t.Fatal("invalid request reached the handler")
				}
				if res.contentType != "application/json" {
					t.Fatalf("Content-Type = %q, want application/json", res.contentType)
				}
				if strings.Contains(res.body, "secret-value") {
					t.Fatalf("body echoes the value: %s", res.body)
				}
				want, _ := json.Marshal(tt.wantBody)
				if res.body != string(want) {
					t.Fatalf("body = %s, want %s", res.body, want)
				}
			})
		}
	}
}
