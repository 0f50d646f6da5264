package secrets

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"unsafe"
)

// Redacted is what a Secret prints, marshals and logs as.
const Redacted = "[REDACTED]"

// ErrFieldNotFound reports that a JSON secret has no field of the asked name.
var ErrFieldNotFound = errors.New("field not found")

// Secret holds a secret value that does not leak by accident: fmt (every
// verb, %#v included), encoding/json, encoding.TextMarshaler users and
// log/slog all see Redacted. Reveal and Bytes give the value when asked for
// it by name. The zero Secret is empty.
//
// Copies of a Secret share its bytes, so Wipe on one clears them all.
type Secret struct {
	// The bytes are reached through a pointer rather than held as a slice
	// because fmt prints the unexported fields of a struct that embeds a
	// Secret by reflection, without calling Secret's methods: a []byte
	// would print as the value, a pointer prints as an address.
	data    *byte
	size    int
	version string
}

// NewSecret returns a Secret holding a copy of value.
func NewSecret(value []byte) Secret {
	return secretOf(append([]byte(nil), value...), "")
}

// secretOf wraps b without copying it; the Secret owns b from then on.
func secretOf(b []byte, version string) Secret {
	if len(b) == 0 {
		return Secret{version: version}
	}
	return Secret{data: &b[0], size: len(b), version: version}
}

func (s Secret) bytes() []byte {
	if s.data == nil {
		return nil
	}
	return unsafe.Slice(s.data, s.size)
}

// Reveal returns the secret value as a string. Strings cannot be wiped, so
// prefer Bytes where the consumer accepts a []byte.
func (s Secret) Reveal() string { return string(s.bytes()) }

// Bytes returns the secret value itself, not a copy: Wipe clears it.
func (s Secret) Bytes() []byte { return s.bytes() }

// Len returns the length of the value in bytes.
func (s Secret) Len() int { return s.size }

// VersionID names the backend version the value came from, such as a
// Secrets Manager VersionId or a Parameter Store version number. It is empty
// when the backend does not report versions.
func (s Secret) VersionID() string { return s.version }

// Equal reports whether the value equals other, in time that depends only on
// their lengths, so that comparing a caller's token leaks nothing about it.
func (s Secret) Equal(other []byte) bool {
	return subtle.ConstantTimeCompare(s.bytes(), other) == 1
}

// Wipe overwrites the value with zeros, in this Secret and every copy of it.
func (s Secret) Wipe() { clear(s.bytes()) }

// Field returns the named field of a secret that holds a JSON object, as
// Secrets Manager stores database credentials. A string field gives its
// unquoted text; any other field its JSON text. Cache.GetField does the same
// with the parsing done once per cached version.
func (s Secret) Field(name string) (Secret, error) {
	fields, err := parseFields(s.bytes())
	if err != nil {
		return Secret{}, err
	}
	defer wipeFields(fields)
	value, ok := fields[name]
	if !ok {
		return Secret{}, fmt.Errorf("secrets: %q: %w", name, ErrFieldNotFound)
	}
	return NewSecret(value), nil
}

// String returns Redacted.
func (Secret) String() string { return Redacted }

// GoString returns Redacted, for %#v.
func (Secret) GoString() string { return Redacted }

// Format writes Redacted whatever the verb and flags.
func (Secret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, Redacted) }

// MarshalJSON encodes the Secret as the JSON string Redacted.
func (Secret) MarshalJSON() ([]byte, error) { return json.Marshal(Redacted) }

// MarshalText returns Redacted.
func (Secret) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// LogValue makes log/slog record Redacted.
func (Secret) LogValue() slog.Value { return slog.StringValue(Redacted) }

// parseFields splits a JSON object into its fields' values.
func parseFields(value []byte) (map[string][]byte, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(value, &raw); err != nil || raw == nil {
		// The decoder's own message can quote a character of the input, so
		// it is deliberately not wrapped.
		return nil, errors.New("secrets: value is not a JSON object")
	}
	fields := make(map[string][]byte, len(raw))
	for name, text := range raw {
		var str string
		if len(text) > 0 && text[0] == '"' && json.Unmarshal(text, &str) == nil {
			fields[name] = []byte(str)
		} else {
			fields[name] = append([]byte(nil), text...)
		}
		clear(text)
	}
	return fields, nil
}

func wipeFields(fields map[string][]byte) {
	for _, v := range fields {
		clear(v)
	}
}
