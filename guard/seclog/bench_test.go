package seclog_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/bulwark-sec/bulwark/guard/seclog"
)

type benchOrder struct {
	ID       string            `json:"id"`
	Customer string            `json:"customer"`
	Total    float64           `json:"total"`
	Headers  map[string]string `json:"headers"`
}

// BenchmarkHandlerTypicalRecord measures the redaction cost added to a
// request log line with a nested struct, one sensitive header and one token
// in the message.
func BenchmarkHandlerTypicalRecord(b *testing.B) {
	benchmarks := map[string]slog.Handler{
		"json":           slog.NewJSONHandler(io.Discard, nil),
		"redacting json": seclog.NewHandler(slog.NewJSONHandler(io.Discard, nil), seclog.Options{}),
	}
	order := benchOrder{ID: "ord-1", Customer: "c-9", Total: 99.5, Headers: map[string]string{
		"Authorization": "Bearer abc", "Accept": "application/json", "User-Agent": "curl/8.0",
	}}
	for name, h := range benchmarks {
		b.Run(name, func(b *testing.B) {
			logger := slog.New(h)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				logger.InfoContext(ctx, "order created with token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbm4ifQ.c2ln",
					"order", order, "route", "POST /orders", "status", 201, "duration_ms", 12.5)
			}
		})
	}
}
