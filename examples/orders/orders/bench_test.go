package orders

import (
	"context"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/bulwark-sec/bulwark/guard/ratelimit"
)

// BenchmarkHandler measures what the middleware chain and the order logic
// cost per request, with the store, payer and limiter in memory.
func BenchmarkHandler(b *testing.B) {
	for _, tt := range []struct {
		name   string
		replay bool
	}{
		{"new order", false},
		{"replay", true},
	} {
		b.Run(tt.name, func(b *testing.B) {
			limiter, err := ratelimit.NewMemory(1<<40, time.Minute) // counts, never refuses
			if err != nil {
				b.Fatal(err)
			}
			f := newFixture(limiter)
			f.svc.logger = NewLogger(io.Discard)
			h := f.svc.Handler()
			ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "bench"})
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				key := orderKey1
				if !tt.replay {
					key = fmt.Sprintf("3b241101-e2bb-4255-8caf-%012x", i)
				}
				resp, err := h(ctx, orderRequest(customerA, validBody(key, "tok_visa")))
				if err != nil || resp.StatusCode >= 300 {
					b.Fatalf("status %d, err %v: %s", resp.StatusCode, err, resp.Body)
				}
			}
		})
	}
}
