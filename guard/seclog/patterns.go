package seclog

import (
	"regexp"
	"strings"
)

// defaultKeys are the words that make an attribute, map key or struct field
// sensitive. A key matches when its normalised form (lower case, letters and
// digits only) contains one of them, so "X-Api-Key", "api_key" and "apiKey"
// all match "apikey", and "db_password" matches "password".
var defaultKeys = []string{
	"password", "passwd", "passphrase",
	"secret", "token", "authorization", "cookie",
	"apikey", "accesskey", "privatekey", "credential",
	"sessionid", "signature", "cardnumber", "cvv",
}

// DefaultKeys returns the sensitive key words applied by every Handler.
func DefaultKeys() []string { return append([]string(nil), defaultKeys...) }

// pattern finds secrets inside free text.
type pattern struct {
	re *regexp.Regexp
	// group, when above zero, is the capture group replaced, so the text
	// around the secret ("Bearer ", "postgres://user:") stays readable.
	group int
	// confirm, when set, must accept a match before it is replaced; it
	// weeds out look-alikes such as timestamps that resemble card numbers.
	confirm func(match string) bool
	// mayMatch, when set, is a cheap test that must pass before the
	// expression runs; most log strings hold none of the secrets, and
	// regexp matching dominates the handler's cost.
	mayMatch func(s string) bool
}

func containing(words ...string) func(string) bool {
	return func(s string) bool {
		for _, w := range words {
			if containsFold(s, w) {
				return true
			}
		}
		return false
	}
}

var defaultPatterns = []pattern{
	// AWS access key IDs: long-term (AKIA) and temporary (ASIA).
	{re: regexp.MustCompile(`\b(?:AKIA|ASIA)[0-9A-Z]{16}\b`), mayMatch: containing("AKIA", "ASIA")},
	// An AWS secret access key written next to its name.
	{re: regexp.MustCompile(`(?i)aws_?secret_?access_?key["']?\s*[:=]\s*["']?([A-Za-z0-9/+]{40})`), group: 1, mayMatch: containing("secret")},
	// JSON Web Tokens (header and payload are base64url JSON, "eyJ").
	{re: regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{2,}\.eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*`), mayMatch: containing("eyJ")},
	// Bearer and Basic credentials, as in an Authorization header.
	{re: regexp.MustCompile(`(?i)\b(?:bearer|basic)\s+([A-Za-z0-9\-._~+/]+=*)`), group: 1, mayMatch: containing("bearer", "basic")},
	// Passwords in URLs: scheme://user:password@host.
	{re: regexp.MustCompile(`(?i)\b[a-z][a-z0-9+.-]*://[^\s/:@]*:([^\s/@]+)@`), group: 1, mayMatch: containing("://")},
	// PEM private keys.
	{re: regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----`), mayMatch: containing("PRIVATE KEY")},
	// GitHub, Slack and Stripe tokens.
	{re: regexp.MustCompile(`\bgh[pousr]_[A-Za-z0-9]{36,255}\b`), mayMatch: containing("gh")},
	{re: regexp.MustCompile(`\bxox[abprs]-[A-Za-z0-9-]{10,}`), mayMatch: containing("xox")},
	{re: regexp.MustCompile(`\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}`), mayMatch: containing("k_live_", "k_test_")},
	// Payment card numbers: 13 to 19 digits, optionally grouped by spaces
	// or dashes, starting as the card networks do (2 to 6) and passing the
	// Luhn check. Millisecond timestamps start with 1 and stay readable.
	{re: regexp.MustCompile(`\b[2-6](?:[ -]?\d){12,18}\b`), confirm: luhnValid, mayMatch: hasDigits(13)},
}

// hasDigits reports whether s holds at least n digits.
func hasDigits(n int) func(string) bool {
	return func(s string) bool {
		for i := 0; i < len(s) && n > 0; i++ {
			if '0' <= s[i] && s[i] <= '9' {
				n--
			}
		}
		return n == 0
	}
}

// containsFold reports whether s contains the ASCII word w, ignoring case,
// without allocating.
func containsFold(s, w string) bool {
	for i := 0; i+len(w) <= len(s); i++ {
		match := true
		for j := 0; j < len(w); j++ {
			if lowerASCII(s[i+j]) != lowerASCII(w[j]) {
				match = false
				break
			}
		}
		if match {
			return true
		}
	}
	return false
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// DefaultPatterns returns the expressions for secrets in free text applied
// by every Handler: AWS access keys, JWTs, bearer and basic credentials,
// passwords in URLs, PEM private keys, common SaaS tokens and payment card
// numbers (Luhn-checked).
func DefaultPatterns() []*regexp.Regexp {
	out := make([]*regexp.Regexp, len(defaultPatterns))
	for i, p := range defaultPatterns {
		out[i] = p.re
	}
	return out
}

// luhnValid reports whether the digits in s pass the Luhn checksum.
func luhnValid(s string) bool {
	sum, n := 0, 0
	for i := len(s) - 1; i >= 0; i-- {
		c := s[i]
		if c < '0' || c > '9' {
			continue
		}
		d := int(c - '0')
		if n%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		n++
	}
	return n >= 13 && sum%10 == 0
}

// normalizeKey lowercases a key and keeps only letters and digits, so
// spelling conventions do not defeat matching.
func normalizeKey(key string) string {
	clean := true
	for i := 0; i < len(key); i++ {
		if c := key[i]; !('a' <= c && c <= 'z') && !('0' <= c && c <= '9') {
			clean = false
			break
		}
	}
	if clean {
		return key // the common case: no allocation
	}
	var b strings.Builder
	b.Grow(len(key))
	for _, r := range strings.ToLower(key) {
		if ('a' <= r && r <= 'z') || ('0' <= r && r <= '9') || r > 127 {
			b.WriteRune(r)
		}
	}
	return b.String()
}
