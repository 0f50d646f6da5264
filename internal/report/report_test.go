package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/bulwark-sec/bulwark/internal/rule"
	"github.com/bulwark-sec/bulwark/scan"
)

var testRule = &rule.Rule{ID: "BW203", Name: "lambda-url-no-auth", Severity: rule.High, Title: "Function URL without auth",
	Rationale: "Anyone can call it.", Remediation: "Set AuthType: AWS_IAM. Then sign requests.", Example: "AuthType: AWS_IAM", Where: "T A"}

func sampleResult() *scan.Result {
	f := scan.Finding{RuleID: "BW203", Rule: "lambda-url-no-auth", Severity: scan.High, Title: testRule.Title,
		Message: "function URL of Orders has AuthType NONE | anyone can invoke it", File: "app/template.yaml", Line: 12, Column: 9,
		Stack: "app/template.yaml", Resource: "Orders", Function: "Orders", Evidence: "NONE", Fix: testRule.Remediation,
		Fingerprint: "0123456789abcdef0123456789abcdef", SourceLine: "        AuthType: NONE"}
	low := f
	low.RuleID, low.Severity, low.Line, low.Message = "BW203", scan.Low, 3, "a low one"
	sup := f
	sup.Line, sup.Suppression = 20, &scan.Suppression{Kind: "comment", Reason: "public webhook, HMAC-verified"}
	fw := f
	fw.Line, fw.Framework, fw.CDKPath = 30, "BucketDeployment", "Stack/Custom::CDKBucketDeployment/Resource"
	return &scan.Result{
		Findings: []scan.Finding{low, f}, Suppressed: []scan.Finding{sup}, Framework: []scan.Finding{fw},
		Errors: []scan.Diagnostic{{File: "app/broken.yaml", Line: 4, Column: 2, Message: "invalid YAML: x"}},
		Files:  []string{"app/template.yaml"}, Rules: []*rule.Rule{testRule},
	}
}

func render(t *testing.T, format string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, format, sampleResult(), Options{Version: "test"}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestSARIFIsValidAgainstTheOfficialSchema(t *testing.T) {
	schemaPath := filepath.Join("..", "..", "..", "shared", "schemas", "sarif-2.1.0.json")
	if _, err := os.Stat(schemaPath); err != nil {
		t.Skipf("SARIF schema not found at %s: this test needs ../shared/schemas", schemaPath)
	}
	c := jsonschema.NewCompiler()
	sch, err := c.Compile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(render(t, "sarif")))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(doc); err != nil {
		t.Fatalf("SARIF output does not validate: %v", err)
	}
}

func TestSARIFCarriesRulesFingerprintsAndSuppressions(t *testing.T) {
	var log sarifLog
	if err := json.Unmarshal(render(t, "sarif"), &log); err != nil {
		t.Fatal(err)
	}
	run := log.Runs[0]
	if len(run.Tool.Driver.Rules) != 1 || run.Tool.Driver.Rules[0].HelpURI != HelpURI("BW203") {
		t.Errorf("rules %+v", run.Tool.Driver.Rules)
	}
	if len(run.Results) != 4 {
		t.Fatalf("%d results, want counted + framework + suppressed = 4", len(run.Results))
	}
	var suppressed int
	for _, r := range run.Results {
		if r.PartialFingerprints["bulwark/v1"] == "" {
			t.Error("result without fingerprint")
		}
		if len(r.Suppressions) == 1 && r.Suppressions[0].Kind == "inSource" && r.Suppressions[0].Justification != "" {
			suppressed++
		}
	}
	if suppressed != 1 {
		t.Errorf("%d suppressed results, want 1", suppressed)
	}
	if run.Invocations[0].ExecutionSuccessful {
		t.Error("an input error must mark the invocation unsuccessful")
	}
}

func TestJUnitIsWellFormedAndCountsFailures(t *testing.T) {
	var suites junitSuites
	if err := xml.Unmarshal(render(t, "junit"), &suites); err != nil {
		t.Fatal(err)
	}
	if suites.Failures != 2 || suites.Errors != 1 {
		t.Errorf("failures %d errors %d, want 2 and 1", suites.Failures, suites.Errors)
	}
	if suites.Suites[0].Skipped != 1 {
		t.Errorf("suppressed finding must be a skipped case: %+v", suites.Suites[0])
	}
}

func TestJSONReportIsVersionedAndComplete(t *testing.T) {
	var rep map[string]any
	if err := json.Unmarshal(render(t, "json"), &rep); err != nil {
		t.Fatal(err)
	}
	if rep["schemaVersion"].(float64) != JSONSchemaVersion {
		t.Errorf("schemaVersion %v", rep["schemaVersion"])
	}
	f := rep["findings"].([]any)[1].(map[string]any)
	for _, key := range []string{"ruleId", "severity", "message", "file", "line", "fix", "fingerprint", "helpUri"} {
		if _, ok := f[key]; !ok {
			t.Errorf("finding lacks %q", key)
		}
	}
	if f["severity"] != "high" {
		t.Errorf("severity %v", f["severity"])
	}
	if len(rep["frameworkFindings"].([]any)) != 1 || len(rep["suppressed"].([]any)) != 1 {
		t.Error("framework and suppressed findings must be listed apart")
	}
}

func TestTextGroupsByFileAndFunctionWithSourceAndFix(t *testing.T) {
	out := string(render(t, "text"))
	for _, want := range []string{
		"error: app/broken.yaml:4:2: invalid YAML: x",
		"app/template.yaml\n  Orders\n    3:9  low      BW203 a low one",
		"| AuthType: NONE",
		"fix: Set AuthType: AWS_IAM.",
		"not counted",
		"2 findings (1 high, 1 low) in 1 templates; 1 suppressed, 1 on CDK framework resources not counted, 1 input errors",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("colour without Options.Color")
	}
}

func TestMarkdownEscapesTableCells(t *testing.T) {
	out := string(render(t, "markdown"))
	if !strings.Contains(out, `AuthType NONE \| anyone`) {
		t.Errorf("pipe not escaped:\n%s", out)
	}
	if !strings.Contains(out, "| high | [BW203]") {
		t.Errorf("table row missing:\n%s", out)
	}
}

func TestOutputIsDeterministic(t *testing.T) {
	for _, f := range Formats {
		if a, b := render(t, f), render(t, f); !bytes.Equal(a, b) {
			t.Errorf("%s output differs between runs", f)
		}
	}
}

func TestUnknownFormatIsAnError(t *testing.T) {
	if err := Write(&bytes.Buffer{}, "yaml", sampleResult(), Options{}); err == nil {
		t.Error("want an error")
	}
}
