package runtimes

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func day(date string) time.Time {
	t, err := time.Parse(time.DateOnly, date)
	if err != nil {
		panic(err)
	}
	return t
}

func TestStatusAtFollowsTheLifecycleDates(t *testing.T) {
	newYork := time.FixedZone("UTC-5", -5*60*60)
	tests := []struct {
		name        string
		runtime     string
		now         time.Time
		want        State
		wantDate    string // deprecation date
		wantCreate  bool
		wantUpdate  bool
		wantSuccess string
	}{
		// python3.9: deprecated 2025-12-15, creates blocked 2026-06-01, updates 2026-07-01.
		{"91 days ahead is supported", "python3.9", day("2025-09-15"), Supported, "2025-12-15", false, false, "python3.14"},
		{"90 days ahead warns", "python3.9", day("2025-09-16"), DeprecatingSoon, "2025-12-15", false, false, "python3.14"},
		{"last second before deprecation warns", "python3.9", day("2025-12-15").Add(-time.Second), DeprecatingSoon, "2025-12-15", false, false, "python3.14"},
		{"deprecation day is deprecated", "python3.9", day("2025-12-15"), Deprecated, "2025-12-15", false, false, "python3.14"},
		{"creates blocked", "python3.9", day("2026-06-01"), Deprecated, "2025-12-15", true, false, "python3.14"},
		{"updates blocked", "python3.9", day("2026-07-01"), Deprecated, "2025-12-15", true, true, "python3.14"},
		{"instant in another zone counts in UTC", "python3.9", time.Date(2025, 12, 14, 20, 0, 0, 0, newYork), Deprecated, "2025-12-15", false, false, "python3.14"},

		// nodejs4.3 had creates blocked a month before its deprecation date.
		{"blocked before deprecation", "nodejs4.3", day("2020-02-10"), DeprecatingSoon, "2020-03-05", true, false, "nodejs24.x"},

		{"current runtime", "nodejs24.x", day("2026-11-21"), Supported, "2028-04-30", false, false, ""},
		{"go1.x", "go1.x", day("2026-11-21"), Deprecated, "2024-01-08", true, true, "provided.al2023"},
		{"provided.al2", "provided.al2", day("2026-04-01"), DeprecatingSoon, "2026-06-30", false, false, "provided.al2023"},
		{"java8", "java8", day("2023-01-01"), Supported, "2024-01-08", false, false, "java25"},
		{"dotnet6", "dotnet6", day("2025-01-01"), Deprecated, "2024-12-20", false, false, "dotnet9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := StatusAt(tt.runtime, tt.now)
			if got.State != tt.want || !got.Date.Equal(day(tt.wantDate)) {
				t.Errorf("StatusAt(%q, %v) = %v on %v, want %v on %s", tt.runtime, tt.now, got.State, got.Date, tt.want, tt.wantDate)
			}
			if got.CreateBlocked != tt.wantCreate || got.UpdateBlocked != tt.wantUpdate {
				t.Errorf("blocked: create %v update %v, want %v %v", got.CreateBlocked, got.UpdateBlocked, tt.wantCreate, tt.wantUpdate)
			}
			if got.Runtime.ID != tt.runtime || got.Runtime.Successor != tt.wantSuccess {
				t.Errorf("runtime %q successor %q, want %q %q", got.Runtime.ID, got.Runtime.Successor, tt.runtime, tt.wantSuccess)
			}
		})
	}
}

func TestStatusAtReportsUnlistedRuntimesAsUnknown(t *testing.T) {
	now := day("2026-11-21")
	// dotnet9 is named as a successor but the data gives it no dates.
	for _, id := range []string{"", "python4.0", "Python3.9", "python3.9 ", "python", "dotnet9", "nodejs99.x"} {
		got := StatusAt(id, now)
		if got != (Status{State: Unknown}) {
			t.Errorf("StatusAt(%q) = %+v, want only State Unknown", id, got)
		}
		if _, ok := Lookup(id); ok {
			t.Errorf("Lookup(%q) found a runtime", id)
		}
	}
}

func TestLookupReturnsTheRecordedDates(t *testing.T) {
	r, ok := Lookup("nodejs18.x")
	if !ok {
		t.Fatal("nodejs18.x not found")
	}
	want := Runtime{ID: "nodejs18.x", Deprecated: day("2025-09-01"), CreateBlocked: day("2026-06-01"), UpdateBlocked: day("2026-07-01"), Successor: "nodejs24.x"}
	if r != want {
		t.Errorf("Lookup(nodejs18.x) = %+v, want %+v", r, want)
	}
}

func TestAllListsEveryRuntimeSorted(t *testing.T) {
	all := All()
	if len(all) < 40 {
		t.Fatalf("All() returned %d runtimes, want the whole table (over 40)", len(all))
	}
	ids := make([]string, len(all))
	for i, r := range all {
		ids[i] = r.ID
		if r.Deprecated.IsZero() {
			t.Errorf("%s has no deprecation date", r.ID)
		}
	}
	if !slices.IsSorted(ids) {
		t.Error("All() is not sorted by ID")
	}
	for _, want := range []string{"python3.9", "nodejs18.x", "go1.x", "provided.al2", "java8", "dotnet6", "ruby3.4"} {
		if !slices.Contains(ids, want) {
			t.Errorf("All() lacks %s", want)
		}
	}
	all[0].ID = "modified"
	if All()[0].ID == "modified" {
		t.Error("All() returned shared storage")
	}
}

func TestSourceNamesCfnLint(t *testing.T) {
	src := Source()
	if src.Package != "cfn-lint" || src.License != "MIT-0" || src.Version == "" || !strings.HasSuffix(src.File, "LmbdRuntimeLifecycle.json") {
		t.Errorf("Source() = %+v", src)
	}
}

func TestStateStrings(t *testing.T) {
	want := map[State]string{Unknown: "unknown", Supported: "supported", DeprecatingSoon: "deprecating soon", Deprecated: "deprecated", State(9): "State(9)"}
	for state, name := range want {
		if got := state.String(); got != name {
			t.Errorf("State(%d).String() = %q, want %q", uint8(state), got, name)
		}
	}
}

func TestParseTableRejectsMalformedTables(t *testing.T) {
	const source = "source\tcfn-lint\t1.0\tMIT-0\tf.json\n"
	tests := map[string]string{
		"bad date":            source + "runtime\tpython3.9\t2025-13-01\t\t\t\n",
		"missing deprecation": source + "runtime\tpython3.9\t\t\t\t\n",
		"out of order":        source + "runtime\tb\t2025-01-01\t\t\t\nruntime\ta\t2025-01-01\t\t\t\n",
		"missing field":       source + "runtime\tpython3.9\t2025-01-01\t\t\n",
		"no source":           "runtime\tpython3.9\t2025-01-01\t\t\t\n",
		"no runtimes":         source,
		"unknown record":      source + "runtime\ta\t2025-01-01\t\t\t\nlayer\tx\n",
	}
	for name, text := range tests {
		if _, err := parseTable(text); err == nil {
			t.Errorf("%s: parseTable accepted %q", name, text)
		}
	}
	good := source + "# comment\nruntime\ta\t2025-01-01\t\t\t\n"
	got, err := parseTable(good)
	if err != nil || len(got.runtimes) != 1 || !got.runtimes[0].CreateBlocked.IsZero() {
		t.Errorf("parseTable(%q) = %+v, %v", good, got, err)
	}
}
