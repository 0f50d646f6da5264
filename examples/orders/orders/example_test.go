package orders_test

import (
	"fmt"

	"github.com/bulwark-sec/bulwark/examples/orders/orders"
)

// The function checks every body against RequestSchema before it prices the
// order; a refusal names the failing location and keyword, never the value.
func ExampleRequestSchema() {
	for _, body := range []string{
		`{"idempotencyKey":"3b241101-e2bb-4255-8caf-4136c566a962","items":[{"sku":"BOOK-001","quantity":2}],"paymentToken":"tok_visa"}`,
		// Prices come from the catalog; a client may not send one.
		`{"idempotencyKey":"3b241101-e2bb-4255-8caf-4136c566a962","items":[{"sku":"BOOK-001","quantity":2,"unitPrice":1}],"paymentToken":"tok_visa"}`,
		`{"idempotencyKey":"1","items":[],"paymentToken":"4242424242424242"}`,
	} {
		fmt.Println(orders.RequestSchema.Validate([]byte(body)))
	}
	// Output:
	// <nil>
	// validate: payload rejected: schema: /items/0/unitPrice: additionalProperties
	// validate: payload rejected: schema: /idempotencyKey: format; /items: minItems; /paymentToken: pattern
}
