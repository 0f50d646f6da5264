package orders

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bulwark-sec/bulwark/guard/httpclient"
	"github.com/bulwark-sec/bulwark/guard/ratelimit"
	"github.com/bulwark-sec/bulwark/guard/seclog"
)

func TestHandlerAnswersEachKindOfRequest(t *testing.T) {
	internalErr := errors.New("dial tcp 10.0.3.7:443: connection refused")
	tests := []struct {
		name       string
		limiter    ratelimit.Limiter // nil: unlimited
		prepare    func(*fixture)
		req        Request
		wantStatus int
		wantBody   []string // substrings of the response body
		wantEvents []string // security event types logged
		wantStored Status   // "" when no order may be stored
	}{
		{
			name:       "valid order is charged and stored as paid",
			req:        orderRequest(customerA, validBody(orderKey1, "tok_visa")),
			wantStatus: 201,
			wantBody:   []string{`"status":"PAID"`, `"total":5248`, `"currency":"EUR"`, `"orderId":"` + orderKey1 + `"`, `"unitPrice":1999`},
			wantStored: StatusPaid,
		},
		{
			name: "base64 body is accepted",
			req: func() Request {
				r := orderRequest(customerA, base64.StdEncoding.EncodeToString([]byte(validBody(orderKey1, "tok_visa"))))
				r.IsBase64Encoded = true
				return r
			}(),
			wantStatus: 201,
			wantBody:   []string{`"status":"PAID"`},
			wantStored: StatusPaid,
		},
		{
			name:       "declined payment is a 402 and the order is kept as declined",
			req:        orderRequest(customerA, validBody(orderKey1, "tok_decline")),
			wantStatus: 402,
			wantBody:   []string{`"message":"payment declined"`, `"correlation_id":"req-1234"`},
			wantStored: StatusDeclined,
		},
		{
			name:       "unknown SKU is refused before anything is stored or charged",
			req:        orderRequest(customerA, `{"idempotencyKey":"`+orderKey1+`","items":[{"sku":"GOLD-999","quantity":1}],"paymentToken":"tok_visa"}`),
			wantStatus: 422,
			wantBody:   []string{`"message":"order contains an unknown SKU"`},
		},
		{
			name:       "schema violation is a 400 naming the field, recorded as validation failure",
			req:        orderRequest(customerA, `{"idempotencyKey":"`+orderKey1+`","items":[{"sku":"BOOK-001","quantity":0}],"paymentToken":"tok_visa"}`),
			wantStatus: 400,
			wantBody:   []string{`"reason":"schema"`, `"pointer":"/items/0/quantity"`, `"keyword":"minimum"`},
			wantEvents: []string{string(seclog.ValidationFailure)},
		},
		{
			name:       "client-sent price is not part of the contract",
			req:        orderRequest(customerA, `{"idempotencyKey":"`+orderKey1+`","items":[{"sku":"BOOK-001","quantity":1,"unitPrice":1}],"paymentToken":"tok_visa"}`),
			wantStatus: 400,
			wantBody:   []string{`"pointer":"/items/0/unitPrice"`, `"keyword":"additionalProperties"`},
			wantEvents: []string{string(seclog.ValidationFailure)},
		},
		{
			name:       "malformed JSON is a 400 without echoing the body",
			req:        orderRequest(customerA, `{"idempotencyKey": <script>`),
			wantStatus: 400,
			wantBody:   []string{`"reason":"malformed"`},
			wantEvents: []string{string(seclog.ValidationFailure)},
		},
		{
			name:       "integer quantity written as 2.0 passes the schema but is refused",
			req:        orderRequest(customerA, `{"idempotencyKey":"`+orderKey1+`","items":[{"sku":"BOOK-001","quantity":2.0}],"paymentToken":"tok_visa"}`),
			wantStatus: 400,
			wantBody:   []string{`"message":"request body is invalid"`},
		},
		{
			name:       "request without authorizer claims is refused and recorded",
			req:        orderRequest("", validBody(orderKey1, "tok_visa")),
			wantStatus: 401,
			wantBody:   []string{`"message":"unauthorized"`},
			wantEvents: []string{string(seclog.AuthFailure)},
		},
		{
			name:       "rate limit store down: fail closed with 503, recorded",
			limiter:    failingLimiter{},
			req:        orderRequest(customerA, validBody(orderKey1, "tok_visa")),
			wantStatus: 503,
			wantBody:   []string{"Service Unavailable"},
			wantEvents: []string{string(seclog.RateLimited)},
		},
		{
			name:       "store failure is a 500 that reveals nothing",
			prepare:    func(f *fixture) { f.store.err = internalErr },
			req:        orderRequest(customerA, validBody(orderKey1, "tok_visa")),
			wantStatus: 500,
			wantBody:   []string{`{"message":"internal error","correlation_id":"req-1234"}`},
		},
		{
			name:       "provider failure leaves the order pending for a retry",
			prepare:    func(f *fixture) { f.payer.failures = []error{internalErr} },
			req:        orderRequest(customerA, validBody(orderKey1, "tok_visa")),
			wantStatus: 500,
			wantBody:   []string{`"message":"internal error"`},
			wantStored: StatusPending,
		},
		{
			name: "provider resolving to a refused address is recorded as destination denied",
			prepare: func(f *fixture) {
				f.payer.failures = []error{&httpclient.DestinationError{Addr: netip.MustParseAddr("169.254.169.254"), Reason: "instance metadata"}}
			},
			req:        orderRequest(customerA, validBody(orderKey1, "tok_visa")),
			wantStatus: 500,
			wantEvents: []string{string(seclog.DestinationDenied)},
			wantStored: StatusPending,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			limiter := tt.limiter
			if limiter == nil {
				limiter = unlimited()
			}
			f := newFixture(limiter)
			if tt.prepare != nil {
				tt.prepare(f)
			}
			resp := f.invoke(t, tt.req)

			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, tt.wantStatus, resp.Body)
			}
			for _, want := range tt.wantBody {
				if !strings.Contains(resp.Body, want) {
					t.Errorf("body %s does not contain %s", resp.Body, want)
				}
			}
			if strings.Contains(resp.Body, "10.0.3.7") || strings.Contains(resp.Body, "169.254") || strings.Contains(resp.Body, "<script>") {
				t.Errorf("body leaks internals or echoes input: %s", resp.Body)
			}
			if got := f.logs.securityEvents(t); !slices.Equal(got, tt.wantEvents) {
				t.Errorf("security events = %v, want %v", got, tt.wantEvents)
			}
			if tt.wantStored == "" {
				if n := f.store.count(); n != 0 && f.store.err == nil {
					t.Errorf("store holds %d orders, want none", n)
				}
				return
			}
			if got := f.store.only(t).Status; got != tt.wantStored {
				t.Errorf("stored status = %s, want %s", got, tt.wantStored)
			}
		})
	}
}

func TestPricesComeFromTheCatalog(t *testing.T) {
	f := newFixture(unlimited())
	f.invoke(t, orderRequest(customerA, validBody(orderKey1, "tok_visa")))

	if f.payer.callCount() != 1 {
		t.Fatalf("payer called %d times, want 1", f.payer.callCount())
	}
	charged := f.payer.calls[0]
	if charged.Amount != 2*1999+1250 || charged.Currency != "EUR" || charged.Source != "tok_visa" || charged.Reference != orderKey1 {
		t.Fatalf("charged %+v, want 5248 EUR for order %s with tok_visa", charged, orderKey1)
	}
}

func TestRetryReplaysTheOrderAndChargesOnce(t *testing.T) {
	f := newFixture(unlimited())
	req := orderRequest(customerA, validBody(orderKey1, "tok_visa"))

	first := f.invoke(t, req)
	second := f.invoke(t, req)

	if first.StatusCode != 201 || second.StatusCode != 200 {
		t.Fatalf("statuses = %d then %d, want 201 then 200", first.StatusCode, second.StatusCode)
	}
	if second.Headers["Idempotent-Replayed"] != "true" {
		t.Errorf("replay has no Idempotent-Replayed header: %v", second.Headers)
	}
	if first.Body != second.Body {
		t.Errorf("replay body differs:\n%s\n%s", first.Body, second.Body)
	}
	if n := f.payer.callCount(); n != 1 {
		t.Errorf("payer called %d times, want 1", n)
	}
}

func TestRetryAfterProviderFailureCompletesTheSameCharge(t *testing.T) {
	f := newFixture(unlimited())
	f.payer.failures = []error{errors.New("provider timeout")}
	req := orderRequest(customerA, validBody(orderKey1, "tok_visa"))

	if resp := f.invoke(t, req); resp.StatusCode != 500 {
		t.Fatalf("first attempt status = %d, want 500", resp.StatusCode)
	}
	resp := f.invoke(t, req)
	if resp.StatusCode != 200 || !strings.Contains(resp.Body, `"status":"PAID"`) {
		t.Fatalf("retry = %d %s, want 200 and a paid order", resp.StatusCode, resp.Body)
	}
	if f.payer.keys[0] != f.payer.keys[1] {
		t.Fatalf("retry charged with provider idempotency key %s, first attempt with %s", f.payer.keys[1], f.payer.keys[0])
	}
}

func TestReusedIdempotencyKeyWithDifferentOrderIsAConflict(t *testing.T) {
	f := newFixture(unlimited())
	f.invoke(t, orderRequest(customerA, validBody(orderKey1, "tok_visa")))

	other := `{"idempotencyKey":"` + orderKey1 + `","items":[{"sku":"TEE-007","quantity":3}],"paymentToken":"tok_visa"}`
	resp := f.invoke(t, orderRequest(customerA, other))
	if resp.StatusCode != 409 {
		t.Fatalf("status = %d, want 409; body %s", resp.StatusCode, resp.Body)
	}
	if got := f.store.only(t); got.Total != 5248 {
		t.Fatalf("stored order total = %d, want the first order's 5248", got.Total)
	}
}

func TestCustomersCannotCollideOnOrderIDs(t *testing.T) {
	f := newFixture(unlimited())
	// Customer B reuses customer A's order ID (it is visible to A only, but
	// IDs are client-chosen and may be guessed): B must get its own order
	// and its own charge, not A's.
	a := f.invoke(t, orderRequest(customerA, validBody(orderKey1, "tok_visa")))
	b := f.invoke(t, orderRequest(customerB, validBody(orderKey1, "tok_visa")))

	if a.StatusCode != 201 || b.StatusCode != 201 {
		t.Fatalf("statuses = %d and %d, want 201 for both", a.StatusCode, b.StatusCode)
	}
	if f.payer.keys[0] == f.payer.keys[1] {
		t.Fatal("both customers' charges used one provider idempotency key: B would be answered with A's charge")
	}
}

func TestRateLimitIsPerCallerAndRecorded(t *testing.T) {
	limiter, err := ratelimit.NewMemory(2, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(limiter)

	var statuses []int
	for i := range 3 {
		key := fmt.Sprintf("3b241101-e2bb-4255-8caf-4136c566a96%d", i)
		statuses = append(statuses, f.invoke(t, orderRequest(customerA, validBody(key, "tok_visa"))).StatusCode)
	}
	other := f.invoke(t, orderRequest(customerB, validBody(orderKey1, "tok_visa"))).StatusCode

	if !slices.Equal(statuses, []int{201, 201, 429}) || other != 201 {
		t.Fatalf("customer A got %v, customer B got %d; want [201 201 429] and 201", statuses, other)
	}
	events := f.logs.securityEvents(t)
	if !slices.Equal(events, []string{string(seclog.RateLimited)}) {
		t.Fatalf("security events = %v, want one rate_limited", events)
	}
}

func TestSecurityEventsCarryCallerSourceAndCorrelation(t *testing.T) {
	f := newFixture(unlimited())
	f.invoke(t, orderRequest(customerA, `{"idempotencyKey":"not-a-uuid","items":[],"paymentToken":"tok_visa"}`))

	var event map[string]any
	for _, rec := range f.logs.records(t) {
		if rec["msg"] == seclog.EventMessage {
			event = rec
		}
	}
	want := map[string]string{
		seclog.KeyEventType:     string(seclog.ValidationFailure),
		seclog.KeyReason:        "schema",
		seclog.KeySubject:       customerA,
		seclog.KeySource:        "198.51.100.23",
		seclog.KeyResource:      "POST /orders",
		seclog.KeyCorrelationID: "req-1234",
		seclog.KeyFunctionName:  "orders-test",
	}
	for k, v := range want {
		if event[k] != v {
			t.Errorf("event %s = %v, want %s (event %v)", k, event[k], v, event)
		}
	}
	if _, ok := event["_aws"]; !ok {
		t.Errorf("event has no Embedded Metric Format directive: %v", event)
	}
}

func TestLogsNeverHoldThePaymentToken(t *testing.T) {
	const token = "tok_4242SecretCardToken"
	f := newFixture(unlimited())
	f.payer.failures = []error{fmt.Errorf("provider said: bad source %s", token)}
	f.invoke(t, orderRequest(customerA, validBody(orderKey1, token)))

	logs := f.logs.String()
	if !strings.Contains(logs, "handler failed") {
		t.Fatalf("the failure was not logged: %s", logs)
	}
	if strings.Contains(logs, token) {
		t.Fatalf("logs contain the payment token:\n%s", logs)
	}
}

func TestConcurrentRetriesStoreOneOrderAndAgreeOnTheCharge(t *testing.T) {
	f := newFixture(unlimited())
	req := orderRequest(customerA, validBody(orderKey1, "tok_visa"))

	const n = 8
	bodies := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp := f.invoke(t, req)
			if resp.StatusCode != 200 && resp.StatusCode != 201 {
				t.Errorf("status = %d, want 200 or 201: %s", resp.StatusCode, resp.Body)
			}
			bodies[i] = resp.Body
		}()
	}
	wg.Wait()

	paid := f.store.only(t)
	for _, body := range bodies {
		var o Order
		if err := json.Unmarshal([]byte(body), &o); err != nil {
			t.Fatalf("body %q: %v", body, err)
		}
		if o.PaymentID != paid.PaymentID || o.Status != StatusPaid {
			t.Errorf("a response reports payment %s (%s), the stored order %s", o.PaymentID, o.Status, paid.PaymentID)
		}
	}
	if len(f.payer.charges) != 1 {
		t.Errorf("provider made %d charges, want 1", len(f.payer.charges))
	}
}

func TestConfigFromEnv(t *testing.T) {
	full := map[string]string{
		"ORDERS_TABLE":               "orders",
		"RATE_LIMIT_TABLE":           "limits",
		"PAYMENT_SECRET_ARN":         "arn:aws:secretsmanager:eu-west-1:111122223333:secret:payments-AbCdEf",
		"PAYMENT_API_URL":            "https://api.payments.example",
		"PAYMENT_API_PRIVATE_RANGES": "10.40.1.0/24, 10.40.2.7/24",
	}
	with := func(changes map[string]string) func(string) string {
		env := map[string]string{}
		for k, v := range full {
			env[k] = v
		}
		for k, v := range changes {
			env[k] = v
		}
		return func(k string) string { return env[k] }
	}
	tests := []struct {
		name    string
		env     func(string) string
		wantErr string
		check   func(*testing.T, Config)
	}{
		{
			name: "complete",
			env:  with(nil),
			check: func(t *testing.T, c Config) {
				if c.RateLimitPerMinute != DefaultRateLimitPerMinute {
					t.Errorf("RateLimitPerMinute = %d, want the default", c.RateLimitPerMinute)
				}
				want := []netip.Prefix{netip.MustParsePrefix("10.40.1.0/24"), netip.MustParsePrefix("10.40.2.0/24")}
				if !slices.Equal(c.PaymentAPIPrivateRanges, want) {
					t.Errorf("PaymentAPIPrivateRanges = %v, want %v (masked)", c.PaymentAPIPrivateRanges, want)
				}
			},
		},
		{name: "missing table", env: with(map[string]string{"ORDERS_TABLE": ""}), wantErr: "ORDERS_TABLE is not set"},
		{name: "missing secret", env: with(map[string]string{"PAYMENT_SECRET_ARN": ""}), wantErr: "PAYMENT_SECRET_ARN is not set"},
		{name: "bad limit", env: with(map[string]string{"RATE_LIMIT_PER_MINUTE": "0"}), wantErr: "RATE_LIMIT_PER_MINUTE"},
		{name: "bad range", env: with(map[string]string{"PAYMENT_API_PRIVATE_RANGES": "10.40.1.0"}), wantErr: "PAYMENT_API_PRIVATE_RANGES"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ConfigFromEnv(tt.env)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one mentioning %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, cfg)
		})
	}
}
