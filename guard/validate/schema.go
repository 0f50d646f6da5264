// Package validate checks Lambda event payloads against JSON Schema
// (draft 2020-12 by default) before a handler sees them.
//
// A Schema is compiled once, at init, from local documents only: a $ref that
// names anything outside the documents handed to Compile (http, https, file
// or any other URL) fails compilation instead of being fetched. Validation
// enforces a body size limit and a nesting depth limit before the payload is
// decoded, so an oversized or deeply nested body is refused without building
// its tree. Errors name the failing location as a JSON pointer and the failed
// schema keyword, never the offending value, so they are safe to return to
// callers.
//
// The envelope methods (ValidateAPIGateway, ValidateSQS, ...) find the payload
// inside the usual event types; the HTTP middleware (APIGateway, APIGatewayV2,
// FunctionURL) answers 400 with a JSON error body when the request body fails.
package validate

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// Default limits, used when the matching Options field is zero.
const (
	// DefaultMaxBodyBytes is 1 MiB: well above typical API payloads and well
	// below Lambda's 6 MB synchronous invocation limit.
	DefaultMaxBodyBytes = 1 << 20
	// DefaultMaxDepth is the deepest nesting of objects and arrays accepted.
	DefaultMaxDepth = 32
)

// ErrRemoteRef is returned by Compile when a schema refers to a document that
// is not among the ones given to it. Nothing is ever fetched.
var ErrRemoteRef = errors.New("validate: schema refers to a document outside the given set")

// baseURL is the identity given to the main schema when it has no $id, so
// relative references resolve inside an in-memory namespace rather than
// against the working directory.
const baseURL = "mem:///schema.json"

// Options tunes Compile. The zero value is ready to use.
type Options struct {
	// Resources are further schema documents that $ref may name, keyed by
	// their URL. A relative key (for example "address.json") is resolved
	// against the main schema's location, so {"$ref": "address.json"} finds it.
	Resources map[string][]byte

	// MaxBodyBytes is the largest payload accepted, measured after base64
	// decoding. Zero means DefaultMaxBodyBytes.
	MaxBodyBytes int

	// MaxDepth is the deepest nesting of objects and arrays accepted. Zero
	// means DefaultMaxDepth.
	MaxDepth int
}

// Schema is a compiled JSON Schema with the limits enforced before
// validation. It is safe for concurrent use.
type Schema struct {
	compiled     *jsonschema.Schema
	maxBodyBytes int
	maxDepth     int
}

// Compile parses and compiles a JSON Schema document. Schemas without a
// $schema keyword are read as draft 2020-12; the "format" keyword is asserted
// (an "email" that is not an email fails), since a validator that only
// annotates formats lets malformed input through.
func Compile(schema []byte, opts Options) (*Schema, error) {
	if opts.MaxBodyBytes < 0 || opts.MaxDepth < 0 {
		return nil, errors.New("validate: MaxBodyBytes and MaxDepth must not be negative")
	}
	loader := &localOnlyLoader{}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	c.UseLoader(loader)

	mainDoc, err := decodeSchemaDoc(schema)
	if err != nil {
		return nil, fmt.Errorf("validate: parse schema: %w", err)
	}
	if err := c.AddResource(baseURL, mainDoc); err != nil {
		return nil, fmt.Errorf("validate: add schema: %w", err)
	}
	base, _ := url.Parse(baseURL)
	for key, raw := range opts.Resources {
		ref, err := url.Parse(key)
		if err != nil {
			return nil, fmt.Errorf("validate: resource key %q: %w", key, err)
		}
		doc, err := decodeSchemaDoc(raw)
		if err != nil {
			return nil, fmt.Errorf("validate: parse resource %q: %w", key, err)
		}
		if err := c.AddResource(base.ResolveReference(ref).String(), doc); err != nil {
			return nil, fmt.Errorf("validate: add resource %q: %w", key, err)
		}
	}

	compiled, err := c.Compile(baseURL)
	if err != nil {
		if loader.refused != "" {
			return nil, fmt.Errorf("%w: %s", ErrRemoteRef, loader.refused)
		}
		return nil, fmt.Errorf("validate: compile schema: %w", err)
	}
	s := &Schema{compiled: compiled, maxBodyBytes: opts.MaxBodyBytes, maxDepth: opts.MaxDepth}
	if s.maxBodyBytes == 0 {
		s.maxBodyBytes = DefaultMaxBodyBytes
	}
	if s.maxDepth == 0 {
		s.maxDepth = DefaultMaxDepth
	}
	return s, nil
}

// MustCompile is like Compile but panics on error. It suits package-level
// variables holding a schema embedded in the binary.
func MustCompile(schema []byte, opts Options) *Schema {
	s, err := Compile(schema, opts)
	if err != nil {
		panic(err)
	}
	return s
}

// localOnlyLoader is consulted only for documents the compiler does not
// already hold (the given schemas and the embedded meta-schemas). It refuses
// every one of them, so compiling never touches the network or file system.
type localOnlyLoader struct {
	refused string
}

func (l *localOnlyLoader) Load(url string) (any, error) {
	if l.refused == "" {
		l.refused = url
	}
	return nil, fmt.Errorf("%w: %s", ErrRemoteRef, url)
}

func decodeSchemaDoc(raw []byte) (any, error) {
	return jsonschema.UnmarshalJSON(bytes.NewReader(raw))
}

// Validate checks one JSON document. It returns nil or an *Error.
func (s *Schema) Validate(body []byte) error {
	if err := s.validate(body); err != nil {
		return err
	}
	return nil
}

// validate returns a typed nil-able *Error so envelope code can collect
// per-record results without interface nil pitfalls.
func (s *Schema) validate(body []byte) *Error {
	if len(body) > s.maxBodyBytes {
		return &Error{Reason: ReasonTooLarge}
	}
	if err := checkDepth(body, s.maxDepth); err != nil {
		return err
	}
	doc, err := decodeJSON(body)
	if err != nil {
		return err
	}
	return s.validateValue(doc)
}

// validateValue checks an already decoded document (JSON numbers as
// json.Number, objects as map[string]any, arrays as []any).
func (s *Schema) validateValue(doc any) *Error {
	err := s.compiled.Validate(doc)
	if err == nil {
		return nil
	}
	var verr *jsonschema.ValidationError
	if !errors.As(err, &verr) {
		// The library reports only ValidationError for well-formed
		// instances; anything else means the instance had a Go type JSON
		// cannot produce, which is a bug in this package's decoding.
		return &Error{Reason: ReasonMalformed, Detail: "payload could not be checked"}
	}
	return &Error{Reason: ReasonSchema, Violations: violationsOf(verr)}
}

// checkDepth scans the raw bytes once, counting open objects and arrays
// outside strings, and fails as soon as the limit is passed. It runs before
// decoding so a deeply nested body is never turned into a tree. It does not
// judge well-formedness; the decoder does that afterwards.
func checkDepth(body []byte, maxDepth int) *Error {
	depth := 0
	inString, escaped := false, false
	for _, c := range body {
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '{', '[':
			depth++
			if depth > maxDepth {
				return &Error{Reason: ReasonTooDeep}
			}
		case '}', ']':
			depth--
		}
	}
	return nil
}

// decodeJSON decodes exactly one JSON value, keeping numbers exact. Syntax
// errors are reported by byte offset only: the decoder's own messages quote
// the offending character.
func decodeJSON(body []byte) (any, *Error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, malformed(err, dec.InputOffset())
	}
	end := dec.InputOffset()
	if _, err := dec.Token(); err != io.EOF {
		return nil, &Error{Reason: ReasonMalformed, Detail: fmt.Sprintf("unexpected data after the JSON value ending at byte %d", end)}
	}
	return doc, nil
}

func malformed(err error, offset int64) *Error {
	if errors.Is(err, io.EOF) {
		return &Error{Reason: ReasonMalformed, Detail: "empty body"}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return &Error{Reason: ReasonMalformed, Detail: "truncated JSON"}
	}
	var syntax *json.SyntaxError
	if errors.As(err, &syntax) {
		offset = syntax.Offset
	}
	return &Error{Reason: ReasonMalformed, Detail: fmt.Sprintf("invalid JSON at byte %d", offset)}
}

// maxReportedViolations bounds the error body: a payload crafted to fail
// every keyword should not produce a response larger than itself.
const maxReportedViolations = 20

// maxPointerBytes bounds a reported location; property names are chosen by
// the caller and may be long.
const maxPointerBytes = 256

// violationsOf flattens the library's error tree into its leaves (the
// keywords that actually failed, each with where it failed), sorted by
// location so the report is stable, and capped.
func violationsOf(root *jsonschema.ValidationError) []Violation {
	var out []Violation
	seen := map[Violation]bool{}
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		for _, v := range leafViolations(e) {
			if !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
	}
	walk(root)
	slices.SortFunc(out, func(a, b Violation) int {
		return cmp.Or(strings.Compare(a.Pointer, b.Pointer), strings.Compare(a.Keyword, b.Keyword))
	})
	if len(out) > maxReportedViolations {
		out = out[:maxReportedViolations]
	}
	return out
}

// leafViolations turns one failed keyword into violations. Keywords about
// missing or unexpected properties point at the property itself, which is
// the location a caller needs to fix.
func leafViolations(e *jsonschema.ValidationError) []Violation {
	keyword := strings.Join(e.ErrorKind.KeywordPath(), "/")
	if keyword == "" {
		// A false schema ("not allowed here") has no keyword of its own.
		keyword = "false"
	}
	names := namedProperties(e.ErrorKind)
	if len(names) == 0 {
		return []Violation{{Pointer: jsonPointer(e.InstanceLocation), Keyword: keyword}}
	}
	out := make([]Violation, 0, len(names))
	for _, name := range names {
		loc := append(append([]string(nil), e.InstanceLocation...), name)
		out = append(out, Violation{Pointer: jsonPointer(loc), Keyword: keyword})
	}
	return out
}

// namedProperties returns the properties a keyword failure is about, for
// the keywords that name them.
func namedProperties(k jsonschema.ErrorKind) []string {
	switch k := k.(type) {
	case *kind.Required:
		return k.Missing
	case *kind.DependentRequired:
		return k.Missing
	case *kind.Dependency:
		return k.Missing
	case *kind.AdditionalProperties:
		return k.Properties
	}
	return nil
}

// jsonPointer renders an instance location as an RFC 6901 pointer, cut at
// maxPointerBytes on a character boundary.
func jsonPointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(pointerEscaper.Replace(t))
		if b.Len() > maxPointerBytes {
			break
		}
	}
	p := b.String()
	if len(p) <= maxPointerBytes {
		return p
	}
	cut := maxPointerBytes
	for cut > 0 && !utf8.RuneStart(p[cut]) {
		cut--
	}
	return p[:cut] + "…"
}

var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")
