package load

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const patternsDir = "../../../shared/corpus/serverless-patterns"

func patternFiles(tb testing.TB) []string {
	tb.Helper()
	if _, err := os.Stat(patternsDir); err != nil {
		tb.Skipf("corpus not found at %s: corpus benchmarks need ../shared/corpus", patternsDir)
	}
	var files []string
	filepath.WalkDir(patternsDir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
			files = append(files, p)
		}
		return nil
	})
	return files
}

// BenchmarkCorpusPlainYAMLDecode is the baseline: reading every
// serverless-patterns YAML file and decoding it with yaml.v3 into generic
// values, the parser the loader uses.
func BenchmarkCorpusPlainYAMLDecode(b *testing.B) {
	files := patternFiles(b)
	b.ReportAllocs()
	for b.Loop() {
		for _, f := range files {
			data, _ := os.ReadFile(f)
			var v any
			_ = yaml.Unmarshal(data, &v)
		}
	}
}

// BenchmarkCorpusLoad loads the same folder into the model: walking,
// content sniffing, parsing, SAM expansion, evaluation and model building.
func BenchmarkCorpusLoad(b *testing.B) {
	patternFiles(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Paths([]string{patternsDir}, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// syntheticTemplate is a SAM template with n functions, each with an API
// event, a policy template, environment variables and a queue.
func syntheticTemplate(n int) []byte {
	var b strings.Builder
	b.WriteString("Transform: AWS::Serverless-2016-10-31\nGlobals:\n  Function:\n    Runtime: python3.12\n    Tracing: Active\nResources:\n")
	for i := range n {
		fmt.Fprintf(&b, `  Queue%[1]d:
    Type: AWS::SQS::Queue
  Fn%[1]d:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      CodeUri: src/
      Environment:
        Variables:
          QUEUE_URL: !Ref Queue%[1]d
          STAGE: prod
      Policies:
        - SQSSendMessagePolicy:
            QueueName: !GetAtt Queue%[1]d.QueueName
        - Statement:
            - Effect: Allow
              Action: [dynamodb:GetItem, dynamodb:PutItem]
              Resource: !Sub "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/t%[1]d"
      Events:
        Api:
          Type: Api
          Properties: {Path: /items%[1]d, Method: post}
        Queue:
          Type: SQS
          Properties: {Queue: !GetAtt Queue%[1]d.Arn}
`, i)
	}
	return []byte(b.String())
}

// BenchmarkSyntheticFunctions shows how loading grows with the number of
// functions in one template: ns/op divided by n should stay flat.
func BenchmarkSyntheticFunctions(b *testing.B) {
	for _, n := range []int{500, 1000, 5000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			dir := b.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "template.yaml"), syntheticTemplate(n), 0o644); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				res, err := Paths([]string{dir}, Options{})
				if err != nil {
					b.Fatal(err)
				}
				if len(res.App.Functions) != n {
					b.Fatalf("%d functions, want %d (errors %v)", len(res.App.Functions), n, res.Errors)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/function")
		})
	}
}
