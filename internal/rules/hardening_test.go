package rules

import (
	"bufio"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-sec/bulwark/internal/load"
	"github.com/bulwark-sec/bulwark/internal/rule"
	"github.com/bulwark-sec/bulwark/internal/source"
)

func TestRuntimeDeprecatedJudgesTheRuntimeOnTheScanDate(t *testing.T) {
	// testNow is 2026-11-21: dotnet8 was deprecated on 2026-11-10.
	runMarkedCases(t, RuntimeDeprecated, []markedCase{
		{name: "deprecated", sev: rule.High, text: "deprecated since 2024-12-20", src: "Resources:" +
			strings.Replace(lambdaFunction("Fn", "", ""), "python3.13", "dotnet6 # want", 1)},
		{name: "recently deprecated", sev: rule.High, text: "dotnet8", src: "Resources:" +
			strings.Replace(lambdaFunction("Fn", "", ""), "python3.13", "dotnet8 # want", 1)},
		{name: "supported", src: "Resources:" + lambdaFunction("Fn", "", "")},
		{name: "unknown runtime is not guessed", src: "Resources:" +
			strings.Replace(lambdaFunction("Fn", "", ""), "python3.13", "cobol85", 1)},
		{name: "image function has no runtime", src: `Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      PackageType: Image
      Role: arn:aws:iam::123456789012:role/app
      Code:
        ImageUri: 123456789012.dkr.ecr.us-east-1.amazonaws.com/app:latest
`},
		{name: "runtime from a parameter default", src: "Parameters:\n  Runtime:\n    Type: String\n    Default: nodejs16.x\nResources:" +
			strings.Replace(lambdaFunction("Fn", "", ""), "python3.13", "!Ref Runtime # want", 1)},
	})
}

func TestRuntimeDeprecatedWarnsNinetyDaysAhead(t *testing.T) {
	// ruby3.3 is deprecated on 2027-03-31.
	src := "Resources:" + strings.Replace(lambdaFunction("Fn", "", ""), "python3.13", "ruby3.3", 1)
	for _, c := range []struct {
		now  time.Time
		want []rule.Severity
		text string
	}{
		{now: time.Date(2026, 12, 30, 0, 0, 0, 0, time.UTC), want: nil},
		{now: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), want: []rule.Severity{rule.Low}, text: "on 2027-03-31 (in 89 days)"},
		{now: time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC), want: []rule.Severity{rule.High}, text: "deprecated since 2027-03-31"},
		{now: time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC), want: []rule.Severity{rule.High}, text: "no longer accepts updates"},
	} {
		t.Run(c.now.Format(time.DateOnly), func(t *testing.T) {
			got := runRuleOn(t, RuntimeDeprecated, template(src), c.now)
			var sevs []rule.Severity
			for _, f := range got {
				sevs = append(sevs, f.Severity)
				if !strings.Contains(f.Message, c.text) {
					t.Errorf("message %q does not contain %q", f.Message, c.text)
				}
			}
			if !slices.Equal(sevs, c.want) {
				t.Errorf("severities %v, want %v", sevs, c.want)
			}
		})
	}
}

// runRuleOn is runRule with the scan date set to now.
func runRuleOn(t *testing.T, r *rule.Rule, files map[string]string, now time.Time) []rule.Finding {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, err := load.Paths([]string{dir}, load.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range res.Errors {
		t.Fatalf("load error: %v", e)
	}
	var out []rule.Finding
	r.Run(&rule.Pass{App: res.App, Rule: r, Now: now, Report: func(f rule.Finding) { out = append(out, f) }})
	return out
}

func TestNoReservedConcurrencyReportsUncappedFunctions(t *testing.T) {
	runMarkedCases(t, NoReservedConcurrency, []markedCase{
		{name: "uncapped", text: "Function Fn has no reserved concurrency", src: "Resources:" + lambdaFunction("Fn", "# want", "")},
		{name: "capped", src: "Resources:" + lambdaFunction("Fn", "", "      ReservedConcurrentExecutions: 10\n")},
		{name: "turned off with zero", src: "Resources:" + lambdaFunction("Fn", "", "      ReservedConcurrentExecutions: 0\n")},
	})
}

func TestNoDeadLetterReportsAsyncFunctionsThatDropFailedEvents(t *testing.T) {
	bucket := `
  Uploads:
    Type: AWS::S3::Bucket
    Properties:
      NotificationConfiguration:
        LambdaConfigurations:
          - Event: s3:ObjectCreated:*
            Function: !GetAtt Fn.Arn
`
	topic := `
  Topic:
    Type: AWS::SNS::Topic
  Subscription:
    Type: AWS::SNS::Subscription
    Properties:
      TopicArn: !Ref Topic
      Protocol: lambda
      Endpoint: !GetAtt Fn.Arn
`
	runMarkedCases(t, NoDeadLetter, []markedCase{
		{name: "s3 notifications", text: "asynchronously (S3)", src: "Resources:" + lambdaFunction("Fn", "# want", "") + bucket},
		{name: "sns and schedule", text: "(EventBridge, SNS)", src: "Resources:" + lambdaFunction("Fn", "# want", "") + topic + `
  Nightly:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(1 day)
      Targets:
        - Id: fn
          Arn: !GetAtt Fn.Arn
`},
		{name: "dead letter queue", src: "Resources:" + lambdaFunction("Fn", "", "      DeadLetterConfig:\n        TargetArn: !GetAtt Failed.Arn\n") +
			bucket + "\n  Failed:\n    Type: AWS::SQS::Queue\n"},
		{name: "on-failure destination", src: "Resources:" + lambdaFunction("Fn", "", "") + bucket + `
  Failed:
    Type: AWS::SQS::Queue
  FnInvokeConfig:
    Type: AWS::Lambda::EventInvokeConfig
    Properties:
      FunctionName: !Ref Fn
      Qualifier: $LATEST
      DestinationConfig:
        OnFailure:
          Destination: !GetAtt Failed.Arn
`},
		{name: "synchronous sources only", src: "Resources:" + lambdaFunction("Fn", "", "") + `
  Queue:
    Type: AWS::SQS::Queue
  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !GetAtt Queue.Arn
      FunctionName: !Ref Fn
`},
		{name: "async permission", src: "Resources:" + lambdaFunction("Fn", "# want", "") + `
  FromBucket:
    Type: AWS::Lambda::Permission
    Properties:
      Action: lambda:InvokeFunction
      FunctionName: !Ref Fn
      Principal: s3.amazonaws.com
      SourceArn: arn:aws:s3:::uploads
`},
	})
}

func TestNoCodeSigningReportsZipFunctionsWithoutSigningConfig(t *testing.T) {
	runMarkedCases(t, NoCodeSigning, []markedCase{
		{name: "unsigned", text: "accepts unsigned code", src: "Resources:" + lambdaFunction("Fn", "# want", "")},
		{name: "signed", src: "Resources:" + lambdaFunction("Fn", "", "      CodeSigningConfigArn: !Ref Signing\n") + `
  Signing:
    Type: AWS::Lambda::CodeSigningConfig
    Properties:
      AllowedPublishers:
        SigningProfileVersionArns: [arn:aws:signer:us-east-1:123456789012:/signing-profiles/app/abc]
`},
		{name: "image", src: `Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      PackageType: Image
      Role: arn:aws:iam::123456789012:role/app
      Code:
        ImageUri: 123456789012.dkr.ecr.us-east-1.amazonaws.com/app:latest
`},
	})
}

// myRuleIDs are the catalog entries this part of the catalog implements.
var myRuleIDs = []string{
	"BW501", "BW502", "BW503", "BW504", "BW505", "BW506", "BW507", "BW508",
	"BW701", "BW702", "BW704", "BW705", "BW706",
	"BW801", "BW802", "BW803", "BW804",
}

func TestRulesMatchThePracticeCatalog(t *testing.T) {
	catalog := readPracticeCatalog(t)
	for _, id := range myRuleIDs {
		t.Run(id, func(t *testing.T) {
			r := ByID(id)
			if r == nil {
				t.Fatalf("%s is not registered", id)
			}
			if r.Run == nil || r.Title == "" || r.Rationale == "" || r.Remediation == "" || r.Where == "" {
				t.Errorf("%s lacks Run or documentation", id)
			}
			if !strings.Contains(r.Rationale, "guide") {
				t.Errorf("%s rationale does not cite the guides", id)
			}
			doc, err := source.Parse(id+".yaml", []byte(r.Example), source.Limits{})
			if err != nil {
				t.Errorf("%s example is not valid YAML: %v", id, err)
			} else if doc.Root.Get("Resources") == nil && doc.Root.Get("Globals") == nil {
				t.Errorf("%s example is not a template fragment", id)
			}
			if catalog == nil {
				return
			}
			row, ok := catalog[id]
			if !ok {
				t.Fatalf("%s is not in the practice catalog", id)
			}
			if row[0] != r.Name || row[1] != r.Severity.String() || row[2] != r.Where {
				t.Errorf("%s is (%s, %s, %s), catalog says %v", id, r.Name, r.Severity, r.Where, row)
			}
		})
	}
}

// readPracticeCatalog reads name, severity and where of each rule from
// docs/practices.md, or returns nil when the shared docs are not present.
func readPracticeCatalog(t *testing.T) map[string][3]string {
	f, err := os.Open("/work/shared/docs/practices.md")
	if err != nil {
		t.Logf("practice catalog not checked: %v", err)
		return nil
	}
	defer f.Close()
	out := map[string][3]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		cells := strings.Split(sc.Text(), "|")
		if len(cells) < 7 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "BW") {
			continue
		}
		out[strings.TrimSpace(cells[1])] = [3]string{
			strings.TrimSpace(cells[2]), strings.TrimSpace(cells[3]), strings.TrimSpace(cells[5]),
		}
	}
	return out
}

// TestMyRulesRunOverServerlessPatterns runs this part of the catalog over
// the serverless-patterns corpus: no rule may panic, and every finding must
// point at a line of a scanned file.
func TestMyRulesRunOverServerlessPatterns(t *testing.T) {
	const corpus = "/work/shared/corpus/serverless-patterns"
	if _, err := os.Stat(corpus); err != nil {
		t.Skipf("serverless-patterns corpus not present (%v)", err)
	}
	res, err := load.Paths([]string{corpus}, load.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d templates loaded, %d could not be, %d functions, %d APIs",
		len(res.Files), len(res.Errors), len(res.App.Functions), len(res.App.APIs))
	for _, id := range myRuleIDs {
		r := ByID(id)
		count := 0
		r.Run(&rule.Pass{App: res.App, Rule: r, Now: testNow, Report: func(f rule.Finding) {
			count++
			if !f.Location.Pos.IsValid() || f.Location.Pos.File == "" || f.Message == "" || f.RuleID != id {
				t.Errorf("%s: malformed finding %+v", id, f)
			}
		}})
		t.Logf("%s: %d findings", id, count)
	}
}

func TestSAMHardeningRules(t *testing.T) {
	runMarkedCases(t, RuntimeDeprecated, []markedCase{
		{name: "globals runtime", text: "nodejs16.x", src: "Globals:\n  Function:\n    Runtime: nodejs16.x # want 2\n" +
			strings.ReplaceAll(samHeader+samFunction("A", "", "", "")+samFunction("B", "", "", ""), "      Runtime: python3.13\n", "")},
		{name: "function runtime", src: samHeader + strings.Replace(samFunction("A", "", "", ""), "python3.13", "python3.8 # want", 1)},
		{name: "supported", src: samHeader + samFunction("A", "", "", "")},
	})
	runMarkedCases(t, NoReservedConcurrency, []markedCase{
		{name: "uncapped", src: samHeader + samFunction("A", "# want", "", "")},
		{name: "globals", src: "Globals:\n  Function:\n    ReservedConcurrentExecutions: 5\n" + samHeader + samFunction("A", "", "", "")},
	})
	s3Event := `        Upload:
          Type: S3
          Properties:
            Bucket: !Ref Uploads
            Events: s3:ObjectCreated:*
`
	bucket := "\n  Uploads:\n    Type: AWS::S3::Bucket\n"
	runMarkedCases(t, NoDeadLetter, []markedCase{
		{name: "s3 event", text: "(S3)", src: samHeader + samFunction("A", "# want", "", s3Event) + bucket},
		{name: "dead letter queue", src: samHeader + samFunction("A", "", `      DeadLetterQueue:
        Type: SQS
        TargetArn: !GetAtt Failed.Arn
`, s3Event) + bucket + "\n  Failed:\n    Type: AWS::SQS::Queue\n"},
		{name: "on-failure destination", src: samHeader + samFunction("A", "", `      EventInvokeConfig:
        DestinationConfig:
          OnFailure:
            Type: SQS
            Destination: !GetAtt Failed.Arn
`, s3Event) + bucket + "\n  Failed:\n    Type: AWS::SQS::Queue\n"},
		{name: "schedule", text: "EventBridge", src: samHeader + samFunction("A", "# want", "", `        Nightly:
          Type: Schedule
          Properties:
            Schedule: rate(1 day)
`)},
		{name: "sqs is polled", src: samHeader + samFunction("A", "", "", `        Jobs:
          Type: SQS
          Properties:
            Queue: !GetAtt Jobs.Arn
`) + "\n  Jobs:\n    Type: AWS::SQS::Queue\n"},
	})
	runMarkedCases(t, NoCodeSigning, []markedCase{
		{name: "unsigned", src: samHeader + samFunction("A", "# want", "", "")},
		{name: "signed", src: samHeader + samFunction("A", "", "      CodeSigningConfigArn: arn:aws:lambda:us-east-1:123456789012:code-signing-config:csc-1\n", "")},
	})
}

// BenchmarkMyRulesOverServerlessPatterns measures this part of the catalog
// over the loaded serverless-patterns corpus (loading excluded).
func BenchmarkMyRulesOverServerlessPatterns(b *testing.B) {
	const corpus = "/work/shared/corpus/serverless-patterns"
	if _, err := os.Stat(corpus); err != nil {
		b.Skipf("serverless-patterns corpus not present (%v)", err)
	}
	res, err := load.Paths([]string{corpus}, load.Options{})
	if err != nil {
		b.Fatal(err)
	}
	rules := make([]*rule.Rule, len(myRuleIDs))
	for i, id := range myRuleIDs {
		rules[i] = ByID(id)
	}
	b.ResetTimer()
	for b.Loop() {
		for _, r := range rules {
			r.Run(&rule.Pass{App: res.App, Rule: r, Now: testNow, Report: func(rule.Finding) {}})
		}
	}
}
