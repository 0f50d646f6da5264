package iamdata

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"iter"
	"strings"
)

// The embedded files are gzip-compressed UTF-8 text, one record per line,
// fields separated by a tab. Lines starting with '#' are comments. The first
// field names the record; empty lists are empty fields.
//
// data/actions.txt.gz:
//
//	source    PACKAGE VERSION LICENSE UPDATED-AT
//	service   PREFIX NAME                  starts a service; the records below belong to it
//	resource  NAME ARN-FORMAT KEYS         a resource type; KEYS: comma-separated condition keys
//	condition KEY TYPE                     a condition key the service defines and its value type
//	action    NAME ACCESS RESOURCES KEYS   ACCESS: "List", "Read", "Write", "Permissions management"
//	                                       or "Tagging"; RESOURCES: comma-separated resource type
//	                                       references, each the type's NAME, preceded by '*' when the
//	                                       action requires it and followed by "|KEY" for each condition
//	                                       key that applies only with that resource type
//
// Services are sorted by prefix, and a service's actions by ASCII-lowercased
// name, which is what lets lookups and wildcard expansion binary-search.
//
// data/managed-policies.txt.gz:
//
//	source  PACKAGE VERSION LICENSE
//	policy  NAME PATH VERSION-ID DOCUMENT  DOCUMENT: the default version's policy, compact JSON
//
// Policies are sorted by ASCII-lowercased name.

// decompress returns the whole text of an embedded gzip file as one string,
// so that every record field can be a substring of it without copying.
func decompress(gz []byte) (string, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return "", err
	}
	var text strings.Builder
	if len(gz) >= 4 {
		// gzip ends with the uncompressed size (mod 4 GiB): grow once, exactly.
		text.Grow(int(binary.LittleEndian.Uint32(gz[len(gz)-4:])))
	}
	if _, err := io.Copy(&text, zr); err != nil {
		return "", err
	}
	return text.String(), nil
}

// records yields the fields of each data line of text with its 1-based line
// number, skipping comments. The fields slice is reused for the next line:
// keep the strings, not the slice.
func records(text string) iter.Seq2[int, []string] {
	return func(yield func(int, []string) bool) {
		number := 0
		fields := make([]string, 0, 8)
		for line := range strings.Lines(text) {
			number++
			line = strings.TrimSuffix(line, "\n")
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			fields = fields[:0]
			for field := range strings.SplitSeq(line, "\t") {
				fields = append(fields, field)
			}
			if !yield(number, fields) {
				return
			}
		}
	}
}

// list splits a comma-separated field; an empty field is an empty list.
func list(field string) []string {
	if field == "" {
		return nil
	}
	return strings.Split(field, ",")
}

// recordError reports a malformed record in an embedded file.
func recordError(line int, fields []string, problem string) error {
	return fmt.Errorf("line %d (%s record): %s", line, fields[0], problem)
}

// compareFold compares two ASCII strings as if both were lowercased, the
// order the generator sorts names in. IAM names are case-insensitive and the
// generator guarantees they are ASCII.
func compareFold(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		ca, cb := lowerASCII(a[i]), lowerASCII(b[i])
		if ca != cb {
			if ca < cb {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}

// hasPrefixFold reports whether s begins with prefix, ignoring ASCII case.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && compareFold(s[:len(prefix)], prefix) == 0
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + ('a' - 'A')
	}
	return c
}
