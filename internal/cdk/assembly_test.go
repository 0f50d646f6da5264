package cdk

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulwark-sec/bulwark/internal/source"
)

// The fixtures full, bare and legacy were synthesised by the real AWS CDK
// from the app.js beside them (see testdata/regen.sh); broken and cycle are
// written by hand.

// loadFixture loads testdata/<name>/cdk.out, which must load without error.
func loadFixture(t testing.TB, name string) *Assembly {
	t.Helper()
	asm, err := Load(filepath.Join("testdata", name, "cdk.out"), source.Limits{})
	if err != nil {
		t.Fatalf("Load(%s): %v", name, err)
	}
	return asm
}

// loadClean loads a real fixture, which must load without warnings.
func loadClean(t testing.TB, name string) *Assembly {
	t.Helper()
	asm := loadFixture(t, name)
	for _, w := range asm.Warnings {
		t.Errorf("Load(%s): unexpected warning %v", name, w)
	}
	return asm
}

func stackNamed(t testing.TB, asm *Assembly, name string) *Stack {
	t.Helper()
	for _, s := range asm.Stacks {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("no stack %q in %s", name, asm.Dir)
	return nil
}

// locate returns the line and column of token in the first line of file that
// contains context, so that tests follow the fixtures' sources.
func locate(t *testing.T, file, context, token string) (line, col int) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for i, text := range strings.Split(string(data), "\n") {
		if strings.Contains(text, context) {
			c := strings.Index(text, token)
			if c < 0 {
				t.Fatalf("%s:%d: %q not found in %q", file, i+1, token, text)
			}
			return i + 1, c + 1
		}
	}
	t.Fatalf("%s: no line contains %q", file, context)
	return 0, 0
}

func TestLoadFindsEveryStackOfRealAssemblies(t *testing.T) {
	type stackWant struct {
		name, display, artifact, template string
		parent, parentResource            string
	}
	modern := []stackWant{
		{"ShopStack", "ShopStack", "ShopStack", "ShopStack.template.json", "", ""},
		{"ShopStack/Storage", "ShopStack/Storage", "ShopStack", "ShopStackStorageE7FA7242.nested.template.json",
			"ShopStack", "StorageNestedStackStorageNestedStackResource9807768E"},
		{"Prod-Edge", "Prod/Edge", "ProdEdge216B1454", "assembly-Prod/ProdEdge216B1454.template.json", "", ""},
	}
	tests := []struct {
		fixture string
		version string
		stacks  []stackWant
	}{
		{"full", "55.0.0", modern},
		{"bare", "55.0.0", modern}, // nested template found through the asset manifest
		{"legacy", "34.0.0", []stackWant{{"LegacyStack", "LegacyStack", "LegacyStack", "LegacyStack.template.json", "", ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			asm := loadClean(t, tt.fixture)
			if asm.Version != tt.version {
				t.Errorf("Version = %q, want %q", asm.Version, tt.version)
			}
			if len(asm.Stacks) != len(tt.stacks) {
				t.Fatalf("got %d stacks, want %d", len(asm.Stacks), len(tt.stacks))
			}
			for i, want := range tt.stacks {
				s := asm.Stacks[i]
				var parent string
				if s.Parent != nil {
					parent = s.Parent.Name
				}
				wantPath := filepath.Join("testdata", tt.fixture, "cdk.out", want.template)
				got := stackWant{s.Name, s.DisplayName, s.ArtifactID, s.TemplatePath, parent, s.ParentResource}
				want.template = wantPath
				if got != want {
					t.Errorf("stack %d = %+v\nwant %+v", i, got, want)
				}
				if s.Doc == nil || s.Doc.Path != wantPath {
					t.Errorf("stack %q: Doc not read from %s", s.Name, wantPath)
				}
				if s.Environment != "aws://unknown-account/unknown-region" {
					t.Errorf("stack %q: Environment = %q", s.Name, s.Environment)
				}
				if n := len(s.Doc.Root.Get("Resources").Fields); len(s.Resources) != n {
					t.Errorf("stack %q: %d resources, template has %d", s.Name, len(s.Resources), n)
				}
			}
		})
	}
}

func TestLoadReadsCDKPaths(t *testing.T) {
	tests := []struct {
		fixtures  []string
		stack, id string
		typ, path string
	}{
		{[]string{"full", "bare"}, "ShopStack", "OrdersA9B65338", "AWS::Lambda::Function", "ShopStack/Orders/Resource"},
		// The nested stack reuses the logical ID; bare tells them apart by
		// the template each stack construct records.
		{[]string{"full", "bare"}, "ShopStack/Storage", "OrdersA9B65338", "AWS::Lambda::Function", "ShopStack/Storage/Orders/Resource"},
		{[]string{"full", "bare"}, "ShopStack/Storage", "TableCD117FA1", "AWS::DynamoDB::Table", "ShopStack/Storage/Table/Resource"},
		{[]string{"full", "bare"}, "ShopStack", "PublicFunctionUrl6FA255D0", "AWS::Lambda::Url", "ShopStack/Public/FunctionUrl/Resource"},
		{[]string{"full", "bare"}, "ShopStack", "ApiordersGET54B35769", "AWS::ApiGateway::Method", "ShopStack/Api/Default/orders/GET/Resource"},
		{[]string{"full", "bare"}, "ShopStack", "StorageNestedStackStorageNestedStackResource9807768E", "AWS::CloudFormation::Stack",
			"ShopStack/Storage.NestedStack/Storage.NestedStackResource"},
		{[]string{"full", "bare"}, "Prod-Edge", "Handler886CB40B", "AWS::Lambda::Function", "Prod/Edge/Handler/Resource"},
		{[]string{"legacy"}, "LegacyStack", "WorkerServiceRoleDefaultPolicyAE71B5FA", "AWS::IAM::Policy", "LegacyStack/Worker/ServiceRole/DefaultPolicy/Resource"},
		{[]string{"broken"}, "Good/Child", "Queue", "AWS::SQS::Queue", "Good/Child/Queue/Resource"},
		{[]string{"broken"}, "good-stack", "ExternalStack", "AWS::CloudFormation::Stack", ""},
	}
	for _, tt := range tests {
		for _, fixture := range tt.fixtures {
			t.Run(fixture+"/"+tt.stack+"/"+tt.id, func(t *testing.T) {
				r, ok := stackNamed(t, loadFixture(t, fixture), tt.stack).Resources[tt.id]
				if !ok {
					t.Fatalf("no resource %s", tt.id)
				}
				if r.LogicalID != tt.id || r.Type != tt.typ || r.CDKPath != tt.path {
					t.Errorf("got %s %s %q, want %s %s %q", r.LogicalID, r.Type, r.CDKPath, tt.id, tt.typ, tt.path)
				}
				if r.Node == nil || r.Node.Pos.Line == 0 {
					t.Errorf("Node = %v, want the positioned definition", r.Node)
				}
			})
		}
	}
}

func TestLoadRecordsWhereUserCodeCreatedEachResource(t *testing.T) {
	full := filepath.Join("testdata", "full", "app.js")
	legacy := filepath.Join("testdata", "legacy", "app.js")
	tests := []struct {
		name      string
		fixtures  []string
		stack, id string
		// where the origin must be: a file, a line of it and a token on that
		// line; empty for no origin
		file, context, token string
	}{
		{"function", []string{"full", "bare"}, "ShopStack", "OrdersA9B65338",
			full, "const orders = new lambda.Function", "new"},
		{"policy added later", []string{"full", "bare"}, "ShopStack", "OrdersServiceRoleDefaultPolicy973CB326",
			full, "orders.addToRolePolicy", "addToRolePolicy"},
		{"function URL", []string{"full"}, "ShopStack", "PublicFunctionUrl6FA255D0",
			full, "pub.addFunctionUrl", "addFunctionUrl"},
		{"nested stack", []string{"full", "bare"}, "ShopStack/Storage", "OrdersA9B65338",
			full, "const reader = new lambda.Function", "new"},
		{"stage", []string{"full"}, "Prod-Edge", "Handler886CB40B",
			full, "new lambda.Function(stack, 'Handler'", "new"},
		{"framework resource points at the user's construct", []string{"full"}, "ShopStack", "ReadParamCustomResourcePolicyCD17C26E",
			full, "new cr.AwsCustomResource(this, 'ReadParam'", "new"},
		{"legacy trace", []string{"legacy"}, "LegacyStack", "Worker11F36D0F",
			legacy, "const worker = new lambda.Function", "new"},
		{"legacy trace of a policy", []string{"legacy"}, "LegacyStack", "WorkerServiceRoleDefaultPolicyAE71B5FA",
			legacy, "worker.addToRolePolicy", "addToRolePolicy"},
		{"trace without user code", []string{"full"}, "ShopStack", "CustomS3AutoDeleteObjectsCustomResourceProviderRole3B1BD092",
			"", "", ""},
		{"no metadata", []string{"broken"}, "Good/Child", "Queue", "", "", ""},
	}
	for _, tt := range tests {
		for _, fixture := range tt.fixtures {
			t.Run(fixture+"/"+tt.name, func(t *testing.T) {
				r := stackNamed(t, loadFixture(t, fixture), tt.stack).Resources[tt.id]
				if tt.file == "" {
					if r.Origin != (source.Pos{}) {
						t.Errorf("Origin = %v, want none", r.Origin)
					}
					return
				}
				line, col := locate(t, tt.file, tt.context, tt.token)
				// The trace holds the absolute path of app.js at synthesis.
				if !strings.HasSuffix(filepath.ToSlash(r.Origin.File), filepath.ToSlash(tt.file)) ||
					r.Origin.Line != line || r.Origin.Column != col {
					t.Errorf("Origin = %v, want .../%s:%d:%d", r.Origin, tt.file, line, col)
				}
			})
		}
	}
}

func TestLoadWarnsAboutBrokenStacksAndLoadsTheOthers(t *testing.T) {
	asm := loadFixture(t, "broken")
	dir := filepath.Join("testdata", "broken", "cdk.out")
	manifest := filepath.Join(dir, "manifest.json")
	good := filepath.Join(dir, "Good.template.json")
	tests := []struct {
		file, context string // where the warning must point: the first line of file with context
		msg           string // and a part of its message
	}{
		{manifest, `"Missing.template.json"`, "Missing.template.json: no such file"},
		{manifest, `"NoTemplate"`, `stack artifact "NoTemplate" has no properties.templateFile`},
		{manifest, `"../Outside.template.json"`, "leads outside the cloud assembly"},
		{manifest, `"/etc/hostname"`, "is not a path inside the cloud assembly"},
		{filepath.Join(dir, "Malformed.template.json"), `"Fn"`, "invalid JSON"},
		{filepath.Join(dir, "BadMetadata.metadata.json"), `"aws:cdk:logicalId" "data"`, "invalid JSON: expected ','"},
		{manifest, `"NotAMap"`, `artifact "NotAMap" is a string, not a map`},
		{manifest, `"assembly-Gone"`, "assembly-Gone/manifest.json: no such file"},
		{filepath.Join(dir, "assembly-Bad", "manifest.json"), `"artifacts"`, "invalid JSON"},
		{good, `"GoodGone.nested.template.json"`, "GoodGone.nested.template.json: no such file"},
		{good, `"../Outside.template.json"`, "leads outside the cloud assembly"},
	}
	for _, tt := range tests {
		line, _ := locate(t, tt.file, tt.context, "")
		found := false
		for _, w := range asm.Warnings {
			if w.Pos.File == tt.file && w.Pos.Line == line && w.Pos.Column > 0 && strings.Contains(w.Msg, tt.msg) {
				found = true
			}
		}
		if !found {
			t.Errorf("no warning at %s:%d containing %q", tt.file, line, tt.msg)
		}
	}
	if len(asm.Warnings) != len(tests) {
		t.Errorf("got %d warnings, want %d:", len(asm.Warnings), len(tests))
		for _, w := range asm.Warnings {
			t.Log(w)
		}
	}

	var names []string
	for _, s := range asm.Stacks {
		names = append(names, s.Name)
		if _, ok := s.Resources["Secret"]; ok {
			t.Errorf("stack %q read Outside.template.json, outside the assembly", s.Name)
		}
	}
	if got, want := strings.Join(names, ","), "good-stack,Good/Child,BadMetadata"; got != want {
		t.Errorf("stacks = %s, want %s", got, want)
	}
	goodStack := stackNamed(t, asm, "good-stack")
	if goodStack.Environment != "aws://111111111111/eu-west-1" || goodStack.DisplayName != "Good" {
		t.Errorf("good-stack: Environment %q, DisplayName %q", goodStack.Environment, goodStack.DisplayName)
	}
	if got := goodStack.Resources["Fn9270CBC0"].Origin; got != (source.Pos{File: "/app/bin/app.js", Line: 7, Column: 3}) {
		t.Errorf("Origin from the inline manifest metadata = %v", got)
	}
}

func TestLoadEndsCycles(t *testing.T) {
	asm := loadFixture(t, "cycle")
	var names []string
	for _, s := range asm.Stacks {
		names = append(names, s.Name)
	}
	if got, want := strings.Join(names, ","), "Root,Root/ChildNestedStackResource"; got != want {
		t.Errorf("stacks = %s, want %s", got, want)
	}
	dir := filepath.Join("testdata", "cycle", "cdk.out")
	for _, at := range []struct{ file, context string }{
		{filepath.Join(dir, "Root.template.json"), `"Root.template.json"`},
		{filepath.Join(dir, "Child.nested.template.json"), `"./Root.template.json"`},
		{filepath.Join(dir, "manifest.json"), `"directoryName": "."`},
		{filepath.Join(dir, "assembly-A", "manifest.json"), `"directoryName": ".."`},
	} {
		line, _ := locate(t, at.file, at.context, "")
		found := false
		for _, w := range asm.Warnings {
			found = found || (w.Pos.File == at.file && w.Pos.Line == line && strings.Contains(w.Msg, "already read"))
		}
		if !found {
			t.Errorf("no cycle warning at %s:%d", at.file, line)
		}
	}
	if len(asm.Warnings) != 4 {
		t.Errorf("got %d warnings, want 4: %v", len(asm.Warnings), asm.Warnings)
	}
}

// writeFiles writes files (by slash path) under a new temporary folder.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("cannot make symbolic links here: %v", err)
	}
}

func TestLoadFollowsNoLinkOutOfTheAssembly(t *testing.T) {
	outside := writeFiles(t, map[string]string{
		"Secret.template.json": `{"Resources": {"Secret": {"Type": "AWS::Lambda::Function"}}}`,
	})
	dir := writeFiles(t, map[string]string{
		"manifest.json": `{"version": "36.0.0", "artifacts": {
			"Linked": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "out/Secret.template.json"}},
			"LinkedFile": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "Secret.template.json"}}}}`,
	})
	symlink(t, outside, filepath.Join(dir, "out"))
	symlink(t, filepath.Join(outside, "Secret.template.json"), filepath.Join(dir, "Secret.template.json"))

	asm, err := Load(dir, source.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(asm.Stacks) != 0 {
		t.Errorf("loaded %d stacks through links out of the assembly", len(asm.Stacks))
	}
	if len(asm.Warnings) != 2 {
		t.Errorf("got warnings %v, want one per link", asm.Warnings)
	}
}

func TestLoadEndsCyclesThroughLinks(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"manifest.json": `{"version": "36.0.0", "artifacts": {
			"Stack": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "Stack.template.json"}},
			"assembly-Loop": {"type": "cdk:cloud-assembly", "properties": {"directoryName": "loop"}}}}`,
		"Stack.template.json": `{"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}`,
	})
	symlink(t, ".", filepath.Join(dir, "loop")) // loop/manifest.json is manifest.json again

	asm, err := Load(dir, source.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(asm.Stacks) != 1 || len(asm.Warnings) != 1 || !strings.Contains(asm.Warnings[0].Msg, "already read") {
		t.Errorf("got %d stacks and warnings %v, want 1 stack and a cycle warning", len(asm.Stacks), asm.Warnings)
	}
}

func TestLoadRejectsWhatIsNotAnAssembly(t *testing.T) {
	tests := []struct {
		name      string
		manifest  string // "" for no manifest.json
		lim       source.Limits
		line, col int
		msg       string
	}{
		{"no manifest", "", source.Limits{}, 0, 0, "no such file"},
		{"malformed", "{\n  \"version\": \"1\",\n  \"artifacts\": {\"A\": }\n}", source.Limits{}, 3, 22, "invalid JSON"},
		{"a list", `[1, 2]`, source.Limits{}, 1, 1, "want a JSON object"},
		{"YAML", "version: '36.0.0'\nartifacts: {}\n", source.Limits{}, 1, 1, "want a JSON object"},
		{"no version", `{"artifacts": {}}`, source.Limits{}, 1, 1, `no "version" string`},
		{"no artifacts", `{"version": "36.0.0"}`, source.Limits{}, 1, 1, `no "artifacts" map`},
		{"artifacts not a map", `{"version": "36.0.0", "artifacts": []}`, source.Limits{}, 1, 36, `"artifacts" is a list`},
		{"over the size limit", `{"version": "36.0.0", "artifacts": {}}`, source.Limits{MaxFileBytes: 10}, 0, 0, "over the 10 byte limit"},
		{"nested too deep", `{"version": "36.0.0", "artifacts": {"A": [[[[]]]]}}`, source.Limits{MaxDepth: 3}, 1, 44, "nesting deeper than 3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string]string{}
			if tt.manifest != "" {
				files["manifest.json"] = tt.manifest
			}
			dir := writeFiles(t, files)
			asm, err := Load(dir, tt.lim)
			if err == nil {
				t.Fatalf("Load = %+v, want an error", asm)
			}
			var se *source.Error
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not positioned", err)
			}
			want := source.Pos{File: filepath.Join(dir, "manifest.json"), Line: tt.line, Column: tt.col}
			if se.Pos != want || !strings.Contains(se.Msg, tt.msg) {
				t.Errorf("error = %v, want %v: ...%s...", err, want, tt.msg)
			}
		})
	}
	if _, err := Load(filepath.Join(t.TempDir(), "absent"), source.Limits{}); err == nil {
		t.Error("Load of a missing folder succeeded")
	}
}

func TestIsAssembly(t *testing.T) {
	tests := []struct {
		name string
		dir  string
		want bool
	}{
		{"real assembly", filepath.Join("testdata", "full", "cdk.out"), true},
		{"nested assembly of a stage", filepath.Join("testdata", "full", "cdk.out", "assembly-Prod"), true},
		{"hand-made assembly", filepath.Join("testdata", "broken", "cdk.out"), true},
		{"project folder", filepath.Join("testdata", "full"), false},
		{"malformed manifest", filepath.Join("testdata", "broken", "cdk.out", "assembly-Bad"), false},
		{"YAML manifest", writeFiles(t, map[string]string{"manifest.json": "version: '1'\nartifacts: {}\n"}), false},
		{"browser extension manifest", writeFiles(t, map[string]string{"manifest.json": `{"manifest_version": 3, "version": "1.0"}`}), false},
		{"missing folder", filepath.Join("testdata", "absent"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsAssembly(tt.dir); got != tt.want {
				t.Errorf("IsAssembly(%s) = %v, want %v", tt.dir, got, tt.want)
			}
		})
	}
}

func TestLoadAppliesLimitsToEveryFile(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"manifest.json": `{"version": "36.0.0", "artifacts": {
			"Big": {"type": "aws:cloudformation:stack", "properties": {"templateFile": "Big.template.json"}}}}`,
		"Big.template.json": `{"Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "` + strings.Repeat("x", 400) + `"}}}}`,
	})
	asm, err := Load(dir, source.Limits{MaxFileBytes: 300})
	if err != nil {
		t.Fatal(err)
	}
	if len(asm.Stacks) != 0 || len(asm.Warnings) != 1 || !strings.Contains(asm.Warnings[0].Msg, "over the 300 byte limit") {
		t.Errorf("got %d stacks and warnings %v, want the template refused", len(asm.Stacks), asm.Warnings)
	}
}

func BenchmarkLoad(b *testing.B) {
	for _, fixture := range []string{"full", "bare"} {
		b.Run(fixture, func(b *testing.B) {
			for b.Loop() {
				loadFixture(b, fixture)
			}
		})
	}
}
