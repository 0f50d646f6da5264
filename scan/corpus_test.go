package scan

import (
	"os"
	"strings"
	"testing"
)

// TestWholeCorpusScanCompletesWithoutInternalErrors scans every file of the
// third-party corpus with every rule. A rule that panicked would surface as
// an "internal error" diagnostic; there must be none.
func TestWholeCorpusScanCompletesWithoutInternalErrors(t *testing.T) {
	dir := "../../shared/corpus"
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("corpus not found at %s: this test needs ../shared/corpus", dir)
	}
	if testing.Short() {
		t.Skip("scans the whole corpus; skipped with -short")
	}
	res, err := Run([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Errors {
		if strings.Contains(e.Message, "internal error") {
			t.Errorf("%s", e)
		}
	}
	t.Logf("%d templates, %d findings, %d input errors", len(res.Files), len(res.Findings)+len(res.Framework), len(res.Errors))
}
