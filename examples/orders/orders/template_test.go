package orders

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/bulwark-sec/bulwark/guard/validate"
)

// apiGatewayModel compiles the PlaceOrder model of template.yaml, the
// draft 4 schema API Gateway checks bodies against before invoking the
// function.
func apiGatewayModel(t *testing.T) *validate.Schema {
	t.Helper()
	raw, err := os.ReadFile("../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("template.yaml: %v", err)
	}
	node := doc.Content[0]
	for _, key := range []string{"Resources", "OrdersApi", "Properties", "Models", "PlaceOrder"} {
		node = mappingValue(node, key)
		if node == nil {
			t.Fatalf("template.yaml has no %s on the way to the PlaceOrder model", key)
		}
	}
	var model any
	if err := node.Decode(&model); err != nil {
		t.Fatalf("PlaceOrder model: %v", err)
	}
	encoded, err := json.Marshal(model)
	if err != nil {
		t.Fatalf("PlaceOrder model as JSON: %v", err)
	}
	schema, err := validate.Compile(encoded, validate.Options{})
	if err != nil {
		t.Fatalf("compile PlaceOrder model: %v", err)
	}
	return schema
}

func mappingValue(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func TestAPIGatewayModelAgreesWithRequestSchema(t *testing.T) {
	model := apiGatewayModel(t)
	item := `{"sku":"BOOK-001","quantity":2}`
	body := func(key, items, token string) string {
		return fmt.Sprintf(`{"idempotencyKey":%q,"items":[%s],"paymentToken":%q}`, key, items, token)
	}
	tests := []struct {
		name  string
		body  string
		valid bool
	}{
		{"valid", body(orderKey1, item, "tok_visa"), true},
		{"upper-case UUID", body(strings.ToUpper(orderKey1), item, "tok_visa"), true},
		{"twenty items", body(orderKey1, strings.Repeat(item+",", 19)+item, "tok_visa"), true},
		{"key not a UUID", body("order-1", item, "tok_visa"), false},
		{"no items", body(orderKey1, "", "tok_visa"), false},
		{"twenty-one items", body(orderKey1, strings.Repeat(item+",", 20)+item, "tok_visa"), false},
		{"zero quantity", body(orderKey1, `{"sku":"BOOK-001","quantity":0}`, "tok_visa"), false},
		{"quantity over 100", body(orderKey1, `{"sku":"BOOK-001","quantity":101}`, "tok_visa"), false},
		{"quantity as string", body(orderKey1, `{"sku":"BOOK-001","quantity":"2"}`, "tok_visa"), false},
		{"lower-case SKU", body(orderKey1, `{"sku":"book-001","quantity":1}`, "tok_visa"), false},
		{"client-sent price", body(orderKey1, `{"sku":"BOOK-001","quantity":1,"unitPrice":1}`, "tok_visa"), false},
		{"card number instead of token", body(orderKey1, item, "4242424242424242"), false},
		{"unknown top-level field", `{"idempotencyKey":"` + orderKey1 + `","items":[` + item + `],"paymentToken":"tok_visa","admin":true}`, false},
		{"missing payment token", `{"idempotencyKey":"` + orderKey1 + `","items":[` + item + `]}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fnErr, gwErr := RequestSchema.Validate([]byte(tt.body)), model.Validate([]byte(tt.body))
			if (fnErr == nil) != tt.valid {
				t.Errorf("RequestSchema: valid=%v (%v), want %v", fnErr == nil, fnErr, tt.valid)
			}
			if (gwErr == nil) != tt.valid {
				t.Errorf("API Gateway model: valid=%v (%v), want %v", gwErr == nil, gwErr, tt.valid)
			}
		})
	}
}
