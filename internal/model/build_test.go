package model_test

import (
	"slices"
	"testing"

	"github.com/bulwark-sec/bulwark/internal/cfn"
	"github.com/bulwark-sec/bulwark/internal/model"
	"github.com/bulwark-sec/bulwark/internal/source"
)

func build(t *testing.T, src string) *model.App {
	t.Helper()
	doc, err := source.Parse("t.yaml", []byte(src), source.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	tmpl, warns := cfn.Parse("t.yaml", doc.Root)
	if len(warns) > 0 {
		t.Fatalf("parse warnings: %v", warns)
	}
	return model.Build([]model.Input{{Name: "t.yaml", Kind: "cloudformation", Doc: doc, Template: tmpl}})
}

func function(t *testing.T, app *model.App, name string) *model.Function {
	t.Helper()
	for _, f := range app.Functions {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("no function %s", name)
	return nil
}

const sharedRoles = `
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      RoleName: app-role
      AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]}
      ManagedPolicyArns: [arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole, !Ref Managed]
      Policies:
        - PolicyName: inline
          PolicyDocument: {Statement: [{Effect: Allow, Action: s3:GetObject, Resource: "*"}]}
  Managed:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      PolicyDocument: {Statement: [{Effect: Allow, Action: sqs:SendMessage, Resource: "*"}]}
  Extra:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: extra
      Roles: [!Ref Role]
      PolicyDocument: {Statement: [{Effect: Allow, Action: sns:Publish, Resource: "*"}]}
  ByGetAtt:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: a.h, Role: !GetAtt Role.Arn, Code: {ZipFile: x}}
  BySub:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: a.h, Role: !Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${Role}", Code: {ZipFile: x}}
  ByARN:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: a.h, Role: "arn:aws:iam::123456789012:role/app-role", Code: {ZipFile: x}}
  BySubName:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: a.h, Role: !Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/app-role", Code: {ZipFile: x}}
  External:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: a.h, Role: "arn:aws:iam::123456789012:role/other", Code: {ZipFile: x}}
  ExternalBySub:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: a.h, Role: !Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/other", Code: {ZipFile: x}}
`

func TestOneRoleHoweverItIsReferenced(t *testing.T) {
	app := build(t, sharedRoles)
	if len(app.Roles) != 2 {
		t.Fatalf("got %d roles, want 2 (app-role and the external one)", len(app.Roles))
	}
	shared := function(t, app, "ByGetAtt").Role
	for _, name := range []string{"BySub", "ByARN", "BySubName"} {
		if function(t, app, name).Role != shared {
			t.Errorf("%s does not share ByGetAtt's role", name)
		}
	}
	if len(shared.Functions) != 4 {
		t.Errorf("shared role has %d functions, want 4", len(shared.Functions))
	}
	ext := function(t, app, "External").Role
	if !ext.External() || ext.Name != "other" {
		t.Errorf("external role = %+v", ext)
	}
	if function(t, app, "ExternalBySub").Role != ext {
		t.Error("an external role named by a Sub-built ARN must be the same role as its literal ARN")
	}
}

func TestRolePoliciesFromEverySource(t *testing.T) {
	role := function(t, build(t, sharedRoles), "ByGetAtt").Role
	var kinds []string
	for _, p := range role.Policies {
		kinds = append(kinds, p.Kind+":"+p.Name)
	}
	want := []string{"inline:inline", "customer-managed:Managed", "policy-resource:extra"}
	if !slices.Equal(kinds, want) {
		t.Errorf("policies %v, want %v", kinds, want)
	}
	if len(role.Managed) != 1 || role.Managed[0].ARN.Value != "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole" {
		t.Errorf("managed = %+v", role.Managed)
	}
	if role.Trust == nil || role.Trust.Document.Get("Statement") == nil {
		t.Error("trust policy missing")
	}
}

const invokers = `
Parameters:
  Secret: {Type: String, NoEcho: true}
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: nodejs20.x
      Handler: index.handler
      Role: arn:aws:iam::123456789012:role/r
      Code: {ZipFile: "exports.handler = async () => 1"}
      Environment:
        Variables:
          TABLE: !Ref Table
          API_KEY: !Ref Secret
      VpcConfig:
        SubnetIds: [subnet-1, subnet-2]
        SecurityGroupIds: [!Ref Sg]
      TracingConfig: {Mode: Active}
      DeadLetterConfig: {TargetArn: !GetAtt Dlq.Arn}
  Sg: {Type: AWS::EC2::SecurityGroup, Properties: {GroupDescription: x}}
  Dlq: {Type: AWS::SQS::Queue}
  Table: {Type: AWS::DynamoDB::Table}
  Queue: {Type: AWS::SQS::Queue}
  Alias:
    Type: AWS::Lambda::Alias
    Properties: {FunctionName: !Ref Fn, FunctionVersion: "1", Name: live}
  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties: {FunctionName: !Ref Alias, EventSourceArn: !GetAtt Queue.Arn}
  Url:
    Type: AWS::Lambda::Url
    Properties: {TargetFunctionArn: !Ref Alias, AuthType: NONE}
  S3Permission:
    Type: AWS::Lambda::Permission
    Properties: {FunctionName: !GetAtt Fn.Arn, Action: lambda:InvokeFunction, Principal: s3.amazonaws.com, SourceAccount: !Ref AWS::AccountId}
  Rule:
    Type: AWS::Events::Rule
    Properties: {ScheduleExpression: rate(1 hour), Targets: [{Id: t, Arn: !GetAtt Fn.Arn}]}
  LogGroup:
    Type: AWS::Logs::LogGroup
    Properties: {LogGroupName: !Sub "/aws/lambda/${Fn}", RetentionInDays: 30}
  Alarm:
    Type: AWS::CloudWatch::Alarm
    Properties: {MetricName: Errors, Namespace: AWS/Lambda, Dimensions: [{Name: FunctionName, Value: !Ref Fn}]}
`

func TestFunctionLinksToWhatInvokesAndSurroundsIt(t *testing.T) {
	f := function(t, build(t, invokers), "Fn")
	var kinds []string
	for _, s := range f.Sources {
		kinds = append(kinds, s.Kind)
	}
	if !slices.Equal(kinds, []string{"sqs", "s3", "events"}) {
		t.Errorf("sources %v, want [sqs s3 events] (resource order)", kinds)
	}
	if f.Sources[0].Async || !f.Sources[1].Async || !f.Sources[2].Async {
		t.Errorf("async flags wrong: %+v %+v %+v", f.Sources[0], f.Sources[1], f.Sources[2])
	}
	if len(f.URLs) != 1 || f.URLs[0].AuthType != "NONE" {
		t.Errorf("urls %+v", f.URLs)
	}
	if len(f.Permissions) != 1 || len(f.Aliases) != 1 || len(f.Alarms) != 1 || f.LogGroup == nil {
		t.Errorf("permissions %d aliases %d alarms %d log group %v", len(f.Permissions), len(f.Aliases), len(f.Alarms), f.LogGroup)
	}
	if f.VPC == nil || len(f.VPC.Subnets) != 2 || len(f.VPC.SecurityGroups) != 1 {
		t.Errorf("vpc %+v", f.VPC)
	}
	if f.Tracing != "Active" || f.DLQ == nil || f.InlineCode == nil {
		t.Errorf("tracing %q dlq %v inline %v", f.Tracing, f.DLQ, f.InlineCode)
	}
	env := map[string]model.EnvVar{}
	for _, e := range f.Env {
		env[e.Name] = e
	}
	if got := env["API_KEY"].Value; got.Kind != source.Symbol || !slices.Contains(got.Refs, "Secret") {
		t.Errorf("API_KEY must stay tied to the NoEcho parameter: %+v", got)
	}
	if env["TABLE"].Pos.Line == 0 {
		t.Error("env var has no position")
	}
}

func TestConditionalResourcesAreLeftOutWhenFalse(t *testing.T) {
	app := build(t, `
Parameters:
  Stage: {Type: String, Default: dev}
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
Resources:
  ProdOnly:
    Type: AWS::Lambda::Function
    Condition: IsProd
    Properties: {Runtime: python3.12, Handler: a.h, Role: arn:aws:iam::1:role/r, Code: {ZipFile: x}}
  Always:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: a.h, Role: arn:aws:iam::1:role/r, Code: {ZipFile: x}}
`)
	if len(app.Functions) != 1 || app.Functions[0].Name != "Always" {
		t.Errorf("functions: %d", len(app.Functions))
	}
}

func TestMalformedResourcesDoNotStopTheModel(t *testing.T) {
	app := build(t, `
Resources:
  NoProps: {Type: AWS::Lambda::Function}
  WeirdProps:
    Type: AWS::Lambda::Function
    Properties: {Environment: [1, 2], VpcConfig: "x", Architectures: {a: b}, Layers: 5, Role: [1]}
  Perm:
    Type: AWS::Lambda::Permission
    Properties: {FunctionName: [x]}
  Rule: {Type: AWS::Events::Rule, Properties: {Targets: "nope"}}
`)
	if len(app.Functions) != 2 {
		t.Errorf("functions: %d", len(app.Functions))
	}
}

func TestEventSourceMappingWithoutSourceARN(t *testing.T) {
	app := build(t, `
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: a.h, Role: arn:aws:iam::1:role/r, Code: {ZipFile: x}}
  Kafka:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      FunctionName: !Ref Fn
      SelfManagedEventSource: {Endpoints: {KafkaBootstrapServers: [b1:9092]}}
      Topics: [orders]
`)
	if s := function(t, app, "Fn").Sources; len(s) != 1 || s[0].Kind != "kafka" {
		t.Errorf("sources %+v, want one kafka source", s)
	}
}
