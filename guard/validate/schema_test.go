package validate_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/bulwark-sec/bulwark/guard/validate"
)

const orderSchema = `{
	"type": "object",
	"required": ["id", "email", "items"],
	"additionalProperties": false,
	"properties": {
		"id":    {"type": "string", "pattern": "^ord-[0-9]+$"},
		"email": {"type": "string", "format": "email"},
		"note":  {"type": "string", "maxLength": 10},
		"items": {
			"type": "array",
			"minItems": 1,
			"items": {
				"type": "object",
				"required": ["sku", "qty"],
				"properties": {
					"sku": {"type": "string"},
					"qty": {"type": "integer", "minimum": 1}
				}
			}
		}
	}
}`

const validOrder = `{"id":"ord-1","email":"a@example.com","items":[{"sku":"X","qty":2}]}`

func mustCompile(t testing.TB, schema string, opts validate.Options) *validate.Schema {
	t.Helper()
	s, err := validate.Compile([]byte(schema), opts)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return s
}

func asError(t *testing.T, err error) *validate.Error {
	t.Helper()
	var verr *validate.Error
	if !errors.As(err, &verr) {
		t.Fatalf("got error %v (%T), want *validate.Error", err, err)
	}
	return verr
}

func TestCompileRefusesReferencesOutsideTheGivenDocuments(t *testing.T) {
	tests := []struct {
		name   string
		schema string
	}{
		{"https", `{"$ref": "https://example.com/schema.json"}`},
		{"http", `{"properties": {"a": {"$ref": "http://example.com/a.json#/defs/x"}}}`},
		{"file", `{"$ref": "file:///etc/passwd"}`},
		{"relative but not given", `{"$ref": "address.json"}`},
		{"custom meta-schema", `{"$schema": "https://example.com/meta.json", "type": "object"}`},
		{"relative to a remote $id", `{"$id": "https://example.com/root.json", "$ref": "other.json"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := validate.Compile([]byte(tt.schema), validate.Options{})
			if !errors.Is(err, validate.ErrRemoteRef) {
				t.Fatalf("Compile error = %v, want ErrRemoteRef", err)
			}
		})
	}
}

func TestCompileNeverFetchesARemoteReference(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		fmt.Fprint(w, `{"type": "string"}`)
	}))
	defer srv.Close()

	_, err := validate.Compile([]byte(`{"$ref": "`+srv.URL+`/schema.json"}`), validate.Options{})
	if !errors.Is(err, validate.ErrRemoteRef) {
		t.Fatalf("Compile error = %v, want ErrRemoteRef", err)
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the schema server was contacted %d time(s)", n)
	}
}

func TestCompileResolvesReferencesToGivenResources(t *testing.T) {
	tests := []struct {
		name      string
		schema    string
		resources map[string][]byte
	}{
		{
			name:      "relative key",
			schema:    `{"properties": {"city": {"$ref": "defs/city.json"}}}`,
			resources: map[string][]byte{"defs/city.json": []byte(`{"type": "string"}`)},
		},
		{
			name:      "absolute key under the schema's $id",
			schema:    `{"$id": "https://schemas.example.com/order.json", "properties": {"city": {"$ref": "city.json"}}}`,
			resources: map[string][]byte{"https://schemas.example.com/city.json": []byte(`{"type": "string"}`)},
		},
		{
			name:      "fragment inside a resource",
			schema:    `{"properties": {"city": {"$ref": "defs.json#/$defs/city"}}}`,
			resources: map[string][]byte{"defs.json": []byte(`{"$defs": {"city": {"type": "string"}}}`)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustCompile(t, tt.schema, validate.Options{Resources: tt.resources})
			if err := s.Validate([]byte(`{"city": "Lyon"}`)); err != nil {
				t.Fatalf("valid document rejected: %v", err)
			}
			verr := asError(t, s.Validate([]byte(`{"city": 7}`)))
			if len(verr.Violations) != 1 || verr.Violations[0] != (validate.Violation{Pointer: "/city", Keyword: "type"}) {
				t.Fatalf("violations = %+v, want /city type", verr.Violations)
			}
		})
	}
}

func TestCompileRejectsInvalidSchemasAndOptions(t *testing.T) {
	tests := []struct {
		name   string
		schema string
		opts   validate.Options
	}{
		{"not JSON", `{"type":`, validate.Options{}},
		{"not a schema", `{"type": 12}`, validate.Options{}},
		{"bad regexp", `{"pattern": "("}`, validate.Options{}},
		{"negative body limit", `{}`, validate.Options{MaxBodyBytes: -1}},
		{"negative depth limit", `{}`, validate.Options{MaxDepth: -1}},
		{"bad resource", `{}`, validate.Options{Resources: map[string][]byte{"a.json": []byte(`{`)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := validate.Compile([]byte(tt.schema), tt.opts); err == nil {
				t.Fatal("Compile succeeded, want an error")
			}
		})
	}
}

func TestCompileReadsSchemasWithoutDollarSchemaAsDraft2020(t *testing.T) {
	// prefixItems exists only from draft 2020-12; an older draft would
	// ignore it and accept the document.
	s := mustCompile(t, `{"prefixItems": [{"type": "string"}]}`, validate.Options{})
	verr := asError(t, s.Validate([]byte(`[1]`)))
	if verr.Violations[0] != (validate.Violation{Pointer: "/0", Keyword: "type"}) {
		t.Fatalf("violations = %+v, want /0 type", verr.Violations)
	}
}

func TestValidateReportsPointerAndKeywordNeverTheValue(t *testing.T) {
	const secret = "s3cr3t-VALUE-42"
	s := mustCompile(t, orderSchema, validate.Options{})
	tests := []struct {
		name string
		body string
		want []validate.Violation
	}{
		{
			name: "pattern",
			body: `{"id":"` + secret + `","email":"a@example.com","items":[{"sku":"X","qty":1}]}`,
			want: []validate.Violation{{Pointer: "/id", Keyword: "pattern"}},
		},
		{
			name: "format",
			body: `{"id":"ord-1","email":"` + secret + `","items":[{"sku":"X","qty":1}]}`,
			want: []validate.Violation{{Pointer: "/email", Keyword: "format"}},
		},
		{
			name: "maxLength",
			body: `{"id":"ord-1","email":"a@example.com","note":"` + secret + `","items":[{"sku":"X","qty":1}]}`,
			want: []validate.Violation{{Pointer: "/note", Keyword: "maxLength"}},
		},
		{
			name: "nested type and minimum",
			body: `{"id":"ord-1","email":"a@example.com","items":[{"sku":7,"qty":1},{"sku":"Y","qty":0}]}`,
			want: []validate.Violation{{Pointer: "/items/0/sku", Keyword: "type"}, {Pointer: "/items/1/qty", Keyword: "minimum"}},
		},
		{
			name: "required points at each missing property",
			body: `{"id":"ord-1"}`,
			want: []validate.Violation{{Pointer: "/email", Keyword: "required"}, {Pointer: "/items", Keyword: "required"}},
		},
		{
			name: "additional property",
			body: `{"id":"ord-1","email":"a@example.com","items":[{"sku":"X","qty":1}],"admin":"` + secret + `"}`,
			want: []validate.Violation{{Pointer: "/admin", Keyword: "additionalProperties"}},
		},
		{
			name: "root type",
			body: `"` + secret + `"`,
			want: []validate.Violation{{Pointer: "", Keyword: "type"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Validate([]byte(tt.body))
			verr := asError(t, err)
			if verr.Reason != validate.ReasonSchema {
				t.Fatalf("reason = %q, want schema", verr.Reason)
			}
			if fmt.Sprint(verr.Violations) != fmt.Sprint(tt.want) {
				t.Fatalf("violations = %+v, want %+v", verr.Violations, tt.want)
			}
			rendered, _ := json.Marshal(verr)
			for _, out := range []string{err.Error(), string(rendered)} {
				if strings.Contains(out, secret) || strings.Contains(out, "s3cr3t") {
					t.Fatalf("error echoes the value: %s", out)
				}
			}
		})
	}
}

func TestValidateEscapesPointerTokens(t *testing.T) {
	s := mustCompile(t, `{"additionalProperties": {"type": "integer"}}`, validate.Options{})
	verr := asError(t, s.Validate([]byte(`{"a/b~c": "x"}`)))
	if got := verr.Violations[0].Pointer; got != "/a~1b~0c" {
		t.Fatalf("pointer = %q, want /a~1b~0c", got)
	}
}

func TestValidateCapsReportedViolations(t *testing.T) {
	s := mustCompile(t, `{"items": {"type": "string"}}`, validate.Options{})
	body := "[" + strings.Repeat("1,", 99) + "1]"
	verr := asError(t, s.Validate([]byte(body)))
	if len(verr.Violations) != 20 {
		t.Fatalf("got %d violations, want the cap of 20", len(verr.Violations))
	}
	if verr.Violations[0].Pointer != "/0" {
		t.Fatalf("first violation = %+v, want the sorted first /0", verr.Violations[0])
	}
}

func TestValidateRefusesOversizedBodiesBeforeParsing(t *testing.T) {
	s := mustCompile(t, `{}`, validate.Options{MaxBodyBytes: 16})
	tests := []struct {
		name     string
		body     string
		tooLarge bool
	}{
		{"at the limit", `{"a":"12345678"}`, false},
		{"one byte over", `{"a":"123456789"}`, true},
		// Not even JSON: rejecting it as too large shows the size check
		// runs before any parsing.
		{"garbage over the limit", strings.Repeat("x", 17), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Validate([]byte(tt.body))
			if !tt.tooLarge {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				return
			}
			if verr := asError(t, err); verr.Reason != validate.ReasonTooLarge {
				t.Fatalf("reason = %q, want too_large", verr.Reason)
			}
		})
	}
}

func TestValidateRefusesDeepNestingBeforeDecoding(t *testing.T) {
	s := mustCompile(t, `{}`, validate.Options{MaxDepth: 4})
	tests := []struct {
		name string
		body string
		want validate.Reason
	}{
		{"at the limit", `[[[{"a":1}]]]`, ""},
		{"one level over", `[[[[{"a":1}]]]]`, validate.ReasonTooDeep},
		{"brackets inside strings do not count", `[[["[[[[{{{{\"]]]]"]]]`, ""},
		// Unterminated: a decoder would fail only at the end; the scan stops
		// at the fifth opening bracket.
		{"deep and truncated", strings.Repeat("[", 10000), validate.ReasonTooDeep},
		{"escaped quote does not end a string", `["\"[[[[[["]`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Validate([]byte(tt.body))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				return
			}
			if verr := asError(t, err); verr.Reason != tt.want {
				t.Fatalf("reason = %q, want %q", verr.Reason, tt.want)
			}
		})
	}
}

func TestValidateRejectsMalformedJSONWithoutQuotingIt(t *testing.T) {
	s := mustCompile(t, `{}`, validate.Options{})
	tests := []struct {
		name   string
		body   string
		detail string
	}{
		{"empty", ``, "empty body"},
		{"truncated", `{"a":`, "truncated JSON"},
		{"bad token", `{"a": Zebra}`, "invalid JSON at byte 7"},
		{"trailing data", `{} Zebra`, "unexpected data after the JSON value ending at byte 2"},
		{"two values", `{}{}`, "unexpected data after the JSON value ending at byte 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			verr := asError(t, s.Validate([]byte(tt.body)))
			if verr.Reason != validate.ReasonMalformed || verr.Detail != tt.detail {
				t.Fatalf("got %q / %q, want malformed / %q", verr.Reason, verr.Detail, tt.detail)
			}
			if strings.Contains(verr.Error(), "Zebra") || strings.Contains(verr.Error(), "'Z'") {
				t.Fatalf("error quotes the payload: %v", verr)
			}
		})
	}
}

func TestValidateKeepsNumbersExact(t *testing.T) {
	// As float64, 9007199254740993 rounds to ...992 and would pass
	// "multipleOf 2"; decoded exactly it is odd.
	s := mustCompile(t, `{"multipleOf": 2}`, validate.Options{})
	verr := asError(t, s.Validate([]byte(`9007199254740993`)))
	if verr.Violations[0].Keyword != "multipleOf" {
		t.Fatalf("violations = %+v, want multipleOf", verr.Violations)
	}
}

func TestSchemaIsSafeForConcurrentUse(t *testing.T) {
	s := mustCompile(t, orderSchema, validate.Options{})
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		wg.Go(func() {
			body := validOrder
			if i%2 == 1 {
				body = `{"id":"x"}`
			}
			err := s.Validate([]byte(body))
			if (err == nil) != (i%2 == 0) {
				errs <- fmt.Errorf("goroutine %d: unexpected result %v", i, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
