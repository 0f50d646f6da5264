package rules

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bulwark-sec/bulwark/internal/load"
	"github.com/bulwark-sec/bulwark/internal/rule"
)

// iamRoleTemplate is a plain CloudFormation template with one function and its
// role; roleProps is added to the role's Properties, indented by six spaces,
// starting at line 19.
func iamRoleTemplate(roleProps string) map[string]string {
	return template(`AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Code: {ZipFile: "x"}
      Role: !GetAtt Role.Arn
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: sts:AssumeRole
` + roleProps)
}

// iamInline wraps statements (indented for a Statement list item at 12
// spaces) in an inline policy; the first statement is at line 23.
func iamInline(statements string) string {
	return `      Policies:
        - PolicyName: app
          PolicyDocument:
            Statement:
` + statements
}

type iamCase struct {
	name      string
	files     map[string]string
	wantLines []int
	wantText  []string // substrings every finding's message must hold
}

func runIAMCases(t *testing.T, r *rule.Rule, cases []iamCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := runRule(t, r, c.files)
			if !slices.Equal(lines(got), c.wantLines) {
				t.Fatalf("%s reported at lines %v, want %v: %v", r.ID, lines(got), c.wantLines, findingMessages(got))
			}
			for _, f := range got {
				if f.RuleID != r.ID {
					t.Errorf("finding has rule %s, want %s", f.RuleID, r.ID)
				}
				for _, want := range c.wantText {
					if !strings.Contains(f.Message, want) {
						t.Errorf("message %q does not mention %q", f.Message, want)
					}
				}
			}
		})
	}
}

func findingMessages(fs []rule.Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Message
	}
	return out
}

func TestAdminAccessFoundHoweverGranted(t *testing.T) {
	runIAMCases(t, ruleAdminAccess, []iamCase{
		{name: "inline star on star", files: iamRoleTemplate(iamInline(`              - Effect: Allow
                Action: "*"
                Resource: "*"
`)), wantLines: []int{23}, wantText: []string{"function Fn", "every action on every resource", "inline policy app"}},
		{name: "AWS managed AdministratorAccess by Sub ARN", files: iamRoleTemplate(`      ManagedPolicyArns:
        - !Sub arn:${AWS::Partition}:iam::aws:policy/AdministratorAccess
`), wantLines: []int{20}, wantText: []string{"AWS managed policy AdministratorAccess"}},
		{name: "customer managed policy of the stack", files: iamRoleTemplate(`      ManagedPolicyArns: [!Ref Admin]
  Admin:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument:
        Statement:
          - Effect: Allow
            Action: ["*:*"]
            Resource: "*"
`), wantLines: []int{25}, wantText: []string{"managed policy Admin"}},
		{name: "AWS::IAM::Policy naming the role", files: iamRoleTemplate(`  Extra:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: extra
      Roles: [!Ref Role]
      PolicyDocument:
        Statement:
          - {Effect: Allow, Action: "*", Resource: "*"}
`), wantLines: []int{26}, wantText: []string{"policy extra"}},
		{name: "bounded by a permissions boundary", files: iamRoleTemplate(`      PermissionsBoundary: arn:aws:iam::aws:policy/ReadOnlyAccess
      ManagedPolicyArns: [arn:aws:iam::aws:policy/AdministratorAccess]
`)},
		{name: "scoped actions", files: iamRoleTemplate(iamInline(`              - Effect: Allow
                Action: dynamodb:GetItem
                Resource: "*"
`))},
		{name: "star on one resource only", files: iamRoleTemplate(iamInline(`              - Effect: Allow
                Action: "*"
                Resource: arn:aws:s3:::bucket/*
`))},
		{name: "admin minus an unconditional deny", files: iamRoleTemplate(iamInline(`              - Effect: Allow
                Action: "*"
                Resource: "*"
              - Effect: Deny
                Action: iam:*
                Resource: "*"
`))},
	})
}

func TestFullServiceAccess(t *testing.T) {
	runIAMCases(t, ruleFullServiceAccess, []iamCase{
		{name: "service star", files: iamRoleTemplate(iamInline(`              - Effect: Allow
                Action: [dynamodb:*, s3:GetObject]
                Resource: !Sub arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/Orders
`)), wantLines: []int{23}, wantText: []string{"function Fn", "every dynamodb action (dynamodb:*)", "table/Orders"}},
		{name: "managed FullAccess and PowerUserAccess", files: iamRoleTemplate(`      ManagedPolicyArns:
        - arn:aws:iam::aws:policy/AmazonS3FullAccess
        - arn:aws:iam::aws:policy/PowerUserAccess
`), wantLines: []int{20, 21}, wantText: []string{"full access"}},
		{name: "same service twice reported once", files: iamRoleTemplate(iamInline(`              - Effect: Allow
                Action: s3:*
                Resource: arn:aws:s3:::a/*
              - Effect: Allow
                Action: S3:*
                Resource: arn:aws:s3:::b/*
`)), wantLines: []int{23}},
		{name: "named actions", files: iamRoleTemplate(iamInline(`              - Effect: Allow
                Action: [s3:GetObject, s3:PutObject]
                Resource: arn:aws:s3:::a/*
`))},
		{name: "admin is BW101's", files: iamRoleTemplate(`      ManagedPolicyArns: [arn:aws:iam::aws:policy/AdministratorAccess]
`)},
		{name: "read-only managed policy", files: iamRoleTemplate(`      ManagedPolicyArns: [arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess]
`)},
	})
}

func TestWildcardResourceOnlyForScopableActions(t *testing.T) {
	runIAMCases(t, ruleWildcardResource, []iamCase{
		{name: "scopable actions on star", files: iamRoleTemplate(iamInline(`              - Effect: Allow
                Action: [dynamodb:GetItem, xray:PutTraceSegments]
                Resource: "*"
`)), wantLines: []int{23}, wantText: []string{"dynamodb:GetItem", "every resource"}},
		{name: "unscopable actions on star", files: iamRoleTemplate(iamInline(`              - Effect: Allow
                Action: [xray:PutTraceSegments, xray:PutTelemetryRecords, ec2:DescribeNetworkInterfaces]
                Resource: "*"
`))},
		{name: "scoped resource", files: iamRoleTemplate(iamInline(`              - Effect: Allow
                Action: dynamodb:GetItem
                Resource: !Sub arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/Orders
`))},
		{name: "AWS managed policies are not this rule's", files: iamRoleTemplate(`      ManagedPolicyArns: [arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]
`)},
	})
}

func TestPrivilegeEscalationPaths(t *testing.T) {
	runIAMCases(t, rulePrivilegeEscalation, []iamCase{
		{name: "put role policy", files: iamRoleTemplate(iamInline(`              - Effect: Allow
                Action: iam:PutRolePolicy
                Resource: "*"
`)), wantLines: []int{23}, wantText: []string{"function Fn", "put inline policy (iam:PutRolePolicy)"}},
		{name: "pass role and create function across statements", files: iamRoleTemplate(iamInline(`              - Effect: Allow
                Action: iam:PassRole
                Resource: "*"
              - Effect: Allow
                Action: [lambda:CreateFunction, lambda:InvokeFunction]
                Resource: "*"
`)), wantLines: []int{26}, wantText: []string{"lambda:CreateFunction + lambda:InvokeFunction + iam:PassRole"}},
		{name: "iam star opens several paths in one finding", files: iamRoleTemplate(iamInline(`              - Effect: Allow
                Action: iam:*
                Resource: "*"
`)), wantLines: []int{23}, wantText: []string{"new policy version", "attach policy", "trust policy"}},
		{name: "update function code", files: iamRoleTemplate(iamInline(`              - Effect: Allow
                Action: lambda:UpdateFunctionCode
                Resource: !Sub arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:other
`)), wantLines: []int{23}},
		{name: "create function without pass role", files: iamRoleTemplate(iamInline(`              - Effect: Allow
                Action: [lambda:CreateFunction, lambda:InvokeFunction]
                Resource: "*"
`))},
		{name: "escalation denied", files: iamRoleTemplate(iamInline(`              - Effect: Allow
                Action: iam:PutRolePolicy
                Resource: "*"
              - Effect: Deny
                Action: iam:*
                Resource: "*"
`))},
	})
}

func TestDataExfiltrationOnEveryResource(t *testing.T) {
	runIAMCases(t, ruleDataExfiltration, []iamCase{
		{name: "secrets on star", files: iamRoleTemplate(iamInline(`              - Effect: Allow
                Action: [secretsmanager:GetSecretValue, ssm:GetParameter*]
                Resource: "*"
`)), wantLines: []int{23}, wantText: []string{"secretsmanager:GetSecretValue", "ssm:GetParameter"}},
		{name: "every secret by ARN pattern", files: iamRoleTemplate(iamInline(`              - Effect: Allow
                Action: secretsmanager:GetSecretValue
                Resource: !Sub arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:*
`)), wantLines: []int{23}},
		{name: "ReadOnlyAccess reads every object", files: iamRoleTemplate(`      ManagedPolicyArns: [arn:aws:iam::aws:policy/ReadOnlyAccess]
`), wantLines: []int{19}, wantText: []string{"s3:GetObject", "AWS managed policy ReadOnlyAccess"}},
		{name: "one secret", files: iamRoleTemplate(iamInline(`              - Effect: Allow
                Action: secretsmanager:GetSecretValue
                Resource: !Ref DbSecret
  DbSecret:
    Type: AWS::SecretsManager::Secret
`))},
		{name: "a bucket prefix", files: iamRoleTemplate(iamInline(`              - Effect: Allow
                Action: s3:GetObject
                Resource: arn:aws:s3:::uploads/incoming/*
`))},
	})
}

func TestSharedRoleHoweverReferenced(t *testing.T) {
	shared := template(`AWSTemplateFormatVersion: "2010-09-09"
Resources:
  A:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Code: {ZipFile: "x"}
      Role: !GetAtt Role.Arn
  B:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Code: {ZipFile: "x"}
      Role: arn:aws:iam::123456789012:role/shared-role
  C:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Code: {ZipFile: "x"}
      Role: !GetAtt Other.Arn
  Role:
    Type: AWS::IAM::Role
    Properties:
      RoleName: shared-role
      AssumeRolePolicyDocument: {}
  Other:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {}
`)
	runIAMCases(t, ruleSharedRole, []iamCase{
		{name: "GetAtt and ARN name the same role", files: shared, wantLines: []int{9, 16}, wantText: []string{"shares its execution role Role"}},
		{name: "own role", files: iamRoleTemplate("")},
	})
}

func TestNotActionAndNotResource(t *testing.T) {
	runIAMCases(t, ruleNotAction, []iamCase{
		{name: "allow NotAction", files: iamRoleTemplate(iamInline(`              - Effect: Allow
                NotAction: iam:*
                Resource: "*"
`)), wantLines: []int{23}, wantText: []string{"every action except iam:*"}},
		{name: "allow NotResource", files: iamRoleTemplate(iamInline(`              - Effect: Allow
                Action: s3:GetObject
                NotResource: arn:aws:s3:::private/*
`)), wantLines: []int{23}, wantText: []string{"every resource except arn:aws:s3:::private/*"}},
		{name: "deny NotAction is a guardrail", files: iamRoleTemplate(iamInline(`              - Effect: Deny
                NotAction: s3:GetObject
                Resource: "*"
`))},
		{name: "PowerUserAccess is BW102's", files: iamRoleTemplate(`      ManagedPolicyArns: [arn:aws:iam::aws:policy/PowerUserAccess]
`)},
	})
}

// iamTrustTemplate is a function whose role trusts the given statements
// (list items at 10 spaces, first at line 16).
func iamTrustTemplate(statements string) map[string]string {
	return template(`AWSTemplateFormatVersion: "2010-09-09"
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Code: {ZipFile: "x"}
      Role: !GetAtt Role.Arn
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
` + statements)
}

func TestTrustTooBroad(t *testing.T) {
	runIAMCases(t, ruleTrustTooBroad, []iamCase{
		{name: "wildcard principal", files: iamTrustTemplate(`          - Effect: Allow
            Principal: "*"
            Action: sts:AssumeRole
`), wantLines: []int{16}, wantText: []string{"role Role of Fn", "anyone"}},
		{name: "another service and an account", files: iamTrustTemplate(`          - Effect: Allow
            Principal:
              Service: [lambda.amazonaws.com, ec2.amazonaws.com]
              AWS: arn:aws:iam::111122223333:root
            Action: sts:AssumeRole
`), wantLines: []int{16}, wantText: []string{"Service ec2.amazonaws.com", "AWS arn:aws:iam::111122223333:root"}},
		{name: "NotPrincipal", files: iamTrustTemplate(`          - Effect: Allow
            NotPrincipal: {AWS: arn:aws:iam::111122223333:root}
            Action: sts:AssumeRole
`), wantLines: []int{16}},
		{name: "account with an external ID condition", files: iamTrustTemplate(`          - Effect: Allow
            Principal: {AWS: arn:aws:iam::111122223333:root}
            Action: sts:AssumeRole
            Condition: {StringEquals: {sts:ExternalId: x}}
`)},
		{name: "Lambda and Lambda@Edge", files: iamTrustTemplate(`          - Effect: Allow
            Principal: {Service: [lambda.amazonaws.com, edgelambda.amazonaws.com]}
            Action: sts:AssumeRole
`)},
	})
}

func TestUnknownAction(t *testing.T) {
	runIAMCases(t, ruleUnknownAction, []iamCase{
		{name: "misspelt and retired", files: iamRoleTemplate(iamInline(`              - Effect: Allow
                Action:
                  - dynamodb:GetItems
                  - s3:GetObject
                  - nosuchservice:Get*
                Resource: "*"
`)), wantLines: []int{25, 27}, wantText: []string{"not an IAM action"}},
		{name: "case differs from AWS", files: iamRoleTemplate(iamInline(`              - Effect: Allow
                Action: [DynamoDB:getitem, s3:get*]
                Resource: "*"
`))},
	})
}

func TestIdentityFindingsNameTheFunctionAndLine(t *testing.T) {
	fs := runRule(t, ruleAdminAccess, iamRoleTemplate(iamInline(`              - Effect: Allow
                Action: "*"
                Resource: "*"
`)))
	if len(fs) != 1 {
		t.Fatalf("got %d findings", len(fs))
	}
	l := fs[0].Location
	if l.Function != "Fn" || l.Resource != "Fn" || !strings.HasSuffix(l.Pos.File, "template.yaml") || l.Pos.Line != 23 {
		t.Errorf("location = %+v, want function Fn at template.yaml:23", l)
	}
}

// iamSAMOutputs holds templates the real SAM transform wrote, with
// its expansions of policy templates, managed policy names and connectors.
const iamSAMOutputs = "../../../shared/corpus/serverless-application-model/tests/translator/output"

func TestIdentityRulesOnSAMExpandedPolicies(t *testing.T) {
	read := func(name string) map[string]string {
		b, err := os.ReadFile(filepath.Join(iamSAMOutputs, name))
		if err != nil {
			t.Skipf("SAM translator outputs not found at %s: this test needs ../shared/corpus", iamSAMOutputs)
		}
		return map[string]string{"template.json": string(b)}
	}
	cases := []struct {
		rule *rule.Rule
		file string
		want []string // function/evidence of each finding, in order
	}{
		// Inline dynamodb:* and the AmazonDynamoDBFullAccess entry of the same function.
		{ruleFullServiceAccess, "function_with_policy_templates.json", []string{"AllCombinations/AmazonDynamoDBFullAccess", "AllCombinations/dynamodb:*"}},
		{ruleWildcardResource, "function_with_policy_templates.json", []string{"AllCombinations/dynamodb:*"}},
		{ruleAdminAccess, "function_with_policy_templates.json", nil},
		{rulePrivilegeEscalation, "function_with_policy_templates.json", nil},
		// SQSPollerPolicy, LambdaInvokePolicy and connectors are scoped.
		{ruleDataExfiltration, "connector_function_to_s3.json", nil},
		{ruleWildcardResource, "connector_function_to_s3.json", nil},
		// SAM's SQSPollerPolicy names batch APIs that IAM authorizes through the
		// single-message actions; written by hand in plain CloudFormation, they
		// grant nothing.
		{ruleUnknownAction, "function_with_policy_templates.json", []string{
			"MultiplePolicyTemplates/sqs:ChangeMessageVisibilityBatch", "MultiplePolicyTemplates/sqs:DeleteMessageBatch",
			"OnePolicyTemplate/sqs:ChangeMessageVisibilityBatch", "OnePolicyTemplate/sqs:DeleteMessageBatch"}},
	}
	for _, c := range cases {
		t.Run(c.rule.ID+"/"+c.file, func(t *testing.T) {
			var got []string
			for _, f := range runRule(t, c.rule, read(c.file)) {
				got = append(got, f.Location.Function+"/"+f.Evidence)
			}
			slices.Sort(got)
			if !slices.Equal(got, c.want) {
				t.Errorf("%s found %v, want %v", c.rule.ID, got, c.want)
			}
		})
	}
}

// iamSAMFunction is a SAM template with one function; props are added to its
// Properties (6 spaces), starting at line 9.
func iamSAMFunction(props string) map[string]string {
	return template(`Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      InlineCode: "def handler(event, context): pass"
` + props)
}

// requireSAMTransform skips a test while internal/load cannot expand SAM templates.
func requireSAMTransform(t *testing.T) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "template.yaml"), []byte(iamSAMFunction("")["template.yaml"]), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := load.Paths([]string{dir}, load.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) > 0 || len(res.App.Functions) != 1 {
		t.Skipf("internal/load does not expand SAM templates yet (%v): SAM fixtures need the SAM transform", res.Errors)
	}
}

func TestIdentityAndResourcePolicyRulesOnSAM(t *testing.T) {
	requireSAMTransform(t)
	cases := []struct {
		rule *rule.Rule
		iamCase
	}{
		{ruleAdminAccess, iamCase{name: "managed policy name", files: iamSAMFunction(`      Policies:
        - AdministratorAccess
`), wantLines: []int{10}, wantText: []string{"AWS managed policy AdministratorAccess"}}},
		{ruleAdminAccess, iamCase{name: "inline statement", files: iamSAMFunction(`      Policies:
        - Statement:
            - {Effect: Allow, Action: "*", Resource: "*"}
`), wantLines: []int{11}}},
		{ruleAdminAccess, iamCase{name: "policy templates", files: iamSAMFunction(`      Policies:
        - DynamoDBCrudPolicy: {TableName: orders}
        - SQSPollerPolicy: {QueueName: jobs}
`)}},
		{ruleFullServiceAccess, iamCase{name: "FullAccess by name", files: iamSAMFunction(`      Policies:
        - DynamoDBReadPolicy: {TableName: orders}
        - AmazonS3FullAccess
`), wantLines: []int{11}, wantText: []string{"AmazonS3FullAccess"}}},
		{ruleFullServiceAccess, iamCase{name: "CRUD template is not full access", files: iamSAMFunction(`      Policies:
        - DynamoDBCrudPolicy: {TableName: orders}
`)}},
		{ruleWildcardResource, iamCase{name: "statement on star", files: iamSAMFunction(`      Policies:
        - Statement:
            - {Effect: Allow, Action: [sqs:SendMessage], Resource: "*"}
`), wantLines: []int{11}, wantText: []string{"sqs:SendMessage"}}},
		{ruleWildcardResource, iamCase{name: "templates are scoped", files: iamSAMFunction(`      Policies:
        - S3ReadPolicy: {BucketName: uploads}
        - CloudWatchPutMetricPolicy: {}
`)}},
		{ruleDataExfiltration, iamCase{name: "every parameter through a template", files: iamSAMFunction(`      Policies:
        - SSMParameterReadPolicy: {ParameterName: "*"}
`), wantLines: []int{10}, wantText: []string{"ssm:GetParameter", "SAM policy template SSMParameterReadPolicy"}}},
		{ruleDataExfiltration, iamCase{name: "one secret", files: iamSAMFunction(`      Policies:
        - AWSSecretsManagerGetSecretValuePolicy: {SecretArn: !Ref Secret}
  Secret:
    Type: AWS::SecretsManager::Secret
`)}},
		{rulePrivilegeEscalation, iamCase{name: "inline pass role", files: iamSAMFunction(`      Policies:
        - Statement:
            - {Effect: Allow, Action: [iam:PassRole, lambda:CreateFunction, lambda:AddPermission], Resource: "*"}
`), wantLines: []int{11}, wantText: []string{"new function with a passed role"}}},
		{ruleUnknownAction, iamCase{name: "misspelt in a statement", files: iamSAMFunction(`      Policies:
        - Statement:
            - Effect: Allow
              Action: [dynamodb:GetItems]
              Resource: "*"
`), wantLines: []int{12}}},
		{ruleUnknownAction, iamCase{name: "SAM's own templates", files: iamSAMFunction(`      Policies:
        - SQSPollerPolicy: {QueueName: jobs}
`)}},
		{ruleTrustTooBroad, iamCase{name: "function trust policy", files: iamSAMFunction(`      AssumeRolePolicyDocument:
        Statement:
          - {Effect: Allow, Principal: {AWS: "*"}, Action: sts:AssumeRole}
`), wantLines: []int{11}}},
		{ruleTrustTooBroad, iamCase{name: "generated role trusts Lambda", files: iamSAMFunction("")}},
		{ruleLambdaPublicInvoke, iamCase{name: "public URL is BW203's", files: iamSAMFunction(`      FunctionUrlConfig: {AuthType: NONE}
`)}},
		{ruleLambdaConfusedDeputy, iamCase{name: "SAM scopes event permissions", files: iamSAMFunction(`      Events:
        Upload:
          Type: S3
          Properties: {Bucket: !Ref Uploads, Events: s3:ObjectCreated:*}
        Topic:
          Type: SNS
          Properties: {Topic: !Ref Alerts}
  Uploads:
    Type: AWS::S3::Bucket
  Alerts:
    Type: AWS::SNS::Topic
`)}},
	}
	for _, c := range cases {
		t.Run(c.rule.ID, func(t *testing.T) { runIAMCases(t, c.rule, []iamCase{c.iamCase}) })
	}
}

func TestSharedRoleOnSAM(t *testing.T) {
	requireSAMTransform(t)
	runIAMCases(t, ruleSharedRole, []iamCase{{name: "two functions, one role", files: template(`Transform: AWS::Serverless-2016-10-31
Globals:
  Function: {Runtime: python3.12, Handler: app.handler, CodeUri: s3://bucket/code.zip}
Resources:
  A:
    Type: AWS::Serverless::Function
    Properties:
      Role: !GetAtt Shared.Arn
  B:
    Type: AWS::Serverless::Function
    Properties:
      Role: !GetAtt Shared.Arn
  C:
    Type: AWS::Serverless::Function
    Properties: {}
  Shared:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {}
`), wantLines: []int{8, 12}, wantText: []string{"shares its execution role Shared"}}})
}

func TestRolesAndPoliciesNoFunctionUsesAreJudgedOnTheirOwn(t *testing.T) {
	files := template(`AWSTemplateFormatVersion: "2010-09-09"
Resources:
  StatesRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {}
      ManagedPolicyArns: [arn:aws:iam::aws:policy/AdministratorAccess]
  Loose:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: loose
      Groups: [ops]
      PolicyDocument:
        Statement:
          - Effect: Allow
            Action: ["*"]
            Resource: arn:aws:s3:::shared/*
          - Effect: Allow
            Action: [iam:AttachRolePolicy]
            Resource: "*"
`)
	cases := []struct {
		rule *rule.Rule
		want []string // location resource / evidence
		text string
	}{
		{ruleAdminAccess, []string{"StatesRole/*:*"}, "role StatesRole may perform every action"},
		{ruleFullServiceAccess, []string{"Loose/*"}, "whoever has policy Loose may perform every action of every service (*) on arn:aws:s3:::shared/*"},
		{rulePrivilegeEscalation, []string{"Loose/attach policy (iam:AttachRolePolicy)"}, "whoever has policy Loose can escalate"},
	}
	for _, c := range cases {
		t.Run(c.rule.ID, func(t *testing.T) {
			var got []string
			for _, f := range runRule(t, c.rule, files) {
				got = append(got, f.Location.Resource+"/"+f.Evidence)
				if f.Location.Function != "" || !strings.Contains(f.Message, c.text) {
					t.Errorf("finding %+v should name no function and say %q", f, c.text)
				}
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("%s found %v, want %v", c.rule.ID, got, c.want)
			}
		})
	}
}

func TestAWSServiceRolePoliciesCountOnlyOnFunctionRoles(t *testing.T) {
	const batchRole = `
  BatchServiceRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {Service: batch.amazonaws.com}
            Action: sts:AssumeRole
      ManagedPolicyArns:
        - arn:aws:iam::aws:policy/service-role/AWSBatchServiceRole
`
	const fn = `
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Code: {ZipFile: x}
      Role: !GetAtt BatchServiceRole.Arn
`
	if got := runRule(t, rulePrivilegeEscalation, template("Resources:"+batchRole)); len(got) != 0 {
		t.Errorf("an AWS service role no function uses must not be reported for AWS's own policy: %v", got)
	}
	if got := runRule(t, rulePrivilegeEscalation, template("Resources:"+batchRole+fn)); len(got) == 0 {
		t.Error("the same policy on a function's role is the function's blast radius and must be reported")
	}
}
