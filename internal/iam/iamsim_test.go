package iam

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-sec/bulwark/internal/iamdata"
	"github.com/bulwark-sec/bulwark/internal/source"
)

// The differential test generates policies, actions and resources, asks
// both Decide and @cloud-copilot/iam-simulate (an independent IAM
// simulator, driven through node) and requires the same decision. Install
// the simulator before running the tests:
//
//	npm ci --prefix internal/iam/testdata/iamsim

// simRequests are (action, resource) pairs the simulator accepts: the
// resource is of a type the action acts on, or "*" for actions that only
// take "*".
var simRequests = []struct{ action, resource string }{
	{"s3:GetObject", "arn:aws:s3:::orders-bucket/2024/a.json"},
	{"s3:PutObject", "arn:aws:s3:::orders-bucket/uploads/b.png"},
	{"s3:DeleteObject", "arn:aws:s3:::logs-bucket/x.log"},
	{"s3:ListBucket", "arn:aws:s3:::orders-bucket"},
	{"dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:123456789012:table/Orders"},
	{"dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:123456789012:table/Orders"},
	{"dynamodb:Query", "arn:aws:dynamodb:us-east-1:123456789012:table/Orders/index/ByDate"},
	{"dynamodb:DeleteTable", "arn:aws:dynamodb:eu-west-1:123456789012:table/Audit"},
	{"sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:jobs"},
	{"sqs:ReceiveMessage", "arn:aws:sqs:us-east-1:123456789012:jobs-dlq"},
	{"lambda:InvokeFunction", "arn:aws:lambda:us-east-1:123456789012:function:worker"},
	{"lambda:UpdateFunctionCode", "arn:aws:lambda:us-east-1:123456789012:function:worker"},
	{"iam:PassRole", "arn:aws:iam::123456789012:role/worker-role"},
	{"iam:PutRolePolicy", "arn:aws:iam::123456789012:role/function-role"},
	{"kms:Decrypt", "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
	{"secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"},
	{"ssm:GetParameter", "arn:aws:ssm:us-east-1:123456789012:parameter/orders/config"},
	{"sns:Publish", "arn:aws:sns:us-east-1:123456789012:alerts"},
	{"events:PutEvents", "arn:aws:events:us-east-1:123456789012:event-bus/default"},
	{"xray:PutTraceSegments", "*"},
	{"s3:ListAllMyBuckets", "*"},
	{"ec2:DescribeInstances", "*"},
}

var simActionPatterns = []string{
	"*", "s3:*", "s3:Get*", "s3:*Object", "S3:getobject", "s3:List*", "dynamodb:*Item", "dynamodb:Get?tem",
	"dynamodb:*", "dynamodb:Query", "lambda:Invoke*", "lambda:*", "iam:Pass*", "iam:*", "kms:*", "kms:Decrypt",
	"secretsmanager:Get*", "ssm:GetParameter*", "sqs:*Message", "sns:Publish", "events:Put*", "xray:*",
	"cloudwatch:Put*", "ec2:Describe*", "logs:*",
}

var simResourcePatterns = []string{
	"*", "arn:aws:s3:::orders-bucket/*", "arn:aws:s3:::orders-bucket", "arn:aws:s3:::*", "arn:aws:s3:::logs-bucket/*.log",
	"arn:aws:s3:::Orders-Bucket/*", "arn:aws:dynamodb:*:*:table/Orders", "arn:aws:dynamodb:us-east-1:123456789012:table/*",
	"arn:aws:dynamodb:us-east-1:123456789012:table/Orders/index/*", "arn:aws:sqs:*:123456789012:jobs*",
	"arn:aws:lambda:us-east-1:123456789012:function:worker", "arn:aws:lambda:*:*:function:*",
	"arn:aws:iam::123456789012:role/*", "arn:aws:iam::*:role/worker-?ole", "arn:aws:kms:*:*:key/*",
	"arn:aws:secretsmanager:us-east-1:123456789012:secret:db-*", "arn:aws:ssm:us-east-1:123456789012:parameter/orders/*",
	"arn:aws:sns:us-east-1:123456789012:alerts", "arn:aws:events:*:*:event-bus/*", "arn:aws:*:*:123456789012:*",
	"arn:aws:*:us-east-1:*:*", "arn:AWS:sqs:US-EAST-1:123456789012:jobs",
}

type simCase struct {
	ID       int              `json:"id"`
	Policies []map[string]any `json:"policies"`
	Boundary map[string]any   `json:"boundary"`
	Action   string           `json:"action"`
	Resource string           `json:"resource"`
}

// generateSimCases builds n cases from a fixed seed, biased so that about
// half the statements mention the request's action or resource.
func generateSimCases(n int) []simCase {
	rng := rand.New(rand.NewPCG(20240611, 7))
	pick := func(list []string) string { return list[rng.IntN(len(list))] }
	cases := make([]simCase, n)
	for i := range cases {
		req := simRequests[rng.IntN(len(simRequests))]
		statement := func(allowBias bool) map[string]any {
			st := map[string]any{"Effect": "Allow"}
			if !allowBias && rng.IntN(10) < 3 {
				st["Effect"] = "Deny"
			}
			var actions []any
			for range 1 + rng.IntN(3) {
				actions = append(actions, pick(simActionPatterns))
			}
			if rng.IntN(2) == 0 {
				actions = append(actions, req.action)
			}
			key := "Action"
			if rng.IntN(100) < 15 {
				key = "NotAction"
			}
			st[key] = oneOrList(actions, rng)
			var resources []any
			for range 1 + rng.IntN(2) {
				resources = append(resources, pick(simResourcePatterns))
			}
			if rng.IntN(2) == 0 {
				resources = append(resources, nearResource(req.resource, rng))
			}
			key = "Resource"
			if rng.IntN(100) < 15 {
				key = "NotResource"
			}
			st[key] = oneOrList(resources, rng)
			return st
		}
		doc := func(allowBias bool, statements int) map[string]any {
			var sts []any
			for range statements {
				sts = append(sts, statement(allowBias))
			}
			return map[string]any{"Version": "2012-10-17", "Statement": oneOrList(sts, rng)}
		}
		c := simCase{ID: i, Action: req.action, Resource: req.resource}
		for range 1 + rng.IntN(2) {
			c.Policies = append(c.Policies, doc(false, 1+rng.IntN(3)))
		}
		if rng.IntN(5) == 0 {
			c.Boundary = doc(true, 1+rng.IntN(2))
		}
		cases[i] = c
	}
	return cases
}

// nearResource returns the resource itself, "*", or the resource with a
// wildcard in place of its end.
func nearResource(r string, rng *rand.Rand) string {
	switch k := rng.IntN(3); {
	case k == 0 || r == "*":
		return r
	case k == 1:
		return "*"
	}
	return r[:len(r)-1-rng.IntN(3)] + "*"
}

// oneOrList writes a single item as itself half the time, as IAM allows.
func oneOrList(items []any, rng *rand.Rand) any {
	if len(items) == 1 && rng.IntN(2) == 0 {
		return items[0]
	}
	return items
}

// simDecision maps a Decide result to the simulator's vocabulary.
func simDecision(d Decision) string {
	switch d {
	case Allowed:
		return "Allowed"
	case Denied:
		return "ExplicitlyDenied"
	case NotGranted:
		return "ImplicitlyDenied"
	}
	return d.String() // Conditional: the cases have no conditions, so never expected
}

func permissionsOf(t *testing.T, c simCase) *Permissions {
	t.Helper()
	parse := func(name string, doc map[string]any) *Policy {
		b, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		d, err := source.Parse(name+".json", b, source.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		parsed, diags := ParseDocument(d.Root)
		for _, e := range diags {
			t.Fatalf("case %d: %s: %v", c.ID, name, e)
		}
		return &Policy{Name: name, Kind: KindInline, Document: parsed}
	}
	var policies []*Policy
	for i, doc := range c.Policies {
		policies = append(policies, parse(fmt.Sprintf("policy%d", i), doc))
	}
	var boundary *Policy
	if c.Boundary != nil {
		boundary = parse("boundary", c.Boundary)
	}
	return NewPermissions(policies, boundary)
}

func TestDecideAgreesWithIAMSimulate(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: the differential test against @cloud-copilot/iam-simulate needs it")
	}
	dir, err := filepath.Abs(filepath.Join("testdata", "iamsim"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@cloud-copilot", "iam-simulate")); err != nil {
		t.Skip("@cloud-copilot/iam-simulate is not installed: run `npm ci --prefix internal/iam/testdata/iamsim`")
	}

	for _, r := range simRequests {
		a, ok := iamdata.Lookup(r.action)
		if !ok || (r.resource == "*") != !a.SupportsResourceLevelPermissions() {
			t.Fatalf("request %s on %s: only actions without resource types may be asked about \"*\"", r.action, r.resource)
		}
	}
	cases := generateSimCases(1500)
	input, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	// A generous bound so that a hung node process fails the test instead
	// of the whole run; it is not a speed assertion.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(dir, "simulate.js"))
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(input)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("running the simulator: %v\n%s", err, stderr.String())
	}
	var results []struct {
		ID     int    `json:"id"`
		Result string `json:"result"`
		Error  string `json:"error"`
	}
	if err := json.Unmarshal(out, &results); err != nil {
		t.Fatalf("reading the simulator's output: %v", err)
	}
	if len(results) != len(cases) {
		t.Fatalf("simulator answered %d of %d cases", len(results), len(cases))
	}

	counts := map[string]int{}
	for i, r := range results {
		c := cases[i]
		if r.Error != "" {
			t.Errorf("case %d: the simulator rejected it: %s", c.ID, r.Error)
			continue
		}
		got := simDecision(permissionsOf(t, c).Decide(c.Action, c.Resource).Decision)
		counts[r.Result]++
		if got != r.Result {
			policies, _ := json.Marshal(c.Policies)
			boundary, _ := json.Marshal(c.Boundary)
			t.Errorf("case %d: %s on %s: Decide says %s, iam-simulate says %s\npolicies: %s\nboundary: %s",
				c.ID, c.Action, c.Resource, got, r.Result, policies, boundary)
		}
	}
	// The generator must exercise every outcome, or the agreement means little.
	for _, want := range []string{"Allowed", "ExplicitlyDenied", "ImplicitlyDenied"} {
		if counts[want] < 100 {
			t.Errorf("only %d cases ended %s; the generator needs rebalancing", counts[want], want)
		}
	}
	t.Logf("agreed on %d cases: %v", len(cases), counts)
	if strings.Contains(stderr.String(), "Error") {
		t.Logf("simulator stderr: %s", stderr.String())
	}
}
