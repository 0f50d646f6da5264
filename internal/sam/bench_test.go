package sam

import (
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
