package iam

import (
	"strings"
	"sync"

	"github.com/bulwark-sec/bulwark/internal/iamdata"
)

// allActions is the set of every known action, built once.
var allActions = sync.OnceValue(func() *iamdata.ActionSet {
	s := iamdata.NewActionSet(iamdata.Expand("*")...)
	return &s
})

// Match says whether a policy value matches a request value.
type Match uint8

const (
	NoMatch Match = iota
	// MaybeMatch: one side is not known from the template (a resource ARN
	// built from another resource's attribute, a parameter without a
	// default, an IAM policy variable), and the known parts do not rule a
	// match out.
	MaybeMatch
	Matches
)

func (m Match) String() string {
	return [...]string{"no match", "unknown", "match"}[m]
}

// pseudoPlaceholders are the CloudFormation pseudo parameters that stand
// for the account, region and partition the stack is deployed in. A request
// about the function's own resources is made in that same place, so a
// pattern that differs from a concrete ARN only by them still matches.
var pseudoPlaceholders = []string{"${AWS::Partition}", "${AWS::Region}", "${AWS::AccountId}", "${AWS::URLSuffix}"}

// MatchResource reports whether a Resource pattern of a policy matches the
// resource a request names. Both may hold "${...}" placeholders for values
// the template cannot fix; a request resource of "*" asks about every
// resource and is matched only by patterns that cover every resource.
func MatchResource(pattern Value, resource string) Match {
	p := pattern.Text
	if p == "*" {
		return Matches
	}
	if p == resource {
		return Matches
	}
	if resource == "*" {
		if coversEveryARN(p) {
			return Matches
		}
		return NoMatch
	}
	if !strings.Contains(p, "${") && !strings.Contains(resource, "${") {
		return boolMatch(matchARN(p, resource))
	}
	// The pattern has placeholders: pseudo parameters match the request's own
	// account, region and partition; other placeholders stand for values
	// not known here.
	if !strings.Contains(resource, "${") {
		generic := wildcardPlaceholders(p, pseudoPlaceholders)
		onlyPseudo := !strings.Contains(generic, "${")
		generic = wildcardPlaceholders(generic, nil)
		switch {
		case !matchARN(generic, resource) && !(splitARN(generic, true) == nil && globMatch(generic, resource, false)):
			// (a pattern that starts with a placeholder, like "${Table.Arn}/index/*",
			// is matched as a whole)
			return NoMatch
		case onlyPseudo:
			return Matches
		}
		return MaybeMatch
	}
	// The request itself is symbolic. The same placeholder is the same
	// value, so a pattern that matches the request's text as written matches
	// it; otherwise compare what is literal on both sides.
	if globMatch(p, resource, false) {
		return Matches
	}
	if !literalPrefixesAgree(p, resource) {
		return NoMatch
	}
	return MaybeMatch
}

func boolMatch(b bool) Match {
	if b {
		return Matches
	}
	return NoMatch
}

// wildcardPlaceholders replaces "${...}" placeholders by "*". With only
// non-nil, it replaces just those placeholders.
func wildcardPlaceholders(s string, only []string) string {
	if only != nil {
		for _, ph := range only {
			s = strings.ReplaceAll(s, ph, "*")
		}
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteByte('*')
		s = s[i+j+1:]
	}
}

// literalPrefixesAgree reports whether the literal text before the first
// wildcard or placeholder of either string is compatible: one a prefix of
// the other.
func literalPrefixesAgree(a, b string) bool {
	la, lb := literalPrefix(a), literalPrefix(b)
	n := min(len(la), len(lb))
	return strings.EqualFold(la[:n], lb[:n])
}

func literalPrefix(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '*' || s[i] == '?' || (s[i] == '$' && i+1 < len(s) && s[i+1] == '{') {
			return s[:i]
		}
	}
	return s
}

// coversEveryARN reports whether a resource pattern matches every resource
// of every service: "*", or an ARN pattern whose every part is a wildcard
// (the partition may be fixed, it is the stack's own).
func coversEveryARN(p string) bool {
	if p == "*" {
		return true
	}
	parts := strings.SplitN(p, ":", 6)
	if len(parts) < 2 || parts[0] != "arn" {
		return false
	}
	for i, part := range parts[1:] {
		if i == 0 && (part == "aws" || part == "${AWS::Partition}") {
			continue
		}
		if strings.Trim(part, "*") != "" {
			return false
		}
	}
	// "arn:*" and the like: a short ARN with wildcards stands for all six parts.
	return strings.HasSuffix(p, "*")
}

// matchARN matches a concrete ARN against a concrete ARN pattern the way
// IAM does: partition, service, region and account are matched part by
// part, ignoring case, and the resource part, which may itself hold colons,
// case-sensitively. A short pattern (fewer than six parts) has its missing
// parts filled with "*".
func matchARN(pattern, arn string) bool {
	if pattern == "*" {
		return true
	}
	pp := splitARN(pattern, true)
	ap := splitARN(arn, false)
	if pp == nil || ap == nil {
		return pattern == arn
	}
	for i := 0; i < 5; i++ {
		if !globMatch(pp[i], ap[i], true) {
			return false
		}
	}
	return globMatch(pp[5], ap[5], false)
}

// splitARN splits an ARN into its six parts, the last keeping any colons.
// A pattern with fewer parts is padded with "*"; an ARN is not.
func splitARN(s string, pad bool) []string {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) == 0 || !strings.EqualFold(parts[0], "arn") {
		return nil
	}
	if len(parts) < 6 {
		if !pad || !strings.Contains(s, "*") {
			return nil
		}
		for len(parts) < 6 {
			parts = append(parts, "*")
		}
	}
	return parts
}

// globMatch matches s against an IAM wildcard pattern: '*' matches any run
// of characters, '?' any one. On a mismatch it backtracks only to the most
// recent '*', which keeps matching linear in practice.
func globMatch(pattern, s string, fold bool) bool {
	p, n := 0, 0
	star, starNext := -1, 0
	for n < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, starNext = p, n
			p++
		case p < len(pattern) && (pattern[p] == '?' || sameByte(pattern[p], s[n], fold)):
			p++
			n++
		case star >= 0:
			starNext++
			p, n = star+1, starNext
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

func sameByte(a, b byte, fold bool) bool {
	if a == b {
		return true
	}
	if !fold {
		return false
	}
	return lower(a) == lower(b)
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func containsPlaceholder(s string) bool { return strings.Contains(s, "${") }

func indexPlaceholder(s string) int { return strings.Index(s, "${") }
