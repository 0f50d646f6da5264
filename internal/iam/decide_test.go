package iam

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/bulwark-sec/bulwark/internal/iamdata"
	"github.com/bulwark-sec/bulwark/internal/source"
)

// managed returns the permissions of a role with only the AWS managed
// policy name attached.
func managed(t *testing.T, name string) *Permissions {
	t.Helper()
	pol := awsManaged("arn:aws:iam::aws:policy/"+name, source.Pos{File: "template.yaml", Line: 3})
	if pol == nil {
		t.Fatalf("%s is not an AWS managed policy in iamdata", name)
	}
	return NewPermissions([]*Policy{pol}, nil)
}

type decideCase struct {
	action, resource string
	want             Decision
}

func checkDecisions(t *testing.T, p *Permissions, cases []decideCase) {
	t.Helper()
	for _, c := range cases {
		if got := p.Decide(c.action, c.resource); got.Decision != c.want {
			t.Errorf("%s on %s: %s, want %s", c.action, c.resource, got.Decision, c.want)
		}
	}
}

func TestDecideKnownAnswersOnAWSManagedPolicies(t *testing.T) {
	t.Run("AdministratorAccess", func(t *testing.T) {
		p := managed(t, "AdministratorAccess")
		checkDecisions(t, p, []decideCase{
			{"iam:CreateUser", "arn:aws:iam::123456789012:user/x", Allowed},
			{"s3:DeleteBucket", "arn:aws:s3:::b", Allowed},
			{"ec2:DescribeInstances", "*", Allowed},
		})
		if len(p.Admin()) != 1 {
			t.Errorf("AdministratorAccess should be one admin grant, got %d", len(p.Admin()))
		}
	})
	t.Run("PowerUserAccess", func(t *testing.T) {
		p := managed(t, "PowerUserAccess")
		checkDecisions(t, p, []decideCase{
			{"s3:GetObject", "arn:aws:s3:::b/k", Allowed},
			{"lambda:UpdateFunctionCode", "arn:aws:lambda:us-east-1:123456789012:function:f", Allowed},
			{"iam:PutRolePolicy", "arn:aws:iam::123456789012:role/r", NotGranted},
			{"iam:CreateServiceLinkedRole", "arn:aws:iam::123456789012:role/aws-service-role/x", Allowed},
			{"organizations:ListAccounts", "*", NotGranted},
		})
		if len(p.Admin()) != 0 {
			t.Error("PowerUserAccess is not administrator access")
		}
		var names []string
		for _, e := range p.Escalations() {
			names = append(names, e.Path.Name)
		}
		for _, want := range []string{"replace function code", "change function configuration", "run commands on instances"} {
			if !strings.Contains(strings.Join(names, ";"), want) {
				t.Errorf("PowerUserAccess escalations %v lack %q", names, want)
			}
		}
		if strings.Contains(strings.Join(names, ";"), "attach policy") {
			t.Errorf("PowerUserAccess cannot attach policies, got %v", names)
		}
	})
	t.Run("AWSLambda_FullAccess", func(t *testing.T) {
		p := managed(t, "AWSLambda_FullAccess")
		checkDecisions(t, p, []decideCase{
			{"lambda:CreateFunction", "arn:aws:lambda:us-east-1:123456789012:function:f", Allowed},
			{"lambda:DeleteFunction", "arn:aws:lambda:us-east-1:123456789012:function:f", Allowed},
			{"dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:123456789012:table/t", NotGranted},
			{"s3:PutObject", "arn:aws:s3:::b/k", NotGranted},
		})
	})
	t.Run("ReadOnlyAccess", func(t *testing.T) {
		p := managed(t, "ReadOnlyAccess")
		checkDecisions(t, p, []decideCase{
			{"s3:GetObject", "arn:aws:s3:::any-bucket/any-key", Allowed},
			{"dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:123456789012:table/t", Allowed},
			{"s3:PutObject", "arn:aws:s3:::b/k", NotGranted},
			{"iam:CreateUser", "arn:aws:iam::123456789012:user/x", NotGranted},
			{"secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:123456789012:secret:s", NotGranted},
		})
	})
}

func TestDecideOnTemplateValues(t *testing.T) {
	doc, diags := parseYAML(t, `
Statement:
  - Effect: Allow
    Action: [dynamodb:GetItem, dynamodb:Query]
    Resource: ["arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/Orders", "${Table.Arn}/index/*"]
  - Effect: Allow
    Action: s3:GetObject
    Resource: arn:aws:s3:::uploads/*
    Condition: {StringEquals: {s3:ExistingObjectTag/public: "yes"}}
  - Effect: Allow
    Action: sqs:SendMessage
    Resource: "${Queue.Arn}"
  - Effect: Deny
    Action: sqs:SendMessage
    Resource: "*"
    Condition: {Bool: {aws:SecureTransport: "false"}}
`)
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	p := NewPermissions([]*Policy{{Name: "app", Kind: KindInline, Document: doc}}, nil)
	checkDecisions(t, p, []decideCase{
		// Pseudo parameters are the stack's own account, region and partition.
		{"dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:123456789012:table/Orders", Allowed},
		{"dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:123456789012:table/Other", NotGranted},
		// A table only known by its GetAtt may or may not be the one asked about.
		{"dynamodb:Query", "arn:aws:dynamodb:us-east-1:123456789012:table/T/index/ByDate", Conditional},
		{"dynamodb:Query", "${Table.Arn}/index/ByDate", Allowed}, // the same expression is the same table
		{"dynamodb:Query", "arn:aws:s3:::bucket/x", NotGranted},
		// The same symbolic value is the same resource.
		{"sqs:SendMessage", "${Queue.Arn}", Conditional}, // a conditional Deny may apply
		{"s3:GetObject", "arn:aws:s3:::uploads/a.txt", Conditional},
		{"s3:GetObject", "arn:aws:s3:::private/a.txt", NotGranted},
		{"s3:GetObjekt", "arn:aws:s3:::uploads/a.txt", NotGranted},
	})
	ans := p.Decide("s3:GetObject", "arn:aws:s3:::uploads/a.txt")
	if len(ans.Allows) != 1 || ans.Allows[0].Certain || ans.Allows[0].Statement.Pos.Line != 6 {
		t.Errorf("the answer should name the conditional statement at line 6: %+v", ans.Allows)
	}
	if !p.Decide("nosuch:Action", "*").UnknownAction {
		t.Error("an unknown action should be reported as such")
	}
}

func TestBoundaryLimitsEffectivePermissions(t *testing.T) {
	app := buildApp(t, `
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Role: !GetAtt Role.Arn}
  Role:
    Type: AWS::IAM::Role
    Properties:
      ManagedPolicyArns: [arn:aws:iam::aws:policy/AdministratorAccess]
      PermissionsBoundary: !Ref Boundary
  Boundary:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Statement:
          - {Effect: Allow, Action: ["s3:*", "dynamodb:GetItem"], Resource: "*"}
          - {Effect: Deny, Action: s3:DeleteBucket, Resource: "*"}
`)
	p := For(app).Function(app.Functions[0])
	if p.Boundary == nil || p.Boundary.Name != "Boundary" {
		t.Fatalf("boundary not read: %+v", p.Boundary)
	}
	checkDecisions(t, p, []decideCase{
		{"s3:GetObject", "arn:aws:s3:::b/k", Allowed},
		{"s3:DeleteBucket", "arn:aws:s3:::b", Denied},
		{"iam:CreateUser", "arn:aws:iam::123456789012:user/u", NotGranted},
	})
	if len(p.Admin()) != 0 {
		t.Error("a bounded AdministratorAccess is not admin")
	}
	var actions []string
	for _, g := range p.Grants() {
		for id := range g.Actions.All() {
			actions = append(actions, id.String())
		}
	}
	if len(actions) == 0 || strings.Contains(strings.Join(actions, ","), "iam:") || strings.Contains(strings.Join(actions, ","), "s3:DeleteBucket,") {
		t.Errorf("effective actions should be s3 (but DeleteBucket) and dynamodb:GetItem, got %d actions", len(actions))
	}
}

func TestUnknownPoliciesAreReportedNotGuessed(t *testing.T) {
	app := buildApp(t, `
Parameters:
  RoleArn: {Type: String}
Resources:
  A:
    Type: AWS::Lambda::Function
    Properties: {Role: !Ref RoleArn}
  B:
    Type: AWS::Lambda::Function
    Properties: {Role: !GetAtt Role.Arn}
  Role:
    Type: AWS::IAM::Role
    Properties:
      ManagedPolicyArns: [arn:aws:iam::123456789012:policy/team-policy]
      PermissionsBoundary: arn:aws:iam::123456789012:policy/boundary
`)
	a := For(app)
	for _, f := range app.Functions {
		p := a.Function(f)
		ans := p.Decide("s3:GetObject", "arn:aws:s3:::b/k")
		if ans.Decision != NotGranted || len(ans.Unresolved) == 0 {
			t.Errorf("%s: %s with unresolved %v; want NotGranted with what is unknown", f.Name, ans.Decision, ans.Unresolved)
		}
	}
	b := a.Function(app.Functions[1])
	var what []string
	for _, u := range b.Unresolved {
		what = append(what, u.What+" "+u.Value)
	}
	if got := strings.Join(what, "; "); got != "managed policy arn:aws:iam::123456789012:policy/team-policy; permissions boundary arn:aws:iam::123456789012:policy/boundary" {
		t.Errorf("unresolved = %q", got)
	}
}

func TestMatchResource(t *testing.T) {
	cases := []struct {
		pattern  string
		symbolic bool
		resource string
		want     Match
	}{
		{"*", false, "arn:aws:s3:::b/k", Matches},
		{"arn:aws:s3:::b/*", false, "arn:aws:s3:::b/k/deep", Matches},
		{"arn:aws:s3:::b/*", false, "arn:aws:s3:::B/k", NoMatch}, // resource part is case-sensitive
		{"arn:AWS:SQS:us-east-1:*:q", false, "arn:aws:sqs:us-east-1:123456789012:q", Matches},
		{"arn:aws:sqs:*:123456789012:jobs?", false, "arn:aws:sqs:eu-west-1:123456789012:jobs1", Matches},
		{"arn:aws:sqs:*:123456789012:jobs?", false, "arn:aws:sqs:eu-west-1:123456789012:jobs", NoMatch},
		{"arn:aws:*", false, "arn:aws:dynamodb:us-east-1:123456789012:table/t", Matches}, // short pattern, padded
		{"arn:aws:s3:::b", false, "arn:aws:s3:::b/k", NoMatch},
		{"arn:aws:*:*:*:*", false, "*", Matches},
		{"arn:aws:s3:::*", false, "*", NoMatch},
		{"arn:${AWS::Partition}:s3:::b/*", true, "arn:aws:s3:::b/k", Matches},
		{"arn:${AWS::Partition}:s3:::${Bucket}/*", true, "arn:aws:s3:::b/k", MaybeMatch},
		{"arn:${AWS::Partition}:s3:::${Bucket}/*", true, "arn:aws:dynamodb:us-east-1:1:table/t", NoMatch},
		{"${Table.Arn}", true, "${Table.Arn}", Matches},
		{"${Table.Arn}", true, "${Other.Arn}", MaybeMatch},
		{"arn:aws:sqs:us-east-1:1:q", false, "${Queue.Arn}", MaybeMatch},
		{"arn:aws:sqs:us-east-1:1:q", false, "arn:aws:s3:::${Bucket}", NoMatch},
	}
	for _, c := range cases {
		if got := MatchResource(Value{Text: c.pattern, Symbolic: c.symbolic}, c.resource); got != c.want {
			t.Errorf("MatchResource(%q, %q) = %s, want %s", c.pattern, c.resource, got, c.want)
		}
	}
}

func TestEscalationPathsNameKnownActions(t *testing.T) {
	for _, path := range EscalationPaths {
		for _, step := range path.Steps {
			for _, name := range step {
				if _, ok := iamdata.Lookup(name); !ok {
					t.Errorf("escalation path %q names %s, which iamdata does not know", path.Name, name)
				}
			}
		}
	}
}

func TestReportGroupsByServiceAndLevelWithOrigins(t *testing.T) {
	app := buildApp(t, `
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Role: !GetAtt Role.Arn}
  Other:
    Type: AWS::Lambda::Function
    Properties: {Role: !GetAtt Role.Arn}
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]
      ManagedPolicyArns: [arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]
      Policies:
        - PolicyName: data
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: [dynamodb:GetItem, dynamodb:PutItem, "s3:*"]
                Resource: !GetAtt Table.Arn
              - {Effect: Deny, Action: s3:DeleteBucket, Resource: "*", Condition: {Bool: {aws:MultiFactorAuthPresent: "false"}}}
  Table:
    Type: AWS::DynamoDB::Table
`)
	v := Report(app, ReportOptions{Function: "Fn"})
	if v.Schema != SchemaVersion || len(v.Functions) != 1 {
		t.Fatalf("view = %+v", v)
	}
	f := v.Functions[0]
	if f.Role != "Role" || len(f.SharedWith) != 1 || f.SharedWith[0] != "Other" || len(f.TrustedBy) != 1 {
		t.Errorf("function header = %+v", f)
	}
	levels := map[string]ActionGroup{}
	for _, s := range f.Services {
		for _, l := range s.Levels {
			for _, g := range l.Groups {
				levels[s.Service+"/"+l.Level] = g
			}
		}
	}
	if g := levels["dynamodb/Read"]; len(g.Actions) != 1 || g.Actions[0] != "dynamodb:GetItem" || g.Grants[0].Position != "template.yaml:19" || g.Grants[0].Resources[0] != "${Table.Arn}" {
		t.Errorf("dynamodb Read group = %+v", g)
	}
	if g := levels["s3/Write"]; !g.AllActions || g.Count < 50 {
		t.Errorf("s3:* should give all s3 Write actions: %+v", g)
	}
	if g := levels["logs/Write"]; g.Grants[0].Policy != "AWS managed policy AWSLambdaBasicExecutionRole" || g.Grants[0].Position != "template.yaml:14" {
		t.Errorf("logs group should come from the managed policy entry: %+v", g)
	}
	if len(f.Denies) != 1 || !f.Denies[0].Conditional {
		t.Errorf("denies = %+v", f.Denies)
	}

	var text bytes.Buffer
	if err := v.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Fn  (template.yaml:3)", "role Role, shared with Other", "Read: GetItem", "on ${Table.Arn}  template.yaml:19 (inline policy data)", "s3 (Amazon S3)\n    all ", "denied under a condition: s3:DeleteBucket"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text view lacks %q:\n%s", want, text.String())
		}
	}
	js, err := v.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var back View
	if err := json.Unmarshal(js, &back); err != nil || back.Functions[0].Name != "Fn" {
		t.Errorf("JSON does not read back: %v", err)
	}
}

func TestReportShowsAdministratorAccessOnce(t *testing.T) {
	app := buildApp(t, `
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Role: !GetAtt Role.Arn}
  Role:
    Type: AWS::IAM::Role
    Properties:
      ManagedPolicyArns: [arn:aws:iam::aws:policy/AdministratorAccess]
`)
	f := Report(app, ReportOptions{}).Functions[0]
	if len(f.EveryAction) != 1 || len(f.Services) != 0 {
		t.Errorf("admin should be one EveryAction entry and no per-service list: %d, %d", len(f.EveryAction), len(f.Services))
	}
}

func TestExpandingWildcardsAllocatesNothing(t *testing.T) {
	iamdata.Expand("*") // start-up: load the data
	for _, pattern := range []string{"*", "s3:*"} {
		if n := testing.AllocsPerRun(100, func() { iamdata.Expand(pattern) }); n != 0 {
			t.Errorf("Expand(%q) allocates %v times per call", pattern, n)
		}
	}
}

func TestForComputesOneAnalysisPerAppUnderConcurrency(t *testing.T) {
	app := buildApp(t, `
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Role: !GetAtt Role.Arn}
  Role:
    Type: AWS::IAM::Role
    Properties:
      ManagedPolicyArns: [arn:aws:iam::aws:policy/ReadOnlyAccess]
`)
	const n = 8
	got := make([]*Analysis, n)
	done := make(chan int)
	for i := range n {
		go func() {
			got[i] = For(app)
			got[i].Function(app.Functions[0]).Decide("s3:GetObject", "arn:aws:s3:::b/k")
			done <- i
		}()
	}
	for range n {
		<-done
	}
	for i := range got {
		if got[i] != got[0] {
			t.Fatal("rules running in parallel should share one analysis")
		}
	}
	if other := buildApp(t, "Resources: {}\n"); For(other) == got[0] {
		t.Error("another app must get its own analysis")
	}
}

func TestPassRoleLimitedToAnotherServiceOpensNoPath(t *testing.T) {
	paths := func(service string) []string {
		doc, diags := parseYAML(t, `
Statement:
  - Effect: Allow
    Action: [lambda:CreateFunction, lambda:InvokeFunction]
    Resource: "*"
  - Effect: Allow
    Action: iam:PassRole
    Resource: "*"
    Condition: {StringEquals: {iam:PassedToService: `+service+`}}
`)
		if len(diags) > 0 {
			t.Fatal(diags)
		}
		var names []string
		for _, e := range NewPermissions([]*Policy{{Kind: KindInline, Document: doc}}, nil).Escalations() {
			names = append(names, e.Path.Name)
		}
		return names
	}
	if got := paths("states.amazonaws.com"); len(got) != 0 {
		t.Errorf("PassRole only to Step Functions cannot create a function with a role: %v", got)
	}
	if got := paths("lambda.amazonaws.com"); len(got) != 1 || got[0] != "new function with a passed role" {
		t.Errorf("PassRole to Lambda opens the path: %v", got)
	}
}

func TestUnattachedPrincipalsAndPoliciesAreAnalysedOnTheirOwn(t *testing.T) {
	app := buildApp(t, `
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Role: !GetAtt FnRole.Arn}
  FnRole:
    Type: AWS::IAM::Role
    Properties: {AssumeRolePolicyDocument: {}}
  FnExtra:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: extra
      Roles: [!Ref FnRole]
      PolicyDocument: {Statement: [{Effect: Allow, Action: sqs:SendMessage, Resource: "*"}]}
  Worker:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: states.amazonaws.com}, Action: sts:AssumeRole}]}
      Policies: [{PolicyName: run, PolicyDocument: {Statement: [{Effect: Allow, Action: lambda:InvokeFunction, Resource: "*"}]}}]
      PermissionsBoundary: arn:aws:iam::aws:policy/ReadOnlyAccess
  WorkerExtra:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      Roles: [!Ref Worker]
      PolicyDocument: {Statement: [{Effect: Allow, Action: s3:GetObject, Resource: "*"}]}
  Orphan:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: orphan
      Users: [someone]
      PolicyDocument: {Statement: [{Effect: Allow, Action: "*", Resource: "*"}]}
`)
	var got []string
	for _, p := range For(app).Unattached() {
		var names []string
		for _, pol := range p.Policies {
			names = append(names, pol.Name)
		}
		got = append(got, p.Subject.LogicalID+":"+strings.Join(names, ","))
	}
	if want := "Worker:run,WorkerExtra; Orphan:orphan"; strings.Join(got, "; ") != want {
		t.Errorf("unattached = %q, want %q (FnRole and FnExtra belong to the function)", strings.Join(got, "; "), want)
	}
	worker := For(app).Unattached()[0]
	checkDecisions(t, worker, []decideCase{
		{"s3:GetObject", "arn:aws:s3:::b/k", Allowed},
		// The ReadOnlyAccess boundary does not allow invoking.
		{"lambda:InvokeFunction", "arn:aws:lambda:us-east-1:123456789012:function:f", NotGranted},
	})
	if worker.Trust == nil || len(worker.Trust.Document.Statements) != 1 {
		t.Error("the role's trust policy should be read")
	}
}
