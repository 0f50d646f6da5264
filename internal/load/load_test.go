package load

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const fnTemplate = `AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: a.h, Role: arn:aws:iam::1:role/r, Code: {ZipFile: x}}
`

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func relFiles(t *testing.T, dir string, files []string) []string {
	var out []string
	for _, f := range files {
		r, err := filepath.Rel(dir, f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, filepath.ToSlash(r))
	}
	return out
}

func TestWalkFindsTemplatesByContentAndSkipsBuildFolders(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"template.yaml":                     fnTemplate,
		"infra/stack.json":                  `{"Resources": {"T": {"Type": "AWS::SNS::Topic"}}}`,
		"infra/no-extension":                fnTemplate,
		"package.json":                      `{"name": "app", "version": "1.0.0"}`,
		"config.yaml":                       "service: x\nprovider: {name: aws}\n",
		"src/handler.py":                    "Resources = 1",
		"node_modules/dep/template.yaml":    fnTemplate,
		".aws-sam/build/template.yaml":      fnTemplate,
		".git/template.yaml":                fnTemplate,
		".serverless/cloudformation.json":   `{"Resources": {}}`,
		"sub/.terraform/modules/x.json":     `{"Resources": {}}`,
		"docs/readme.md":                    "Resources: lots",
		"infra/resources-but-not-cfn.yaml":  "Resources:\n  - a list, not a template\n",
		"infra/nested/deeper/template.yaml": fnTemplate,
	})
	res, err := Paths([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := relFiles(t, dir, res.Files)
	want := []string{"infra/nested/deeper/template.yaml", "infra/no-extension", "infra/stack.json", "template.yaml"}
	if !slices.Equal(got, want) {
		t.Errorf("files %v, want %v", got, want)
	}
	if len(res.Errors) != 0 {
		t.Errorf("errors: %v", res.Errors)
	}
	if len(res.App.Functions) != 3 {
		t.Errorf("functions: %d", len(res.App.Functions))
	}
}

func TestBadFileIsAPositionedErrorAndOthersStillLoad(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"a-good.yaml": fnTemplate,
		"b-bad.yaml":  "Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties: {Runtime: [unclosed\n",
		"c-good.yaml": fnTemplate,
	})
	res, err := Paths([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 1 || !strings.HasSuffix(res.Errors[0].Pos.File, "b-bad.yaml") || res.Errors[0].Pos.Line == 0 {
		t.Fatalf("errors %v, want one positioned error for b-bad.yaml", res.Errors)
	}
	if len(res.App.Functions) != 2 {
		t.Errorf("functions: %d, want 2", len(res.App.Functions))
	}
}

func TestExplicitNonTemplateFileIsAnError(t *testing.T) {
	dir := writeTree(t, map[string]string{"package.json": `{"name": "x"}`})
	res, err := Paths([]string{filepath.Join(dir, "package.json")}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 1 || !strings.Contains(res.Errors[0].Msg, "not a CloudFormation or SAM template") {
		t.Errorf("errors: %v", res.Errors)
	}
}

func TestMissingPathIsAUsageError(t *testing.T) {
	if _, err := Paths([]string{filepath.Join(t.TempDir(), "nope")}, Options{}); err == nil {
		t.Error("want an error for a missing path")
	}
}

func TestSymlinkLoopsEnd(t *testing.T) {
	dir := writeTree(t, map[string]string{"app/template.yaml": fnTemplate})
	if err := os.Symlink(dir, filepath.Join(dir, "app", "loop")); err != nil {
		t.Skipf("symlinks not supported here: %v", err)
	}
	if err := os.Symlink(filepath.Join(dir, "app"), filepath.Join(dir, "alias")); err != nil {
		t.Fatal(err)
	}
	res, err := Paths([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Files) != 1 {
		t.Errorf("files %v, want the template once", res.Files)
	}
}

func TestOutputOrderDoesNotDependOnScheduling(t *testing.T) {
	files := map[string]string{}
	for _, n := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		files[n+"/template.yaml"] = strings.Replace(fnTemplate, "Fn:", n+"Fn:", 1)
	}
	dir := writeTree(t, files)
	var first []string
	for i := range 5 {
		res, err := Paths([]string{dir}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, f := range res.App.Functions {
			names = append(names, f.Name)
		}
		if i == 0 {
			first = names
		} else if !slices.Equal(first, names) {
			t.Fatalf("run %d order %v differs from %v", i, names, first)
		}
	}
}

func TestParametersReachTheModel(t *testing.T) {
	dir := writeTree(t, map[string]string{"t.yaml": `Parameters:
  Runtime: {Type: String}
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Runtime: !Ref Runtime, Handler: a.h, Role: arn:aws:iam::1:role/r, Code: {ZipFile: x}}
`})
	res, err := Paths([]string{dir}, Options{Parameters: map[string]string{"Runtime": "nodejs22.x"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.App.Functions[0].Runtime; got != "nodejs22.x" {
		t.Errorf("runtime %q, want the override", got)
	}
}

func TestCDKAssemblyLoadsWithConstructPathsAndFrameworkMarks(t *testing.T) {
	res, err := Paths([]string{filepath.Join("..", "cdk", "testdata", "full")}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 0 {
		t.Fatalf("errors: %v", res.Errors)
	}
	var user, framework []string
	for _, f := range res.App.Functions {
		if f.FrameworkOwned() {
			framework = append(framework, f.Origin().Framework)
		} else {
			user = append(user, f.Origin().CDKPath)
		}
	}
	if !slices.Contains(user, "ShopStack/Orders/Resource") || !slices.Contains(framework, "LogRetention") {
		t.Errorf("user functions %v, framework functions %v", user, framework)
	}
	for _, st := range res.App.Stacks {
		if st.Kind != "cdk" {
			t.Errorf("stack %s kind %q, want cdk", st.Name, st.Kind)
		}
	}
}

func TestCyclicReferencesAndLoopsEndWithWarnings(t *testing.T) {
	dir := writeTree(t, map[string]string{"t.yaml": `Parameters:
  P: {Type: String, Default: !Ref P}
Conditions:
  A: !Condition B
  B: !And [!Condition A, !Equals [!Ref P, x]]
Resources:
  First:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub ["${X}-${Second.QueueName}", {X: !Sub "${First.QueueName}"}]
      Tags: [{Key: k, Value: !If [A, !Ref Second, !GetAtt First.Arn]}]
  Second:
    Type: AWS::SQS::Queue
    Condition: B
    Properties:
      QueueName: !GetAtt First.QueueName
      RedrivePolicy: {deadLetterTargetArn: !GetAtt Second.Arn}
  Fn:
    Type: AWS::Lambda::Function
    Condition: A
    Properties: {Runtime: python3.12, Handler: a.h, Role: !GetAtt Fn.Arn, Code: {ZipFile: x}}
`})
	res, err := Paths([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 0 {
		t.Errorf("errors: %v", res.Errors)
	}
	var cycle bool
	for _, w := range res.Warnings {
		cycle = cycle || strings.Contains(w.Msg, "depends on itself")
	}
	if !cycle {
		t.Errorf("a condition cycle must be reported: %v", res.Warnings)
	}
	if len(res.App.Functions) != 1 {
		t.Errorf("a function under an undecidable condition is kept: %d", len(res.App.Functions))
	}
}
