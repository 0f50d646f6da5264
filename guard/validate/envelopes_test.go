package validate_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/bulwark-sec/bulwark/guard/validate"
)

const pingSchema = `{"type": "object", "required": ["n"], "properties": {"n": {"type": "integer"}}}`

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// reasonOf returns "" for nil and the Reason of an *Error otherwise.
func reasonOf(t *testing.T, err error) validate.Reason {
	t.Helper()
	if err == nil {
		return ""
	}
	return asError(t, err).Reason
}

func TestValidateHTTPEnvelopesDecodeBase64Bodies(t *testing.T) {
	s := mustCompile(t, pingSchema, validate.Options{MaxBodyBytes: 64})
	checks := map[string]func(body string, isBase64 bool) error{
		"REST": func(body string, isBase64 bool) error {
			return s.ValidateAPIGateway(events.APIGatewayProxyRequest{Body: body, IsBase64Encoded: isBase64})
		},
		"HTTP API": func(body string, isBase64 bool) error {
			return s.ValidateAPIGatewayV2(events.APIGatewayV2HTTPRequest{Body: body, IsBase64Encoded: isBase64})
		},
		"Function URL": func(body string, isBase64 bool) error {
			return s.ValidateFunctionURL(events.LambdaFunctionURLRequest{Body: body, IsBase64Encoded: isBase64})
		},
	}
	tests := []struct {
		name     string
		body     string
		isBase64 bool
		want     validate.Reason
	}{
		{"plain valid", `{"n": 1}`, false, ""},
		{"plain invalid", `{"n": "1"}`, false, validate.ReasonSchema},
		{"base64 valid", b64(`{"n": 1}`), true, ""},
		{"base64 invalid", b64(`{"n": "1"}`), true, validate.ReasonSchema},
		{"base64 flag off reads the text as JSON", b64(`{"n": 1}`), false, validate.ReasonMalformed},
		{"not base64", `{"n": 1}`, true, validate.ReasonMalformed},
		{"base64 of too much", b64(`{"n": 1, "pad": "` + strings.Repeat("x", 64) + `"}`), true, validate.ReasonTooLarge},
		{"missing body", ``, false, validate.ReasonMalformed},
	}
	for envelope, check := range checks {
		for _, tt := range tests {
			t.Run(envelope+"/"+tt.name, func(t *testing.T) {
				if got := reasonOf(t, check(tt.body, tt.isBase64)); got != tt.want {
					t.Fatalf("reason = %q, want %q", got, tt.want)
				}
			})
		}
	}
}

func TestValidateEventBridgeChecksDetail(t *testing.T) {
	s := mustCompile(t, pingSchema, validate.Options{})
	tests := []struct {
		name  string
		event string
		want  validate.Reason
	}{
		{"valid", `{"id":"e1","detail-type":"Ping","source":"app","detail":{"n":3}}`, ""},
		{"invalid", `{"id":"e1","detail-type":"Ping","source":"app","detail":{"n":"x"}}`, validate.ReasonSchema},
		{"no detail", `{"id":"e1","detail-type":"Ping","source":"app"}`, validate.ReasonMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ev events.EventBridgeEvent
			if err := json.Unmarshal([]byte(tt.event), &ev); err != nil {
				t.Fatal(err)
			}
			if got := reasonOf(t, s.ValidateEventBridge(ev)); got != tt.want {
				t.Fatalf("reason = %q, want %q", got, tt.want)
			}
		})
	}
}

// batchResult renders a batch outcome as "index:id:reason" entries, or "ok".
func batchResult(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return "ok"
	}
	var berr *validate.BatchError
	if !errors.As(err, &berr) {
		t.Fatalf("got %v (%T), want *validate.BatchError", err, err)
	}
	var parts []string
	for _, r := range berr.Records {
		parts = append(parts, fmt.Sprintf("%d:%s:%s", r.Index, r.ID, r.Err.Reason))
	}
	return strings.Join(parts, " ")
}

func TestValidateBatchEnvelopesReportEachRejectedRecord(t *testing.T) {
	s := mustCompile(t, pingSchema, validate.Options{})
	tests := []struct {
		name  string
		event string
		check func(raw []byte) error
		want  string
	}{
		{
			name: "SQS",
			event: `{"Records":[
				{"messageId":"m0","body":"{\"n\":1}"},
				{"messageId":"m1","body":"{\"n\":\"one\"}"},
				{"messageId":"m2","body":"not json"}]}`,
			check: func(raw []byte) error {
				var ev events.SQSEvent
				mustUnmarshal(t, raw, &ev)
				return s.ValidateSQS(ev)
			},
			want: "1:m1:schema 2:m2:malformed",
		},
		{
			name: "SNS",
			event: `{"Records":[
				{"Sns":{"MessageId":"n0","Message":"{\"n\":\"one\"}"}},
				{"Sns":{"MessageId":"n1","Message":"{\"n\":2}"}}]}`,
			check: func(raw []byte) error {
				var ev events.SNSEvent
				mustUnmarshal(t, raw, &ev)
				return s.ValidateSNS(ev)
			},
			want: "0:n0:schema",
		},
		{
			name: "Kinesis data arrives base64 in the event",
			event: `{"Records":[
				{"kinesis":{"sequenceNumber":"s0","data":"` + b64(`{"n":1}`) + `"}},
				{"kinesis":{"sequenceNumber":"s1","data":"` + b64(`{"n":[]}`) + `"}}]}`,
			check: func(raw []byte) error {
				var ev events.KinesisEvent
				mustUnmarshal(t, raw, &ev)
				return s.ValidateKinesis(ev)
			},
			want: "1:s1:schema",
		},
		{
			name:  "all valid",
			event: `{"Records":[{"messageId":"m0","body":"{\"n\":1}"}]}`,
			check: func(raw []byte) error {
				var ev events.SQSEvent
				mustUnmarshal(t, raw, &ev)
				return s.ValidateSQS(ev)
			},
			want: "ok",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := batchResult(t, tt.check([]byte(tt.event))); got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestBatchErrorListsIDsForPartialBatchResponses(t *testing.T) {
	s := mustCompile(t, pingSchema, validate.Options{})
	err := s.ValidateSQS(events.SQSEvent{Records: []events.SQSMessage{
		{MessageId: "a", Body: `{}`}, {MessageId: "b", Body: `{"n":1}`}, {MessageId: "c", Body: `[]`},
	}})
	var berr *validate.BatchError
	if !errors.As(err, &berr) {
		t.Fatalf("got %v, want *BatchError", err)
	}
	if got := strings.Join(berr.IDs(), ","); got != "a,c" {
		t.Fatalf("IDs = %s, want a,c", got)
	}
	if !strings.Contains(err.Error(), "record 0 (a): payload rejected: schema: /n: required") {
		t.Fatalf("message %q does not name the record and failure", err)
	}
}

const itemSchema = `{
	"type": "object",
	"required": ["pk", "price", "active", "tags", "scores", "owner", "blob"],
	"properties": {
		"pk":     {"type": "string"},
		"price":  {"type": "number", "multipleOf": 0.01},
		"active": {"type": "boolean"},
		"gone":   {"type": "null"},
		"tags":   {"type": "array", "items": {"type": "string"}},
		"scores": {"type": "array", "items": {"type": "integer"}},
		"owner":  {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}, "roles": {"type": "array", "items": {"type": "string"}}}},
		"blob":   {"type": "string", "contentEncoding": "base64"}
	}
}`

func TestValidateDynamoDBConvertsNewImageToPlainJSON(t *testing.T) {
	s := mustCompile(t, itemSchema, validate.Options{MaxDepth: 3})
	validImage := `{"pk":{"S":"p1"},"price":{"N":"19.99"},"active":{"BOOL":true},"gone":{"NULL":true},
		"tags":{"SS":["a","b"]},"scores":{"NS":["1","2"]},"owner":{"M":{"name":{"S":"ann"},"roles":{"L":[{"S":"admin"}]}}},
		"blob":{"B":"aGVsbG8="}}`
	tests := []struct {
		name   string
		record string
		want   string
	}{
		{"insert valid", `{"eventName":"INSERT","dynamodb":{"SequenceNumber":"q0","NewImage":` + validImage + `}}`, "ok"},
		{"number fails multipleOf", `{"eventName":"MODIFY","dynamodb":{"SequenceNumber":"q0","NewImage":` +
			strings.Replace(validImage, `"19.99"`, `"19.991"`, 1) + `}}`, "0:q0:schema"},
		{"wrong nested type", `{"eventName":"MODIFY","dynamodb":{"SequenceNumber":"q0","NewImage":` +
			strings.Replace(validImage, `{"S":"ann"}`, `{"N":"7"}`, 1) + `}}`, "0:q0:schema"},
		{"remove skipped", `{"eventName":"REMOVE","dynamodb":{"SequenceNumber":"q0","OldImage":{"pk":{"S":"p1"}}}}`, "ok"},
		{"keys-only stream rejected", `{"eventName":"INSERT","dynamodb":{"SequenceNumber":"q0","Keys":{"pk":{"S":"p1"}}}}`, "0:q0:malformed"},
		{"too deep", `{"eventName":"INSERT","dynamodb":{"SequenceNumber":"q0","NewImage":{"a":{"M":{"b":{"L":[{"M":{"c":{"S":"x"}}}]}}}}}}`, "0:q0:too_deep"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ev events.DynamoDBEvent
			mustUnmarshal(t, []byte(`{"Records":[`+tt.record+`]}`), &ev)
			if got := batchResult(t, s.ValidateDynamoDB(ev)); got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestValidateDynamoDBReportsWhichAttributeFailed(t *testing.T) {
	s := mustCompile(t, itemSchema, validate.Options{})
	ev := events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{{
		EventName: "INSERT",
		Change: events.DynamoDBStreamRecord{SequenceNumber: "q9", NewImage: map[string]events.DynamoDBAttributeValue{
			"pk":     events.NewStringAttribute("p1"),
			"price":  events.NewNumberAttribute("5"),
			"active": events.NewBooleanAttribute(true),
			"tags":   events.NewStringSetAttribute([]string{"a"}),
			"scores": events.NewNumberSetAttribute([]string{"1.5"}),
			"owner":  events.NewMapAttribute(map[string]events.DynamoDBAttributeValue{"name": events.NewStringAttribute("x")}),
			"blob":   events.NewBinaryAttribute([]byte{1, 2}),
		}},
	}}}
	var berr *validate.BatchError
	if !errors.As(s.ValidateDynamoDB(ev), &berr) {
		t.Fatal("want a BatchError")
	}
	if got := berr.Records[0].Err.Violations; len(got) != 1 || got[0] != (validate.Violation{Pointer: "/scores/0", Keyword: "type"}) {
		t.Fatalf("violations = %+v, want /scores/0 type", got)
	}
}

func TestValidateDynamoDBRejectsNonJSONNumbers(t *testing.T) {
	s := mustCompile(t, `{}`, validate.Options{})
	for _, n := range []string{"NaN", "Inf", "0x10", "1_000", " 1", "1e5 ", ""} {
		t.Run(n, func(t *testing.T) {
			ev := events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{{
				EventName: "INSERT",
				Change:    events.DynamoDBStreamRecord{NewImage: map[string]events.DynamoDBAttributeValue{"n": events.NewNumberAttribute(n)}},
			}}}
			if got := batchResult(t, s.ValidateDynamoDB(ev)); got != "0::malformed" {
				t.Fatalf("got %s, want 0::malformed", got)
			}
		})
	}
}

func mustUnmarshal(t *testing.T, raw []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("unmarshal event: %v", err)
	}
}
