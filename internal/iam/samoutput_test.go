package iam

import (
	"os"
	"path/filepath"
	"testing"
)

// samOutputs are templates the real SAM transform wrote (the SAM project's
// translator test outputs): their roles carry SAM's expansions of policy
// templates, managed policy names and connectors.
const samOutputs = "../../../shared/corpus/serverless-application-model/tests/translator/output"

func samOutput(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(samOutputs, name))
	if err != nil {
		t.Skipf("SAM translator outputs not found at %s: this test needs ../shared/corpus", samOutputs)
	}
	return string(b)
}

func TestDecideKnownAnswersOnSAMPolicyTemplates(t *testing.T) {
	cases := []struct {
		file, function string
		want           []decideCase
	}{
		{"function_with_policy_templates.json", "OnePolicyTemplate", []decideCase{
			// SQSPollerPolicy on a queue named by a Sub with a variable.
			{"sqs:ReceiveMessage", "arn:aws:sqs:us-east-1:123456789012:SomeKeyId", Allowed},
			{"sqs:DeleteMessage", "arn:aws:sqs:us-east-1:123456789012:SomeKeyId", Allowed},
			{"sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:SomeKeyId", NotGranted},
			{"sqs:ReceiveMessage", "arn:aws:sqs:us-east-1:123456789012:other", NotGranted},
			{"logs:CreateLogStream", "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/f:log-stream:x", Allowed},
		}},
		{"function_with_policy_templates.json", "MultiplePolicyTemplates", []decideCase{
			// LambdaInvokePolicy: function:${functionName}*
			{"lambda:InvokeFunction", "arn:aws:lambda:us-east-1:123456789012:function:Some function", Allowed},
			{"lambda:InvokeFunction", "arn:aws:lambda:us-east-1:123456789012:function:other", NotGranted},
		}},
		{"function_with_policy_templates.json", "AllCombinations", []decideCase{
			{"dynamodb:DeleteTable", "arn:aws:dynamodb:us-east-1:123456789012:table/any", Allowed}, // inline dynamodb:* and AmazonDynamoDBFullAccess
			// LambdaInvokePolicy with a parameter without a default: unknown function name.
			{"lambda:InvokeFunction", "arn:aws:lambda:us-east-1:123456789012:function:x", Allowed}, // AWSLambdaRole grants it on *
			{"s3:PutObject", "arn:aws:s3:::b/k", NotGranted},
		}},
		{"connector_function_to_s3.json", "MyFunction", []decideCase{
			{"s3:GetObject", "${MyBucket.Arn}/photos/cat.png", Allowed},
			{"s3:PutObject", "${MyBucket.Arn}/photos/cat.png", Allowed},
			{"s3:ListBucket", "${MyBucket.Arn}", Allowed},
			{"s3:GetObject", "arn:aws:s3:::some-bucket/k", Conditional}, // may be MyBucket
			{"s3:DeleteBucket", "${MyBucket.Arn}", NotGranted},
		}},
	}
	for _, c := range cases {
		t.Run(c.file+"/"+c.function, func(t *testing.T) {
			app := buildApp(t, samOutput(t, c.file))
			for _, f := range app.Functions {
				if f.Name == c.function {
					checkDecisions(t, For(app).Function(f), c.want)
					return
				}
			}
			t.Fatalf("no function %s", c.function)
		})
	}
}

func TestSAMOutputsParseWithoutDiagnostics(t *testing.T) {
	entries, err := os.ReadDir(samOutputs)
	if err != nil {
		t.Skipf("SAM translator outputs not found at %s: this test needs ../shared/corpus", samOutputs)
	}
	roles := 0
	for _, e := range entries {
		if e.IsDir() || filepath.Ext(e.Name()) != ".json" {
			continue
		}
		app := buildApp(t, samOutput(t, e.Name()))
		a := Analyze(app)
		roles += len(app.Roles)
		for _, d := range a.Diagnostics {
			t.Errorf("%s: %v", e.Name(), d)
		}
	}
	if roles < 100 {
		t.Errorf("only %d roles analysed; the corpus should have hundreds", roles)
	}
}
