package validate

import (
	"encoding/base64"
	"encoding/json"

	"github.com/aws/aws-lambda-go/events"
)

// ValidateAPIGateway checks the body of an API Gateway REST (v1 payload)
// request, decoding it first when API Gateway marked it base64. It returns
// nil or an *Error.
func (s *Schema) ValidateAPIGateway(req events.APIGatewayProxyRequest) error {
	return s.httpBody(req.Body, req.IsBase64Encoded)
}

// ValidateAPIGatewayV2 checks the body of an API Gateway HTTP API (v2
// payload) request. It returns nil or an *Error.
func (s *Schema) ValidateAPIGatewayV2(req events.APIGatewayV2HTTPRequest) error {
	return s.httpBody(req.Body, req.IsBase64Encoded)
}

// ValidateFunctionURL checks the body of a Lambda Function URL request. It
// returns nil or an *Error.
func (s *Schema) ValidateFunctionURL(req events.LambdaFunctionURLRequest) error {
	return s.httpBody(req.Body, req.IsBase64Encoded)
}

// ValidateEventBridge checks the detail of an EventBridge event. It returns
// nil or an *Error.
func (s *Schema) ValidateEventBridge(ev events.EventBridgeEvent) error {
	if len(ev.Detail) == 0 {
		return &Error{Reason: ReasonMalformed, Detail: "event has no detail"}
	}
	return s.Validate(ev.Detail)
}

// ValidateSQS checks the body of every message. It returns nil or a
// *BatchError listing the rejected messages by index and message ID.
func (s *Schema) ValidateSQS(ev events.SQSEvent) error {
	return batch(len(ev.Records), func(i int) (string, *Error) {
		r := ev.Records[i]
		return r.MessageId, s.validate([]byte(r.Body))
	})
}

// ValidateSNS checks the message of every notification. It returns nil or a
// *BatchError listing the rejected notifications by index and message ID.
func (s *Schema) ValidateSNS(ev events.SNSEvent) error {
	return batch(len(ev.Records), func(i int) (string, *Error) {
		r := ev.Records[i]
		return r.SNS.MessageID, s.validate([]byte(r.SNS.Message))
	})
}

// ValidateKinesis checks the data of every record (aws-lambda-go has already
// decoded it from base64). It returns nil or a *BatchError listing the
// rejected records by index and sequence number.
func (s *Schema) ValidateKinesis(ev events.KinesisEvent) error {
	return batch(len(ev.Records), func(i int) (string, *Error) {
		r := ev.Records[i]
		return r.Kinesis.SequenceNumber, s.validate(r.Kinesis.Data)
	})
}

// ValidateDynamoDB checks the new image of every INSERT and MODIFY record,
// converted from attribute values to plain JSON (numbers stay exact, binary
// becomes base64 strings, sets become arrays). REMOVE records are skipped; an
// INSERT or MODIFY without a new image (a stream that does not carry it) is
// rejected rather than passed unchecked. It returns nil or a *BatchError
// listing the rejected records by index and sequence number.
func (s *Schema) ValidateDynamoDB(ev events.DynamoDBEvent) error {
	return batch(len(ev.Records), func(i int) (string, *Error) {
		r := ev.Records[i]
		id := r.Change.SequenceNumber
		if r.EventName == string(events.DynamoDBOperationTypeRemove) {
			return id, nil
		}
		if r.Change.NewImage == nil {
			return id, &Error{Reason: ReasonMalformed, Detail: "record has no new image"}
		}
		doc, err := s.imageToJSON(r.Change.NewImage)
		if err != nil {
			return id, err
		}
		return id, s.validateValue(doc)
	})
}

// httpBody decodes a possibly base64 body, refusing oversized input before
// decoding it.
func (s *Schema) httpBody(body string, isBase64 bool) error {
	if !isBase64 {
		return s.Validate([]byte(body))
	}
	if len(body) > base64.StdEncoding.EncodedLen(s.maxBodyBytes) {
		return &Error{Reason: ReasonTooLarge}
	}
	decoded, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		return &Error{Reason: ReasonMalformed, Detail: "body is not valid base64"}
	}
	return s.Validate(decoded)
}

// batch runs check over n records and gathers the failures.
func batch(n int, check func(i int) (id string, err *Error)) error {
	var failed []RecordError
	for i := range n {
		id, err := check(i)
		if err != nil {
			failed = append(failed, RecordError{Index: i, ID: id, Err: err})
		}
	}
	if len(failed) == 0 {
		return nil
	}
	return &BatchError{Records: failed}
}

// imageToJSON converts a DynamoDB item to the value encoding/json would
// produce from its plain JSON form, enforcing the depth limit on the way.
func (s *Schema) imageToJSON(image map[string]events.DynamoDBAttributeValue) (any, *Error) {
	return s.attributeToJSON(events.NewMapAttribute(image), 0)
}

func (s *Schema) attributeToJSON(av events.DynamoDBAttributeValue, depth int) (any, *Error) {
	switch av.DataType() {
	case events.DataTypeNull:
		return nil, nil
	case events.DataTypeBoolean:
		return av.Boolean(), nil
	case events.DataTypeString:
		return av.String(), nil
	case events.DataTypeNumber:
		return jsonNumber(av.Number())
	case events.DataTypeBinary:
		return base64.StdEncoding.EncodeToString(av.Binary()), nil
	case events.DataTypeStringSet:
		out := make([]any, 0, len(av.StringSet()))
		for _, v := range av.StringSet() {
			out = append(out, v)
		}
		return out, nil
	case events.DataTypeNumberSet:
		out := make([]any, 0, len(av.NumberSet()))
		for _, v := range av.NumberSet() {
			n, err := jsonNumber(v)
			if err != nil {
				return nil, err
			}
			out = append(out, n)
		}
		return out, nil
	case events.DataTypeBinarySet:
		out := make([]any, 0, len(av.BinarySet()))
		for _, v := range av.BinarySet() {
			out = append(out, base64.StdEncoding.EncodeToString(v))
		}
		return out, nil
	case events.DataTypeList:
		if depth+1 > s.maxDepth {
			return nil, &Error{Reason: ReasonTooDeep}
		}
		out := make([]any, 0, len(av.List()))
		for _, v := range av.List() {
			item, err := s.attributeToJSON(v, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, item)
		}
		return out, nil
	case events.DataTypeMap:
		if depth+1 > s.maxDepth {
			return nil, &Error{Reason: ReasonTooDeep}
		}
		out := make(map[string]any, len(av.Map()))
		for k, v := range av.Map() {
			item, err := s.attributeToJSON(v, depth+1)
			if err != nil {
				return nil, err
			}
			out[k] = item
		}
		return out, nil
	}
	return nil, &Error{Reason: ReasonMalformed, Detail: "unknown DynamoDB attribute type"}
}

// jsonNumber keeps a DynamoDB number exact, as the JSON decoder does with
// UseNumber, after checking it is written as a JSON number (strconv would
// also take "NaN", "Inf" and hex floats, which JSON Schema cannot compare).
func jsonNumber(n string) (any, *Error) {
	isDigit := func(c byte) bool { return '0' <= c && c <= '9' }
	if n == "" || !(n[0] == '-' || isDigit(n[0])) || !isDigit(n[len(n)-1]) || !json.Valid([]byte(n)) {
		return nil, &Error{Reason: ReasonMalformed, Detail: "DynamoDB number is not a JSON number"}
	}
	return json.Number(n), nil
}
