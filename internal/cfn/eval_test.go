package cfn

import (
	"strings"
	"testing"

	"github.com/bulwark-sec/bulwark/internal/source"
)

const evalTemplate = `
Parameters:
  Env: {Type: String, Default: prod}
  Secret: {Type: String, NoEcho: true}
  Subnets: {Type: CommaDelimitedList, Default: "subnet-a, subnet-b"}
Mappings:
  Sizes:
    prod: {Memory: "1024"}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [!Condition IsProd]
  HasSecret: !Not [!Equals [!Ref Secret, ""]]
  Loop: !Condition Loop
  Both: !And [!Condition IsProd, !Condition HasSecret]
  Either: !Or [!Condition IsProd, !Condition HasSecret]
Resources:
  Table: {Type: AWS::DynamoDB::Table}
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Values:
        ref-param: !Ref Env
        ref-noecho: !Ref Secret
        ref-resource: !Ref Table
        ref-pseudo: !Ref AWS::Region
        getatt: !GetAtt Table.Arn
        sub: !Sub "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${Table}"
        sub-known: !Sub "${Env}-app"
        sub-vars: !Sub ["${A}-${B}", {A: x, B: !Ref Env}]
        sub-literal: !Sub "${!Literal}-${Env}"
        sub-getatt: !Sub "${Table.Arn}/index/*"
        join: !Join ["-", [a, !Ref Env]]
        join-symbol: !Join [":", [arn, !Ref AWS::Partition]]
        select: !Select [1, !Ref Subnets]
        split: !Select [0, !Split [",", "x,y"]]
        if-true: !If [IsProd, big, small]
        if-false: !If [IsDev, big, small]
        if-unknown: !If [HasSecret, yes-secret, no-secret]
        findinmap: !FindInMap [Sizes, !Ref Env, Memory]
        import: !ImportValue shared-vpc
        base64: !Base64 "echo hi"
        cond-and: !If [Both, x, y]
        cond-or: !If [Either, x, y]
      Dropped:
        Kept: a
        Gone: !Ref AWS::NoValue
      List: [a, !Ref AWS::NoValue, b]
`

func evalValues(t *testing.T, overrides map[string]string) (*source.Node, *Evaluator) {
	t.Helper()
	doc, err := source.Parse("t.yaml", []byte(evalTemplate), source.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	tmpl, warns := Parse("t.yaml", doc.Root)
	if len(warns) > 0 {
		t.Fatalf("parse warnings: %v", warns)
	}
	e := NewEvaluator(tmpl, overrides)
	return e.Eval(tmpl.Resource("Fn").Properties), e
}

func TestEvalResolvesWhatTheTemplateFixesAndKeepsTheRestSymbolic(t *testing.T) {
	props, e := evalValues(t, nil)
	tests := []struct {
		key      string
		kind     source.Kind
		value    string
		wantRefs string
	}{
		{"ref-param", source.String, "prod", "Env"},
		{"ref-noecho", source.Symbol, "${Secret}", "Secret"},
		{"ref-resource", source.Symbol, "${Table}", "Table"},
		{"ref-pseudo", source.Symbol, "${AWS::Region}", "AWS::Region"},
		{"getatt", source.Symbol, "${Table.Arn}", "Table"},
		{"sub", source.Symbol, "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${Table}", "AWS::Partition,AWS::Region,AWS::AccountId,Table"},
		{"sub-known", source.String, "prod-app", "Env"},
		{"sub-vars", source.String, "x-prod", "Env"},
		{"sub-literal", source.String, "${Literal}-prod", "Env"},
		{"sub-getatt", source.Symbol, "${Table.Arn}/index/*", "Table"},
		{"join", source.String, "a-prod", "Env"},
		{"join-symbol", source.Symbol, "arn:${AWS::Partition}", "AWS::Partition"},
		{"select", source.String, "subnet-b", "Subnets"},
		{"split", source.String, "x", ""},
		{"if-true", source.String, "big", ""},
		{"if-false", source.String, "small", ""},
		{"findinmap", source.String, "1024", "Env"},
		{"import", source.Symbol, "${Import:shared-vpc}", ""},
		{"base64", source.String, "echo hi", ""},
		{"cond-or", source.String, "x", ""},
	}
	values := props.Get("Values")
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			v := values.Get(tt.key)
			if v == nil {
				t.Fatal("missing")
			}
			if v.Kind != tt.kind || v.Value != tt.value {
				t.Errorf("got %v %q, want %v %q", v.Kind, v.Value, tt.kind, tt.value)
			}
			if got := strings.Join(v.Refs, ","); got != tt.wantRefs {
				t.Errorf("refs %q, want %q", got, tt.wantRefs)
			}
		})
	}
	for _, key := range []string{"if-unknown", "cond-and"} {
		name, arg, ok := values.Get(key).Intrinsic()
		if !ok || name != "Fn::If" || arg.Items[1].Kind != source.String || arg.Items[2].Kind != source.String {
			t.Errorf("%s: an unknown condition must keep both evaluated branches, got %+v", key, values.Get(key))
		}
	}
	if d := props.Get("Dropped"); d.Get("Gone") != nil || d.Get("Kept") == nil {
		t.Errorf("AWS::NoValue must remove the key: %v", d.Keys())
	}
	if l := props.Get("List"); len(l.Items) != 2 {
		t.Errorf("AWS::NoValue must remove the list item: %d items", len(l.Items))
	}
	for _, w := range e.Warnings {
		t.Errorf("unexpected warning: %v", w)
	}
}

func TestParameterOverridesWinOverDefaults(t *testing.T) {
	props, _ := evalValues(t, map[string]string{"Env": "dev", "Secret": "s3cr3t", "Subnets": "s1,s2,s3"})
	v := props.Get("Values")
	for key, want := range map[string]string{"ref-param": "dev", "ref-noecho": "s3cr3t", "if-true": "small", "if-false": "big", "select": "s2", "if-unknown": "yes-secret"} {
		if got, _ := v.Get(key).Str(); got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
}

func TestConditionCyclesEndInUnknownWithWarning(t *testing.T) {
	_, e := evalValues(t, nil)
	if got := e.Condition("Loop", source.Pos{}); got != Unknown {
		t.Errorf("Loop = %v, want Unknown", got)
	}
	if len(e.Warnings) == 0 || !strings.Contains(e.Warnings[0].Msg, "depends on itself") {
		t.Errorf("warnings = %v", e.Warnings)
	}
}

func TestMalformedIntrinsicsWarnInsteadOfFailing(t *testing.T) {
	tests := []string{
		`{"Fn::Join": "x"}`, `{"Fn::Select": [5, [a]]}`, `{"Fn::Sub": 3}`, `{"Fn::GetAtt": []}`,
		`{"Fn::If": [Nope, a, b]}`, `{"Fn::FindInMap": [M, a, b]}`, `{"Ref": "Missing"}`, `{"Fn::Sub": "${Unclosed"}`,
		`{"Fn::Split": [",", {"Ref": "AWS::Region"}]}`, `{"Ref": ["list"]}`,
	}
	for _, src := range tests {
		t.Run(src, func(t *testing.T) {
			doc, err := source.Parse("t.yaml", []byte("Resources: {}\nV: "+src+"\n"), source.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			tmpl, _ := Parse("t.yaml", doc.Root)
			e := NewEvaluator(tmpl, nil)
			v := e.Eval(doc.Root.Get("V"))
			if v == nil {
				t.Fatal("nil result")
			}
			if len(e.Warnings) == 0 && v.Kind != source.Symbol {
				t.Errorf("no warning and a concrete value %+v", v)
			}
		})
	}
}

func TestEvalDoesNotCopyTreesWithoutIntrinsics(t *testing.T) {
	doc, _ := source.Parse("t.yaml", []byte("Resources: {}\nV: {a: [1, 2, {b: c}]}\n"), source.Limits{})
	tmpl, _ := Parse("t.yaml", doc.Root)
	v := doc.Root.Get("V")
	if got := NewEvaluator(tmpl, nil).Eval(v); got != v {
		t.Error("a subtree without intrinsics was copied")
	}
}

func TestDynamicRefs(t *testing.T) {
	tests := []struct {
		in     string
		want   []DynamicRef
		secure bool
	}{
		{"{{resolve:secretsmanager:MySecret:SecretString:password}}", []DynamicRef{{"secretsmanager", "MySecret:SecretString:password"}}, true},
		{"pre-{{resolve:ssm:/app/url}}-post", []DynamicRef{{"ssm", "/app/url"}}, false},
		{"{{resolve:ssm-secure:/db/pass:1}}", []DynamicRef{{"ssm-secure", "/db/pass:1"}}, true},
		{"plain", nil, false},
	}
	for _, tt := range tests {
		got := DynamicRefs(tt.in)
		if len(got) != len(tt.want) {
			t.Fatalf("%q: got %v", tt.in, got)
		}
		for i := range got {
			if got[i] != tt.want[i] || got[i].Secure() != tt.secure {
				t.Errorf("%q: got %+v", tt.in, got[i])
			}
		}
	}
}

func TestIsTemplate(t *testing.T) {
	tests := []struct {
		src  string
		want bool
	}{
		{"Resources:\n  A: {Type: AWS::SNS::Topic}\n", true},
		{"AWSTemplateFormatVersion: '2010-09-09'\n", true},
		{`{"name": "pkg", "version": "1.0.0"}`, false},
		{"service: x\nprovider: {name: aws}\n", false},
		{"Resources: [1]\n", false},
	}
	for _, tt := range tests {
		doc, err := source.Parse("t", []byte(tt.src), source.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if got := IsTemplate(doc.Root); got != tt.want {
			t.Errorf("IsTemplate(%q) = %v, want %v", tt.src, got, tt.want)
		}
	}
}

func FuzzEval(f *testing.F) {
	f.Add([]byte(evalTemplate))
	f.Add([]byte(`{"Resources": {"A": {"Type": "X", "Properties": {"P": {"Fn::Sub": ["${a}", {"a": {"Fn::If": ["C", 1, 2]}}]}}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := source.Parse("f", data, source.Limits{MaxNodes: 100_000})
		if err != nil {
			return
		}
		tmpl, _ := Parse("f", doc.Root)
		e := NewEvaluator(tmpl, nil)
		for _, r := range tmpl.Resources {
			e.ResourceIncluded(r)
			e.Eval(r.Node)
		}
		for name := range tmpl.Conditions {
			e.Condition(name, source.Pos{})
		}
	})
}

func TestTextRendersScalarsSymbolsAndStructures(t *testing.T) {
	tests := []struct {
		in   *source.Node
		want string
	}{
		{nil, ""},
		{&source.Node{Kind: source.String, Value: "arn:aws:s3:::b"}, "arn:aws:s3:::b"},
		{&source.Node{Kind: source.Number, Value: "10"}, "10"},
		{&source.Node{Kind: source.Symbol, Value: "${Table.Arn}"}, "${Table.Arn}"},
		{source.NewSeq(source.Pos{}, source.NewString("a", source.Pos{}), source.NewString("b", source.Pos{})), `["a","b"]`},
		{source.NewMap(source.Pos{}, source.Field{Key: "k", Value: source.NewString("v", source.Pos{})}), `{"k":"v"}`},
	}
	for _, tt := range tests {
		if got := Text(tt.in); got != tt.want {
			t.Errorf("Text(%+v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
