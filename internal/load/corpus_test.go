package load

import (
	"os"
	"path/filepath"
	"testing"
)

// TestCorpusLoadsWithoutCrash loads every folder of the third-party corpus.
// No input may crash the loader, and every problem must name its file and,
// when it is about content, the line.
func TestCorpusLoadsWithoutCrash(t *testing.T) {
	root := "../../../shared/corpus"
	if _, err := os.Stat(root); err != nil {
		t.Skipf("corpus not found at %s: this test needs ../shared/corpus", root)
	}
	for _, dir := range []string{
		"serverless-patterns", "serverless-patterns-extra", "cfn_nag", "kics/assets/queries/cloudFormation",
		"serverless-application-model/tests/translator/input", "serverless-examples",
	} {
		t.Run(dir, func(t *testing.T) {
			res, err := Paths([]string{filepath.Join(root, dir)}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range res.Errors {
				if e.Pos.File == "" {
					t.Errorf("error without a file: %v", e)
				}
			}
			t.Logf("%s: %d templates, %d functions, %d errors, %d warnings", dir, len(res.Files), len(res.App.Functions), len(res.Errors), len(res.Warnings))
		})
	}
}
