package cdk

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/bulwark-sec/bulwark/internal/source"
)

// FuzzManifest feeds arbitrary bytes to the manifest reader. The same bytes
// also serve as a nested assembly's manifest and as a metadata file, beside a
// template with nested stacks, so that whatever the bytes refer to exists.
func FuzzManifest(f *testing.F) {
	for _, seed := range []string{
		"full/cdk.out/manifest.json",
		"full/cdk.out/assembly-Prod/manifest.json",
		"legacy/cdk.out/manifest.json",
		"broken/cdk.out/manifest.json",
		"cycle/cdk.out/manifest.json",
		"cycle/cdk.out/assembly-A/manifest.json",
	} {
		data, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(seed)))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"version":"1","artifacts":{"S":{"type":"aws:cloudformation:stack","properties":{"templateFile":"S.template.json"},"additionalMetadataFile":"manifest.json"}}}`))
	f.Add([]byte(`{"version":"1","artifacts":{"A":{"type":"cdk:cloud-assembly","properties":{"directoryName":"a"}}},"/S/T":[{"type":"aws:cdk:logicalId","data":"T","trace":["x (/a.js:1:2)"]}]}`))

	template := []byte(`{"Resources": {
		"T": {"Type": "AWS::SNS::Topic"},
		"N": {"Type": "AWS::CloudFormation::Stack", "Metadata": {"aws:asset:path": "S.template.json"}},
		"M": {"Type": "AWS::CloudFormation::Stack", "Properties": {"TemplateURL": "https://x/abc.json"}}}}`)
	f.Fuzz(func(t *testing.T, manifest []byte) {
		fsys := fstest.MapFS{
			"manifest.json":     {Data: manifest},
			"a/manifest.json":   {Data: manifest},
			"S.template.json":   {Data: template},
			"S.metadata.json":   {Data: manifest},
			"S.assets.json":     {Data: manifest},
			"a/S.template.json": {Data: template},
		}
		asm, err := load(fsys, "cdk.out", source.Limits{MaxNodes: 100_000})
		if err != nil {
			var se *source.Error
			if !errors.As(err, &se) || se.Pos.File == "" {
				t.Fatalf("error %v does not name the file", err)
			}
			return
		}
		for _, w := range asm.Warnings {
			if w == nil || !strings.HasPrefix(w.Pos.File, "cdk.out") {
				t.Fatalf("warning %v does not name a file of the assembly", w)
			}
		}
		for _, s := range asm.Stacks {
			if s.Doc == nil || s.Resources == nil || !strings.HasPrefix(s.TemplatePath, "cdk.out") {
				t.Fatalf("stack %+v is incomplete", s)
			}
		}
	})
}
