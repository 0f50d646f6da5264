package rules

import (
	"io"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/bulwark-sec/bulwark/internal/load"
	"github.com/bulwark-sec/bulwark/internal/rule"
)

// serverlessPatterns is the AWS serverless-patterns collection in the shared
// corpus, when present.
const serverlessPatterns = "../../../shared/corpus/serverless-patterns"

func TestSecretNetworkDataRulesRunQuietlyOverServerlessPatterns(t *testing.T) {
	if _, err := os.Stat(serverlessPatterns); err != nil {
		t.Skipf("corpus not found at %s: this test needs ../shared/corpus/serverless-patterns", serverlessPatterns)
	}
	res, err := load.Paths([]string{serverlessPatterns}, load.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.App.Functions) == 0 {
		t.Fatal("the corpus loaded no function")
	}
	printed := captureOutput(t, func() {
		for _, r := range slices.Concat(exposureRules, secretRules, networkRules, dataRules) {
			n := 0
			r.Run(&rule.Pass{App: res.App, Rule: r, Now: testNow, Report: func(f rule.Finding) {
				n++
				if f.RuleID != r.ID || f.Message == "" || f.Evidence == "" || !f.Location.Pos.IsValid() || f.Location.Resource == "" {
					t.Errorf("%s: incomplete finding %+v", r.ID, f)
				}
			}})
			t.Logf("%s %-32s %4d findings", r.ID, r.Name, n)
		}
	})
	if printed != "" {
		t.Errorf("rules printed %q; they must only report", printed)
	}
}

// captureOutput runs fn with the process's standard output and error sent
// to a pipe, and returns what was written.
func captureOutput(t *testing.T, fn func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, stderr := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = w, w
	done := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		done <- string(b)
	}()
	defer func() {
		os.Stdout, os.Stderr = stdout, stderr
	}()
	fn()
	os.Stdout, os.Stderr = stdout, stderr
	w.Close()
	return <-done
}

func TestSecretNetworkDataRulesAreSilentOnTheirExamples(t *testing.T) {
	for _, r := range slices.Concat(exposureRules, secretRules, networkRules, dataRules) {
		t.Run(r.ID, func(t *testing.T) {
			src := r.Example
			if strings.Contains(src, "AWS::Serverless::") {
				src = "Transform: AWS::Serverless-2016-10-31\n" + src
			}
			if got := runRule(t, r, template(src)); len(got) > 0 {
				t.Errorf("%s reports its own fixed example: %s", r.ID, got[0].Message)
			}
		})
	}
}
