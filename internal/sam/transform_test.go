package sam

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/bulwark-sec/bulwark/internal/source"
)

func parseFixture(t testing.TB, src string) *source.Node {
	t.Helper()
	doc, err := source.Parse("template.yaml", []byte(src), source.Limits{})
	if err != nil {
		t.Fatalf("parsing fixture: %v", err)
	}
	return doc.Root
}

func transformFixture(t testing.TB, src string, opts Options) *Result {
	t.Helper()
	res, err := Transform(parseFixture(t, src), opts)
	if err != nil {
		t.Fatalf("Transform: %v", err)
	}
	return res
}

// resourceProp returns Resources.<id>.Properties.<path...> of a result.
func resourceProp(res *Result, id string, path ...string) *source.Node {
	n := res.Template.Get("Resources").Get(id)
	if n == nil {
		return nil
	}
	n = n.Get("Properties")
	for _, p := range path {
		n = n.Get(p)
	}
	return n
}

func strs(n *source.Node) []string {
	var out []string
	for _, it := range itemsOf(n) {
		out = append(out, it.Value)
	}
	return out
}

func jsonish(n *source.Node) string {
	if n == nil {
		return "<nil>"
	}
	var b strings.Builder
	writePyJSON(&b, n)
	return b.String()
}

const fnHeader = `Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: s3://bucket/key.zip
`

func TestGlobalsMergeMapsConcatenateListsAndOverrideScalars(t *testing.T) {
	src := `Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.11
    Timeout: 10
    Layers: [arn:aws:lambda:us-east-1:123456789012:layer:global:1]
    Environment:
      Variables:
        STAGE: prod
        TABLE: global-table
    Tracing: !Ref TracingMode
Parameters:
  TracingMode:
    Type: String
    Default: Active
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: s3://bucket/key.zip
      Layers: [arn:aws:lambda:us-east-1:123456789012:layer:local:1]
      Environment:
        Variables:
          TABLE: local-table
          EXTRA: x
      Tracing: PassThrough
  Ignoring:
    Type: AWS::Serverless::Function
    IgnoreGlobals: [Layers, Environment]
    Properties:
      Handler: app.handler
      CodeUri: s3://bucket/key.zip
  IgnoringAll:
    Type: AWS::Serverless::Function
    IgnoreGlobals: "*"
    Properties:
      Runtime: nodejs20.x
      Handler: app.handler
      CodeUri: s3://bucket/key.zip
`
	res := transformFixture(t, src, Options{})
	tests := []struct {
		name, id string
		path     []string
		want     string
	}{
		{"scalar from the resource wins", "Fn", []string{"Runtime"}, `"python3.12"`},
		{"scalar only in Globals is inherited", "Fn", []string{"Timeout"}, `10`},
		{"lists concatenate, Globals first", "Fn", []string{"Layers"},
			`["arn:aws:lambda:us-east-1:123456789012:layer:global:1","arn:aws:lambda:us-east-1:123456789012:layer:local:1"]`},
		{"maps merge key by key", "Fn", []string{"Environment", "Variables"}, `{"EXTRA":"x","STAGE":"prod","TABLE":"local-table"}`},
		{"an intrinsic counts as a scalar", "Fn", []string{"TracingConfig"}, `{"Mode":"PassThrough"}`},
		{"IgnoreGlobals drops the listed properties", "Ignoring", []string{"Layers"}, `<nil>`},
		{"IgnoreGlobals keeps the others", "Ignoring", []string{"Runtime"}, `"python3.11"`},
		{"IgnoreGlobals * drops all", "IgnoringAll", []string{"Timeout"}, `<nil>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := jsonish(resourceProp(res, tt.id, tt.path...)); got != tt.want {
				t.Errorf("%s.%s = %s, want %s", tt.id, strings.Join(tt.path, "."), got, tt.want)
			}
		})
	}
}

func TestImplicitRoleContents(t *testing.T) {
	tests := []struct {
		name         string
		extra        string
		wantManaged  []string
		wantPolicies string
		wantBoundary string
		wantNoRole   bool
	}{
		{
			name:        "basic execution role only",
			wantManaged: []string{"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"},
		},
		{
			name:  "VPC access and X-Ray when configured",
			extra: "      VpcConfig: {SubnetIds: [subnet-1], SecurityGroupIds: [sg-1]}\n      Tracing: Active\n",
			wantManaged: []string{"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
				"arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
				"arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"},
		},
		{
			name:        "Tracing Disabled adds no X-Ray policy",
			extra:       "      Tracing: Disabled\n",
			wantManaged: []string{"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"},
		},
		{
			name:  "managed policy names become ARNs with their paths, duplicates removed",
			extra: "      Policies: [AmazonDynamoDBFullAccess, AWSLambdaBasicExecutionRole, AWSLambdaRole, arn:aws:iam::123456789012:policy/Mine, NotAnAWSPolicy]\n",
			wantManaged: []string{"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
				"arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess",
				"arn:aws:iam::aws:policy/service-role/AWSLambdaRole",
				"arn:aws:iam::123456789012:policy/Mine", "NotAnAWSPolicy"},
		},
		{
			name:  "AWS managed policies newer than SAM's list resolve as SAM resolves them in CloudFormation",
			extra: "      Policies: [AccountAccessManagerServiceRolePolicy, amazons3fullaccess]\n",
			wantManaged: []string{"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
				"arn:aws:iam::aws:policy/aws-service-role/AccountAccessManagerServiceRolePolicy", "amazons3fullaccess"},
		},
		{
			name:         "inline statements become named policies",
			extra:        "      Policies:\n        - Statement: [{Effect: Allow, Action: 's3:GetObject', Resource: '*'}]\n",
			wantManaged:  []string{"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"},
			wantPolicies: `[{"PolicyDocument":{"Statement":[{"Action":"s3:GetObject","Effect":"Allow","Resource":"*"}]},"PolicyName":"FnRolePolicy0"}]`,
		},
		{
			name:         "dead-letter queue gets send permission",
			extra:        "      DeadLetterQueue: {Type: SNS, TargetArn: arn:aws:sns:us-east-1:123456789012:dlq}\n",
			wantManaged:  []string{"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"},
			wantPolicies: `[{"PolicyDocument":{"Statement":[{"Action":"sns:Publish","Effect":"Allow","Resource":"arn:aws:sns:us-east-1:123456789012:dlq"}],"Version":"2012-10-17"},"PolicyName":"DeadLetterQueuePolicy"}]`,
		},
		{
			name:         "permissions boundary is kept",
			extra:        "      PermissionsBoundary: arn:aws:iam::123456789012:policy/boundary\n",
			wantManaged:  []string{"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"},
			wantBoundary: "arn:aws:iam::123456789012:policy/boundary",
		},
		{
			name:       "a given Role means no generated role",
			extra:      "      Role: arn:aws:iam::123456789012:role/given\n",
			wantNoRole: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := transformFixture(t, fnHeader+tt.extra, Options{})
			role := res.Template.Get("Resources").Get("FnRole")
			if tt.wantNoRole {
				if role != nil {
					t.Fatalf("got a generated role: %s", jsonish(role))
				}
				if got := resourceProp(res, "Fn", "Role"); got.Value != "arn:aws:iam::123456789012:role/given" {
					t.Errorf("function Role = %s", jsonish(got))
				}
				return
			}
			if role == nil {
				t.Fatal("no FnRole generated")
			}
			if got := strs(resourceProp(res, "FnRole", "ManagedPolicyArns")); !reflect.DeepEqual(got, tt.wantManaged) {
				t.Errorf("ManagedPolicyArns = %q, want %q", got, tt.wantManaged)
			}
			if tt.wantPolicies != "" {
				if got := jsonish(resourceProp(res, "FnRole", "Policies")); got != tt.wantPolicies {
					t.Errorf("Policies = %s, want %s", got, tt.wantPolicies)
				}
			}
			if got := resourceProp(res, "FnRole", "PermissionsBoundary"); tt.wantBoundary != "" && (got == nil || got.Value != tt.wantBoundary) {
				t.Errorf("PermissionsBoundary = %s, want %s", jsonish(got), tt.wantBoundary)
			}
			if got := jsonish(resourceProp(res, "FnRole", "AssumeRolePolicyDocument", "Statement")); !strings.Contains(got, "lambda.amazonaws.com") {
				t.Errorf("trust policy does not name Lambda: %s", got)
			}
			if got := jsonish(resourceProp(res, "Fn", "Role")); got != `{"Fn::GetAtt":["FnRole","Arn"]}` {
				t.Errorf("function Role = %s", got)
			}
		})
	}
}

func TestPartitionAppliesToGeneratedARNs(t *testing.T) {
	res := transformFixture(t, fnHeader+"      Tracing: Active\n", Options{Partition: "aws-cn"})
	got := strs(resourceProp(res, "FnRole", "ManagedPolicyArns"))
	want := []string{"arn:aws-cn:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
		"arn:aws-cn:iam::aws:policy/AWSXRayDaemonWriteAccess"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ManagedPolicyArns = %q, want %q", got, want)
	}
}

func TestPolicyTemplatesExpandWithTheirParameters(t *testing.T) {
	// Invalid entries are warnings: see TestFunctionPropertyProblemsAreWarnings.
	tests := []struct {
		name, policies string
		want           string
	}{
		{
			name:     "parameter given as a Ref stays a Ref inside the template's Sub",
			policies: "        - DynamoDBReadPolicy: {TableName: !Ref Table}\n",
			want:     `"Resource":[{"Fn::Sub":["arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${tableName}",{"tableName":{"Ref":"Table"}}]}`,
		},
		{
			name:     "literal parameter",
			policies: "        - SQSSendMessagePolicy: {QueueName: my-queue}\n",
			want:     `{"tableName":"x"}`[0:0] + `"queueName":"my-queue"`,
		},
		{
			name:     "template without parameters",
			policies: "        - AMIDescribePolicy: {}\n",
			want:     `"Action":["ec2:DescribeImages"]`,
		},
		{
			name:     "conditional template",
			policies: "        - !If [IsProd, {S3ReadPolicy: {BucketName: b}}, !Ref AWS::NoValue]\n",
			want:     `{"Fn::If":["IsProd",{"PolicyDocument":`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := fnHeader + "      Policies:\n" + tt.policies
			res, err := Transform(parseFixture(t, src), Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := jsonish(resourceProp(res, "FnRole", "Policies"))
			if !strings.Contains(got, tt.want) {
				t.Errorf("Policies = %s\nwant it to contain %s", got, tt.want)
			}
		})
	}
}

const restAuthTemplate = `Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Auth:
        DefaultAuthorizer: %s
        Authorizers:
          Cognito: {UserPoolArn: !GetAtt Pool.Arn}
          Token: {FunctionArn: !GetAtt AuthFn.Arn}
          Request:
            FunctionPayloadType: REQUEST
            FunctionArn: !GetAtt AuthFn.Arn
            Identity: {Headers: [X-Token]}
  AuthFn:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.12, Handler: a.h, InlineCode: x}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: a.h
      InlineCode: x
      Events:
        Default: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /default, Method: get}}
        Open: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /open, Method: get, Auth: {Authorizer: NONE}}}
        Iam: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /iam, Method: post, Auth: {Authorizer: AWS_IAM}}}
        Keyed: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /keyed, Method: put, Auth: {Authorizer: Token, ApiKeyRequired: true}}}
`

func restSecurity(t *testing.T, res *Result, path, method string) string {
	t.Helper()
	return jsonish(resourceProp(res, "Api", "Body", "paths", path, method, "security"))
}

func TestRESTAPIAuthorization(t *testing.T) {
	for _, def := range []string{"Cognito", "Token", "Request", "AWS_IAM"} {
		t.Run("default "+def, func(t *testing.T) {
			res := transformFixture(t, strings.Replace(restAuthTemplate, "%s", def, 1), Options{})
			if got, want := restSecurity(t, res, "/default", "get"), `[{"`+def+`":[]}]`; got != want {
				t.Errorf("/default security = %s, want %s", got, want)
			}
			// SAM keeps the NONE marker, which names no security scheme: the
			// method is open.
			if got := restSecurity(t, res, "/open", "get"); got != `[{"NONE":[]}]` {
				t.Errorf("Authorizer NONE should leave /open unauthenticated, got %s", got)
			}
			if got := restSecurity(t, res, "/iam", "post"); got != `[{"AWS_IAM":[]}]` {
				t.Errorf("/iam security = %s", got)
			}
			if got := restSecurity(t, res, "/keyed", "put"); got != `[{"api_key":[]},{"Token":[]}]` {
				t.Errorf("/keyed security = %s", got)
			}
			defs := resourceProp(res, "Api", "Body", "securityDefinitions")
			for name, authtype := range map[string]string{"Cognito": "cognito_user_pools", "Token": "custom", "Request": "custom", "AWS_IAM": "awsSigv4", "api_key": ""} {
				d := defs.Get(name)
				if d == nil {
					t.Errorf("no security definition %s", name)
					continue
				}
				if got, _ := d.Get("x-amazon-apigateway-authtype").Str(); got != authtype {
					t.Errorf("%s authtype = %q, want %q", name, got, authtype)
				}
			}
			if got := jsonish(defs.Get("Request").Get("x-amazon-apigateway-authorizer").Get("identitySource")); got != `"method.request.header.X-Token"` {
				t.Errorf("request authorizer identity source = %s", got)
			}
			for _, p := range []string{"ApiTokenAuthorizerPermission", "ApiRequestAuthorizerPermission"} {
				if res.Template.Get("Resources").Get(p) == nil {
					t.Errorf("missing authorizer permission %s", p)
				}
			}
		})
	}
}

func TestImplicitRESTAPIRoutesAndPermissions(t *testing.T) {
	src := fnHeader + `      Events:
        Get:
          Type: Api
          Properties:
            Path: /items/{id}
            Method: get
`
	res := transformFixture(t, src, Options{})
	rs := res.Template.Get("Resources")
	for _, id := range []string{"ServerlessRestApi", "ServerlessRestApiProdStage", "FnGetPermissionProd"} {
		if rs.Get(id) == nil {
			t.Errorf("missing %s", id)
		}
	}
	uri := jsonish(resourceProp(res, "ServerlessRestApi", "Body", "paths", "/items/{id}", "get", "x-amazon-apigateway-integration", "uri"))
	if uri != `{"Fn::Sub":"arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations"}` {
		t.Errorf("integration uri = %s", uri)
	}
	arn := jsonish(resourceProp(res, "FnGetPermissionProd", "SourceArn"))
	if !strings.Contains(arn, "${__ApiId__}/${__Stage__}/GET/items/*") {
		t.Errorf("permission SourceArn = %s", arn)
	}
	if got := res.Origins["ServerlessRestApi"]; got.LogicalID != "Fn" || got.Pos.Line != 10 {
		t.Errorf("implicit API origin = %+v, want the function's first event (line 10)", got)
	}
}

const httpAuthTemplate = `Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        EnableIamAuthorizer: true
        DefaultAuthorizer: Jwt
        Authorizers:
          Jwt:
            IdentitySource: $request.header.Authorization
            AuthorizationScopes: [read]
            JwtConfiguration: {Issuer: https://issuer, Audience: [aud]}
          Lambda:
            FunctionArn: !GetAtt AuthFn.Arn
            AuthorizerPayloadFormatVersion: "2.0"
            EnableFunctionDefaultPermissions: true
            Identity: {Headers: [Authorization]}
  AuthFn:
    Type: AWS::Serverless::Function
    Properties: {Runtime: python3.12, Handler: a.h, InlineCode: x}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: a.h
      InlineCode: x
      Events:
        Default: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: /default, Method: get}}
        Open: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: /open, Method: get, Auth: {Authorizer: NONE}}}
        Iam: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: /iam, Method: post, Auth: {Authorizer: AWS_IAM}}}
        Lambda: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: /lambda, Method: put, Auth: {Authorizer: Lambda}}}
`

func TestHTTPAPIAuthorization(t *testing.T) {
	res := transformFixture(t, httpAuthTemplate, Options{})
	tests := []struct{ path, method, want string }{
		{"/default", "get", `[{"Jwt":["read"]}]`},
		{"/open", "get", `[{"NONE":[]}]`},
		{"/iam", "post", `[{"AWS_IAM":[]}]`},
		{"/lambda", "put", `[{"Lambda":[]}]`},
	}
	for _, tt := range tests {
		if got := jsonish(resourceProp(res, "Api", "Body", "paths", tt.path, tt.method, "security")); got != tt.want {
			t.Errorf("%s %s security = %s, want %s", tt.method, tt.path, got, tt.want)
		}
	}
	schemes := resourceProp(res, "Api", "Body", "components", "securitySchemes")
	if got := jsonish(schemes.Get("Jwt").Get("x-amazon-apigateway-authorizer").Get("type")); got != `"jwt"` {
		t.Errorf("Jwt authorizer type = %s", got)
	}
	if got := jsonish(schemes.Get("AWS_IAM").Get("x-amazon-apigateway-authtype")); got != `"awsSigv4"` {
		t.Errorf("AWS_IAM scheme = %s", got)
	}
	if res.Template.Get("Resources").Get("ApiLambdaAuthorizerPermission") == nil {
		t.Error("missing permission for the Lambda authorizer")
	}
}

func TestAutoPublishAliasRetargetsEventsURLsAndPermissions(t *testing.T) {
	src := `Transform: AWS::Serverless-2016-10-31
Parameters:
  Alias:
    Type: String
    Default: live
Resources:
  Queue:
    Type: AWS::SQS::Queue
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: s3://bucket/key.zip
      AutoPublishAlias: !Ref Alias
      FunctionUrlConfig: {AuthType: NONE}
      Events:
        Sqs: {Type: SQS, Properties: {Queue: !GetAtt Queue.Arn}}
        Get: {Type: Api, Properties: {Path: /, Method: get}}
Outputs:
  AliasArn:
    Value: !Ref Fn.Alias
`
	res := transformFixture(t, src, Options{})
	rs := res.Template.Get("Resources")
	alias := rs.Get("FnAliaslive")
	if alias == nil {
		t.Fatalf("no alias FnAliaslive; resources: %v", rs.Keys())
	}
	var versionID string
	for _, k := range rs.Keys() {
		if strings.HasPrefix(k, "FnVersion") {
			versionID = k
		}
	}
	if versionID == "" {
		t.Fatal("no version")
	}
	checks := []struct{ id, prop, want string }{
		{"FnAliaslive", "FunctionVersion", `{"Fn::GetAtt":["` + versionID + `","Version"]}`},
		{"FnUrl", "TargetFunctionArn", `{"Ref":"FnAliaslive"}`},
		{"FnUrlPublicPermissions", "FunctionName", `{"Ref":"FnAliaslive"}`},
		{"FnSqs", "FunctionName", `{"Ref":"FnAliaslive"}`},
		{"FnGetPermissionProd", "FunctionName", `{"Ref":"FnAliaslive"}`},
	}
	for _, c := range checks {
		if got := jsonish(resourceProp(res, c.id, c.prop)); got != c.want {
			t.Errorf("%s.%s = %s, want %s", c.id, c.prop, got, c.want)
		}
	}
	uri := jsonish(resourceProp(res, "ServerlessRestApi", "Body", "paths", "/", "get", "x-amazon-apigateway-integration", "uri"))
	if !strings.Contains(uri, "${FnAliaslive}") {
		t.Errorf("API integration does not invoke the alias: %s", uri)
	}
	if got := jsonish(res.Template.Get("Outputs").Get("AliasArn").Get("Value")); got != `{"Ref":"FnAliaslive"}` {
		t.Errorf("!Ref Fn.Alias in Outputs = %s, want a Ref to the alias", got)
	}
	if got := strs(resourceProp(res, "FnRole", "ManagedPolicyArns")); !contains(got, "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole") {
		t.Errorf("SQS event did not give the role queue access: %q", got)
	}
}

func TestGeneratedValuesPointAtWhatTheUserWrote(t *testing.T) {
	src := fnHeader + `      Policies:
        - S3ReadPolicy: {BucketName: b}
        - AmazonS3ReadOnlyAccess
      FunctionUrlConfig:
        AuthType: NONE
      Events:
        Get:
          Type: Api
          Properties:
            Path: /x
            Method: get
`
	res := transformFixture(t, src, Options{})
	tests := []struct {
		what string
		node *source.Node
		line int
	}{
		{"policy template statement", resourceProp(res, "FnRole", "Policies").Items[0].Get("PolicyDocument").Get("Statement"), 10},
		{"managed policy ARN", resourceProp(res, "FnRole", "ManagedPolicyArns").Items[1], 11},
		{"basic execution role ARN", resourceProp(res, "FnRole", "ManagedPolicyArns").Items[0], 3},
		{"function URL auth type", resourceProp(res, "FnUrl", "AuthType"), 13},
		{"public URL permission", res.Template.Get("Resources").Get("FnUrlPublicPermissions"), 13},
		{"route", resourceProp(res, "ServerlessRestApi", "Body", "paths", "/x"), 18},
		{"API permission", res.Template.Get("Resources").Get("FnGetPermissionProd"), 18},
	}
	for _, tt := range tests {
		if tt.node == nil {
			t.Errorf("%s: not generated", tt.what)
			continue
		}
		if tt.node.Pos.Line != tt.line || tt.node.Pos.File != "template.yaml" {
			t.Errorf("%s is at %s, want template.yaml line %d", tt.what, tt.node.Pos, tt.line)
		}
	}
	if o := res.Origins["FnUrlPublicPermissions"]; o.LogicalID != "Fn" || o.Type != typeFunction {
		t.Errorf("origin of the URL permission = %+v", o)
	}
}

func TestTransformDoesNotModifyItsInput(t *testing.T) {
	srcs := []string{restAuthTemplate, httpAuthTemplate, fnHeader + `      AutoPublishAlias: live
      DeploymentPreference: {Type: AllAtOnce}
      Events:
        Bucket: {Type: S3, Properties: {Bucket: !Ref B, Events: s3:ObjectCreated:*}}
        Pool: {Type: Cognito, Properties: {UserPool: !Ref P, Trigger: PreSignUp}}
        Get: {Type: Api, Properties: {Path: /x, Method: get}}
  B:
    Type: AWS::S3::Bucket
    Connectors:
      ToFn:
        Properties: {Destination: {Id: Fn}, Permissions: [Write]}
  P:
    Type: AWS::Cognito::UserPool
`}
	for i, src := range srcs {
		root := parseFixture(t, strings.Replace(src, "%s", "Token", 1))
		before := root.Clone()
		if _, err := Transform(root, Options{}); err != nil {
			t.Fatalf("fixture %d: %v", i, err)
		}
		if !reflect.DeepEqual(before, root) {
			t.Errorf("fixture %d: Transform changed its input", i)
		}
	}
}

func TestTemplatesWithoutSAMComeBackUnchanged(t *testing.T) {
	root := parseFixture(t, "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n")
	res, err := Transform(root, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Template != root {
		t.Error("a plain CloudFormation template should be returned as is")
	}
	if IsSAM(root) {
		t.Error("IsSAM reports true for plain CloudFormation")
	}
}

func TestEventSourcePermissionsAndMappings(t *testing.T) {
	src := fnHeader + `      Events:
        Topic: {Type: SNS, Properties: {Topic: !Ref T}}
        Rule: {Type: EventBridgeRule, Properties: {Pattern: {source: [aws.ec2]}}}
        Logs: {Type: CloudWatchLogs, Properties: {LogGroupName: g, FilterPattern: ""}}
        Stream: {Type: Kinesis, Properties: {Stream: !GetAtt S.Arn, StartingPosition: LATEST}}
        Broker:
          Type: MQ
          Properties:
            Broker: !GetAtt Br.Arn
            Queues: [q]
            SourceAccessConfigurations: [{Type: BASIC_AUTH, URI: !Ref Secret}]
  T:
    Type: AWS::SNS::Topic
`
	res := transformFixture(t, src, Options{})
	perms := []struct{ id, principal, sourceArn string }{
		{"FnTopicPermission", "sns.amazonaws.com", `{"Ref":"T"}`},
		{"FnRulePermission", "events.amazonaws.com", `{"Fn::GetAtt":["FnRule","Arn"]}`},
		{"FnLogsPermission", "logs.amazonaws.com", `{"Fn::Sub":["arn:aws:logs:${AWS::Region}:${AWS::AccountId}:log-group:${__LogGroupName__}:*",{"__LogGroupName__":"g"}]}`},
	}
	for _, p := range perms {
		if got := jsonish(resourceProp(res, p.id, "Principal")); got != `"`+p.principal+`"` {
			t.Errorf("%s Principal = %s", p.id, got)
		}
		if got := jsonish(resourceProp(res, p.id, "SourceArn")); got != p.sourceArn {
			t.Errorf("%s SourceArn = %s, want %s", p.id, got, p.sourceArn)
		}
	}
	if got := jsonish(resourceProp(res, "FnStream", "EventSourceArn")); got != `{"Fn::GetAtt":["S","Arn"]}` {
		t.Errorf("Kinesis mapping source = %s", got)
	}
	managed := strs(resourceProp(res, "FnRole", "ManagedPolicyArns"))
	if !contains(managed, "arn:aws:iam::aws:policy/service-role/AWSLambdaKinesisExecutionRole") {
		t.Errorf("Kinesis policy missing: %q", managed)
	}
	policies := jsonish(resourceProp(res, "FnRole", "Policies"))
	if !strings.Contains(policies, `"PolicyName":"SamAutoGeneratedAMQPolicy"`) || !strings.Contains(policies, `"Resource":{"Ref":"Secret"}`) {
		t.Errorf("MQ secret access missing from role policies: %s", policies)
	}
}

func TestConnectorsGrantThroughManagedPolicies(t *testing.T) {
	src := fnHeader + `    Connectors:
      ToTable:
        Properties:
          Destination: {Id: Table}
          Permissions: [Read]
  Table:
    Type: AWS::Serverless::SimpleTable
`
	res := transformFixture(t, src, Options{})
	policy := res.Template.Get("Resources").Get("FnToTablePolicy")
	if policy == nil {
		t.Fatal("no FnToTablePolicy")
	}
	if got := jsonish(policy.Get("Properties").Get("Roles")); got != `[{"Ref":"FnRole"}]` {
		t.Errorf("policy attached to %s, want the function's role", got)
	}
	doc := jsonish(policy.Get("Properties").Get("PolicyDocument"))
	if !strings.Contains(doc, "dynamodb:GetItem") || strings.Contains(doc, "dynamodb:PutItem") {
		t.Errorf("Read connector should grant reads only: %s", doc)
	}
	if o := res.Origins["FnToTablePolicy"]; o.LogicalID != "Fn" || o.Pos.Line != 10 {
		t.Errorf("origin of the connector policy = %+v, want Fn at the ToTable key (line 10)", o)
	}
}

func TestNestedApplicationsAreRecordedButNotFollowed(t *testing.T) {
	src := `Transform: AWS::Serverless-2016-10-31
Resources:
  App:
    Type: AWS::Serverless::Application
    Properties:
      Location: https://s3.amazonaws.com/bucket/template.yaml
`
	res := transformFixture(t, src, Options{})
	if got := jsonish(resourceProp(res, "App", "TemplateURL")); got != `"https://s3.amazonaws.com/bucket/template.yaml"` {
		t.Errorf("TemplateURL = %s", got)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0].Msg, "not followed") || res.Warnings[0].Pos.Line != 6 {
		t.Errorf("want one warning at the Location line, got %v", res.Warnings)
	}
}

func TestUnknownPropertiesPassThroughWithAWarning(t *testing.T) {
	res := transformFixture(t, fnHeader+"      FutureSetting: 42\n", Options{})
	if got := jsonish(resourceProp(res, "Fn", "FutureSetting")); got != "42" {
		t.Errorf("FutureSetting = %s, want it passed through", got)
	}
	if len(res.Warnings) != 1 || res.Warnings[0].Pos.Line != 9 {
		t.Errorf("want one warning at line 9, got %v", res.Warnings)
	}
}

func TestEmbeddedDataDecodes(t *testing.T) {
	d, err := loadData()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(d.source, "aws-sam-translator ") {
		t.Errorf("data source = %q", d.source)
	}
	if len(d.templates) < 50 {
		t.Errorf("only %d policy templates", len(d.templates))
	}
	if got := d.managedPolicies["aws"]["AWSLambdaBasicExecutionRole"]; got != "service-role/AWSLambdaBasicExecutionRole" {
		t.Errorf("AWSLambdaBasicExecutionRole path = %q", got)
	}
	if d.profiles.Get("Permissions").Get("AWS::Lambda::Function").Get("AWS::SQS::Queue") == nil {
		t.Error("connector profiles lack Lambda to SQS")
	}
}

func TestTransformIsSafeForConcurrentUse(t *testing.T) {
	srcs := []string{strings.Replace(restAuthTemplate, "%s", "Token", 1), httpAuthTemplate,
		fnHeader + "      Policies: [{DynamoDBCrudPolicy: {TableName: t}}, AmazonS3ReadOnlyAccess]\n"}
	roots := make([]*source.Node, len(srcs))
	for i, s := range srcs {
		roots[i] = parseFixture(t, s)
	}
	want := make([]string, len(roots))
	for i, r := range roots {
		want[i] = jsonish(transformFixture(t, srcs[i], Options{}).Template)
		_ = r
	}
	done := make(chan error, 8*len(roots))
	for g := 0; g < 8; g++ {
		for i, r := range roots {
			go func() {
				res, err := Transform(r, Options{})
				if err == nil && jsonish(res.Template) != want[i] {
					err = errors.New("different output under concurrency")
				}
				done <- err
			}()
		}
	}
	for range 8 * len(roots) {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

func TestLocalCodePathsAreKeptNotRejected(t *testing.T) {
	src := strings.Replace(fnHeader, "s3://bucket/key.zip", "./src/handler", 1)
	res := transformFixture(t, src, Options{})
	code := resourceProp(res, "Fn", "Code")
	if key := code.Get("S3Key"); key == nil || key.Value != "./src/handler" || key.Pos.Line != 8 {
		t.Errorf("Code.S3Key = %s, want the local path from line 8", jsonish(key))
	}
	if bucket := code.Get("S3Bucket"); bucket == nil || bucket.Kind != source.Symbol {
		t.Errorf("Code.S3Bucket = %s, want an unresolved value", jsonish(bucket))
	}
	res = transformFixture(t, strings.Replace(fnHeader, "s3://bucket/key.zip", "https://example.com/code.zip", 1), Options{})
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0].Msg, "not a valid S3 Uri") {
		t.Errorf("a URL that is not S3 should be reported as SAM rejects it, got %v", res.Warnings)
	}
}

func TestOtherTransformsAreReported(t *testing.T) {
	src := strings.Replace(fnHeader, "Transform: AWS::Serverless-2016-10-31", "Transform: [AWS::LanguageExtensions, AWS::Serverless-2016-10-31]", 1)
	res := transformFixture(t, src, Options{})
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0].Msg, "AWS::LanguageExtensions") {
		t.Errorf("want a warning about AWS::LanguageExtensions, got %v", res.Warnings)
	}
	if res.Template.Get("Transform") != nil {
		t.Error("the output still declares Transform")
	}
}
