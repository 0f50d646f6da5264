// Package paymentstest runs an in-memory payment provider that speaks the
// payments API over TLS on 127.0.0.1, for tests of code that charges orders
// or rotates API keys.
//
// It keeps its API keys and charges in memory and answers like the real
// provider would: 401 for unknown or revoked keys, the first answer again
// for a repeated Idempotency-Key, 402 for the token "tok_decline".
package paymentstest

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"

	"github.com/bulwark-sec/bulwark/examples/orders/payments"
	"github.com/bulwark-sec/bulwark/guard/secrets"
)

// DeclinedToken is the payment token the server declines; every other token
// is charged.
const DeclinedToken = "tok_decline"

// Server is a running fake provider. Create one with NewServer and Close it
// when done.
type Server struct {
	// URL is the base URL of the API, https://127.0.0.1:port.
	URL string
	srv *httptest.Server

	mu           sync.Mutex
	keys         map[string]*key          // by secret value
	keysByID     map[string]*key          // by key ID
	issuedByIdem map[string]*key          // keys issued by POST /v1/api_keys, by Idempotency-Key
	charges      map[string]*chargeRecord // by Idempotency-Key
	chargeOrder  []string                 // Idempotency-Keys, in the order charged
	refuse       int                      // charge requests still to answer 503
	requests     int                      // requests received, any path
}

type key struct {
	id, secret string
	revoked    bool
}

type chargeRecord struct {
	request payments.ChargeRequest
	charge  payments.Charge
}

// Charged is one charge the server made.
type Charged struct {
	IdempotencyKey string
	Request        payments.ChargeRequest
	Charge         payments.Charge
}

// NewServer starts a provider with no keys; add one with IssueKey.
func NewServer() *Server {
	s := &Server{
		keys:         map[string]*key{},
		keysByID:     map[string]*key{},
		issuedByIdem: map[string]*key{},
		charges:      map[string]*chargeRecord{},
	}
	s.srv = httptest.NewTLSServer(http.HandlerFunc(s.serve))
	s.URL = s.srv.URL
	return s
}

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// CertPool returns a pool trusting the server's certificate, for
// httpclient.Options.RootCAs.
func (s *Server) CertPool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(s.srv.Certificate())
	return pool
}

// IssueKey creates a valid API key, as the provider's dashboard would.
func (s *Server) IssueKey() payments.APIKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.newKeyLocked()
	return payments.APIKey{ID: k.id, Secret: secrets.NewSecret([]byte(k.secret))}
}

// KeyValid reports whether the key with the given ID exists and is not
// revoked.
func (s *Server) KeyValid(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.keysByID[id]
	return k != nil && !k.revoked
}

// KeysIssued returns how many keys exist, revoked ones included.
func (s *Server) KeysIssued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.keysByID)
}

// RevokeKey revokes a key, as an operator responding to a leak would.
func (s *Server) RevokeKey(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if k := s.keysByID[id]; k != nil {
		k.revoked = true
	}
}

// RefuseCharges makes the next n charge requests fail with 503, as during
// an outage.
func (s *Server) RefuseCharges(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = n
}

// Charges returns the charges made, in order. A charge repeated with the
// same Idempotency-Key is listed once.
func (s *Server) Charges() []Charged {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Charged, 0, len(s.chargeOrder))
	for _, idem := range s.chargeOrder {
		c := s.charges[idem]
		out = append(out, Charged{IdempotencyKey: idem, Request: c.request, Charge: c.charge})
	}
	return out
}

// Requests returns how many requests the server has received.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

func (s *Server) newKeyLocked() *key {
	k := &key{id: "key_" + randomHex(8), secret: "sk_test_" + randomHex(24)}
	s.keys[k.secret] = k
	s.keysByID[k.id] = k
	return k
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail on supported platforms
	return hex.EncodeToString(b)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++

	caller := s.keys[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
	if caller == nil || caller.revoked {
		reply(w, http.StatusUnauthorized, map[string]string{"error": "invalid_api_key"})
		return
	}
	idem := r.Header.Get("Idempotency-Key")
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/v1/charges":
		s.charge(w, r, idem)
	case r.Method == http.MethodPost && r.URL.Path == "/v1/api_keys":
		k := s.issuedByIdem[idem]
		if k == nil || idem == "" {
			k = s.newKeyLocked()
			if idem != "" {
				s.issuedByIdem[idem] = k
			}
		}
		reply(w, http.StatusCreated, map[string]string{"id": k.id, "secret": k.secret})
	case r.Method == http.MethodGet && r.URL.Path == "/v1/api_keys/current":
		reply(w, http.StatusOK, map[string]string{"id": caller.id})
	case r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, "/v1/api_keys/"):
		k := s.keysByID[strings.TrimPrefix(r.URL.Path, "/v1/api_keys/")]
		if k == nil || k.revoked {
			reply(w, http.StatusNotFound, map[string]string{"error": "no_such_key"})
			return
		}
		k.revoked = true
		w.WriteHeader(http.StatusNoContent)
	default:
		reply(w, http.StatusNotFound, map[string]string{"error": "not_found"})
	}
}

func (s *Server) charge(w http.ResponseWriter, r *http.Request, idem string) {
	if s.refuse > 0 {
		s.refuse--
		reply(w, http.StatusServiceUnavailable, map[string]string{"error": "unavailable"})
		return
	}
	var req payments.ChargeRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || idem == "" || req.Amount <= 0 || req.Source == "" {
		reply(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	if prev := s.charges[idem]; prev != nil {
		if prev.request != req {
			reply(w, http.StatusUnprocessableEntity, map[string]string{"error": "idempotency_key_reused"})
			return
		}
		reply(w, chargeStatus(prev.charge), prev.charge)
		return
	}
	c := payments.Charge{ID: "ch_" + randomHex(8), Status: payments.StatusSucceeded}
	if req.Source == DeclinedToken {
		c.Status = payments.StatusDeclined
	}
	s.charges[idem] = &chargeRecord{request: req, charge: c}
	s.chargeOrder = append(s.chargeOrder, idem)
	reply(w, chargeStatus(c), c)
}

func chargeStatus(c payments.Charge) int {
	if c.Status == payments.StatusDeclined {
		return http.StatusPaymentRequired
	}
	return http.StatusCreated
}

func reply(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
