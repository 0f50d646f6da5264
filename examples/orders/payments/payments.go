// Package payments is the order service's client for its payment provider: a
// small JSON API over HTTPS, authenticated with a bearer API key.
//
// The provider is made up, but shaped like real ones. A charge carries an
// Idempotency-Key, so a retried request never charges twice. API keys are
// managed through the API itself, which is what lets a Secrets Manager
// rotation function replace them with no person involved:
//
//	POST   /v1/charges           charge a payment token: 201 succeeded, 402 declined
//	POST   /v1/api_keys          issue a new key (idempotent by Idempotency-Key): 201
//	GET    /v1/api_keys/current  the key making the request: 200
//	DELETE /v1/api_keys/{id}     revoke a key: 204, or 404 when it is unknown
//
// Every call answers 401 when its key is unknown or revoked.
//
// The client never logs, and its errors never quote a key, a payment token
// or a response body.
package payments

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/bulwark-sec/bulwark/guard/secrets"
)

// ErrKeyRejected means the provider refused the API key (401 or 403): it is
// unknown, revoked, or not allowed the call. After a rotation this is the
// signal to try the secret's newer version.
var ErrKeyRejected = errors.New("payments: API key rejected")

// Charge outcomes.
const (
	StatusSucceeded = "succeeded"
	StatusDeclined  = "declined"
)

// Client calls the payment provider. Build HTTP with guard/httpclient so that
// TLS is verified, timeouts are bounded and the destination guard applies.
type Client struct {
	// BaseURL is the API root, such as https://api.payments.example.
	BaseURL string
	// HTTP sends the requests.
	HTTP *http.Client
}

// ChargeRequest asks for a payment.
type ChargeRequest struct {
	// Amount is in the currency's minor unit (cents).
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
	// Source is the payment token the provider's client SDK produced from the
	// customer's card; the service never sees card numbers.
	Source string `json:"source"`
	// Reference is the merchant's own ID for the payment, the order ID.
	Reference string `json:"reference"`
}

// Charge is the provider's answer to a ChargeRequest.
type Charge struct {
	ID     string `json:"id"`
	Status string `json:"status"` // StatusSucceeded or StatusDeclined
}

// APIKey is a provider API key: its public ID, used to revoke it, and its
// secret value, used to authenticate.
type APIKey struct {
	ID     string
	Secret secrets.Secret
}

// Charge charges req. The idempotency key makes retries safe: the provider
// answers a repeated key with the charge it made the first time. A declined
// charge is an answer, not an error: it returns a Charge whose Status is
// StatusDeclined.
func (c *Client) Charge(ctx context.Context, key secrets.Secret, idempotencyKey string, req ChargeRequest) (Charge, error) {
	var charge Charge
	status, err := c.call(ctx, http.MethodPost, "/v1/charges", key, idempotencyKey, req, &charge)
	if err != nil {
		return Charge{}, fmt.Errorf("payments: charge: %w", err)
	}
	switch {
	case status != http.StatusOK && status != http.StatusCreated && status != http.StatusPaymentRequired:
		return Charge{}, fmt.Errorf("payments: charge: unexpected status %d", status)
	case charge.ID == "" || (charge.Status != StatusSucceeded && charge.Status != StatusDeclined):
		return Charge{}, fmt.Errorf("payments: charge: status %d without a charge ID and outcome", status)
	}
	return charge, nil
}

// CreateKey has the provider issue a new API key, authenticating with key.
// The idempotency key makes a retried call return the same new key instead
// of issuing a second one.
func (c *Client) CreateKey(ctx context.Context, key secrets.Secret, idempotencyKey string) (APIKey, error) {
	var issued struct {
		ID     string `json:"id"`
		Secret string `json:"secret"`
	}
	status, err := c.call(ctx, http.MethodPost, "/v1/api_keys", key, idempotencyKey, struct{}{}, &issued)
	if err != nil {
		return APIKey{}, fmt.Errorf("payments: create key: %w", err)
	}
	if status != http.StatusCreated && status != http.StatusOK {
		return APIKey{}, fmt.Errorf("payments: create key: unexpected status %d", status)
	}
	if issued.ID == "" || issued.Secret == "" {
		return APIKey{}, errors.New("payments: create key: response without key ID and secret")
	}
	return APIKey{ID: issued.ID, Secret: secrets.NewSecret([]byte(issued.Secret))}, nil
}

// VerifyKey checks that key works and returns its ID.
func (c *Client) VerifyKey(ctx context.Context, key secrets.Secret) (string, error) {
	var current struct {
		ID string `json:"id"`
	}
	status, err := c.call(ctx, http.MethodGet, "/v1/api_keys/current", key, "", nil, &current)
	if err != nil {
		return "", fmt.Errorf("payments: verify key: %w", err)
	}
	if status != http.StatusOK || current.ID == "" {
		return "", fmt.Errorf("payments: verify key: unexpected status %d", status)
	}
	return current.ID, nil
}

// RevokeKey revokes the key with the given ID, authenticating with key. A
// key the provider does not know (already revoked) is not an error, so the
// call is safe to repeat.
func (c *Client) RevokeKey(ctx context.Context, key secrets.Secret, id string) error {
	status, err := c.call(ctx, http.MethodDelete, "/v1/api_keys/"+url.PathEscape(id), key, "", nil, nil)
	if err != nil {
		return fmt.Errorf("payments: revoke key: %w", err)
	}
	if status != http.StatusNoContent && status != http.StatusOK && status != http.StatusNotFound {
		return fmt.Errorf("payments: revoke key: unexpected status %d", status)
	}
	return nil
}

// call sends one request and decodes a successful (or 402) JSON answer into
// out. It returns the status; 401 and 403 become ErrKeyRejected.
func (c *Client) call(ctx context.Context, method, path string, key secrets.Secret, idempotencyKey string, in, out any) (int, error) {
	var body io.Reader
	if in != nil {
		encoded, err := json.Marshal(in)
		if err != nil {
			return 0, fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(encoded)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(c.BaseURL, "/")+path, body)
	if err != nil {
		return 0, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+key.Reveal())
	req.Header.Set("Accept", "application/json")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if idempotencyKey != "" {
		req.Header.Set("Idempotency-Key", idempotencyKey)
	}

	resp, err := c.HTTP.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()

	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return resp.StatusCode, ErrKeyRejected
	case out != nil && (resp.StatusCode/100 == 2 || resp.StatusCode == http.StatusPaymentRequired):
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			// The decoder's message can quote the body; say only what failed.
			return resp.StatusCode, fmt.Errorf("status %d with a body that is not the expected JSON", resp.StatusCode)
		}
	}
	return resp.StatusCode, nil
}

// storedKey is how an API key is kept in Secrets Manager: a JSON object, so
// that the rotation function knows which key to revoke.
type storedKey struct {
	KeyID  string `json:"key_id"`
	APIKey string `json:"api_key"`
}

// DecodeKey reads an API key as EncodeKey stores it in Secrets Manager:
// {"key_id": "...", "api_key": "..."}.
func DecodeKey(stored secrets.Secret) (APIKey, error) {
	id, err := stored.Field("key_id")
	if err != nil {
		return APIKey{}, fmt.Errorf("payments: stored key: %w", err)
	}
	value, err := stored.Field("api_key")
	if err != nil {
		return APIKey{}, fmt.Errorf("payments: stored key: %w", err)
	}
	if id.Len() == 0 || value.Len() == 0 {
		value.Wipe()
		return APIKey{}, errors.New("payments: stored key: key_id or api_key is empty")
	}
	return APIKey{ID: id.Reveal(), Secret: value}, nil
}

// EncodeKey returns the JSON that DecodeKey reads. The result holds the
// secret: wipe it (clear) once it has been stored.
func EncodeKey(k APIKey) []byte {
	encoded, _ := json.Marshal(storedKey{KeyID: k.ID, APIKey: k.Secret.Reveal()}) // two strings: cannot fail
	return encoded
}
