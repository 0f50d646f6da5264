package validate_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/bulwark-sec/bulwark/guard/validate"
)

var knownReasons = map[validate.Reason]bool{
	validate.ReasonTooLarge: true, validate.ReasonTooDeep: true,
	validate.ReasonMalformed: true, validate.ReasonSchema: true,
}

// checkOutcome asserts the invariants every validation result must keep.
func checkOutcome(t *testing.T, payload []byte, err error) {
	t.Helper()
	if err == nil {
		if !json.Valid(payload) {
			t.Fatalf("accepted a payload that is not JSON: %q", payload)
		}
		return
	}
	var verr *validate.Error
	if !errors.As(err, &verr) {
		t.Fatalf("error %v is %T, want *validate.Error", err, err)
	}
	if !knownReasons[verr.Reason] {
		t.Fatalf("unknown reason %q", verr.Reason)
	}
	if (verr.Reason == validate.ReasonSchema) != (len(verr.Violations) > 0) {
		t.Fatalf("reason %q with %d violations", verr.Reason, len(verr.Violations))
	}
	if len(verr.Violations) > 20 {
		t.Fatalf("%d violations reported, cap is 20", len(verr.Violations))
	}
}

func FuzzValidateAPIGatewayBody(f *testing.F) {
	s := validate.MustCompile([]byte(orderSchema), validate.Options{MaxBodyBytes: 4096, MaxDepth: 8})
	f.Add(validOrder, false)
	f.Add(base64.StdEncoding.EncodeToString([]byte(validOrder)), true)
	f.Add(`{"id":"ord-1","items":[{"sku":1,"qty":0}],"x/y":null}`, false)
	f.Add(`[[[[[[[[[[]]]]]]]]]]`, false)
	f.Add(`{"id":"\"[[[[","email":"a@b.c"}`, false)
	f.Add(`{} {}`, false)
	f.Fuzz(func(t *testing.T, body string, isBase64 bool) {
		err := s.ValidateAPIGateway(events.APIGatewayProxyRequest{Body: body, IsBase64Encoded: isBase64})
		payload := []byte(body)
		if isBase64 {
			decoded, decErr := base64.StdEncoding.DecodeString(body)
			if decErr != nil {
				if err == nil {
					t.Fatal("accepted a body that is not base64")
				}
				return
			}
			payload = decoded
		}
		checkOutcome(t, payload, err)
		if again := s.ValidateAPIGateway(events.APIGatewayProxyRequest{Body: body, IsBase64Encoded: isBase64}); (again == nil) != (err == nil) {
			t.Fatalf("validation is not deterministic: %v then %v", err, again)
		}
	})
}

func FuzzValidateSQSBody(f *testing.F) {
	s := validate.MustCompile([]byte(pingSchema), validate.Options{MaxDepth: 4})
	f.Add(`{"n":1}`)
	f.Add(`{"n":1.5}`)
	f.Add(`{"n":[[[[1]]]]}`)
	f.Add(``)
	f.Fuzz(func(t *testing.T, body string) {
		err := s.ValidateSQS(events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m", Body: body}}})
		if err == nil {
			checkOutcome(t, []byte(body), nil)
			return
		}
		var berr *validate.BatchError
		if !errors.As(err, &berr) || len(berr.Records) != 1 || berr.Records[0].ID != "m" {
			t.Fatalf("got %v, want a BatchError naming message m", err)
		}
		checkOutcome(t, []byte(body), berr.Records[0].Err)
	})
}

func FuzzValidateDynamoDBImage(f *testing.F) {
	s := validate.MustCompile([]byte(itemSchema), validate.Options{MaxDepth: 6})
	f.Add(`{"pk":{"S":"p"},"price":{"N":"1.25"},"owner":{"M":{"name":{"S":"x"}}}}`)
	f.Add(`{"scores":{"NS":["1","NaN"]},"blob":{"BS":["AAE="]}}`)
	f.Add(`{"a":{"L":[{"L":[{"L":[{"L":[{"L":[{"L":[{"NULL":true}]}]}]}]}]}]}}`)
	f.Fuzz(func(t *testing.T, image string) {
		var newImage map[string]events.DynamoDBAttributeValue
		if json.Unmarshal([]byte(image), &newImage) != nil || newImage == nil {
			t.Skip("not a DynamoDB image")
		}
		err := s.ValidateDynamoDB(events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{{
			EventName: "INSERT",
			Change:    events.DynamoDBStreamRecord{SequenceNumber: "q", NewImage: newImage},
		}}})
		if err == nil {
			return
		}
		var berr *validate.BatchError
		if !errors.As(err, &berr) || len(berr.Records) != 1 {
			t.Fatalf("got %v, want a BatchError with one record", err)
		}
		if !knownReasons[berr.Records[0].Err.Reason] {
			t.Fatalf("unknown reason %q", berr.Records[0].Err.Reason)
		}
	})
}
