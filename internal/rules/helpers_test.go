package rules

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/bulwark-sec/bulwark/internal/load"
	"github.com/bulwark-sec/bulwark/internal/rule"
)

// runRule writes files (name → content) into a temporary folder, loads them
// the way `bulwark scan` does (SAM expanded, intrinsics evaluated) and
// returns the findings of r, sorted by position.
func runRule(t *testing.T, r *rule.Rule, files map[string]string) []rule.Finding {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, err := load.Paths([]string{dir}, load.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Errors {
		t.Fatalf("load error: %v", e)
	}
	var out []rule.Finding
	r.Run(&rule.Pass{App: res.App, Rule: r, Now: testNow, Report: func(f rule.Finding) { out = append(out, f) }})
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i].Location.Pos, out[j].Location.Pos
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	return out
}

// template is the usual single-file case.
func template(src string) map[string]string { return map[string]string{"template.yaml": src} }

// lines returns the line of each finding, for compact assertions.
func lines(fs []rule.Finding) []int {
	out := make([]int, len(fs))
	for i, f := range fs {
		out[i] = f.Location.Pos.Line
	}
	return out
}

// testNow is the fixed date rule tests run at, so date-aware rules are
// reproducible.
var testNow = time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
