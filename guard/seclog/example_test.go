package seclog_test

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/bulwark-sec/bulwark/guard/seclog"
)

// withoutTime drops the time attribute so example output is stable.
func withoutTime(_ []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

func ExampleNewHandler() {
	logger := slog.New(seclog.NewHandler(
		slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: withoutTime}),
		seclog.Options{Paths: []string{"request.headers.x-forwarded-for"}},
	))

	type login struct {
		User     string `json:"user"`
		Password string `json:"password"`
	}
	logger.Info("login failed for token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbm4ifQ.c2ln",
		"attempt", login{User: "ann", Password: "hunter2"},
		slog.Group("request", slog.Group("headers",
			"Authorization", "Bearer abc",
			"X-Forwarded-For", "198.51.100.7",
			"Accept", "application/json",
		)),
	)
	// Output:
	// {"level":"INFO","msg":"login failed for token [REDACTED]","attempt":{"password":"[REDACTED]","user":"ann"},"request":{"headers":{"Authorization":"[REDACTED]","X-Forwarded-For":"[REDACTED]","Accept":"application/json"}}}
}

func ExampleRecorder() {
	rec := seclog.Recorder{
		Logger:       slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{ReplaceAttr: withoutTime})),
		FunctionName: "orders",
	}
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "c0ffee"})
	_ = rec.Record(ctx, seclog.Event{
		Type:     seclog.AuthFailure,
		Reason:   "expired_token",
		Subject:  "user-42",
		Source:   "203.0.113.9",
		Resource: "POST /orders",
	})
	// The line is both the security log record and, for CloudWatch, a
	// metric "security_events" by event_type and function_name. Its
	// Timestamp varies, so no Output check here.
}

func ExampleMetricSet_Encode() {
	set := seclog.MetricSet{
		Namespace:  "Shop/Security",
		Dimensions: []seclog.Dimension{{Name: "route", Value: "POST /orders"}},
		Metrics: []seclog.Metric{
			{Name: "rejected_requests", Unit: seclog.UnitCount, Value: 3},
			{Name: "validation_time", Unit: seclog.UnitMilliseconds, Value: 1.25},
		},
	}
	if err := set.Encode(os.Stdout, time.UnixMilli(1700000000000)); err != nil {
		panic(err)
	}
	// Output:
	// {"route":"POST /orders","rejected_requests":3,"validation_time":1.25,"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[{"Namespace":"Shop/Security","Dimensions":[["route"]],"Metrics":[{"Name":"rejected_requests","Unit":"Count"},{"Name":"validation_time","Unit":"Milliseconds"}]}]}}
}
