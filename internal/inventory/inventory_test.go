package inventory_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulwark-sec/bulwark/internal/inventory"
	"github.com/bulwark-sec/bulwark/internal/load"
)

const app = `Parameters:
  Token: {Type: String, NoEcho: true}
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Statement: {Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}}
      Policies: [{PolicyName: p, PolicyDocument: {Statement: {Effect: Allow, Action: s3:GetObject, Resource: "*"}}}]
  A:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: a.h
      Role: !GetAtt Role.Arn
      Code: {ZipFile: x}
      Environment: {Variables: {PLAIN: hello, TOKEN: !Ref Token}}
  B:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: a.h, Role: !GetAtt Role.Arn, Code: {ZipFile: x}}
`

func build(t *testing.T, opts inventory.Options) *inventory.Inventory {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "t.yaml"), []byte(app), 0o644); err != nil {
		t.Fatal(err)
	}
	return buildDir(t, dir, opts)
}

func buildDir(t *testing.T, dir string, opts inventory.Options) *inventory.Inventory {
	t.Helper()
	res, err := load.Paths([]string{dir}, load.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return inventory.Build(res.App, opts)
}

func TestEnvironmentValuesAreRedactedUnlessAskedFor(t *testing.T) {
	for _, show := range []bool{false, true} {
		inv := build(t, inventory.Options{ShowValues: show})
		env := inv.Functions[0].Environment
		if len(env) != 2 || env[0].Name != "PLAIN" {
			t.Fatalf("environment %+v", env)
		}
		want := inventory.Redacted
		if show {
			want = "hello"
		}
		if env[0].Value != want {
			t.Errorf("show=%v: PLAIN = %q, want %q", show, env[0].Value, want)
		}
		if len(env[1].From) != 1 || env[1].From[0] != "Token" {
			t.Errorf("TOKEN must say it comes from the Token parameter: %+v", env[1])
		}
	}
}

func TestSharedRoleAndStatementsAreShown(t *testing.T) {
	inv := build(t, inventory.Options{})
	a := inv.Functions[0]
	if a.Role == nil || len(a.Role.SharedWith) != 1 || a.Role.SharedWith[0] != "B" {
		t.Fatalf("role %+v", a.Role)
	}
	if len(a.Role.Policies) != 1 || len(a.Role.Policies[0].Statements) != 1 || len(a.Role.Trust) != 1 {
		t.Errorf("a single statement object must count as a list of one: %+v", a.Role)
	}
	var text bytes.Buffer
	if err := inv.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"A (AWS::Lambda::Function)", "shared with: B", `"Action":"s3:GetObject"`, "environment: PLAIN, TOKEN"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
}

func TestJSONIsVersioned(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "t.yaml"), []byte(app), 0o644); err != nil {
		t.Fatal(err)
	}
	data, err := buildDir(t, dir, inventory.Options{}).JSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if doc["schemaVersion"] != float64(inventory.SchemaVersion) {
		t.Errorf("schemaVersion %v", doc["schemaVersion"])
	}
	if !bytes.Equal(data, must(buildDir(t, dir, inventory.Options{}).JSON())) {
		t.Error("JSON differs between runs")
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
