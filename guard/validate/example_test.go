package validate_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	"github.com/bulwark-sec/bulwark/guard"
	"github.com/bulwark-sec/bulwark/guard/validate"
)

func ExampleCompile() {
	schema := validate.MustCompile([]byte(`{
		"type": "object",
		"required": ["email"],
		"properties": {
			"email": {"type": "string", "format": "email"},
			"age":   {"type": "integer", "minimum": 18}
		}
	}`), validate.Options{})

	fmt.Println(schema.Validate([]byte(`{"email": "ann@example.com", "age": 30}`)))
	fmt.Println(schema.Validate([]byte(`{"email": "not-an-email", "age": 12}`)))
	fmt.Println(schema.Validate([]byte(`{"age": 30}`)))
	// Output:
	// <nil>
	// validate: payload rejected: schema: /age: minimum; /email: format
	// validate: payload rejected: schema: /email: required
}

func ExampleCompile_resources() {
	// $ref may name only the documents given here; anything else, such as
	// an https URL, fails compilation instead of being fetched.
	schema, err := validate.Compile([]byte(`{"properties": {"ship_to": {"$ref": "address.json"}}}`), validate.Options{
		Resources: map[string][]byte{
			"address.json": []byte(`{"type": "object", "required": ["city"]}`),
		},
	})
	fmt.Println(err)
	fmt.Println(schema.Validate([]byte(`{"ship_to": {}}`)))

	_, err = validate.Compile([]byte(`{"$ref": "https://schemas.example.com/address.json"}`), validate.Options{})
	fmt.Println(errors.Is(err, validate.ErrRemoteRef))
	// Output:
	// <nil>
	// validate: payload rejected: schema: /ship_to/city: required
	// true
}

func ExampleAPIGatewayV2() {
	schema := validate.MustCompile([]byte(`{"type": "object", "required": ["sku"], "properties": {"sku": {"type": "string"}}}`), validate.Options{})

	handler := guard.Chain(func(_ context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		return events.APIGatewayV2HTTPResponse{StatusCode: 201, Body: "created"}, nil
	}, validate.APIGatewayV2(schema))

	res, _ := handler(context.Background(), events.APIGatewayV2HTTPRequest{Body: `{"sku": 42}`})
	fmt.Println(res.StatusCode, res.Body)
	res, _ = handler(context.Background(), events.APIGatewayV2HTTPRequest{Body: `{"sku": "A-1"}`})
	fmt.Println(res.StatusCode, res.Body)
	// Output:
	// 400 {"message":"request body is invalid","reason":"schema","errors":[{"pointer":"/sku","keyword":"type"}]}
	// 201 created
}

func ExampleSchema_ValidateSQS() {
	schema := validate.MustCompile([]byte(`{"type": "object", "required": ["orderId"]}`), validate.Options{})
	event := events.SQSEvent{Records: []events.SQSMessage{
		{MessageId: "msg-1", Body: `{"orderId": "o-1"}`},
		{MessageId: "msg-2", Body: `{"order": "o-2"}`},
	}}

	// Report rejected messages as batch item failures so SQS retries them
	// (and eventually moves them to the dead-letter queue) while the valid
	// ones are processed.
	var response events.SQSEventResponse
	var batchErr *validate.BatchError
	if errors.As(schema.ValidateSQS(event), &batchErr) {
		for _, id := range batchErr.IDs() {
			response.BatchItemFailures = append(response.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: id})
		}
	}
	fmt.Printf("%+v\n", response.BatchItemFailures)
	// Output:
	// [{ItemIdentifier:msg-2}]
}
