package ruledoc

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulwark-sec/bulwark/internal/rule"
	"github.com/bulwark-sec/bulwark/internal/rules"
)

// TestCommittedRuleDocsAreCurrent fails when docs/rules no longer matches
// the rule definitions; regenerate with `go run ./cmd/bulwark docs docs/rules`.
func TestCommittedRuleDocsAreCurrent(t *testing.T) {
	dir := filepath.Join("..", "..", "docs", "rules")
	want := Files(rules.All())
	for name, content := range want {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("%s is missing: run `go run ./cmd/bulwark docs docs/rules`", name)
			continue
		}
		if string(got) != content {
			t.Errorf("docs/rules/%s is stale: run `go run ./cmd/bulwark docs docs/rules`", name)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if _, ok := want[e.Name()]; !ok {
			t.Errorf("docs/rules/%s documents no rule: delete it", e.Name())
		}
	}
}

func TestEveryRuleIsDocumentedCompletely(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range rules.All() {
		if seen[r.ID] || seen[r.Name] {
			t.Errorf("%s: duplicate ID or name", r.ID)
		}
		seen[r.ID], seen[r.Name] = true, true
		for field, v := range map[string]string{"Name": r.Name, "Title": r.Title, "Rationale": r.Rationale, "Remediation": r.Remediation, "Example": r.Example, "Where": r.Where} {
			if strings.TrimSpace(v) == "" {
				t.Errorf("%s: %s is empty", r.ID, field)
			}
		}
	}
}

func TestMarkdownNamesTheRuleAndTheFix(t *testing.T) {
	md := Markdown(&rule.Rule{ID: "BW999", Name: "x-y", Severity: rule.High, Title: "T", Rationale: "R", Remediation: "Fix it", Example: "a: b", Where: "T A",
		Equivalents: rule.Equivalents{Checkov: []string{"CKV_AWS_1"}}})
	for _, want := range []string{"# BW999 x-y", "| high | templates, live account (audit) |", "Fix it", "```yaml\na: b\n```", "`CKV_AWS_1`", "bulwark:ignore BW999"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}
