package scan

import (
	"os"
	"testing"
)

// BenchmarkScanCorpus is one full scan of the serverless-patterns corpus:
// load, every rule, suppressions. Compare with the load package's
// BenchmarkCorpusPlainYAMLDecode.
func BenchmarkScanCorpus(b *testing.B) {
	dir := "../../shared/corpus/serverless-patterns"
	if _, err := os.Stat(dir); err != nil {
		b.Skipf("corpus not found at %s: this benchmark needs ../shared/corpus", dir)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Run([]string{dir}, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
