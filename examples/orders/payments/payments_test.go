package payments_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/bulwark-sec/bulwark/examples/orders/payments"
	"github.com/bulwark-sec/bulwark/examples/orders/payments/paymentstest"
	"github.com/bulwark-sec/bulwark/guard/httpclient"
	"github.com/bulwark-sec/bulwark/guard/secrets"
)

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")}

// newClient returns a client for srv built the way the order service builds
// its own: guard/httpclient, with loopback allowed because that is where the
// test provider listens.
func newClient(srv *paymentstest.Server) *payments.Client {
	return &payments.Client{
		BaseURL: srv.URL,
		HTTP:    httpclient.New(httpclient.Options{RootCAs: srv.CertPool(), AllowedDestinations: loopback}),
	}
}

func TestChargeReportsOutcomeAndIsIdempotent(t *testing.T) {
	srv := paymentstest.NewServer()
	defer srv.Close()
	client := newClient(srv)
	key := srv.IssueKey()
	ctx := context.Background()

	tests := []struct {
		name       string
		idem       string
		source     string
		wantStatus string
	}{
		{name: "succeeds", idem: "idem-1", source: "tok_visa", wantStatus: payments.StatusSucceeded},
		{name: "declined is an answer, not an error", idem: "idem-2", source: paymentstest.DeclinedToken, wantStatus: payments.StatusDeclined},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := payments.ChargeRequest{Amount: 1999, Currency: "EUR", Source: tt.source, Reference: "order-" + tt.idem}
			first, err := client.Charge(ctx, key.Secret, tt.idem, req)
			if err != nil {
				t.Fatalf("Charge: %v", err)
			}
			if first.Status != tt.wantStatus || first.ID == "" {
				t.Fatalf("Charge = %+v, want status %s and an ID", first, tt.wantStatus)
			}
			again, err := client.Charge(ctx, key.Secret, tt.idem, req)
			if err != nil {
				t.Fatalf("repeated Charge: %v", err)
			}
			if again != first {
				t.Fatalf("repeated Charge = %+v, want the first answer %+v", again, first)
			}
		})
	}
	if got := len(srv.Charges()); got != len(tests) {
		t.Fatalf("provider made %d charges, want %d (one per idempotency key)", got, len(tests))
	}
}

func TestCallsWithARevokedKeyFailWithErrKeyRejected(t *testing.T) {
	srv := paymentstest.NewServer()
	defer srv.Close()
	client := newClient(srv)
	key := srv.IssueKey()
	srv.RevokeKey(key.ID)
	ctx := context.Background()

	calls := map[string]func() error{
		"Charge": func() error {
			_, err := client.Charge(ctx, key.Secret, "idem", payments.ChargeRequest{Amount: 1, Currency: "EUR", Source: "tok_visa"})
			return err
		},
		"CreateKey": func() error { _, err := client.CreateKey(ctx, key.Secret, "idem"); return err },
		"VerifyKey": func() error { _, err := client.VerifyKey(ctx, key.Secret); return err },
		"RevokeKey": func() error { return client.RevokeKey(ctx, key.Secret, key.ID) },
	}
	for name, call := range calls {
		t.Run(name, func(t *testing.T) {
			err := call()
			if !errors.Is(err, payments.ErrKeyRejected) {
				t.Fatalf("err = %v, want ErrKeyRejected", err)
			}
			if strings.Contains(err.Error(), key.Secret.Reveal()) {
				t.Fatalf("error quotes the API key: %v", err)
			}
		})
	}
}

func TestKeyLifecycle(t *testing.T) {
	srv := paymentstest.NewServer()
	defer srv.Close()
	client := newClient(srv)
	old := srv.IssueKey()
	ctx := context.Background()

	created, err := client.CreateKey(ctx, old.Secret, "rotation-1")
	if err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	again, err := client.CreateKey(ctx, old.Secret, "rotation-1")
	if err != nil {
		t.Fatalf("repeated CreateKey: %v", err)
	}
	if again.ID != created.ID || srv.KeysIssued() != 2 {
		t.Fatalf("repeated CreateKey issued %s after %s (%d keys): want the same key", again.ID, created.ID, srv.KeysIssued())
	}

	id, err := client.VerifyKey(ctx, created.Secret)
	if err != nil || id != created.ID {
		t.Fatalf("VerifyKey(new key) = %q, %v; want %q", id, err, created.ID)
	}

	for i := range 2 { // revoking twice is not an error
		if err := client.RevokeKey(ctx, created.Secret, old.ID); err != nil {
			t.Fatalf("RevokeKey #%d: %v", i+1, err)
		}
	}
	if srv.KeyValid(old.ID) || !srv.KeyValid(created.ID) {
		t.Fatalf("after revoking %s: old valid=%v, new valid=%v", old.ID, srv.KeyValid(old.ID), srv.KeyValid(created.ID))
	}
}

func TestUnexpectedAnswersAreErrorsThatQuoteNothing(t *testing.T) {
	const leaked = "internal stack trace with sk_live_123"
	tests := []struct {
		name   string
		status int
		body   string
	}{
		{name: "server error", status: http.StatusInternalServerError, body: leaked},
		{name: "not JSON", status: http.StatusCreated, body: leaked},
		{name: "JSON without an outcome", status: http.StatusCreated, body: `{"note":"` + leaked + `"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			client := &payments.Client{BaseURL: srv.URL, HTTP: httpclient.New(httpclient.Options{
				RootCAs:             srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs,
				AllowedDestinations: loopback,
			})}
			key := secrets.NewSecret([]byte("sk_test_key"))
			_, err := client.Charge(context.Background(), key, "idem", payments.ChargeRequest{Amount: 1, Currency: "EUR", Source: "tok_visa"})
			if err == nil {
				t.Fatal("Charge succeeded, want an error")
			}
			if strings.Contains(err.Error(), leaked) || strings.Contains(err.Error(), "sk_test_key") {
				t.Fatalf("error quotes the response or the key: %v", err)
			}
		})
	}
}

func TestDestinationGuardRefusesAProviderOnAPrivateAddress(t *testing.T) {
	srv := paymentstest.NewServer()
	defer srv.Close()
	// No AllowedDestinations: the loopback address the test provider
	// listens on is refused like any other internal address.
	client := &payments.Client{BaseURL: srv.URL, HTTP: httpclient.New(httpclient.Options{RootCAs: srv.CertPool()})}
	_, err := client.VerifyKey(context.Background(), srv.IssueKey().Secret)
	if !errors.Is(err, httpclient.ErrForbiddenDestination) {
		t.Fatalf("err = %v, want ErrForbiddenDestination", err)
	}
	if srv.Requests() != 0 {
		t.Fatalf("provider received %d requests, want none", srv.Requests())
	}
}

func TestStoredKeyRoundTrips(t *testing.T) {
	key := payments.APIKey{ID: "key_1", Secret: secrets.NewSecret([]byte(`sk_"quoted"\value`))}
	decoded, err := payments.DecodeKey(secrets.NewSecret(payments.EncodeKey(key)))
	if err != nil {
		t.Fatalf("DecodeKey(EncodeKey(k)): %v", err)
	}
	if decoded.ID != key.ID || !decoded.Secret.Equal(key.Secret.Bytes()) {
		t.Fatalf("round trip gave ID %q and a different secret", decoded.ID)
	}
}

func TestDecodeKeyRejectsMalformedSecrets(t *testing.T) {
	tests := []struct {
		name, stored string
	}{
		{"not JSON", "sk_test_plain_value"},
		{"no key_id", `{"api_key":"sk_test"}`},
		{"no api_key", `{"key_id":"key_1"}`},
		{"empty api_key", `{"key_id":"key_1","api_key":""}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := payments.DecodeKey(secrets.NewSecret([]byte(tt.stored)))
			if err == nil {
				t.Fatal("DecodeKey succeeded, want an error")
			}
			if strings.Contains(err.Error(), "sk_test") {
				t.Fatalf("error quotes the secret: %v", err)
			}
		})
	}
}
