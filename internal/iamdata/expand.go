package iamdata

import (
	"sort"
	"strings"
)

// Expand returns the actions an IAM action pattern matches, as a policy's
// Action element would: "*" matches every action, and within "service:name"
// '*' matches any run of characters and '?' any one character, ignoring case
// ("s3:Get*", "s3:*", "*:Get*", "ec2:Describe?pcs"). A pattern without
// wildcards matches at most the one action it names. A pattern that is not of
// the form "service:name" matches nothing.
//
// The result is in ActionID order. For "*", "service:*", "service:Prefix*" and
// exact names it is a window onto a slice shared by all callers, returned
// without allocating: it must not be modified (appending to it is safe).
func Expand(pattern string) []ActionID {
	db := loadActions()
	if pattern == "*" || pattern == "*:*" {
		return db.window(0, len(db.actions))
	}
	servicePattern, namePattern, ok := strings.Cut(pattern, ":")
	if !ok || servicePattern == "" || namePattern == "" {
		return nil
	}
	if !hasWildcard(servicePattern) {
		s, ok := db.findService(servicePattern)
		if !ok {
			return nil
		}
		return db.expandInService(s, namePattern)
	}
	var matched []ActionID
	for i := range db.services {
		if matchFold(servicePattern, db.services[i].prefix) {
			matched = append(matched, db.expandInService(i, namePattern)...)
		}
	}
	return matched
}

// expandInService matches a name pattern against one service's actions. The
// literal text before the first wildcard narrows the search, by binary
// search, to the consecutive run of actions that start with it.
func (db *actionDB) expandInService(service int, pattern string) []ActionID {
	s := &db.services[service]
	literal := pattern
	if i := strings.IndexAny(pattern, "*?"); i >= 0 {
		literal = pattern[:i]
	} else {
		id, ok := db.findAction(service, pattern)
		if !ok {
			return nil
		}
		return db.window(int(id)-1, int(id))
	}

	names := db.actions[s.first:s.end]
	lo := sort.Search(len(names), func(i int) bool { return compareFold(names[i].name, literal) >= 0 })
	hi := lo + sort.Search(len(names)-lo, func(i int) bool { return !hasPrefixFold(names[lo+i].name, literal) })
	if lo == hi {
		return nil
	}
	if pattern[len(literal):] == "*" {
		return db.window(s.first+lo, s.first+hi)
	}
	var matched []ActionID
	for i := lo; i < hi; i++ {
		if matchFold(pattern, names[i].name) {
			matched = append(matched, ActionID(s.first+i+1))
		}
	}
	return matched
}

func hasWildcard(s string) bool { return strings.ContainsAny(s, "*?") }

// matchFold reports whether name matches an IAM wildcard pattern, ignoring
// ASCII case: '*' matches any run of bytes (also none), '?' exactly one.
// On a mismatch it retries from the most recent '*', letting that star
// absorb one more byte; earlier stars never need revisiting, so the match is
// linear in practice and never exponential.
func matchFold(pattern, name string) bool {
	p, n := 0, 0
	star, starNext := -1, 0 // position of the last '*', and where in name its run ends
	for n < len(name) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, starNext = p, n
			p++
		case p < len(pattern) && (pattern[p] == '?' || lowerASCII(pattern[p]) == lowerASCII(name[n])):
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
