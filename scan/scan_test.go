package scan

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-sec/bulwark/internal/rule"
	"github.com/bulwark-sec/bulwark/internal/rules"
)

// testRule flags every function whose runtime is python3.9, at the Runtime
// line: enough to exercise the driver without the real catalog.
var testRule = &rule.Rule{
	ID: "BW990", Name: "test-old-python", Severity: rule.High, Title: "t", Rationale: "r", Remediation: "Upgrade.", Example: "e", Where: "T",
	Equivalents: rule.Equivalents{Checkov: []string{"CKV_AWS_363"}, CfnNag: []string{"W89"}, CdkNag: []string{"AwsSolutions-L1"}},
	Run: func(p *rule.Pass) {
		for _, f := range p.App.Functions {
			if f.Runtime == "python3.9" {
				p.Reportf(rule.AtFunction(f, f.Resource.Prop("Runtime").Pos), f.Runtime, "%s uses python3.9", f.Name)
			}
		}
	},
}

var panicRule = &rule.Rule{ID: "BW991", Name: "test-panics", Severity: rule.Low, Title: "t", Run: func(p *rule.Pass) {
	panic("boom")
}}

func useCatalog(t *testing.T, rs ...*rule.Rule) {
	t.Helper()
	old := catalog
	catalog = func() []*rule.Rule { return append([]*rule.Rule{rules.SuppressionWithoutReason}, rs...) }
	t.Cleanup(func() { catalog = old })
}

func fn(name, extra string) string {
	return "  " + name + ":\n" + extra + "    Type: AWS::Lambda::Function\n    Properties:\n      Runtime: python3.9\n      Handler: a.h\n      Role: arn:aws:iam::1:role/r\n      Code: {ZipFile: x}\n"
}

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func ids(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		who := f.Function
		if who == "" {
			who = f.Resource
		}
		out = append(out, f.RuleID+"@"+who)
	}
	return out
}

func TestSuppressionsFromEverySourceNeedAReason(t *testing.T) {
	useCatalog(t, testRule)
	tmpl := "Resources:\n" +
		fn("Plain", "") +
		fn("MetaOK", "    Metadata: {bulwark: {skip: [{id: BW990, reason: migrating next sprint}]}}\n") +
		fn("MetaNoReason", "    Metadata: {bulwark: {skip: [{id: BW990}]}}\n") +
		fn("Checkov", "    Metadata: {checkov: {skip: [{id: CKV_AWS_363, comment: pinned by vendor}]}}\n") +
		fn("CfnNag", "    Metadata: {cfn_nag: {rules_to_suppress: [{id: W89, reason: legacy}]}}\n") +
		fn("CdkNag", "    Metadata: {cdk_nag: {rules_to_suppress: [{id: AwsSolutions-L1, reason: legacy}]}}\n") +
		fn("OtherTool", "    Metadata: {checkov: {skip: [{id: CKV_AWS_1, comment: unrelated}]}}\n") +
		"  # bulwark:ignore BW990 accepted until the rewrite\n" + fn("CommentAbove", "") +
		fn("CommentNoReason", "") + "" +
		fn("ByConfig", "")
	tmpl = strings.Replace(tmpl, "  CommentNoReason:\n", "  CommentNoReason: # bulwark:ignore BW990\n", 1)
	dir := writeFiles(t, map[string]string{"template.yaml": tmpl, ".bulwark.yml": `
ignore:
  - rule: BW990
    path: "*.yaml"
    resource: ByConfig
    reason: owned by another team
  - rules: [BW990]
    resource: Plain
    reason: expired entry
    expires: 2020-01-01
`})
	cfg, err := LoadConfig(filepath.Join(dir, ".bulwark.yml"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run([]string{dir}, Options{Config: cfg, Now: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]string{}
	for _, f := range res.Suppressed {
		kinds[f.Function] = f.Suppression.Kind
	}
	want := map[string]string{"MetaOK": "metadata", "Checkov": "checkov", "CfnNag": "cfn_nag", "CdkNag": "cdk_nag", "CommentAbove": "comment", "ByConfig": "config"}
	for fn, kind := range want {
		if kinds[fn] != kind {
			t.Errorf("%s: suppressed by %q, want %q", fn, kinds[fn], kind)
		}
	}
	if len(kinds) != len(want) {
		t.Errorf("suppressed %v, want exactly %v", kinds, want)
	}
	counted := ids(res.Findings)
	for _, w := range []string{"BW990@Plain", "BW990@MetaNoReason", "BW990@OtherTool", "BW990@CommentNoReason"} {
		if !slices.Contains(counted, w) {
			t.Errorf("%s must still be reported; got %v", w, counted)
		}
	}
	var missing int
	for _, f := range res.Findings {
		if f.RuleID == "BW000" {
			missing++
		}
	}
	if missing != 2 {
		t.Errorf("%d BW000 findings, want 2 (metadata and comment without reason)", missing)
	}
	if len(res.Warnings) == 0 || !strings.Contains(res.Warnings[len(res.Warnings)-1].Message, "expired") {
		t.Errorf("an expired ignore entry must be reported: %v", res.Warnings)
	}
}

func TestBaselineSurvivesMovedLines(t *testing.T) {
	useCatalog(t, testRule)
	dir := writeFiles(t, map[string]string{"t.yaml": "Resources:\n" + fn("A", "") + fn("B", "")})
	first, err := Run([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	bl := NewBaseline(first)
	data, _ := bl.JSON()
	blPath := filepath.Join(t.TempDir(), "baseline.json")
	os.WriteFile(blPath, data, 0o644)
	loaded, err := LoadBaseline(blPath)
	if err != nil {
		t.Fatal(err)
	}
	// Move everything down and add a new problem.
	os.WriteFile(filepath.Join(dir, "t.yaml"), []byte("Description: moved\n\n\nResources:\n"+fn("C", "")+fn("B", "")+fn("A", "")), 0o644)
	second, err := Run([]string{dir}, Options{Baseline: loaded})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(second.Findings); !slices.Equal(got, []string{"BW990@C"}) {
		t.Errorf("counted %v, want only the new function C", got)
	}
	if len(second.Suppressed) != 2 || second.Suppressed[0].Suppression.Kind != "baseline" {
		t.Errorf("suppressed %+v", second.Suppressed)
	}
}

func TestARulePanicBecomesADiagnostic(t *testing.T) {
	useCatalog(t, testRule, panicRule)
	dir := writeFiles(t, map[string]string{"t.yaml": "Resources:\n" + fn("A", "")})
	res, err := Run([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 {
		t.Errorf("the other rules must still report: %v", ids(res.Findings))
	}
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Message, "rule BW991 stopped") {
		t.Errorf("errors %v", res.Errors)
	}
}

func TestRuleSelection(t *testing.T) {
	useCatalog(t, testRule, panicRule)
	dir := writeFiles(t, map[string]string{"t.yaml": "Resources:\n" + fn("A", "")})
	for _, tc := range []struct {
		name      string
		opts      Options
		wantRules []string
		wantErr   bool
	}{
		{"all", Options{}, []string{"BW000", "BW990", "BW991"}, false},
		{"only by ID", Options{Rules: []string{"bw990"}}, []string{"BW990"}, false},
		{"only by name", Options{Rules: []string{"test-old-python"}}, []string{"BW990"}, false},
		{"skip", Options{SkipRules: []string{"BW991"}}, []string{"BW000", "BW990"}, false},
		{"config skip", Options{Config: &Config{SkipRules: []string{"BW991", "BW000"}}}, []string{"BW990"}, false},
		{"unknown", Options{Rules: []string{"BW123"}}, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Run([]string{dir}, tc.opts)
			if tc.wantErr {
				if err == nil {
					t.Fatal("want an error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range res.Rules {
				got = append(got, r.ID)
			}
			if !slices.Equal(got, tc.wantRules) {
				t.Errorf("rules %v, want %v", got, tc.wantRules)
			}
		})
	}
}

func TestFindingsAreDeterministicAndSorted(t *testing.T) {
	useCatalog(t, testRule)
	dir := writeFiles(t, map[string]string{"b.yaml": "Resources:\n" + fn("B2", "") + fn("B1", ""), "a.yaml": "Resources:\n" + fn("A1", "")})
	r1, _ := Run([]string{dir}, Options{})
	r2, _ := Run([]string{dir}, Options{})
	if !slices.Equal(ids(r1.Findings), ids(r2.Findings)) {
		t.Error("order differs between runs")
	}
	if got := ids(r1.Findings); !slices.Equal(got, []string{"BW990@A1", "BW990@B2", "BW990@B1"}) {
		t.Errorf("order %v, want by file then line", got)
	}
	if r1.Findings[0].SourceLine != "      Runtime: python3.9" {
		t.Errorf("source line %q", r1.Findings[0].SourceLine)
	}
}

func TestConfigIsFoundUpwardAndRejectsTypos(t *testing.T) {
	dir := writeFiles(t, map[string]string{".bulwark.yml": "fail-on: high\n", "app/sub/t.yaml": "x: 1\n", "bad/.bulwark.yml": "fail_on: high\n"})
	p, err := FindConfig(filepath.Join(dir, "app", "sub", "t.yaml"))
	if err != nil || p != filepath.Join(dir, ".bulwark.yml") {
		t.Fatalf("FindConfig = %q, %v", p, err)
	}
	if _, err := LoadConfig(filepath.Join(dir, "bad", ".bulwark.yml")); err == nil || !strings.Contains(err.Error(), "fail_on") {
		t.Errorf("a misspelt key must be an error naming it: %v", err)
	}
	if _, err := LoadConfig(filepath.Join(dir, ".bulwark.yml")); err != nil {
		t.Error(err)
	}
}

func TestGlobMatch(t *testing.T) {
	for _, tc := range []struct {
		glob, path string
		want       bool
	}{
		{"*.yaml", "t.yaml", true},
		{"*.yaml", "a/t.yaml", false},
		{"**/*.yaml", "a/b/t.yaml", true},
		{"**/*.yaml", "t.yaml", true},
		{"services/**", "services/x/y.json", true},
		{"services/*/template.yaml", "services/a/template.yaml", true},
		{"services/*/template.yaml", "other/a/template.yaml", false},
	} {
		if got := globMatch(strings.Split(tc.glob, "/"), strings.Split(tc.path, "/")); got != tc.want {
			t.Errorf("glob %q path %q = %v, want %v", tc.glob, tc.path, got, tc.want)
		}
	}
}

func TestMalformedPolicyDocumentsAreReported(t *testing.T) {
	useCatalog(t, testRule)
	dir := writeFiles(t, map[string]string{"t.yaml": `Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]}
      Policies:
        - PolicyName: broken
          PolicyDocument: {Statement: [{Effect: Perhaps, Action: 5}]}
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: a.h, Role: !GetAtt Role.Arn, Code: {ZipFile: x}}
`})
	res, err := Run([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) == 0 {
		t.Error("a policy statement IAM cannot read must be reported as a warning")
	}
	for _, w := range res.Warnings {
		if w.Line == 0 {
			t.Errorf("warning without a line: %s", w)
		}
	}
}
