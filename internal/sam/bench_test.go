package sam

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/bulwark-sec/bulwark/internal/source"
)

// patternTemplates returns the serverless-patterns templates that use SAM,
// the same files internal/source benchmarks its parser on, or skips.
func patternTemplates(b *testing.B) map[string][]byte {
	b.Helper()
	dir := "../../../shared/corpus/serverless-patterns"
	if _, err := os.Stat(dir); err != nil {
		b.Skipf("corpus not found at %s: benchmarks over real templates need ../shared/corpus", dir)
	}
	files := map[string][]byte{}
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			if data, err := os.ReadFile(path); err == nil {
				files[path] = data
			}
		}
		return nil
	})
	return files
}

// BenchmarkPlainYAMLDecode is the baseline: yaml.v3 decoding the files into
// generic Go values.
func BenchmarkPlainYAMLDecode(b *testing.B) {
	files := patternTemplates(b)
	b.ReportAllocs()
	for b.Loop() {
		for _, data := range files {
			var v any
			_ = yaml.Unmarshal(data, &v)
		}
	}
}

// BenchmarkParseAndTransform is what loading a template costs with the
// transform: positioned parse plus SAM expansion.
func BenchmarkParseAndTransform(b *testing.B) {
	files := patternTemplates(b)
	b.ReportAllocs()
	for b.Loop() {
		for path, data := range files {
			doc, err := source.Parse(path, data, source.Limits{})
			if err != nil {
				continue
			}
			_, _ = Transform(doc.Root, Options{})
		}
	}
}

// BenchmarkTransform measures the transform alone over pre-parsed templates.
func BenchmarkTransform(b *testing.B) {
	files := patternTemplates(b)
	var roots []*source.Node
	for path, data := range files {
		if doc, err := source.Parse(path, data, source.Limits{}); err == nil {
			roots = append(roots, doc.Root)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, root := range roots {
			_, _ = Transform(root, Options{})
		}
	}
}

// degradedTemplate has functions functions, the first failing of which have
// an event that fails half way through (an S3 event on a bucket that is not
// in the template): each costs one more pass of the transform.
func degradedTemplate(b *testing.B, functions, failing int) *source.Node {
	b.Helper()
	var sb strings.Builder
	sb.WriteString("Transform: AWS::Serverless-2016-10-31\nResources:\n")
	for i := range functions {
		fmt.Fprintf(&sb, "  Fn%d:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: python3.12\n      Handler: app.handler\n      InlineCode: print(1)\n      Events:\n        Get: {Type: Api, Properties: {Path: /f%d, Method: get}}\n", i, i)
		if i < failing {
			sb.WriteString("        Upload: {Type: S3, Properties: {Bucket: !Ref Missing, Events: \"s3:ObjectCreated:*\"}}\n")
		}
	}
	doc, err := source.Parse("degraded.yaml", []byte(sb.String()), source.Limits{})
	if err != nil {
		b.Fatal(err)
	}
	return doc.Root
}

// BenchmarkTransformLeavingOutEvents measures what leaving out failing
// events costs: compare the sub-benchmarks with 0 failing events.
func BenchmarkTransformLeavingOutEvents(b *testing.B) {
	for _, failing := range []int{0, 1, 3, exactPasses + 10} {
		b.Run(fmt.Sprintf("failing=%d", failing), func(b *testing.B) {
			root := degradedTemplate(b, 50, failing)
			b.ReportAllocs()
			for b.Loop() {
				res, err := Transform(root, Options{})
				if err != nil || len(res.Warnings) != failing {
					b.Fatalf("err %v, %d warnings", err, len(res.Warnings))
				}
			}
		})
	}
}
