package iam

import (
	"slices"
	"strings"
	"testing"

	"github.com/bulwark-sec/bulwark/internal/cfn"
	"github.com/bulwark-sec/bulwark/internal/iamdata"
	"github.com/bulwark-sec/bulwark/internal/model"
	"github.com/bulwark-sec/bulwark/internal/source"
)

// parseYAML parses a policy document written as YAML (or JSON).
func parseYAML(t *testing.T, src string) (*Document, []*source.Error) {
	t.Helper()
	d, err := source.Parse("policy.yaml", []byte(src), source.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return ParseDocument(d.Root)
}

// buildApp models a plain CloudFormation template, intrinsics evaluated,
// the way `bulwark scan` does after loading.
func buildApp(t *testing.T, src string) *model.App {
	t.Helper()
	d, err := source.Parse("template.yaml", []byte(src), source.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	tmpl, _ := cfn.Parse(d.Path, d.Root)
	return model.Build([]model.Input{{Name: "template.yaml", Kind: "cloudformation", Doc: d, Template: tmpl}})
}

func TestParseDocumentAcceptsEveryLegalForm(t *testing.T) {
	cases := []struct {
		name       string
		src        string
		statements int
		check      func(t *testing.T, d *Document)
	}{
		{name: "statement object, string values", statements: 1, src: `
Version: "2012-10-17"
Statement:
  Effect: Allow
  Action: s3:GetObject
  Resource: arn:aws:s3:::b/*
`, check: func(t *testing.T, d *Document) {
			s := d.Statements[0]
			if s.Effect != Allow || len(s.Actions) != 1 || s.Actions[0].Text != "s3:GetObject" || s.Resources[0].Pos.Line != 6 {
				t.Errorf("statement = %+v", s)
			}
		}},
		{name: "lists, NotAction, NotResource, Sid, condition", statements: 1, src: `
Statement:
  - Sid: Guard
    Effect: Deny
    NotAction: [s3:GetObject, s3:PutObject]
    NotResource: [arn:aws:s3:::b/*]
    Condition:
      Bool: {aws:SecureTransport: "false"}
      StringNotEquals: {aws:SourceVpc: [vpc-1, vpc-2]}
`, check: func(t *testing.T, d *Document) {
			s := d.Statements[0]
			if !s.NotAction || !s.NotResource || s.Sid != "Guard" || len(s.Conditions) != 2 || len(s.Conditions[1].Values) != 2 {
				t.Errorf("statement = %+v", s)
			}
			if !s.HasCondition("AWS:SourceVPC") {
				t.Error("condition keys should compare case-insensitively")
			}
			if s.Applies(lookupID(t, "s3:GetObject")) || !s.Applies(lookupID(t, "s3:DeleteObject")) {
				t.Error("NotAction should apply to every action but the ones named")
			}
		}},
		{name: "every principal shape", statements: 4, src: `
Statement:
  - {Effect: Allow, Principal: "*", Action: sts:AssumeRole}
  - Effect: Allow
    Principal: {AWS: [arn:aws:iam::111122223333:root, "444455556666"], Service: lambda.amazonaws.com}
    Action: sts:AssumeRole
  - {Effect: Allow, Principal: {Federated: cognito-identity.amazonaws.com}, Action: sts:AssumeRoleWithWebIdentity}
  - {Effect: Allow, NotPrincipal: {CanonicalUser: abc123}, Action: s3:GetObject, Resource: "*"}
`, check: func(t *testing.T, d *Document) {
			var got []string
			for _, s := range d.Statements {
				for _, p := range s.Principals {
					got = append(got, p.Type+"="+p.Value.Text)
				}
			}
			want := []string{"*=*", "AWS=arn:aws:iam::111122223333:root", "AWS=444455556666", "Service=lambda.amazonaws.com",
				"Federated=cognito-identity.amazonaws.com", "CanonicalUser=abc123"}
			if !slices.Equal(got, want) {
				t.Errorf("principals = %v, want %v", got, want)
			}
			if !d.Statements[3].NotPrincipal {
				t.Error("NotPrincipal not recorded")
			}
		}},
		{name: "document as a JSON string", statements: 1,
			src: `'{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"*"}]}'`,
			check: func(t *testing.T, d *Document) {
				if d.Statements[0].Actions[0].Pos.Line != 1 {
					t.Errorf("a string document's values should point at the string: %v", d.Statements[0].Actions[0].Pos)
				}
			}},
		{name: "undecided Fn::If keeps both branches", statements: 2, src: `
Statement:
  - Fn::If:
    - IsProd
    - {Effect: Allow, Action: s3:GetObject, Resource: "*"}
    - {Ref: AWS::NoValue}
  - Effect: Allow
    Action:
      Fn::If: [IsProd, dynamodb:GetItem, dynamodb:PutItem]
    Resource: "*"
`, check: func(t *testing.T, d *Document) {
			if d.Statements[0].IfCondition != "IsProd" || !d.Statements[0].Conditional() {
				t.Errorf("statement under Fn::If should carry its condition: %+v", d.Statements[0])
			}
			acts := d.Statements[1].Actions
			if len(acts) != 2 || acts[0].IfCondition != "IsProd" {
				t.Errorf("actions = %+v, want both branches", acts)
			}
		}},
		{name: "symbolic resource keeps its refs", statements: 1, src: `
Statement:
  - Effect: Allow
    Action: dynamodb:GetItem
    Resource: {Fn::GetAtt: [Table, Arn]}
`, check: func(t *testing.T, d *Document) {
			r := d.Statements[0].Resources[0]
			if r.Text != "${?}" || !r.Symbolic {
				t.Errorf("an unevaluated intrinsic should stay symbolic: %+v", r)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, diags := parseYAML(t, c.src)
			if len(diags) > 0 {
				t.Fatalf("diagnostics: %v", diags)
			}
			if len(d.Statements) != c.statements {
				t.Fatalf("got %d statements, want %d", len(d.Statements), c.statements)
			}
			c.check(t, d)
		})
	}
}

func lookupID(t *testing.T, action string) iamdata.ActionID {
	t.Helper()
	a, ok := iamdata.Lookup(action)
	if !ok {
		t.Fatalf("%s is not an action", action)
	}
	return a.ID
}

func TestParseDocumentReportsMalformedDocumentsWithPositions(t *testing.T) {
	cases := []struct {
		name, src string
		line      int
		msg       string
	}{
		{"not an object", `[1, 2]`, 1, "must be an object"},
		{"no statement", "Version: \"2012-10-17\"\n", 1, "no Statement"},
		{"bad effect", "Statement:\n  - Effect: Maybe\n    Action: s3:GetObject\n", 2, `not "Maybe"`},
		{"missing effect", "Statement:\n  - Action: s3:GetObject\n", 2, "no Effect"},
		{"action and notaction", "Statement:\n  - Effect: Allow\n    Action: a:b\n    NotAction: a:c\n", 4, "both Action and NotAction"},
		{"malformed action", "Statement:\n  - Effect: Allow\n    Action: [s3GetObject]\n    Resource: \"*\"\n", 3, "not of the form service:name"},
		{"bad principal", "Statement:\n  - Effect: Allow\n    Principal: {Robot: x}\n", 3, "unknown principal type"},
		{"bad condition", "Statement:\n  - Effect: Allow\n    Action: s3:GetObject\n    Condition: {StringEquals: x}\n", 4, "must map keys to values"},
		{"nested lists", "Statement:\n  - Effect: Allow\n    Action: [[s3:GetObject]]\n", 3, "must hold strings"},
		{"string that is not JSON", `"not json {"`, 1, "not a JSON object"},
		{"unknown element", "Statement:\n  - Effect: Allow\n    Actions: s3:GetObject\n", 3, `unknown statement element "Actions"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, diags := parseYAML(t, c.src)
			for _, d := range diags {
				if strings.Contains(d.Msg, c.msg) {
					if d.Pos.Line != c.line {
						t.Errorf("%q reported at line %d, want %d", d.Msg, d.Pos.Line, c.line)
					}
					return
				}
			}
			t.Errorf("no diagnostic mentioning %q in %v", c.msg, diags)
		})
	}
}

func FuzzParseDocumentNeverPanics(f *testing.F) {
	for _, seed := range []string{
		`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`,
		`{"Statement":{"Effect":"Deny","NotAction":["s3:*"],"NotResource":"x","Principal":{"AWS":["*"]},"Condition":{"Bool":{"k":true}}}}`,
		`{"Statement":[{"Fn::If":["C",{"Effect":"Allow"},{"Ref":"AWS::NoValue"}]}]}`,
		`"{\"Statement\":[]}"`, `[]`, `{"Statement":[null, 1, "x", {"Effect": ["Allow"]}]}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, src string) {
		d, err := source.Parse("fuzz.json", []byte(src), source.Limits{MaxFileBytes: 1 << 16})
		if err != nil {
			return
		}
		doc, _ := ParseDocument(d.Root)
		p := NewPermissions([]*Policy{{Name: "fuzz", Kind: KindInline, Document: doc}}, nil)
		p.Decide("s3:GetObject", "arn:aws:s3:::b/k")
		p.Escalations()
	})
}
