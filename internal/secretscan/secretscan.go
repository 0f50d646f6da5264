// Package secretscan finds credentials in configuration values and source
// text: provider key formats (AWS, Google Cloud, Azure and common SaaS
// tokens), private keys, JSON web tokens, URLs with a password in them, and
// literals that a secret-like name (PASSWORD, API_KEY, ...) gives a random
// looking value.
//
// It judges a value by its shape and its name together: "changeme" behind
// DB_PASSWORD is a placeholder, a 40-character random string behind
// SECRET_NAME is still only a name. Every pattern here is written for
// Bulwark; none is taken from another scanner.
package secretscan

import (
	"cmp"
	"math"
	"slices"
	"strings"
)

// Match is one secret found in a text.
type Match struct {
	Kind        string // stable identifier of what was found, e.g. "aws-access-key-id"
	Description string // what was found, for people: "AWS access key ID"
	Name        string // the name the secret is assigned to, when the text says
	Start, End  int    // byte offsets of the secret itself in the scanned text
}

// Secret returns the matched secret out of the text that was scanned.
func (m Match) Secret(text string) string { return text[m.Start:m.End] }

// Generic kinds, reported when a secret-like name holds a literal rather
// than when a provider format is recognised.
const (
	KindPassword      = "password"
	KindGenericSecret = "generic-secret"
)

// Value reports whether value, assigned to name (an environment variable, a
// configuration key), is a secret. It recognises provider formats and
// credentials in URLs whatever the name, and otherwise judges the literal by
// the name it is given: see SecretLikeName and LooksRandom.
func Value(name, value string) (Match, bool) {
	if ms := patternMatches(value); len(ms) > 0 {
		m := ms[0]
		m.Name = name
		return m, true
	}
	if m, ok := awsSecretKeyByName(name, value); ok {
		return m, true
	}
	start, end := trimSpan(value)
	if m, ok := assignment(name, value[start:end]); ok {
		m.Start, m.End = start, end
		return m, true
	}
	// A structured value (JSON, a connection string) can hold a secret under
	// its own key: {"password": "..."}.
	if ms := Text(value); len(ms) > 0 {
		return ms[0], true
	}
	return Match{}, false
}

// Text finds the secrets in free text such as inline function code: every
// provider format, and quoted literals assigned to secret-like names
// (password = "...", "apiKey": '...'). Matches are in text order and do not
// overlap.
func Text(text string) []Match {
	ms := patternMatches(text)
	for _, a := range assignmentsIn(text) {
		if overlapsAny(ms, a.Start, a.End) {
			continue
		}
		if m, ok := awsSecretKeyByName(a.Name, text[a.Start:a.End]); ok {
			m.Start, m.End = a.Start, a.End
			ms = append(ms, m)
			continue
		}
		if m, ok := assignment(a.Name, text[a.Start:a.End]); ok {
			m.Start, m.End = a.Start, a.End
			ms = append(ms, m)
		}
	}
	slices.SortFunc(ms, func(a, b Match) int { return cmp.Compare(a.Start, b.Start) })
	return ms
}

// assignment judges a literal given to a secret-like name. Password names
// take any literal that is not a placeholder or a reference; other secret
// names (TOKEN, API_KEY, SECRET) also need a value that looks random, since
// those names often hold the name or path of a secret rather than the secret.
func assignment(name, value string) (Match, bool) {
	class := nameClass(name)
	if class == notSecret || IsPlaceholder(value) || isReference(value) {
		return Match{}, false
	}
	switch class {
	case passwordName:
		if len(value) >= minPasswordLen {
			return Match{Kind: KindPassword, Description: "password", Name: name, End: len(value)}, true
		}
	case secretName:
		if LooksRandom(value) {
			return Match{Kind: KindGenericSecret, Description: "secret value", Name: name, End: len(value)}, true
		}
	}
	return Match{}, false
}

// Thresholds for literals behind secret-like names.
const (
	minPasswordLen = 6   // shorter literals behind PASSWORD are flags or examples ("on", "1234")
	minSecretLen   = 12  // API keys and tokens are long; shorter values are settings
	minEntropy     = 3.0 // bits per character; random base64 has about 5, English words about 2.5-3
)

// LooksRandom reports whether s looks like generated key material rather
// than a word, a name or a setting: long enough, with high character
// entropy, and not a lowercase name such as "prod/stripe-api-key".
func LooksRandom(s string) bool {
	if len(s) < minSecretLen || strings.ContainsAny(s, " \t\r\n") {
		return false
	}
	if Entropy(s) < minEntropy {
		return false
	}
	return !isLowercaseName(s)
}

// isLowercaseName reports whether s is built only of lowercase words and
// digits joined by separators, the shape of resource and parameter names
// ("orders-table", "prod/db/credentials"), which random keys almost never
// have.
func isLowercaseName(s string) bool {
	if !strings.ContainsAny(s, "-_./:") {
		return false // hex digests and lowercase random ids have no separators
	}
	for _, seg := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune("-_./:", r) }) {
		letters, digits := 0, 0
		for i := 0; i < len(seg); i++ {
			switch c := seg[i]; {
			case isLower(c):
				letters++
			case isDigit(c):
				digits++
			default:
				return false
			}
		}
		// A word of a name is short, or letters with a version number;
		// a long run mixing letters and digits is key material.
		if len(seg) >= 16 || len(seg) >= 10 && letters >= 2 && digits >= 2 {
			return false
		}
	}
	return true
}

// Entropy returns the Shannon entropy of s in bits per byte.
func Entropy(s string) float64 {
	if s == "" {
		return 0
	}
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	n := float64(len(s))
	h := 0.0
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}

// IsPlaceholder reports whether value is an obvious stand-in rather than a
// real secret: empty, a word like "changeme" or "TODO", a template
// expression like ${VAR}, {{VAR}}, <password> or %PASSWORD%, a boolean, a
// short number, or one character repeated.
func IsPlaceholder(value string) bool {
	v := strings.ToLower(strings.TrimSpace(value))
	if v == "" || placeholderWords[v] {
		return true
	}
	if strings.Contains(v, "${") || strings.Contains(v, "{{") || isVariable(v) {
		return true
	}
	if wrapped(v, '<', '>') || wrapped(v, '[', ']') || wrapped(v, '{', '}') || wrapped(v, '%', '%') || wrapped(v, '(', ')') {
		return true
	}
	for _, w := range placeholderFragments {
		if strings.Contains(v, w) {
			return true
		}
	}
	if strings.Trim(v, v[:1]) == "" { // "xxxxxxxx", "********"
		return true
	}
	if len(v) < 10 && strings.Trim(v, "0123456789") == "" {
		return true
	}
	return false
}

// isVariable reports whether s is a shell-style variable reference: $NAME.
func isVariable(s string) bool {
	if len(s) < 2 || s[0] != '$' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isAlnum(s[i]) && s[i] != '_' {
			return false
		}
	}
	return true
}

func wrapped(s string, open, close byte) bool {
	return len(s) >= 2 && s[0] == open && s[len(s)-1] == close
}

var placeholderWords = map[string]bool{
	"changeme": true, "change_me": true, "change-me": true, "changeit": true, "todo": true, "tbd": true,
	"fixme": true, "none": true, "null": true, "nil": true, "undefined": true, "empty": true, "placeholder": true,
	"secret": true, "password": true, "passwd": true, "pass": true, "token": true, "apikey": true, "api_key": true,
	"api-key": true, "key": true, "dummy": true, "test": true, "testing": true, "example": true, "sample": true,
	"default": true, "redacted": true, "hidden": true, "masked": true, "n/a": true, "na": true, "true": true,
	"false": true, "yes": true, "no": true, "on": true, "off": true, "enabled": true, "disabled": true,
	"required": true, "optional": true, "unset": true, "not-set": true, "notset": true, "local": true,
}

// placeholderFragments mark values written to be replaced.
var placeholderFragments = []string{
	"changeme", "change_me", "change-me", "example", "placeholder", "replace", "dummy", "your-", "your_",
	"yourpassword", "yoursecret", "insert", "fake", "sample", "redacted", "xxxxx", "*****", "todo", "fixme",
	"process.env", "os.environ", "getenv",
}

// isReference reports whether value points at a secret instead of holding
// one: an ARN, an SSM parameter path, a dynamic reference, a KMS alias or a
// plain URL.
func isReference(value string) bool {
	v := strings.TrimSpace(value)
	switch {
	case strings.HasPrefix(v, "arn:"), strings.HasPrefix(v, "alias/"), strings.HasPrefix(v, "{{resolve:"),
		strings.HasPrefix(v, "/") && !strings.ContainsAny(v, " \t"):
		return true
	}
	if i := strings.Index(v, "://"); i > 0 && !strings.Contains(v[i+3:], "@") {
		return true
	}
	return false
}

func overlapsAny(ms []Match, start, end int) bool {
	for _, m := range ms {
		if start < m.End && m.Start < end {
			return true
		}
	}
	return false
}

func trimSpan(s string) (start, end int) {
	start, end = 0, len(s)
	for start < end && isSpace(s[start]) {
		start++
	}
	for end > start && isSpace(s[end-1]) {
		end--
	}
	return start, end
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
