package source

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const corpusDir = "../../../shared/corpus"

// corpusTemplates returns the serverless-patterns templates, or skips.
func corpusTemplates(tb testing.TB) map[string][]byte {
	tb.Helper()
	dir := filepath.Join(corpusDir, "serverless-patterns")
	if _, err := os.Stat(dir); err != nil {
		tb.Skipf("corpus not found at %s: benchmarks over real templates need ../shared/corpus", dir)
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

// BenchmarkPlainYAMLDecode is the baseline the loader is measured against:
// yaml.v3 decoding the same files into generic Go values.
func BenchmarkPlainYAMLDecode(b *testing.B) {
	files := corpusTemplates(b)
	b.ReportAllocs()
	for b.Loop() {
		for _, data := range files {
			var v any
			_ = yaml.Unmarshal(data, &v)
		}
	}
}

func BenchmarkParseCorpus(b *testing.B) {
	files := corpusTemplates(b)
	b.ReportAllocs()
	for b.Loop() {
		for path, data := range files {
			_, _ = Parse(path, data, Limits{})
		}
	}
}
