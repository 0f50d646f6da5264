package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A template whose only finding is a suppression without a reason (BW000,
// low), so these tests do not depend on the rest of the catalog.
const unreasonedSuppression = `Resources:
  Fn: # bulwark:ignore BW203
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: a.h, Role: arn:aws:iam::1:role/r, Code: {ZipFile: x}}
`

func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }, IsTerminal: func(io.Writer) bool { return false }}
	code = Main(args, env)
	return code, out.String(), errb.String()
}

func tempTree(t *testing.T, files map[string]string) string {
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

func TestExitCodes(t *testing.T) {
	dir := tempTree(t, map[string]string{"t.yaml": unreasonedSuppression})
	bad := tempTree(t, map[string]string{"t.yaml": "Resources:\n  Fn: [unclosed\n"})
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"findings at threshold", []string{"scan", "--rules", "BW000", "--fail-on", "low", dir}, ExitFindings},
		{"findings below threshold", []string{"scan", "--rules", "BW000", "--fail-on", "high", dir}, ExitClean},
		{"flags after paths", []string{"scan", dir, "--rules", "BW000", "--fail-on", "medium"}, ExitClean},
		{"input error", []string{"scan", "--rules", "BW000", bad}, ExitUsage},
		{"missing path", []string{"scan", filepath.Join(dir, "nope")}, ExitUsage},
		{"unknown flag", []string{"scan", "--frmat", "json", dir}, ExitUsage},
		{"unknown format", []string{"scan", "--format", "yaml", dir}, ExitUsage},
		{"bad severity", []string{"scan", "--fail-on", "urgent", dir}, ExitUsage},
		{"unknown rule", []string{"scan", "--rules", "BW123", dir}, ExitUsage},
		{"bad parameter", []string{"scan", "--parameter", "novalue", dir}, ExitUsage},
		{"unknown command", []string{"frobnicate"}, ExitUsage},
		{"no command", nil, ExitUsage},
		{"help", []string{"scan", "-h"}, ExitClean},
		{"explain unknown", []string{"explain", "BW123"}, ExitUsage},
		{"explain", []string{"explain", "BW000"}, ExitClean},
		{"rules", []string{"rules"}, ExitClean},
		{"inventory", []string{"inventory", dir}, ExitClean},
		{"inventory input error", []string{"inventory", bad}, ExitUsage},
		{"iam", []string{"iam", dir}, ExitClean},
		{"iam json", []string{"iam", "--format", "json", dir}, ExitClean},
		{"iam unknown function", []string{"iam", "--function", "Nope", dir}, ExitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := run(t, tt.args...)
			if code != tt.want {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.want, stderr)
			}
		})
	}
}

func TestOutputFilesAndStdoutFormat(t *testing.T) {
	dir := tempTree(t, map[string]string{"t.yaml": unreasonedSuppression})
	out := t.TempDir()
	sarif, junit := filepath.Join(out, "r.sarif"), filepath.Join(out, "r.xml")
	code, stdout, stderr := run(t, "scan", "--rules", "BW000", "--format", "json", "--output", "sarif="+sarif, "--output", "junit="+junit, dir)
	if code != ExitFindings {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var rep struct {
		Findings []struct{ RuleID string } `json:"findings"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || len(rep.Findings) != 1 || rep.Findings[0].RuleID != "BW000" {
		t.Fatalf("stdout is not the JSON report: %v\n%s", err, stdout)
	}
	for _, p := range []string{sarif, junit} {
		if data, err := os.ReadFile(p); err != nil || len(data) == 0 {
			t.Errorf("%s not written: %v", p, err)
		}
	}
}

func TestWriteThenUseBaseline(t *testing.T) {
	dir := tempTree(t, map[string]string{"t.yaml": unreasonedSuppression})
	bl := filepath.Join(t.TempDir(), "baseline.json")
	if code, _, stderr := run(t, "scan", "--rules", "BW000", "--write-baseline", bl, dir); code != ExitFindings {
		t.Fatalf("first run exit %d: %s", code, stderr)
	}
	if code, stdout, stderr := run(t, "scan", "--rules", "BW000", "--baseline", bl, dir); code != ExitClean {
		t.Fatalf("with baseline exit %d: %s\n%s", code, stderr, stdout)
	}
}

func TestConfigFileSetsThreshold(t *testing.T) {
	dir := tempTree(t, map[string]string{"t.yaml": unreasonedSuppression, ".bulwark.yml": "fail-on: critical\n"})
	if code, _, stderr := run(t, "scan", "--rules", "BW000", dir); code != ExitClean {
		t.Errorf("config fail-on ignored: exit %d %s", code, stderr)
	}
	if code, _, _ := run(t, "scan", "--rules", "BW000", "--fail-on", "low", dir); code != ExitFindings {
		t.Error("--fail-on must win over the config")
	}
	if code, _, _ := run(t, "scan", "--rules", "BW000", "--no-config", dir); code != ExitFindings {
		t.Error("--no-config must ignore the config")
	}
	broken := tempTree(t, map[string]string{"t.yaml": unreasonedSuppression, ".bulwark.yml": "fail_on: high\n"})
	if code, _, stderr := run(t, "scan", broken); code != ExitUsage || !strings.Contains(stderr, "fail_on") {
		t.Errorf("a bad config must be a usage error naming the key: %d %s", code, stderr)
	}
}

func TestNoColourWhenNotATerminal(t *testing.T) {
	dir := tempTree(t, map[string]string{"t.yaml": unreasonedSuppression})
	_, stdout, _ := run(t, "scan", "--rules", "BW000", dir)
	if strings.Contains(stdout, "\x1b[") {
		t.Error("colour codes written to a non-terminal")
	}
	var out bytes.Buffer
	env := Env{Stdout: &out, Stderr: io.Discard, Getenv: func(k string) string {
		if k == "NO_COLOR" {
			return "1"
		}
		return ""
	}, IsTerminal: func(io.Writer) bool { return true }}
	Main([]string{"scan", "--rules", "BW000", dir}, env)
	if strings.Contains(out.String(), "\x1b[") {
		t.Error("NO_COLOR not honoured")
	}
}

func TestParameterFiles(t *testing.T) {
	dir := tempTree(t, map[string]string{
		"cfn.json":        `[{"ParameterKey": "Env", "ParameterValue": "prod"}, {"ParameterKey": "Size", "ParameterValue": "2"}]`,
		"config.json":     `{"Parameters": {"Env": "prod", "Size": "2"}}`,
		"samconfig.toml":  "version = 0.1\n[default.deploy.parameters]\nparameter_overrides = \"Env=prod Size=\\\"2\\\"\"\n",
		"samconfig.yaml":  "version: 0.1\ndefault:\n  deploy:\n    parameters:\n      parameter_overrides:\n        - Env=prod\n        - Size=2\n",
		"nothing.json":    `{"a": 1}`,
		"list-toml.toml":  "[default.deploy.parameters]\nparameter_overrides = [\"Env=prod\", \"Size=2\"]\n",
		"missing-po.toml": "[default.deploy.parameters]\nstack_name = \"x\"\n",
	})
	for _, name := range []string{"cfn.json", "config.json", "samconfig.toml", "samconfig.yaml", "list-toml.toml"} {
		got, err := readParameterFile(filepath.Join(dir, name))
		if err != nil || got["Env"] != "prod" || got["Size"] != "2" {
			t.Errorf("%s: %v %v", name, got, err)
		}
	}
	for _, name := range []string{"nothing.json", "missing-po.toml", "absent.json"} {
		if _, err := readParameterFile(filepath.Join(dir, name)); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}
