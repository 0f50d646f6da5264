package source

import (
	"errors"
	"strings"
	"testing"
)

func mustParse(t *testing.T, src string) *Document {
	t.Helper()
	doc, err := Parse("t.yaml", []byte(src), Limits{})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return doc
}

func TestShortFormTagsBecomeLongForm(t *testing.T) {
	tests := []struct {
		name, yaml, fn string
		check          func(arg *Node) bool
	}{
		{"Ref", "v: !Ref Param", "Ref", func(a *Node) bool { return a.Value == "Param" }},
		{"GetAtt dotted", "v: !GetAtt Table.StreamArn", "Fn::GetAtt", func(a *Node) bool {
			return len(a.Items) == 2 && a.Items[0].Value == "Table" && a.Items[1].Value == "StreamArn"
		}},
		{"GetAtt nested attribute keeps later dots", "v: !GetAtt Db.Endpoint.Address", "Fn::GetAtt", func(a *Node) bool {
			return a.Items[1].Value == "Endpoint.Address"
		}},
		{"GetAtt list", "v: !GetAtt [Table, Arn]", "Fn::GetAtt", func(a *Node) bool { return len(a.Items) == 2 }},
		{"Sub string", "v: !Sub 'arn:${AWS::Partition}:s3:::${B}'", "Fn::Sub", func(a *Node) bool { return a.Kind == String }},
		{"Sub list", "v: !Sub ['${X}', {X: !Ref Y}]", "Fn::Sub", func(a *Node) bool {
			name, _, ok := a.Items[1].Get("X").Intrinsic()
			return a.Kind == Seq && ok && name == "Ref"
		}},
		{"Join", "v: !Join [',', [a, b]]", "Fn::Join", func(a *Node) bool { return len(a.Items) == 2 }},
		{"If", "v: !If [C, a, b]", "Fn::If", func(a *Node) bool { return len(a.Items) == 3 }},
		{"Select", "v: !Select [0, !GetAZs '']", "Fn::Select", func(a *Node) bool {
			n, _, _ := a.Items[1].Intrinsic()
			return n == "Fn::GetAZs"
		}},
		{"Split", "v: !Split [',', 'a,b']", "Fn::Split", func(a *Node) bool { return len(a.Items) == 2 }},
		{"FindInMap", "v: !FindInMap [M, K, V]", "Fn::FindInMap", func(a *Node) bool { return len(a.Items) == 3 }},
		{"Base64", "v: !Base64 hello", "Fn::Base64", func(a *Node) bool { return a.Value == "hello" }},
		{"Cidr", "v: !Cidr ['10.0.0.0/16', 4, 8]", "Fn::Cidr", func(a *Node) bool { return len(a.Items) == 3 }},
		{"ImportValue", "v: !ImportValue shared-vpc", "Fn::ImportValue", func(a *Node) bool { return a.Value == "shared-vpc" }},
		{"Condition", "v: !Condition IsProd", "Condition", func(a *Node) bool { return a.Value == "IsProd" }},
		{"And", "v: !And [!Condition A, !Condition B]", "Fn::And", func(a *Node) bool { return len(a.Items) == 2 }},
		{"Or", "v: !Or [!Condition A, !Condition B]", "Fn::Or", func(a *Node) bool { return len(a.Items) == 2 }},
		{"Not", "v: !Not [!Condition A]", "Fn::Not", func(a *Node) bool { return len(a.Items) == 1 }},
		{"Equals", "v: !Equals [!Ref Env, prod]", "Fn::Equals", func(a *Node) bool { return len(a.Items) == 2 }},
		{"numbers under a tag stay text", "v: !Ref 123", "Ref", func(a *Node) bool { return a.Kind == String && a.Value == "123" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := mustParse(t, tt.yaml)
			fn, arg, ok := doc.Root.Get("v").Intrinsic()
			if !ok || fn != tt.fn {
				t.Fatalf("got intrinsic %q (ok=%v), want %q", fn, ok, tt.fn)
			}
			if !tt.check(arg) {
				t.Errorf("argument has the wrong shape: %+v", arg)
			}
		})
	}
}

func TestPositionsPointAtWhatTheUserWrote(t *testing.T) {
	src := "Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Role: !GetAtt R.Arn\n"
	for _, tc := range []struct {
		name string
		src  string
	}{{"yaml", src}, {"json", `{
  "Resources": {
    "Fn": {"Type": "AWS::Serverless::Function",
      "Properties": {"Role": {"Fn::GetAtt": ["R", "Arn"]}}}}}`}} {
		t.Run(tc.name, func(t *testing.T) {
			doc := mustParse(t, tc.src)
			fn := doc.Root.Get("Resources").Get("Fn")
			typ := fn.Get("Type")
			role := fn.Get("Properties").Get("Role")
			if typ.Pos.Line != 3 || role.Pos.Line < 4 {
				t.Errorf("Type at %v, Role at %v", typ.Pos, role.Pos)
			}
			if tc.name == "yaml" && (typ.Pos.Column != 11 || role.Pos.Column != 13) {
				t.Errorf("columns: Type %v Role %v", typ.Pos, role.Pos)
			}
			if tc.name == "json" && typ.Pos.Column != 20 {
				t.Errorf("json column of Type value = %d, want 20", typ.Pos.Column)
			}
			if typ.Pos.File != "t.yaml" {
				t.Errorf("file = %q", typ.Pos.File)
			}
		})
	}
}

func TestScalarKinds(t *testing.T) {
	doc := mustParse(t, "a: 1\nb: 1.5\nc: true\nd: ~\ne: 'true'\nf: yes\ng: \"1\"\n")
	want := map[string]Kind{"a": Number, "b": Number, "c": Bool, "d": Null, "e": String, "f": String, "g": String}
	for k, kind := range want {
		if got := doc.Root.Get(k).Kind; got != kind {
			t.Errorf("%s: kind %v, want %v", k, got, kind)
		}
	}
	j, err := Parse("t.json", []byte(`{"a": 1, "b": -2.5e3, "c": false, "d": null, "e": "x\u00e9\n\ud83d\ude00"}`), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if j.Root.Get("b").Kind != Number || j.Root.Get("b").Value != "-2.5e3" || j.Root.Get("e").Value != "xé\n😀" {
		t.Errorf("json scalars: %+v %+v", j.Root.Get("b"), j.Root.Get("e"))
	}
}

func TestDuplicateKeysLoadWithWarningAndLastValue(t *testing.T) {
	for _, src := range []string{"a: 1\nb: 2\na: 3\n", `{"a": 1, "b": 2, "a": 3}`} {
		doc := mustParse(t, src)
		if got := doc.Root.Get("a").Value; got != "3" {
			t.Errorf("%q: a = %q, want 3", src, got)
		}
		if len(doc.Root.Fields) != 2 {
			t.Errorf("%q: %d fields, want 2", src, len(doc.Root.Fields))
		}
		if len(doc.Warnings) != 1 || !strings.Contains(doc.Warnings[0].Msg, `duplicate key "a"`) {
			t.Errorf("%q: warnings %v", src, doc.Warnings)
		}
	}
}

func TestAnchorsAliasesAndMergeKeys(t *testing.T) {
	doc := mustParse(t, "base: &b {x: 1, y: 2}\nuse: *b\nmerged:\n  <<: *b\n  y: 3\n")
	if doc.Root.Get("use").Get("x").Value != "1" {
		t.Error("alias not expanded")
	}
	m := doc.Root.Get("merged")
	if m.Get("x").Value != "1" || m.Get("y").Value != "3" {
		t.Errorf("merge: x=%v y=%v", m.Get("x"), m.Get("y"))
	}
	if len(doc.Warnings) != 0 {
		t.Errorf("merge keys must not warn: %v", doc.Warnings)
	}
}

func TestHostileInputEndsInBoundedError(t *testing.T) {
	bomb := "a: &a [x,x,x,x,x,x,x,x,x,x]\n"
	prev := "a"
	for _, name := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		bomb += name + ": &" + name + " [" + strings.Repeat("*"+prev+",", 9) + "*" + prev + "]\n"
		prev = name
	}
	deepJSON := strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
	deepYAML := strings.Repeat("[", 10000) + strings.Repeat("]", 10000)
	tests := []struct {
		name, src, want string
	}{
		{"alias bomb", bomb, "alias bomb"},
		{"deep json", deepJSON, "nesting deeper"},
		{"deep yaml flow", "x: " + deepYAML, ""},
		{"huge file", "", "byte limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := []byte(tt.src)
			lim := Limits{}
			if tt.name == "huge file" {
				data = make([]byte, 100<<20)
			}
			_, err := Parse("h.yaml", data, lim)
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("want a positioned *Error, got %v", err)
			}
			if tt.want != "" && !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

func TestSyntaxErrorsArePositioned(t *testing.T) {
	tests := []struct {
		name, src string
		line, col int
	}{
		// yaml.v3 reports the line of the enclosing block for indentation errors.
		{"yaml bad indent", "a:\n  b: 1\n c: 2\n", 2, 3},
		{"yaml tab", "a:\n\tb: 1\n", 2, 2},
		{"json missing comma", "{\n  \"a\": 1\n  \"b\": 2\n}", 3, 3},
		{"json trailing garbage", "{}\n}", 2, 1},
		{"json bad literal", "{\"a\": tru}", 1, 7},
		{"json unterminated", "{\"a\": \"x", 1, 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("bad", []byte(tt.src), Limits{})
			var perr *Error
			if !errors.As(err, &perr) {
				t.Fatalf("want *Error, got %v", err)
			}
			if perr.Pos.Line != tt.line || perr.Pos.Column != tt.col {
				t.Errorf("error at %d:%d, want %d:%d (%v)", perr.Pos.Line, perr.Pos.Column, tt.line, tt.col, err)
			}
		})
	}
}

func TestEmptyAndMultiDocumentYAML(t *testing.T) {
	if doc := mustParse(t, ""); doc.Root.Kind != Null {
		t.Errorf("empty file root = %v", doc.Root.Kind)
	}
	doc := mustParse(t, "a: 1\n---\nb: 2\n")
	if doc.Root.Get("a") == nil || len(doc.Warnings) != 1 {
		t.Errorf("multi-document: root=%v warnings=%v", doc.Root.Keys(), doc.Warnings)
	}
}
