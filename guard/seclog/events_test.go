package seclog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/bulwark-sec/bulwark/guard/seclog"
)

func TestRecorderLogsFixedSchemaAsAnEMFDocument(t *testing.T) {
	var buf bytes.Buffer
	rec := seclog.Recorder{Logger: slog.New(slog.NewJSONHandler(&buf, nil)), FunctionName: "orders"}
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})
	err := rec.Record(ctx, seclog.Event{
		Type: seclog.AuthFailure, Reason: "expired_token", Subject: "user-7", Source: "203.0.113.9", Resource: "POST /orders",
	})
	if err != nil {
		t.Fatal(err)
	}
	doc, root := checkEMF(t, buf.Bytes())
	want := map[string]any{
		"level": "WARN", "msg": seclog.EventMessage,
		"event_type": "auth_failure", "reason": "expired_token", "subject": "user-7", "source": "203.0.113.9",
		"resource": "POST /orders", "correlation_id": "req-1", "function_name": "orders", "security_events": float64(1),
	}
	for k, v := range want {
		if root[k] != v {
			t.Errorf("%s = %v, want %v", k, root[k], v)
		}
	}
	d := doc.AWS.CloudWatchMetrics[0]
	if d.Namespace != seclog.DefaultNamespace || len(d.Dimensions) != 1 || len(d.Dimensions[0]) != 2 ||
		d.Metrics[0].Name != "security_events" || d.Metrics[0].Unit != "Count" || doc.AWS.Timestamp == 0 {
		t.Fatalf("directive = %+v", doc.AWS)
	}
}

func TestRecorderCorrelationID(t *testing.T) {
	lambdaCtx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1"})
	tests := []struct {
		name string
		ctx  context.Context
		id   string
		want string
	}{
		{"from the Lambda context", lambdaCtx, "", "req-1"},
		{"explicit wins", lambdaCtx, "trace-9", "trace-9"},
		{"none outside Lambda", context.Background(), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			rec := seclog.Recorder{Logger: slog.New(slog.NewJSONHandler(&buf, nil))}
			if err := rec.Record(tt.ctx, seclog.Event{Type: seclog.RateLimited, CorrelationID: tt.id}); err != nil {
				t.Fatal(err)
			}
			_, root := checkEMF(t, buf.Bytes())
			if root["correlation_id"] != tt.want {
				t.Fatalf("correlation_id = %v, want %q", root["correlation_id"], tt.want)
			}
		})
	}
}

func TestRecorderOmitsUnknownFunctionNameDimension(t *testing.T) {
	if lambdacontext.FunctionName != "" {
		t.Skip("AWS_LAMBDA_FUNCTION_NAME is set in this environment")
	}
	var buf bytes.Buffer
	rec := seclog.Recorder{Logger: slog.New(slog.NewJSONHandler(&buf, nil)), Namespace: "Shop/Security"}
	if err := rec.Record(context.Background(), seclog.Event{Type: seclog.AccessDenied}); err != nil {
		t.Fatal(err)
	}
	doc, root := checkEMF(t, buf.Bytes())
	if _, ok := root["function_name"]; ok {
		t.Fatal("function_name logged without a value")
	}
	d := doc.AWS.CloudWatchMetrics[0]
	if d.Namespace != "Shop/Security" || len(d.Dimensions[0]) != 1 || d.Dimensions[0][0] != "event_type" {
		t.Fatalf("directive = %+v", d)
	}
}

func TestRecorderStillLogsEventsWhoseMetricIsInvalid(t *testing.T) {
	var buf bytes.Buffer
	rec := seclog.Recorder{Logger: slog.New(slog.NewJSONHandler(&buf, nil)), Namespace: "AWS/Lambda"}
	err := rec.Record(context.Background(), seclog.Event{Type: seclog.ValidationFailure, Reason: "schema"})
	if !errors.Is(err, seclog.ErrInvalidMetrics) {
		t.Fatalf("Record = %v, want ErrInvalidMetrics", err)
	}
	var root map[string]any
	if err := json.Unmarshal(buf.Bytes(), &root); err != nil {
		t.Fatalf("event not logged: %q", buf.String())
	}
	if root["event_type"] != "validation_failure" || root["_aws"] != nil {
		t.Fatalf("record = %v, want the event without metric metadata", root)
	}
}

func TestRecorderThroughRedactingHandlerKeepsEMFIntact(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(seclog.NewHandler(slog.NewJSONHandler(&buf, nil), seclog.Options{}))
	rec := seclog.Recorder{Logger: logger, FunctionName: "orders"}
	jwt := "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."
	if err := rec.Record(context.Background(), seclog.Event{Type: seclog.AuthFailure, Reason: "bad token " + jwt}); err != nil {
		t.Fatal(err)
	}
	_, root := checkEMF(t, buf.Bytes())
	if root["reason"] != "bad token "+seclog.DefaultReplacement {
		t.Fatalf("reason = %v, want the token redacted", root["reason"])
	}
}
