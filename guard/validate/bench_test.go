package validate_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/bulwark-sec/bulwark/guard/validate"
)

// checkoutSchema is a typical API schema: a nested object with formats,
// patterns, enums, bounds and an array of line items.
const checkoutSchema = `{
	"$schema": "https://json-schema.org/draft/2020-12/schema",
	"type": "object",
	"required": ["orderId", "customer", "items", "currency"],
	"additionalProperties": false,
	"properties": {
		"orderId":  {"type": "string", "format": "uuid"},
		"currency": {"enum": ["EUR", "USD", "GBP"]},
		"placedAt": {"type": "string", "format": "date-time"},
		"customer": {
			"type": "object",
			"required": ["email", "name"],
			"properties": {
				"email": {"type": "string", "format": "email", "maxLength": 254},
				"name":  {"type": "string", "minLength": 1, "maxLength": 100},
				"address": {
					"type": "object",
					"required": ["line1", "city", "country"],
					"properties": {
						"line1":   {"type": "string", "maxLength": 200},
						"city":    {"type": "string", "maxLength": 100},
						"country": {"type": "string", "pattern": "^[A-Z]{2}$"}
					}
				}
			}
		},
		"items": {
			"type": "array",
			"minItems": 1,
			"maxItems": 500,
			"items": {
				"type": "object",
				"required": ["sku", "quantity", "unitPrice"],
				"additionalProperties": false,
				"properties": {
					"sku":       {"type": "string", "pattern": "^[A-Z0-9-]{4,32}$"},
					"quantity":  {"type": "integer", "minimum": 1, "maximum": 1000},
					"unitPrice": {"type": "number", "exclusiveMinimum": 0},
					"note":      {"type": "string", "maxLength": 200}
				}
			}
		}
	}
}`

// checkoutBody builds a valid body of about size bytes.
func checkoutBody(size int) string {
	var items []string
	body := func() string {
		return fmt.Sprintf(`{"orderId":"3f2a9c1e-4b7d-4e2a-9f1c-2b3d4e5f6a7b","currency":"EUR","placedAt":"2025-06-01T10:00:00Z",`+
			`"customer":{"email":"ann@example.com","name":"Ann Example","address":{"line1":"1 Rue de la Paix","city":"Paris","country":"FR"}},`+
			`"items":[%s]}`, strings.Join(items, ","))
	}
	for i := 0; len(body()) < size; i++ {
		items = append(items, fmt.Sprintf(`{"sku":"SKU-%06d","quantity":%d,"unitPrice":%d.99,"note":"gift wrap"}`, i, i%9+1, i%50+1))
	}
	return body()
}

func BenchmarkValidateAPIGateway10KB(b *testing.B) {
	s := validate.MustCompile([]byte(checkoutSchema), validate.Options{})
	body := checkoutBody(10 << 10)
	if !json.Valid([]byte(body)) {
		b.Fatal("benchmark body is not JSON")
	}
	req := events.APIGatewayProxyRequest{Body: body}
	if err := s.ValidateAPIGateway(req); err != nil {
		b.Fatalf("benchmark body rejected: %v", err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := s.ValidateAPIGateway(req); err != nil {
			b.Fatal(err)
		}
	}
}
