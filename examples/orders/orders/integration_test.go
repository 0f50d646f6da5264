package orders

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/bulwark-sec/bulwark/examples/orders/payments"
	"github.com/bulwark-sec/bulwark/examples/orders/payments/paymentstest"
	"github.com/bulwark-sec/bulwark/guard/seclog"
	"github.com/bulwark-sec/bulwark/internal/mototest"
)

func TestMain(m *testing.M) { mototest.Main(m) }

// motoEnv is the service's surroundings as the template creates them, on
// moto_server: the two tables and the API key secret, with the provider
// as a TLS server on 127.0.0.1.
type motoEnv struct {
	aws      aws.Config
	db       *dynamodb.Client
	sm       *secretsmanager.Client
	provider *paymentstest.Server
	key      payments.APIKey
	config   Config
}

func newMotoEnv(t *testing.T, awsCfg aws.Config) *motoEnv {
	t.Helper()
	ctx := context.Background()
	env := &motoEnv{aws: awsCfg, db: dynamodb.NewFromConfig(awsCfg), sm: secretsmanager.NewFromConfig(awsCfg)}

	env.provider = paymentstest.NewServer()
	t.Cleanup(env.provider.Close)
	env.key = env.provider.IssueKey()

	ordersTable := mototest.Name(t, "orders")
	createTable(t, env.db, ordersTable, "customer_id", "order_id")
	limitsTable := mototest.Name(t, "limits")
	createTable(t, env.db, limitsTable, "pk", "")

	secret, err := env.sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name:         aws.String(mototest.Name(t, "payment-key")),
		SecretString: aws.String(string(payments.EncodeKey(env.key))),
	})
	if err != nil {
		t.Fatalf("create secret: %v", err)
	}

	env.config = Config{
		OrdersTable:             ordersTable,
		RateLimitTable:          limitsTable,
		RateLimitPerMinute:      5,
		PaymentSecretID:         aws.ToString(secret.ARN),
		PaymentAPIURL:           env.provider.URL,
		PaymentAPIPrivateRanges: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")},
		RootCAs:                 env.provider.CertPool(),
	}
	return env
}

func createTable(t *testing.T, db *dynamodb.Client, name, hash, sort string) {
	t.Helper()
	in := &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String(hash), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String(hash), KeyType: types.KeyTypeHash}},
	}
	if sort != "" {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String(sort), AttributeType: types.ScalarAttributeTypeS})
		in.KeySchema = append(in.KeySchema, types.KeySchemaElement{AttributeName: aws.String(sort), KeyType: types.KeyTypeRange})
	}
	if _, err := db.CreateTable(context.Background(), in); err != nil {
		t.Fatalf("create table %s: %v", name, err)
	}
}

// service builds the service the way the function does, logging to logs.
func (env *motoEnv) service(t *testing.T, cfg Config, logs *syncBuffer) *fixture {
	t.Helper()
	svc, err := New(env.aws, cfg, NewLogger(logs))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &fixture{svc: svc, logs: logs}
}

// storedOrder reads an order straight from the table.
func (env *motoEnv) storedOrder(t *testing.T, customer, id string) Order {
	t.Helper()
	o, err := dynamoStore{client: env.db, table: env.config.OrdersTable}.Get(context.Background(), customer, id)
	if err != nil {
		t.Fatalf("read order %s/%s: %v", customer, id, err)
	}
	return o
}

func TestIntegrationPlacesAndReplaysAnOrder(t *testing.T) {
	env := newMotoEnv(t, mototest.Config(t))
	logs := &syncBuffer{}
	f := env.service(t, env.config, logs)
	const token = "tok_visa_4242424242"
	req := orderRequest(customerA, validBody(orderKey1, token))

	first := f.invoke(t, req)
	if first.StatusCode != 201 {
		t.Fatalf("status = %d, want 201; body %s", first.StatusCode, first.Body)
	}
	charges := env.provider.Charges()
	if len(charges) != 1 || charges[0].Request.Amount != 5248 || charges[0].Request.Source != token {
		t.Fatalf("provider charges = %+v, want one of 5248 with the request's token", charges)
	}
	stored := env.storedOrder(t, customerA, orderKey1)
	if stored.Status != StatusPaid || stored.PaymentID != charges[0].Charge.ID || stored.Total != 5248 || len(stored.Items) != 2 {
		t.Fatalf("stored order = %+v, want PAID with payment %s, total 5248, 2 items", stored, charges[0].Charge.ID)
	}

	replay := f.invoke(t, req)
	if replay.StatusCode != 200 || replay.Body != first.Body {
		t.Fatalf("replay = %d %s, want 200 and the first body", replay.StatusCode, replay.Body)
	}
	if n := len(env.provider.Charges()); n != 1 {
		t.Fatalf("provider made %d charges after the replay, want 1", n)
	}
	if out := logs.String(); strings.Contains(out, env.key.Secret.Reveal()) || strings.Contains(out, token) {
		t.Fatalf("logs contain the API key or the payment token:\n%s", out)
	}
}

func TestIntegrationKeyReusedForAnotherOrderIsAConflict(t *testing.T) {
	env := newMotoEnv(t, mototest.Config(t))
	f := env.service(t, env.config, &syncBuffer{})
	if resp := f.invoke(t, orderRequest(customerA, validBody(orderKey1, "tok_visa"))); resp.StatusCode != 201 {
		t.Fatalf("first order: status %d, %s", resp.StatusCode, resp.Body)
	}

	other := `{"idempotencyKey":"` + orderKey1 + `","items":[{"sku":"TEE-007","quantity":3}],"paymentToken":"tok_visa"}`
	if resp := f.invoke(t, orderRequest(customerA, other)); resp.StatusCode != 409 {
		t.Fatalf("status = %d, want 409; body %s", resp.StatusCode, resp.Body)
	}
	if got := env.storedOrder(t, customerA, orderKey1); got.Total != 5248 || got.Status != StatusPaid {
		t.Fatalf("stored order = %+v, want the first order (5248, PAID) untouched", got)
	}
	if n := len(env.provider.Charges()); n != 1 {
		t.Fatalf("provider made %d charges, want 1", n)
	}
}

func TestIntegrationFollowsAKeyRotation(t *testing.T) {
	env := newMotoEnv(t, mototest.Config(t))
	f := env.service(t, env.config, &syncBuffer{})
	ctx := context.Background()

	if resp := f.invoke(t, orderRequest(customerA, validBody(orderKey1, "tok_visa"))); resp.StatusCode != 201 {
		t.Fatalf("first order: status %d, %s", resp.StatusCode, resp.Body)
	}
	// Rotation stores a new key and the old one is revoked while the
	// function still has it cached.
	newKey := env.provider.IssueKey()
	if _, err := env.sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId:     aws.String(env.config.PaymentSecretID),
		SecretString: aws.String(string(payments.EncodeKey(newKey))),
	}); err != nil {
		t.Fatalf("put new key: %v", err)
	}
	env.provider.RevokeKey(env.key.ID)

	second := "5c1f7e2a-9d3b-4e8f-a6c2-1b0d9e8f7a65"
	if resp := f.invoke(t, orderRequest(customerA, validBody(second, "tok_visa"))); resp.StatusCode != 201 {
		t.Fatalf("order after rotation: status %d, %s; want the cache to fetch the new key", resp.StatusCode, resp.Body)
	}
	if n := len(env.provider.Charges()); n != 2 {
		t.Fatalf("provider made %d charges, want 2", n)
	}
}

func TestIntegrationRateLimitHoldsAcrossExecutionEnvironments(t *testing.T) {
	env := newMotoEnv(t, mototest.Config(t))
	logs := &syncBuffer{}
	// Two execution environments of the function share the limit table.
	environments := []*fixture{env.service(t, env.config, logs), env.service(t, env.config, logs)}

	var statuses []int
	for i := range 6 {
		key := fmt.Sprintf("3b241101-e2bb-4255-8caf-4136c566a96%d", i)
		resp := environments[i%2].invoke(t, orderRequest(customerA, validBody(key, "tok_visa")))
		statuses = append(statuses, resp.StatusCode)
	}
	if want := []int{201, 201, 201, 201, 201, 429}; !slices.Equal(statuses, want) {
		t.Fatalf("statuses = %v, want %v (limit 5 per minute across both environments)", statuses, want)
	}
	if events := logs.securityEvents(t); !slices.Equal(events, []string{string(seclog.RateLimited)}) {
		t.Fatalf("security events = %v, want one rate_limited", events)
	}
}

func TestIntegrationFailsClosedWhenTheLimitTableIsUnreachable(t *testing.T) {
	env := newMotoEnv(t, mototest.Config(t))
	cfg := env.config
	cfg.RateLimitTable = mototest.Name(t, "missing")
	f := env.service(t, cfg, &syncBuffer{})

	resp := f.invoke(t, orderRequest(customerA, validBody(orderKey1, "tok_visa")))
	if resp.StatusCode != 503 {
		t.Fatalf("status = %d, want 503; body %s", resp.StatusCode, resp.Body)
	}
	if env.provider.Requests() != 0 {
		t.Fatalf("provider received %d requests, want none", env.provider.Requests())
	}
}

func TestIntegrationRefusesAProviderAddressOutsideTheAllowedRanges(t *testing.T) {
	env := newMotoEnv(t, mototest.Config(t))
	cfg := env.config
	cfg.PaymentAPIPrivateRanges = nil // as if the name now resolved to an unexpected internal address
	logs := &syncBuffer{}
	f := env.service(t, cfg, logs)

	resp := f.invoke(t, orderRequest(customerA, validBody(orderKey1, "tok_visa")))
	if resp.StatusCode != 500 || strings.Contains(resp.Body, "127.0.0.1") {
		t.Fatalf("response = %d %s, want a 500 that does not name the address", resp.StatusCode, resp.Body)
	}
	if env.provider.Requests() != 0 {
		t.Fatalf("provider received %d requests, want none", env.provider.Requests())
	}
	if events := logs.securityEvents(t); !slices.Equal(events, []string{string(seclog.DestinationDenied)}) {
		t.Fatalf("security events = %v, want one destination_denied", events)
	}
	if got := env.storedOrder(t, customerA, orderKey1).Status; got != StatusPending {
		t.Fatalf("stored status = %s, want PENDING, ready for a retry", got)
	}
}

func TestIntegrationRetryAfterProviderOutageChargesOnce(t *testing.T) {
	env := newMotoEnv(t, mototest.Config(t))
	f := env.service(t, env.config, &syncBuffer{})
	env.provider.RefuseCharges(1)
	req := orderRequest(customerA, validBody(orderKey1, "tok_visa"))

	if resp := f.invoke(t, req); resp.StatusCode != 500 {
		t.Fatalf("during the outage: status %d, want 500", resp.StatusCode)
	}
	if resp := f.invoke(t, req); resp.StatusCode != 200 {
		t.Fatalf("retry: status %d, %s; want 200 replaying the now paid order", resp.StatusCode, resp.Body)
	}
	if got := env.storedOrder(t, customerA, orderKey1).Status; got != StatusPaid {
		t.Fatalf("stored status = %s, want PAID", got)
	}
	if n := len(env.provider.Charges()); n != 1 {
		t.Fatalf("provider made %d charges, want 1", n)
	}
}

func TestIntegrationConcurrentRetriesChargeOnce(t *testing.T) {
	// AtomicConfig makes moto apply each conditional write atomically, as
	// DynamoDB does.
	env := newMotoEnv(t, mototest.AtomicConfig(t))
	cfg := env.config
	cfg.RateLimitPerMinute = 100
	f := env.service(t, cfg, &syncBuffer{})
	req := orderRequest(customerA, validBody(orderKey1, "tok_visa"))

	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if resp := f.invoke(t, req); resp.StatusCode != 200 && resp.StatusCode != 201 {
				t.Errorf("status = %d, want 200 or 201: %s", resp.StatusCode, resp.Body)
			}
		}()
	}
	wg.Wait()
	if n := len(env.provider.Charges()); n != 1 {
		t.Fatalf("provider made %d charges, want 1", n)
	}
	if got := env.storedOrder(t, customerA, orderKey1); got.Status != StatusPaid {
		t.Fatalf("stored status = %s, want PAID", got.Status)
	}
}
