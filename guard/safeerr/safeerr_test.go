package safeerr_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/bulwark-sec/bulwark/guard"
	"github.com/bulwark-sec/bulwark/guard/safeerr"
)

// secret stands for anything internal: a DSN, a table name, a stack.
const secret = "postgres://app:pw@10.0.3.7/orders"

var errDB = errors.New("query failed on " + secret)

// logEntry is one decoded log line.
type logEntry map[string]any

func capture() (*slog.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	return slog.New(slog.NewJSONHandler(&buf, nil)), &buf
}

func entries(t *testing.T, buf *bytes.Buffer) []logEntry {
	t.Helper()
	var out []logEntry
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		var e logEntry
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatalf("log line is not JSON: %s", line)
		}
		out = append(out, e)
	}
	return out
}

type failure struct {
	name       string
	handler    func() error // returns the handler's error, or panics
	wantStatus int
	wantMsg    string
	wantLevel  string
	wantLogged string // text the log must carry
	panics     bool
}

var failures = []failure{
	{"plain error", func() error { return errDB }, 500, "internal error", "ERROR", secret, false},
	{"wrapped error", func() error { return fmt.Errorf("load order 7: %w", errDB) }, 500, "internal error", "ERROR", "load order 7: query failed on " + secret, false},
	{"panic with a string", func() error { panic("nil map write near " + secret) }, 500, "internal error", "ERROR", "panic: nil map write near " + secret, true},
	{"panic with an error", func() error { panic(errDB) }, 500, "internal error", "ERROR", "panic: query failed on " + secret, true},
	{"panic inside the standard library", func() error { return errors.New(strings.Repeat(secret, -1)) }, 500, "internal error", "ERROR", "negative Repeat count", true},
	{"public error", func() error { return safeerr.Public(404, "order not found") }, 404, "order not found", "INFO", "order not found", false},
	{"public error wrapping a cause", func() error { return safeerr.Wrap(errDB, 409, "order already paid") }, 409, "order already paid", "INFO", "order already paid: query failed on " + secret, false},
	{"public error wrapped again", func() error { return fmt.Errorf("handler: %w", safeerr.Wrap(errDB, 503, "try again later")) }, 503, "try again later", "ERROR", secret, false},
	{"public message with a non-error status", func() error { return safeerr.Public(200, "odd") }, 500, "odd", "ERROR", "odd", false},
}

// httpCall runs a failing handler behind one of the HTTP middlewares and
// returns status, headers and body.
type httpCall func(ctx context.Context, logger *slog.Logger, fail func() error) (int, map[string]string, string, error)

var envelopes = map[string]httpCall{
	"REST": func(ctx context.Context, logger *slog.Logger, fail func() error) (int, map[string]string, string, error) {
		h := guard.Chain(func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
			return events.APIGatewayProxyResponse{StatusCode: 200, Body: "partial " + secret}, fail()
		}, safeerr.APIGateway(logger))
		res, err := h(ctx, events.APIGatewayProxyRequest{})
		return res.StatusCode, res.Headers, res.Body, err
	},
	"HTTP API": func(ctx context.Context, logger *slog.Logger, fail func() error) (int, map[string]string, string, error) {
		h := guard.Chain(func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
			return events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: "partial " + secret}, fail()
		}, safeerr.APIGatewayV2(logger))
		res, err := h(ctx, events.APIGatewayV2HTTPRequest{})
		return res.StatusCode, res.Headers, res.Body, err
	},
	"Function URL": func(ctx context.Context, logger *slog.Logger, fail func() error) (int, map[string]string, string, error) {
		h := guard.Chain(func(context.Context, events.LambdaFunctionURLRequest) (events.LambdaFunctionURLResponse, error) {
			return events.LambdaFunctionURLResponse{StatusCode: 200, Body: "partial " + secret}, fail()
		}, safeerr.FunctionURL(logger))
		res, err := h(ctx, events.LambdaFunctionURLRequest{})
		return res.StatusCode, res.Headers, res.Body, err
	},
}

func TestHTTPMiddlewareAnswersWithoutInternals(t *testing.T) {
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-42"})
	for envelope, run := range envelopes {
		for _, tt := range failures {
			t.Run(envelope+"/"+tt.name, func(t *testing.T) {
				logger, buf := capture()
				status, headers, body, err := run(ctx, logger, tt.handler)
				if err != nil {
					t.Fatalf("middleware returned an error: %v", err)
				}
				if status != tt.wantStatus || headers["Content-Type"] != "application/json" {
					t.Fatalf("status %d, headers %v; want %d with a JSON content type", status, headers, tt.wantStatus)
				}
				want, _ := json.Marshal(safeerr.Body{Message: tt.wantMsg, CorrelationID: "req-42"})
				if body != string(want) {
					t.Fatalf("body = %s, want %s", body, want)
				}
				checkLog(t, buf, tt, "req-42")
			})
		}
	}
}

// checkLog asserts the one log entry carries the full story under the
// correlation ID the caller was given.
func checkLog(t *testing.T, buf *bytes.Buffer, tt failure, id string) {
	t.Helper()
	logs := entries(t, buf)
	if len(logs) != 1 {
		t.Fatalf("got %d log entries, want 1: %s", len(logs), buf)
	}
	e := logs[0]
	if e["correlation_id"] != id || e["level"] != tt.wantLevel || e["status"] != float64(tt.wantStatus) {
		t.Fatalf("log entry = %v, want correlation_id %s, level %s, status %d", e, id, tt.wantLevel, tt.wantStatus)
	}
	if errText, _ := e["error"].(string); !strings.Contains(errText, tt.wantLogged) {
		t.Fatalf("logged error %q lacks %q", errText, tt.wantLogged)
	}
	stack, hasStack := e["stack"].(string)
	if tt.panics != hasStack {
		t.Fatalf("stack logged = %v, want %v", hasStack, tt.panics)
	}
	if tt.panics && !strings.Contains(stack, "safeerr_test") {
		t.Fatalf("stack does not show the panicking code:\n%s", stack)
	}
}

func TestRecoverReturnsOnlyThePublicMessage(t *testing.T) {
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-7"})
	for _, tt := range failures {
		t.Run(tt.name, func(t *testing.T) {
			logger, buf := capture()
			h := guard.Chain(func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
				return events.SQSEventResponse{}, tt.handler()
			}, safeerr.Recover[events.SQSEvent, events.SQSEventResponse](logger))
			_, err := h(ctx, events.SQSEvent{})
			var s *safeerr.Sanitized
			if !errors.As(err, &s) {
				t.Fatalf("error = %v (%T), want *safeerr.Sanitized", err, err)
			}
			if s.Status != tt.wantStatus || s.Message != tt.wantMsg || s.CorrelationID != "req-7" {
				t.Fatalf("got %+v", s)
			}
			if strings.Contains(err.Error(), secret) || errors.Is(err, errDB) {
				t.Fatalf("returned error exposes the cause: %v", err)
			}
			if err.Error() != tt.wantMsg+" (correlation ID req-7)" {
				t.Fatalf("Error() = %q", err.Error())
			}
			checkLog(t, buf, tt, "req-7")
		})
	}
}

func TestSuccessPassesThroughUntouched(t *testing.T) {
	logger, buf := capture()
	h := guard.Chain(func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusCreated, Body: "made"}, nil
	}, safeerr.APIGatewayV2(logger))
	res, err := h(context.Background(), events.APIGatewayV2HTTPRequest{})
	if err != nil || res.StatusCode != http.StatusCreated || res.Body != "made" {
		t.Fatalf("got %+v, %v", res, err)
	}
	if buf.Len() != 0 {
		t.Fatalf("success was logged: %s", buf)
	}
}

func TestCorrelationIDIsRandomOutsideLambda(t *testing.T) {
	logger, buf := capture()
	h := guard.Chain(func(context.Context, string) (string, error) { return "", errDB },
		safeerr.Recover[string, string](logger))
	var ids []string
	for range 2 {
		_, err := h(context.Background(), "")
		var s *safeerr.Sanitized
		if !errors.As(err, &s) || !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(s.CorrelationID) {
			t.Fatalf("error = %v, want a 32-hex-digit correlation ID", err)
		}
		ids = append(ids, s.CorrelationID)
	}
	if ids[0] == ids[1] {
		t.Fatalf("the same ID %s was issued twice", ids[0])
	}
	logs := entries(t, buf)
	if logs[0]["correlation_id"] != ids[0] || logs[1]["correlation_id"] != ids[1] {
		t.Fatalf("logged IDs %v, %v differ from returned %v", logs[0]["correlation_id"], logs[1]["correlation_id"], ids)
	}
}

func TestPublicErrorsUnwrapToTheirCause(t *testing.T) {
	err := safeerr.Wrap(errDB, 409, "conflict")
	if !errors.Is(err, errDB) {
		t.Fatal("Wrap hides its cause from errors.Is")
	}
	if err.Error() != "conflict: query failed on "+secret {
		t.Fatalf("Error() = %q, want the message and cause for logs", err.Error())
	}
	if safeerr.Public(404, "gone").Error() != "gone" {
		t.Fatal("Public error text is not its message")
	}
}
