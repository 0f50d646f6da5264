package validate

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"
)

// decodedDepth measures nesting with the standard decoder, as a reference
// for the byte scan.
func decodedDepth(body []byte) int {
	dec := json.NewDecoder(bytes.NewReader(body))
	depth, deepest := 0, 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return deepest
		}
		if err != nil {
			return -1
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
			deepest = max(deepest, depth)
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
}

func FuzzCheckDepthAgreesWithDecoder(f *testing.F) {
	f.Add([]byte(`{"a":[1,{"b":"[{"}]}`), 2)
	f.Add([]byte(`"\\\"[["`), 0)
	f.Add([]byte(`[[[]],[[[]]]]`), 3)
	f.Fuzz(func(t *testing.T, body []byte, limit int) {
		if !json.Valid(body) || limit < 0 {
			t.Skip("only valid JSON has a reference depth")
		}
		want := decodedDepth(body)
		if want < 0 {
			t.Skip("decoder could not tokenize")
		}
		tooDeep := checkDepth(body, limit) != nil
		if tooDeep != (want > limit) {
			t.Fatalf("checkDepth(limit %d) too deep = %v, decoder depth %d", limit, tooDeep, want)
		}
	})
}
