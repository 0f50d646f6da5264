package sam

import (
	"reflect"
	"strings"
	"testing"

	"github.com/bulwark-sec/bulwark/internal/source"
)

// FuzzTransform checks that no template, however malformed, makes the
// transform panic or change its input.
func FuzzTransform(f *testing.F) {
	seeds := []string{
		fnHeader,
		fnHeader + "      Policies: [AmazonS3ReadOnlyAccess, {DynamoDBCrudPolicy: {TableName: t}}]\n      Tracing: Active\n",
		fnHeader + "      AutoPublishAlias: live\n      FunctionUrlConfig: {AuthType: NONE}\n      EventInvokeConfig: {DestinationConfig: {OnFailure: {Type: SQS}}}\n",
		strings.Replace(restAuthTemplate, "%s", "Token", 1),
		httpAuthTemplate,
		"Transform: AWS::Serverless-2016-10-31\nGlobals: {Function: {Timeout: 3}}\nResources:\n  A:\n    Type: AWS::Serverless::Api\n    Properties: {StageName: v1, Cors: \"'*'\"}\n",
		"Resources:\n  S:\n    Type: AWS::Serverless::StateMachine\n    Properties:\n      Definition: {StartAt: A, States: {A: {Type: Pass, End: true}}}\n      Events: {E: {Type: Api, Properties: {Path: /, Method: post}}}\n",
		"Resources:\n  C:\n    Type: AWS::Serverless::Connector\n    Properties: {Source: {Id: F}, Destination: [{Id: Q}], Permissions: [Write]}\n",
		`{"Resources": {"F": {"Type": "AWS::Serverless::Function", "Properties": {"Events": {"E": {"Type": "HttpApi"}}}}}}`,
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := source.Parse("fuzz.yaml", data, source.Limits{MaxNodes: 20000, MaxDepth: 64})
		if err != nil {
			return
		}
		before := doc.Root.Clone()
		res, err := Transform(doc.Root, Options{})
		if !reflect.DeepEqual(before, doc.Root) {
			t.Fatal("Transform changed its input")
		}
		if err == nil && res.Template == nil {
			t.Fatal("no error and no template")
		}
	})
}
