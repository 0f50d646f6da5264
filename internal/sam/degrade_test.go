package sam

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/bulwark-sec/bulwark/internal/source"
)

// wantWarning is a warning a degraded transform must give: its line and a
// part of its message.
type wantWarning struct {
	line int
	msg  string
}

// degradeCase is a template SAM rejects and what the transform must make
// of it: the warnings, the resources it still generates and the ones it
// leaves out, and any further check on the output.
type degradeCase struct {
	name     string
	src      string
	warnings []wantWarning
	present  []string
	absent   []string
	check    func(t *testing.T, res *Result)
}

func runDegradeCases(t *testing.T, tests []degradeCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Transform(parseFixture(t, tt.src), Options{})
			if err != nil {
				t.Fatalf("Transform failed, want warnings: %v", err)
			}
			for _, w := range tt.warnings {
				if !hasWarning(res, w) {
					t.Errorf("no warning at line %d containing %q; got:\n%s", w.line, w.msg, warningList(res))
				}
			}
			if len(res.Warnings) != len(tt.warnings) {
				t.Errorf("%d warnings, want %d:\n%s", len(res.Warnings), len(tt.warnings), warningList(res))
			}
			resources := res.Template.Get("Resources")
			for _, id := range tt.present {
				if resources.Get(id) == nil {
					t.Errorf("%s is missing from the output; resources: %v", id, resources.Keys())
				}
			}
			for _, id := range tt.absent {
				if resources.Get(id) != nil {
					t.Errorf("%s should be left out, got %s", id, jsonish(resources.Get(id)))
				}
			}
			for _, id := range resources.Keys() {
				if typ, _ := resources.Get(id).Get("Type").Str(); strings.HasPrefix(typ, "AWS::Serverless::") {
					t.Errorf("%s is still %s in the output", id, typ)
				}
			}
			if tt.check != nil {
				tt.check(t, res)
			}
		})
	}
}

func hasWarning(res *Result, w wantWarning) bool {
	for _, got := range res.Warnings {
		if got.Pos.Line == w.line && strings.Contains(got.Msg, w.msg) {
			return true
		}
	}
	return false
}

func warningList(res *Result) string {
	var b strings.Builder
	for _, w := range res.Warnings {
		fmt.Fprintf(&b, "  line %d: %s\n", w.Pos.Line, w.Msg)
	}
	return b.String()
}

const samHeader = "Transform: AWS::Serverless-2016-10-31\nResources:\n"

// A function with everything SAM requires; cases append properties.
const okFn = `  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: s3://bucket/key.zip
`

// Another valid function, which must come through whatever happens to Fn.
const otherFn = `  Other:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      InlineCode: print(1)
`

func TestFunctionCodeProblemsAreWarnings(t *testing.T) {
	runDegradeCases(t, []degradeCase{
		{
			name: "InlineCode on the resource wins over CodeUri from Globals, as in SAM",
			src: "Globals:\n  Function:\n    CodeUri: s3://bucket/key.zip\n" + samHeader + `  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      InlineCode: print(1)
`,
			present: []string{"Fn", "FnRole"},
			check: func(t *testing.T, res *Result) {
				if got := jsonish(resourceProp(res, "Fn", "Code")); got != `{"ZipFile":"print(1)"}` {
					t.Errorf("Code = %s, want the inline code", got)
				}
			},
		},
		{
			name: "no code at all",
			src: samHeader + `  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Policies: AmazonS3ReadOnlyAccess
`,
			warnings: []wantWarning{{3, "Only one of 'InlineCode' or 'CodeUri' can be set; neither is, so the function is analyzed without a code location"}},
			present:  []string{"Fn", "FnRole"},
			check: func(t *testing.T, res *Result) {
				if code := resourceProp(res, "Fn", "Code"); code != nil {
					t.Errorf("Code = %s, want none", jsonish(code))
				}
				if got := jsonish(resourceProp(res, "FnRole", "ManagedPolicyArns")); !strings.Contains(got, "AmazonS3ReadOnlyAccess") {
					t.Errorf("role lost its policies: %s", got)
				}
			},
		},
		{
			name:     "CodeUri that is not an S3 location",
			src:      samHeader + strings.Replace(okFn, "s3://bucket/key.zip", "https://example.com/code.zip", 1),
			warnings: []wantWarning{{8, "'CodeUri' is not a valid S3 Uri"}},
			present:  []string{"Fn", "FnRole"},
			check: func(t *testing.T, res *Result) {
				if code := resourceProp(res, "Fn", "Code"); code != nil {
					t.Errorf("Code = %s, want none", jsonish(code))
				}
			},
		},
		{
			name: "Image function without ImageUri keeps its role, events and permissions",
			src: samHeader + `  Fn:
    Type: AWS::Serverless::Function
    Properties:
      PackageType: Image
      AutoPublishAlias: live
      Events:
        Hourly:
          Type: Schedule
          Properties:
            Schedule: rate(1 hour)
`,
			warnings: []wantWarning{{3, "'ImageUri' must be set; the function is analyzed without an image"}},
			present:  []string{"Fn", "FnRole", "FnHourly", "FnHourlyPermission", "FnAliaslive"},
			check: func(t *testing.T, res *Result) {
				if got := jsonish(resourceProp(res, "Fn", "PackageType")); got != `"Image"` {
					t.Errorf("PackageType = %s", got)
				}
			},
		},
		{
			name: "Zip function without Runtime and Handler",
			src: samHeader + `  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: s3://bucket/key.zip
`,
			warnings: []wantWarning{{3, "Runtime and Handler needs to be present when PackageType is of type `Zip`; the function is analyzed as written"}},
			present:  []string{"Fn", "FnRole"},
		},
		{
			name:     "unknown PackageType",
			src:      samHeader + okFn + "      PackageType: Jar\n",
			warnings: []wantWarning{{9, "invalid 'PackageType' : Jar; the function is analyzed without a code location"}},
			present:  []string{"Fn", "FnRole"},
		},
		{
			name:     "PackageType as an intrinsic, which SAM cannot read",
			src:      samHeader + okFn + "      PackageType: !Ref Packaging\n",
			warnings: []wantWarning{{9, `invalid 'PackageType' : {"Ref":"Packaging"}; the function is analyzed without a code location`}},
			present:  []string{"Fn", "FnRole"},
		},
	})
}

func TestFunctionPropertyProblemsAreWarnings(t *testing.T) {
	runDegradeCases(t, []degradeCase{
		{
			name: "Tags written as a list are ignored",
			src: samHeader + okFn + `      Tags:
        - Key: team
          Value: payments
`,
			warnings: []wantWarning{{10, "Property 'Tags' should be a map; the resource is analyzed without its Tags"}},
			present:  []string{"Fn", "FnRole"},
			check: func(t *testing.T, res *Result) {
				if got := jsonish(resourceProp(res, "Fn", "Tags")); got != `[{"Key":"lambda:createdBy","Value":"SAM"}]` {
					t.Errorf("Tags = %s, want only SAM's own tag", got)
				}
			},
		},
		{
			name:     "SAM's reserved tag is dropped",
			src:      samHeader + okFn + "      Tags:\n        lambda:createdBy: me\n        team: payments\n",
			warnings: []wantWarning{{10, "lambda:createdBy is a reserved Tag key name"}},
			present:  []string{"Fn"},
			check: func(t *testing.T, res *Result) {
				if got := jsonish(resourceProp(res, "Fn", "Tags")); got != `[{"Key":"lambda:createdBy","Value":"SAM"},{"Key":"team","Value":"payments"}]` {
					t.Errorf("Tags = %s", got)
				}
			},
		},
		{
			name:     "Layers of the wrong shape",
			src:      samHeader + okFn + "      Layers: arn:aws:lambda:us-east-1:123456789012:layer:x:1\n",
			warnings: []wantWarning{{9, "Property 'Layers' should be a list; the resource is analyzed without its Layers"}},
			present:  []string{"Fn"},
			check: func(t *testing.T, res *Result) {
				if layers := resourceProp(res, "Fn", "Layers"); layers != nil {
					t.Errorf("Layers = %s, want none", jsonish(layers))
				}
			},
		},
		{
			name:     "invalid policy template entries leave the others in the role",
			src:      samHeader + okFn + "      Policies:\n        - DynamoDBReadPolicy: {}\n        - S3ReadPolicy: bucket\n        - 42\n        - AmazonSQSReadOnlyAccess\n",
			warnings: []wantWarning{{10, "Following required parameters of template 'DynamoDBReadPolicy' don't have values: ['TableName']; the policy is left out of the role"}, {11, "Must specify valid parameter values for policy template 'S3ReadPolicy'"}, {12, "Policy at index 0 in the 'Policies' property is not valid; the policy is left out"}},
			present:  []string{"Fn", "FnRole"},
			check: func(t *testing.T, res *Result) {
				if got := jsonish(resourceProp(res, "FnRole", "ManagedPolicyArns")); !strings.Contains(got, "AmazonSQSReadOnlyAccess") {
					t.Errorf("ManagedPolicyArns = %s, want the valid entry kept", got)
				}
			},
		},
		{
			name:     "invalid DeadLetterQueue",
			src:      samHeader + okFn + "      DeadLetterQueue: {Type: SQS}\n",
			warnings: []wantWarning{{9, "'DeadLetterQueue' requires Type and TargetArn properties to be specified; the resource is analyzed without its DeadLetterQueue"}},
			present:  []string{"Fn", "FnRole"},
			check: func(t *testing.T, res *Result) {
				if dlq := resourceProp(res, "Fn", "DeadLetterConfig"); dlq != nil {
					t.Errorf("DeadLetterConfig = %s, want none", jsonish(dlq))
				}
			},
		},
		{
			name:     "ProvisionedConcurrencyConfig without an alias",
			src:      samHeader + okFn + "      ProvisionedConcurrencyConfig: {ProvisionedConcurrentExecutions: 2}\n",
			warnings: []wantWarning{{9, "AutoPublishALias must be defined on the function; the setting is ignored"}},
			present:  []string{"Fn"},
		},
		{
			name:     "invalid FunctionUrlConfig drops only the URL",
			src:      samHeader + okFn + "      FunctionUrlConfig: {AuthType: OPEN}\n",
			warnings: []wantWarning{{9, "Please provide either AWS_IAM or NONE; Fn is analyzed without its FunctionUrlConfig"}},
			present:  []string{"Fn", "FnRole"},
			absent:   []string{"FnUrl", "FnUrlPublicPermissions"},
		},
		{
			name:     "DeploymentPreference without AutoPublishAlias",
			src:      samHeader + okFn + "      DeploymentPreference: {Type: AllAtOnce}\n",
			warnings: []wantWarning{{9, "'DeploymentPreference' requires AutoPublishAlias property to be specified; Fn is analyzed without its DeploymentPreference"}},
			present:  []string{"Fn", "FnRole"},
			absent:   []string{"FnDeploymentGroup", "ServerlessDeploymentApplication"},
		},
		{
			name: "a function URL on a function with tenancy is analyzed as written",
			src: samHeader + okFn + `      TenancyConfig: {TenantIsolationMode: PER_TENANT}
      FunctionUrlConfig: {AuthType: NONE}
`,
			warnings: []wantWarning{{10, "Function URL is not supported for functions enabled with tenancy configuration; the function is analyzed as written"}},
			present:  []string{"Fn", "FnUrl", "FnUrlPublicPermissions"},
		},
		{
			name: "a generated role that clashes with a resource of the template leaves the function out",
			src: samHeader + okFn + otherFn + `  FnRole:
    Type: AWS::SNS::Topic
`,
			warnings: []wantWarning{{3, "attempts to create a new resource with id [FnRole]"}},
			present:  []string{"Other", "OtherRole", "FnRole"},
			absent:   []string{"Fn"},
			check: func(t *testing.T, res *Result) {
				if typ, _ := res.Template.Get("Resources").Get("FnRole").Get("Type").Str(); typ != "AWS::SNS::Topic" {
					t.Errorf("FnRole is %s, want the template's own topic", typ)
				}
				if _, ok := res.Origins["Fn"]; ok {
					t.Error("the left-out function still has an origin")
				}
			},
		},
	})
}

func TestEventProblemsLeaveOutOnlyTheEvent(t *testing.T) {
	runDegradeCases(t, []degradeCase{
		{
			name: "a property of the wrong shape is dropped from the event",
			src: samHeader + okFn + `      Events:
        Q:
          Type: SQS
          Properties:
            Queue: arn:aws:sqs:us-east-1:123456789012:q
            BatchSize: [ten]
`,
			warnings: []wantWarning{{14, "Property 'BatchSize' should be an integer; the event is analyzed without its BatchSize"}},
			present:  []string{"Fn", "FnRole", "FnQ"},
			check: func(t *testing.T, res *Result) {
				if got := resourceProp(res, "FnQ", "BatchSize"); got != nil {
					t.Errorf("BatchSize = %s, want none", jsonish(got))
				}
			},
		},
		{
			name: "missing required property, unknown type and Properties not a map",
			src: samHeader + okFn + `      Events:
        NoQueue:
          Type: SQS
        Odd:
          Type: Carrier
        Flat:
          Type: SNS
          Properties: topic
        Hourly:
          Type: Schedule
          Properties:
            Schedule: rate(1 hour)
`,
			warnings: []wantWarning{
				{11, "Missing required property 'Queue'; Fn is analyzed without its event NoQueue"},
				{13, "Event type 'Carrier' is not supported for AWS::Serverless::Function; Fn is analyzed without its event Odd"},
				{16, "Properties should be a map; Fn is analyzed without its event Flat"},
			},
			present: []string{"Fn", "FnRole", "FnHourly", "FnHourlyPermission"},
			absent:  []string{"FnNoQueue", "FnFlat"},
		},
		{
			name: "an event that fails half way leaves nothing behind",
			src: samHeader + okFn + `      Events:
        Upload:
          Type: S3
          Properties:
            Bucket: !Ref Bucket
            Events: s3:ObjectCreated:*
        Hourly:
          Type: Schedule
          Properties:
            Schedule: rate(1 hour)
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      NotificationConfiguration: [broken]
`,
			warnings: []wantWarning{{22, "Resource with id [Bucket] is invalid. Property 'NotificationConfiguration' should be a map; Fn is analyzed without its event Upload"}},
			present:  []string{"Fn", "FnRole", "FnHourly", "Bucket"},
			absent:   []string{"FnUploadPermission"},
			check: func(t *testing.T, res *Result) {
				if deps := res.Template.Get("Resources").Get("Bucket").Get("DependsOn"); deps != nil {
					t.Errorf("the bucket kept DependsOn %s from the failed event", jsonish(deps))
				}
			},
		},
		{
			name: "an Api event naming an undefined authorizer leaves its route out of the API",
			src: samHeader + okFn + `      Events:
        Open:
          Type: Api
          Properties: {Path: /open, Method: get}
        Guarded:
          Type: Api
          Properties: {Path: /guarded, Method: get, Auth: {Authorizer: Nope}}
`,
			warnings: []wantWarning{{15, "does not define any Authorizers; Fn is analyzed without its event Guarded"}},
			present:  []string{"Fn", "ServerlessRestApi", "FnOpenPermissionProd"},
			absent:   []string{"FnGuardedPermissionProd"},
			check: func(t *testing.T, res *Result) {
				paths := resourceProp(res, "ServerlessRestApi", "Body", "paths")
				if paths.Get("/open") == nil || paths.Get("/guarded") != nil {
					t.Errorf("paths = %v, want only /open", paths.Keys())
				}
			},
		},
		{
			name: "an HttpApi event whose ApiId is written wrongly is not attached to the implicit API",
			src: samHeader + okFn + `      Events:
        Route:
          Type: HttpApi
          Properties: {Path: /x, Method: get, ApiId: [MyApi]}
`,
			warnings: []wantWarning{{12, "Property 'ApiId' should be a string; Fn is analyzed without its event Route"}},
			present:  []string{"Fn", "FnRole"},
			absent:   []string{"ServerlessHttpApi"},
		},
		{
			name: "a state machine event",
			src: samHeader + `  Machine:
    Type: AWS::Serverless::StateMachine
    Properties:
      Definition: {StartAt: A, States: {A: {Type: Succeed}}}
      Events:
        Broken:
          Type: Schedule
          Properties: {Schedule: rate(1 hour), Enabled: true, State: ENABLED}
        Hourly:
          Type: Schedule
          Properties: {Schedule: rate(2 hours)}
`,
			warnings: []wantWarning{{10, "State and Enabled Properties cannot both be specified; Machine is analyzed without its event Broken"}},
			present:  []string{"Machine", "MachineRole", "MachineHourly"},
			absent:   []string{"MachineBroken"},
		},
	})
}

func TestResourceProblemsLeaveOutOnlyThatResource(t *testing.T) {
	runDegradeCases(t, []degradeCase{
		{
			name:     "a resource that is not a map",
			src:      samHeader + okFn + "  Broken: just a string\n",
			warnings: []wantWarning{{9, "All 'Resources' must be Objects. If you're using YAML, this may be an indentation issue; resource Broken is left out"}},
			present:  []string{"Fn", "FnRole"},
			absent:   []string{"Broken"},
		},
		{
			name:     "Properties that are not a map",
			src:      samHeader + okFn + "  Bad:\n    Type: AWS::Serverless::Function\n    Properties: [1]\n",
			warnings: []wantWarning{{11, "Resource with id [Bad] is invalid. Attribute 'Properties' should be a map; resource Bad is left out"}},
			present:  []string{"Fn", "FnRole"},
			absent:   []string{"Bad", "BadRole"},
		},
		{
			name:     "a Condition that is not a string",
			src:      samHeader + okFn + "    Condition: [IsProd]\n" + otherFn,
			warnings: []wantWarning{{9, "Every Condition member must be a string; resource Fn is left out"}},
			present:  []string{"Other", "OtherRole"},
			absent:   []string{"Fn", "FnRole"},
		},
		{
			name: "an API whose definition cannot be read; the function keeps its event",
			src: samHeader + okFn + `      Events:
        Get:
          Type: Api
          Properties: {Path: /x, Method: get, RestApiId: !Ref MyApi}
  MyApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Cors: "'*'"
      DefinitionBody:
        swagger: "2.0"
        paths:
          /x: broken
`,
			warnings: []wantWarning{{21, "Value of '/x' path must be a dictionary according to Swagger spec; resource MyApi is left out"}},
			present:  []string{"Fn", "FnRole", "FnGetPermissionprod"},
			absent:   []string{"MyApi", "MyApiprodStage"},
		},
		{
			name: "a resource left out still reports the problems found before",
			src: samHeader + `  MyApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Tags: [a, b]
      Cors: "'*'"
      DefinitionBody:
        swagger: "2.0"
        paths:
          /x: broken
`,
			warnings: []wantWarning{
				{7, "Property 'Tags' should be a map; the resource is analyzed without its Tags"},
				{12, "Value of '/x' path must be a dictionary according to Swagger spec; resource MyApi is left out"},
			},
			absent: []string{"MyApi"},
		},
		{
			name: "an API whose Auth is written wrongly is left out rather than shown without auth",
			src: samHeader + `  MyApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Auth: [CognitoAuth]
` + otherFn,
			warnings: []wantWarning{{7, "Property 'Auth' should be a map; resource MyApi is left out"}},
			present:  []string{"Other"},
			absent:   []string{"MyApi"},
		},
		{
			name: "an API's invalid Domain drops only the domain",
			src: samHeader + `  MyApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Domain: {DomainName: api.example.com}
`,
			warnings: []wantWarning{{7, "Property 'Domain.CertificateArn' is required; MyApi is analyzed without its Domain"}},
			present:  []string{"MyApi", "MyApiprodStage"},
			absent:   []string{"ApiGatewayDomainName"},
		},
		{
			name: "a malformed embedded connector",
			src: samHeader + okFn + `    Connectors:
      ToQueue:
        Properties: not-a-map
`,
			warnings: []wantWarning{{11, "Property 'Connectors.ToQueue.Properties' should be a map; the connector is left out"}},
			present:  []string{"Fn", "FnRole"},
			absent:   []string{"FnToQueue"},
		},
	})
}

func TestGlobalsProblemsAreWarnings(t *testing.T) {
	runDegradeCases(t, []degradeCase{
		{
			name: "unsupported property and section",
			src: `Globals:
  Function:
    Role: arn:aws:iam::123456789012:role/x
    Timeout: 9
  Table:
    Tags: {a: b}
` + samHeader + okFn,
			warnings: []wantWarning{
				{3, "'Role' is not a supported property of 'Function'. Must be one of the following values"},
				{5, "'Table' is not supported"},
			},
			present: []string{"Fn", "FnRole"},
			check: func(t *testing.T, res *Result) {
				if got := jsonish(resourceProp(res, "Fn", "Role")); got != `{"Fn::GetAtt":["FnRole","Arn"]}` {
					t.Errorf("Role = %s, want the generated role (Globals' Role not applied)", got)
				}
				if got := jsonish(resourceProp(res, "Fn", "Timeout")); got != "9" {
					t.Errorf("Timeout = %s, want the supported global applied", got)
				}
			},
		},
		{
			name: "IgnoreGlobals naming a property Globals do not set",
			src: "Globals:\n  Function:\n    Timeout: 9\n    MemorySize: 256\n" + samHeader + okFn +
				"    IgnoreGlobals: [Timeout, Nope]\n",
			warnings: []wantWarning{{13, "invalid resource attribute 'IgnoreGlobals' on item 'Nope'; the item is skipped"}},
			present:  []string{"Fn"},
			check: func(t *testing.T, res *Result) {
				if got := resourceProp(res, "Fn", "Timeout"); got != nil {
					t.Errorf("Timeout = %s, want it ignored", jsonish(got))
				}
				if got := jsonish(resourceProp(res, "Fn", "MemorySize")); got != "256" {
					t.Errorf("MemorySize = %s, want the global", got)
				}
			},
		},
	})
}

// TestManyProblemsAreAllReported has more failing events than the passes
// that stop at their first failure, so the later passes collect several,
// and events that fail twice in one pass (attached to an API, then
// expanded) must still leave out only the event.
func TestManyProblemsAreAllReported(t *testing.T) {
	var b strings.Builder
	b.WriteString(samHeader)
	const n = exactPasses + 6
	const linesPerFunction = 16
	for i := range n {
		fmt.Fprintf(&b, `  Fn%d:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      InlineCode: print(1)
      Events:
        Upload:
          Type: S3
          Properties: {Bucket: !Ref Missing, Events: "s3:ObjectCreated:*"}
        Get:
          Type: Api
          Properties: {Path: /x, Method: get, RestApiId: !Ref MissingApi}
        Hourly:
          Type: Schedule
          Properties: {Schedule: rate(1 hour)}
`, i)
	}
	res := transformFixture(t, b.String(), Options{})
	if len(res.Warnings) != 2*n {
		t.Errorf("%d warnings, want two per function:\n%s", len(res.Warnings), warningList(res))
	}
	for i := range n {
		id := fmt.Sprintf("Fn%d", i)
		first := 3 + linesPerFunction*i
		for _, w := range []wantWarning{
			{first + 9, id + " is analyzed without its event Upload"},
			{first + 12, id + " is analyzed without its event Get"},
		} {
			if !hasWarning(res, w) {
				t.Errorf("no warning at line %d saying %q", w.line, w.msg)
			}
		}
		for _, want := range []string{id, id + "Role", id + "Hourly", id + "HourlyPermission"} {
			if res.Template.Get("Resources").Get(want) == nil {
				t.Errorf("%s is missing", want)
			}
		}
	}
}

// TestWholeTemplateProblemsRemainErrors pins what still fails the
// transform: structures without which nothing can be expanded soundly.
func TestWholeTemplateProblemsRemainErrors(t *testing.T) {
	tests := []struct {
		name, src string
		line      int
		msg       string
	}{
		{"no Resources", "Transform: AWS::Serverless-2016-10-31\nGlobals: {}\n", 1, "'Resources' section is required"},
		{"Resources not a map", "Transform: AWS::Serverless-2016-10-31\nResources: [a]\n", 2, "'Resources' section is required"},
		{"Globals not a map", "Globals: [a]\n" + samHeader + okFn, 1, "'Globals' section is invalid. It must be a non-empty dictionary"},
		{"a Globals section not a map", "Globals:\n  Function: [a]\n" + samHeader + okFn, 2, "Value of Function must be a dictionary"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Transform(parseFixture(t, tt.src), Options{})
			var se *source.Error
			if !errors.As(err, &se) {
				t.Fatalf("want a *source.Error, got %v", err)
			}
			if !strings.Contains(se.Msg, tt.msg) || se.Pos.Line != tt.line {
				t.Errorf("got %q at line %d, want %q at line %d", se.Msg, se.Pos.Line, tt.msg, tt.line)
			}
		})
	}
}

func TestLeaveOutWidensRecurringFailuresToTheResource(t *testing.T) {
	fn := &resource{id: "Fn"}
	ev := &event{id: "E"}
	problem := &source.Error{Pos: source.Pos{Line: 7}, Msg: "Something is invalid."}
	steps := []struct {
		name      string
		f         failure
		pass      int
		wantNew   bool
		wantLeft  string // what Fn has left out afterwards
		wantWarns int
	}{
		{"an event failure leaves out the event", failure{r: fn, ev: ev, err: problem}, 0, true, "event", 1},
		{"the same event failing again in the same pass is nothing new", failure{r: fn, ev: ev, err: problem}, 0, false, "event", 1},
		{"a property failure leaves out the property", failure{r: fn, prop: "Domain", err: problem}, 0, true, "event+prop", 2},
		{"the property failing again in a later pass widens to the resource", failure{r: fn, prop: "Domain", err: problem}, 1, true, "resource", 3},
		{"a left-out resource cannot fail again", failure{r: fn, err: problem}, 2, false, "resource", 3},
	}
	l := newLeftOut()
	for _, s := range steps {
		if got := l.leaveOut(s.f, s.pass); got != s.wantNew {
			t.Errorf("%s: leaveOut = %v, want %v", s.name, got, s.wantNew)
		}
		_, propLeft := l.props["Fn"]["Domain"]
		left := ""
		switch {
		case l.resources["Fn"]:
			left = "resource"
		case l.event("Fn", "E") && propLeft:
			left = "event+prop"
		case l.event("Fn", "E"):
			left = "event"
		}
		if left != s.wantLeft {
			t.Errorf("%s: left out %q, want %q", s.name, left, s.wantLeft)
		}
		if len(l.warnings) != s.wantWarns {
			t.Errorf("%s: %d warnings, want %d", s.name, len(l.warnings), s.wantWarns)
		}
	}
	want := []string{
		"Something is invalid; Fn is analyzed without its event E",
		"Something is invalid; Fn is analyzed without its Domain",
		"Something is invalid; resource Fn is left out of the analysis",
	}
	for i, w := range l.warnings {
		if w.Msg != want[i] || w.Pos.Line != 7 {
			t.Errorf("warning %d = %q at line %d, want %q at line 7", i, w.Msg, w.Pos.Line, want[i])
		}
	}
}
