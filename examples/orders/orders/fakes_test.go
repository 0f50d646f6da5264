package orders

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/bulwark-sec/bulwark/examples/orders/payments"
	"github.com/bulwark-sec/bulwark/guard/ratelimit"
	"github.com/bulwark-sec/bulwark/guard/seclog"
)

// memStore is an orderStore in memory with the same conditional semantics
// as the DynamoDB one.
type memStore struct {
	mu     sync.Mutex
	orders map[[2]string]Order
	err    error // when set, every call fails with it
}

func newMemStore() *memStore { return &memStore{orders: map[[2]string]Order{}} }

func (m *memStore) Create(_ context.Context, o Order) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	k := [2]string{o.CustomerID, o.ID}
	if _, ok := m.orders[k]; ok {
		return errOrderExists
	}
	m.orders[k] = o
	return nil
}

func (m *memStore) Get(_ context.Context, customerID, orderID string) (Order, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return Order{}, m.err
	}
	o, ok := m.orders[[2]string{customerID, orderID}]
	if !ok {
		return Order{}, errOrderNotFound
	}
	return o, nil
}

func (m *memStore) Settle(_ context.Context, o Order) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil {
		return m.err
	}
	k := [2]string{o.CustomerID, o.ID}
	stored, ok := m.orders[k]
	if !ok || stored.Status != StatusPending {
		return errAlreadySettled
	}
	stored.Status, stored.PaymentID, stored.UpdatedAt = o.Status, o.PaymentID, o.UpdatedAt
	m.orders[k] = stored
	return nil
}

func (m *memStore) only(t *testing.T) Order {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.orders) != 1 {
		t.Fatalf("store holds %d orders, want 1", len(m.orders))
	}
	for _, o := range m.orders {
		return o
	}
	return Order{}
}

func (m *memStore) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.orders)
}

// fakePayer answers like the provider: one charge per idempotency key, the
// same answer to a repeated key, "tok_decline" declined. failures makes the
// next calls fail with the given errors.
type fakePayer struct {
	mu       sync.Mutex
	charges  map[string]payments.Charge
	calls    []payments.ChargeRequest
	keys     []string
	failures []error
}

func newFakePayer() *fakePayer { return &fakePayer{charges: map[string]payments.Charge{}} }

func (p *fakePayer) Charge(_ context.Context, idempotencyKey string, req payments.ChargeRequest) (payments.Charge, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, req)
	p.keys = append(p.keys, idempotencyKey)
	if len(p.failures) > 0 {
		err := p.failures[0]
		p.failures = p.failures[1:]
		return payments.Charge{}, err
	}
	if c, ok := p.charges[idempotencyKey]; ok {
		return c, nil
	}
	c := payments.Charge{ID: "ch_" + idempotencyKey[:8], Status: payments.StatusSucceeded}
	if req.Source == "tok_decline" {
		c.Status = payments.StatusDeclined
	}
	p.charges[idempotencyKey] = c
	return c, nil
}

func (p *fakePayer) callCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.calls)
}

// failingLimiter stands in for a DynamoDB limiter whose table is
// unreachable, configured FailClosed.
type failingLimiter struct{}

func (failingLimiter) Allow(context.Context, string) (ratelimit.Decision, error) {
	return ratelimit.Decision{Limit: 30, RetryAfter: time.Second}, context.DeadlineExceeded
}

// syncBuffer is a log destination safe for concurrent handlers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// records returns the logged JSON records.
func (b *syncBuffer) records(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(b.String()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("log line is not JSON: %v: %s", err, sc.Text())
		}
		out = append(out, rec)
	}
	return out
}

// securityEvents returns the event_type of each security event logged.
func (b *syncBuffer) securityEvents(t *testing.T) []string {
	t.Helper()
	var types []string
	for _, rec := range b.records(t) {
		if rec["msg"] == seclog.EventMessage {
			types = append(types, rec[seclog.KeyEventType].(string))
		}
	}
	return types
}

// fixture is a Service with fakes behind it.
type fixture struct {
	svc   *Service
	store *memStore
	payer *fakePayer
	logs  *syncBuffer
}

func newFixture(limiter ratelimit.Limiter) *fixture {
	f := &fixture{store: newMemStore(), payer: newFakePayer(), logs: &syncBuffer{}}
	logger := NewLogger(f.logs)
	f.svc = &Service{
		store:       f.store,
		payer:       f.payer,
		catalog:     SampleCatalog,
		limiter:     limiter,
		logger:      logger,
		security:    &seclog.Recorder{Logger: logger, Namespace: SecurityNamespace, FunctionName: "orders-test"},
		paymentHost: "api.payments.example",
		now:         func() time.Time { return time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC) },
	}
	return f
}

func unlimited() ratelimit.Limiter {
	l, err := ratelimit.NewMemory(1000, time.Minute)
	if err != nil {
		panic(err)
	}
	return l
}

// invoke runs the handler as Lambda would, with a request ID in the context.
func (f *fixture) invoke(t *testing.T, req Request) Response {
	t.Helper()
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "req-1234"})
	resp, err := f.svc.Handler()(ctx, req)
	if err != nil {
		t.Fatalf("handler returned an error, want every failure answered as a response: %v", err)
	}
	return resp
}

const (
	customerA = "0f8fad5b-d9cb-469f-a165-70867728950e"
	customerB = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
	orderKey1 = "3b241101-e2bb-4255-8caf-4136c566a962"
)

// orderRequest is a request from customer with body.
func orderRequest(customer, body string) Request {
	req := Request{HTTPMethod: "POST", Resource: "/orders", Path: "/orders", Body: body}
	req.RequestContext.Identity.SourceIP = "198.51.100.23"
	if customer != "" {
		req.RequestContext.Authorizer = map[string]any{"claims": map[string]any{"sub": customer}}
	}
	return req
}

// validBody is an order of two books and a mug (2×19.99 + 12.50 = 52.48 EUR).
func validBody(key, token string) string {
	return `{"idempotencyKey":"` + key + `","items":[{"sku":"BOOK-001","quantity":2},{"sku":"MUG-042","quantity":1}],"paymentToken":"` + token + `"}`
}
