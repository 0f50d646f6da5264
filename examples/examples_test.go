// Package examples_test pins what `bulwark scan` reports on the shipped
// example apps: the exact findings of examples/vulnerable (which trips every
// template rule) and nothing at all for examples/hardened and
// examples/orders.
package examples_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-sec/bulwark/internal/rules"
	"github.com/bulwark-sec/bulwark/scan"
)

var update = flag.Bool("update", false, "rewrite the golden files from the current output")

// scanDate fixes the date for date-aware rules (BW801), so the golden file
// does not change as runtimes age.
var scanDate = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)

func scanExample(t *testing.T, dir string) *scan.Result {
	t.Helper()
	res, err := scan.Run([]string{dir}, scan.Options{Now: scanDate, IncludeFramework: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Errors {
		t.Errorf("input error: %s", e)
	}
	return res
}

func TestVulnerableExampleFindingsMatchGolden(t *testing.T) {
	res := scanExample(t, "vulnerable")
	var b strings.Builder
	for _, f := range res.Findings {
		fmt.Fprintf(&b, "%s %s:%d:%d %s %s\n", f.RuleID, filepath.ToSlash(f.File), f.Line, f.Column, f.Severity, f.Message)
	}
	golden := filepath.Join("vulnerable", "findings.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run `go test ./examples -update` to create it)", err)
	}
	if got := b.String(); got != string(want) {
		t.Errorf("findings differ from %s (run `go test ./examples -update` after checking the change):\n%s", golden, lineDiff(string(want), got))
	}
}

// TestVulnerableExampleTripsEveryTemplateRule keeps the example honest: each
// rule that templates can show fires at least once.
func TestVulnerableExampleTripsEveryTemplateRule(t *testing.T) {
	res := scanExample(t, "vulnerable")
	fired := map[string]bool{}
	for _, f := range res.Findings {
		fired[f.RuleID] = true
	}
	for _, r := range rules.All() {
		if r.Run == nil || !slices.Contains(strings.Fields(r.Where), "T") {
			continue
		}
		if !fired[r.ID] {
			t.Errorf("%s %s does not fire on examples/vulnerable", r.ID, r.Name)
		}
	}
}

func TestHardenedExamplesScanClean(t *testing.T) {
	for _, dir := range []string{"hardened", "orders"} {
		t.Run(dir, func(t *testing.T) {
			res := scanExample(t, dir)
			for _, f := range res.Findings {
				t.Errorf("%s:%d %s %s", f.File, f.Line, f.RuleID, f.Message)
			}
			if len(res.Suppressed) > 0 {
				t.Errorf("%d suppressed findings: a clean example must not need suppressions", len(res.Suppressed))
			}
		})
	}
}

func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for _, l := range w {
		if !slices.Contains(g, l) {
			b.WriteString("- " + l + "\n")
		}
	}
	for _, l := range g {
		if !slices.Contains(w, l) {
			b.WriteString("+ " + l + "\n")
		}
	}
	return b.String()
}
