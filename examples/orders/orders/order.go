package orders

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/bulwark-sec/bulwark/guard/safeerr"
	"github.com/bulwark-sec/bulwark/guard/validate"
)

// requestSchemaJSON is the JSON Schema of the POST /orders body. The API
// Gateway model in template.yaml checks the same shape before the function
// is invoked; this copy is the one that holds wherever the event comes from.
//
//go:embed order.schema.json
var requestSchemaJSON []byte

// RequestSchema is the compiled schema of the POST /orders body. The limits
// are far above a real order (20 items) and far below what would cost the
// function anything to refuse.
var RequestSchema = validate.MustCompile(requestSchemaJSON, validate.Options{MaxBodyBytes: 16 << 10, MaxDepth: 8})

// placeOrderRequest is the body of POST /orders, once RequestSchema has
// accepted it.
type placeOrderRequest struct {
	IdempotencyKey string        `json:"idempotencyKey"`
	Items          []requestItem `json:"items"`
	PaymentToken   string        `json:"paymentToken"`
}

type requestItem struct {
	SKU      string `json:"sku"`
	Quantity int64  `json:"quantity"`
}

// fingerprint identifies a request's content, so that a retry (same content)
// can be told from a different order that reuses an idempotency key. The
// payment token is part of it: paying with another card is another order.
func (r placeOrderRequest) fingerprint() string {
	canonical, _ := json.Marshal(r) // strings and integers: cannot fail
	sum := sha256.Sum256(canonical)
	return hex.EncodeToString(sum[:])
}

// Status is where an order is in its life.
type Status string

// Order statuses.
const (
	StatusPending  Status = "PENDING"  // stored; the charge has not been answered yet
	StatusPaid     Status = "PAID"     // the provider charged it
	StatusDeclined Status = "DECLINED" // the provider declined the payment
)

// Order is an order as stored and as returned to the customer.
type Order struct {
	ID         string `json:"orderId"` // the client's idempotency key
	CustomerID string `json:"-"`       // the caller's Cognito subject
	Items      []Item `json:"items"`
	Currency   string `json:"currency"`
	Total      int64  `json:"total"` // minor units (cents)
	Status     Status `json:"status"`
	PaymentID  string `json:"paymentId,omitempty"`
	// RequestHash is the fingerprint of the request that created the order.
	RequestHash string    `json:"-"`
	CreatedAt   time.Time `json:"createdAt"`
	UpdatedAt   time.Time `json:"updatedAt"`
}

// Item is one line of an order, priced by the Catalog.
type Item struct {
	SKU       string `json:"sku"`
	Quantity  int64  `json:"quantity"`
	UnitPrice int64  `json:"unitPrice"` // minor units (cents)
}

// Catalog prices SKUs in one currency. Prices come from the server, never
// from the request: a client that could send prices could choose them.
type Catalog struct {
	Currency string
	Prices   map[string]int64 // unit price in minor units, by SKU
}

// SampleCatalog is the example's product list. A real service reads its
// prices from a product table.
var SampleCatalog = Catalog{
	Currency: "EUR",
	Prices: map[string]int64{
		"BOOK-001": 1999,
		"MUG-042":  1250,
		"TEE-007":  2500,
	},
}

// Answers to requests the service cannot take. They do not echo the
// request: the caller knows what it sent.
var (
	errInvalidBody = safeerr.Public(http.StatusBadRequest, "request body is invalid")
	errUnknownSKU  = safeerr.Public(http.StatusUnprocessableEntity, "order contains an unknown SKU")
)

// newOrder prices a validated request for customer.
func (c Catalog) newOrder(customer string, req placeOrderRequest, now time.Time) (Order, error) {
	order := Order{
		ID:          req.IdempotencyKey,
		CustomerID:  customer,
		Currency:    c.Currency,
		Status:      StatusPending,
		RequestHash: req.fingerprint(),
		CreatedAt:   now,
		UpdatedAt:   now,
	}
	for _, it := range req.Items {
		price, ok := c.Prices[it.SKU]
		if !ok {
			return Order{}, errUnknownSKU
		}
		if it.Quantity < 1 {
			// The schema already refuses this; the check keeps the total
			// honest if the schema is ever loosened.
			return Order{}, fmt.Errorf("item %s: quantity %d: %w", it.SKU, it.Quantity, errInvalidBody)
		}
		order.Items = append(order.Items, Item{SKU: it.SKU, Quantity: it.Quantity, UnitPrice: price})
		order.Total += price * it.Quantity
	}
	return order, nil
}
