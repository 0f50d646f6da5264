package validate

import (
	"fmt"
	"strings"
)

// Reason says why a payload was rejected.
type Reason string

// Reasons a payload is rejected.
const (
	ReasonTooLarge  Reason = "too_large" // larger than MaxBodyBytes
	ReasonTooDeep   Reason = "too_deep"  // nested deeper than MaxDepth
	ReasonMalformed Reason = "malformed" // not JSON, bad base64, or missing
	ReasonSchema    Reason = "schema"    // JSON that fails the schema
)

// Violation is one schema keyword that failed, and where. It carries no part
// of the payload's values, so it may be shown to the caller.
type Violation struct {
	// Pointer is the RFC 6901 JSON pointer of the failing location ("" is
	// the whole document). For "required" it points at the missing property.
	Pointer string `json:"pointer"`
	// Keyword is the failed schema keyword, such as "type", "minimum" or
	// "required".
	Keyword string `json:"keyword"`
}

// Error reports why one payload was rejected.
type Error struct {
	Reason Reason `json:"reason"`
	// Detail is a fixed description for malformed payloads (for example
	// "invalid JSON at byte 17"); it never quotes the payload.
	Detail string `json:"detail,omitempty"`
	// Violations lists the failed keywords when Reason is ReasonSchema,
	// capped at 20.
	Violations []Violation `json:"errors,omitempty"`
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("validate: payload rejected: ")
	b.WriteString(string(e.Reason))
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	for i, v := range e.Violations {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		pointer := v.Pointer
		if pointer == "" {
			pointer = "(root)"
		}
		fmt.Fprintf(&b, "%s: %s", pointer, v.Keyword)
	}
	return b.String()
}

// RecordError ties an Error to one record of a batch event.
type RecordError struct {
	// Index is the record's position in the event's Records slice.
	Index int `json:"index"`
	// ID is the identifier the event source uses for partial batch
	// responses: the message ID for SQS and SNS, the sequence number for
	// Kinesis and DynamoDB Streams.
	ID  string `json:"id,omitempty"`
	Err *Error `json:"error"`
}

// BatchError reports the records of a batch event that were rejected. The
// records not listed passed.
type BatchError struct {
	Records []RecordError
}

func (e *BatchError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "validate: %d record(s) rejected", len(e.Records))
	for _, r := range e.Records {
		fmt.Fprintf(&b, "; record %d", r.Index)
		if r.ID != "" {
			fmt.Fprintf(&b, " (%s)", r.ID)
		}
		b.WriteString(": ")
		b.WriteString(strings.TrimPrefix(r.Err.Error(), "validate: "))
	}
	return b.String()
}

// IDs returns the identifiers of the rejected records, in order, ready for
// a partial batch response (events.SQSBatchItemFailure and friends).
func (e *BatchError) IDs() []string {
	ids := make([]string, len(e.Records))
	for i, r := range e.Records {
		ids[i] = r.ID
	}
	return ids
}
