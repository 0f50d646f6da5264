// Package runtimes tells whether an AWS Lambda runtime identifier
// ("python3.9", "nodejs18.x", "provided.al2", ...) is supported, close to
// its deprecation, or deprecated on a given day.
//
// The lifecycle dates are AWS's, as cfn-lint (MIT-0) records them; the
// generator in internal/gen turns cfn-lint's file into the small table this
// package embeds (see Source). Nothing is fetched at run time, and a runtime
// the table does not list is reported as unknown, never guessed at.
package runtimes

//go:generate go run ./internal/gen -out lifecycle.tsv

import (
	_ "embed"
	"fmt"
	"iter"
	"slices"
	"strings"
	"sync"
	"time"
)

//go:embed lifecycle.tsv
var lifecycleTable string

// WarningDays is how many days before its deprecation date a runtime counts
// as DeprecatingSoon.
const WarningDays = 90

// Runtime is the lifecycle of one Lambda runtime. Dates are days in UTC: a
// date is reached at 00:00 UTC that day.
type Runtime struct {
	ID string // e.g. "python3.9"
	// Deprecated is when AWS stops patching the runtime and support ends.
	Deprecated time.Time
	// CreateBlocked is when Lambda stops accepting new functions on the
	// runtime; zero if the data gives no date.
	CreateBlocked time.Time
	// UpdateBlocked is when Lambda stops accepting updates to functions on
	// the runtime; zero if the data gives no date.
	UpdateBlocked time.Time
	// Successor is the runtime the data recommends moving to, or "". It may
	// itself be missing from the table (cfn-lint names some successors it
	// lists no dates for).
	Successor string
}

// State classifies a runtime on a given day.
type State uint8

const (
	Unknown         State = iota // not in the table: neither supported nor deprecated as far as Bulwark knows
	Supported                    // more than WarningDays before its deprecation date
	DeprecatingSoon              // within WarningDays of its deprecation date
	Deprecated                   // on or after its deprecation date
)

var stateNames = [...]string{
	Unknown:         "unknown",
	Supported:       "supported",
	DeprecatingSoon: "deprecating soon",
	Deprecated:      "deprecated",
}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// Status is where a runtime stands on a given day.
type Status struct {
	State   State
	Runtime Runtime // the zero Runtime when State is Unknown
	// Date is the deprecation date: ahead for Supported and DeprecatingSoon,
	// past for Deprecated; zero for Unknown.
	Date time.Time
	// CreateBlocked and UpdateBlocked report whether, on that day, Lambda
	// already refuses to create or update functions on the runtime. Either
	// can be true before Date for runtimes whose blocks came first.
	CreateBlocked bool
	UpdateBlocked bool
}

// StatusAt returns where the runtime stands at the instant now. The
// identifier must be exactly as Lambda spells it ("python3.9", not
// "Python 3.9"); anything else is Unknown.
func StatusAt(id string, now time.Time) Status {
	r, ok := Lookup(id)
	if !ok {
		return Status{State: Unknown}
	}
	status := Status{
		State:         Supported,
		Runtime:       r,
		Date:          r.Deprecated,
		CreateBlocked: reached(now, r.CreateBlocked),
		UpdateBlocked: reached(now, r.UpdateBlocked),
	}
	switch {
	case reached(now, r.Deprecated):
		status.State = Deprecated
	case reached(now, r.Deprecated.AddDate(0, 0, -WarningDays)):
		status.State = DeprecatingSoon
	}
	return status
}

// reached reports whether now is at or after a known date.
func reached(now, date time.Time) bool {
	return !date.IsZero() && !now.Before(date)
}

// Lookup returns the lifecycle of the runtime with exactly this identifier.
func Lookup(id string) (Runtime, bool) {
	table := loadTable()
	i, found := slices.BinarySearchFunc(table.runtimes, id, func(r Runtime, id string) int { return strings.Compare(r.ID, id) })
	if !found {
		return Runtime{}, false
	}
	return table.runtimes[i], true
}

// All returns every runtime in the table, sorted by identifier.
func All() []Runtime {
	return slices.Clone(loadTable().runtimes)
}

// SourceInfo says where the embedded table comes from.
type SourceInfo struct {
	Package string // "cfn-lint"
	Version string // the cfn-lint release the data was taken from
	License string // its SPDX licence identifier, "MIT-0"
	File    string // the file inside the package
}

// Source returns the origin of the embedded lifecycle table.
func Source() SourceInfo {
	return loadTable().source
}

type table struct {
	source   SourceInfo
	runtimes []Runtime // sorted by ID
}

var loadTable = sync.OnceValue(func() table {
	t, err := parseTable(lifecycleTable)
	if err != nil {
		// Generated and embedded at build time, and loaded by the tests.
		panic(fmt.Sprintf("runtimes: embedded lifecycle table: %v", err))
	}
	return t
})

// parseTable reads the generated table: tab-separated lines,
//
//	source  PACKAGE VERSION LICENSE FILE
//	runtime ID DEPRECATED CREATE-BLOCKED UPDATE-BLOCKED SUCCESSOR
//
// with dates as YYYY-MM-DD (blocks and successor may be empty), sorted by
// ID, and '#' starting comment lines.
func parseTable(text string) (table, error) {
	var t table
	for number, line := range numberedLines(text) {
		fields := strings.Split(line, "\t")
		switch {
		case fields[0] == "source" && len(fields) == 5:
			t.source = SourceInfo{Package: fields[1], Version: fields[2], License: fields[3], File: fields[4]}
		case fields[0] == "runtime" && len(fields) == 6:
			r := Runtime{ID: fields[1], Successor: fields[5]}
			var err error
			if r.Deprecated, err = parseDate(fields[2], true); err == nil {
				if r.CreateBlocked, err = parseDate(fields[3], false); err == nil {
					r.UpdateBlocked, err = parseDate(fields[4], false)
				}
			}
			if err != nil {
				return table{}, fmt.Errorf("line %d: runtime %s: %w", number, r.ID, err)
			}
			if n := len(t.runtimes); n > 0 && t.runtimes[n-1].ID >= r.ID {
				return table{}, fmt.Errorf("line %d: runtime %s out of order", number, r.ID)
			}
			t.runtimes = append(t.runtimes, r)
		default:
			return table{}, fmt.Errorf("line %d: malformed record %q", number, line)
		}
	}
	if t.source.Package == "" || len(t.runtimes) == 0 {
		return table{}, fmt.Errorf("no source record or no runtimes")
	}
	return t, nil
}

func parseDate(field string, required bool) (time.Time, error) {
	if field == "" && !required {
		return time.Time{}, nil
	}
	return time.Parse(time.DateOnly, field) // a date without a zone parses as UTC
}

// numberedLines yields the non-empty, non-comment lines of text with their
// 1-based line numbers.
func numberedLines(text string) iter.Seq2[int, string] {
	return func(yield func(int, string) bool) {
		number := 0
		for line := range strings.Lines(text) {
			number++
			line = strings.TrimSuffix(line, "\n")
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			if !yield(number, line) {
				return
			}
		}
	}
}
