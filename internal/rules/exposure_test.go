package rules

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/bulwark-sec/bulwark/internal/load"
	"github.com/bulwark-sec/bulwark/internal/rule"
)

const exposureFn = `
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.13
      Handler: app.handler
      Role: arn:aws:iam::123456789012:role/app
      Code:
        ZipFile: "def handler(event, context): return {}"
`

func TestLambdaURLNoAuthReportsPublicURLs(t *testing.T) {
	runMarkedCases(t, LambdaURLNoAuth, []markedCase{
		{name: "AuthType NONE", text: "function Fn has AuthType NONE", src: "Resources:" + exposureFn + `
  FnUrl:
    Type: AWS::Lambda::Url
    Properties:
      TargetFunctionArn: !GetAtt Fn.Arn
      AuthType: NONE # want
`},
		{name: "IAM auth", src: "Resources:" + exposureFn + `
  FnUrl:
    Type: AWS::Lambda::Url
    Properties:
      TargetFunctionArn: !GetAtt Fn.Arn
      AuthType: AWS_IAM
`},
	})
}

func TestLambdaCrossAccountLayerJudgesTheOwner(t *testing.T) {
	withLayers := func(layers string) string {
		return "Resources:" + exposureFn + "      Layers:\n" + layers
	}
	runMarkedCases(t, LambdaCrossAccountLayer, []markedCase{
		{name: "another account", text: "published from AWS account 111122223333", sev: rule.Medium, src: withLayers(
			"        - arn:aws:lambda:eu-west-1:111122223333:layer:deps:7 # want\n")},
		{name: "published by AWS", text: "published by AWS (Lambda Insights)", sev: rule.Low, src: withLayers(
			"        - !Sub arn:aws:lambda:${AWS::Region}:580247275435:layer:LambdaInsightsExtension:38 # want\n")},
		{name: "own layers", src: withLayers(`        - !Ref DepsLayer
        - !Sub arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:layer:shared:3
  DepsLayer:
    Type: AWS::Lambda::LayerVersion
    Properties:
      Content:
        S3Bucket: artifacts
        S3Key: deps.zip
`)},
		{name: "layer from a parameter", src: "Parameters:\n  LayerArn:\n    Type: String\n" + withLayers("        - !Ref LayerArn\n")},
	})
}

func TestCORSWildcardOriginCoversAPIsAndURLs(t *testing.T) {
	runMarkedCases(t, CORSWildcardOrigin, []markedCase{
		{name: "function URL with credentials", text: "with credentials", src: "Resources:" + exposureFn + `
  FnUrl:
    Type: AWS::Lambda::Url
    Properties:
      TargetFunctionArn: !GetAtt Fn.Arn
      AuthType: AWS_IAM
      Cors:
        AllowCredentials: true
        AllowOrigins:
          - "*" # want
`},
		{name: "HTTP API CorsConfiguration", text: "HTTP API Api allows any origin", src: `Resources:
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Name: shop
      ProtocolType: HTTP
      CorsConfiguration:
        AllowOrigins: ["*"] # want
        AllowMethods: [GET]
`},
		{name: "HTTP API OpenAPI body", src: `Resources:
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Body:
        openapi: "3.0.1"
        info: {title: shop, version: "1"}
        paths: {}
        x-amazon-apigateway-cors:
          allowOrigins:
            - "*" # want
`},
		{name: "REST API OpenAPI body", text: "REST API Api", src: `Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Body:
        swagger: "2.0"
        info: {title: shop, version: "1"}
        paths:
          /orders:
            options:
              x-amazon-apigateway-integration:
                type: mock
                responses:
                  default:
                    statusCode: "200"
                    responseParameters:
                      method.response.header.Access-Control-Allow-Origin: "'*'" # want
`},
		{name: "REST API method resource", text: "method OrdersOptions of REST API Api", src: `Resources:
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Name: shop
  OrdersOptions:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !GetAtt Api.RootResourceId
      HttpMethod: OPTIONS
      AuthorizationType: NONE
      Integration:
        Type: MOCK
        IntegrationResponses:
          - StatusCode: "200"
            ResponseParameters:
              method.response.header.Access-Control-Allow-Origin: "'*'" # want
`},
		{name: "listed origins", src: "Resources:" + exposureFn + `
  FnUrl:
    Type: AWS::Lambda::Url
    Properties:
      TargetFunctionArn: !GetAtt Fn.Arn
      AuthType: AWS_IAM
      Cors:
        AllowOrigins: [https://app.example.com]
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Name: shop
      ProtocolType: HTTP
      CorsConfiguration:
        AllowOrigins: [https://app.example.com]
`},
	})
}

func TestExposureRulesInSAM(t *testing.T) {
	t.Run("BW203", func(t *testing.T) {
		runMarkedCases(t, LambdaURLNoAuth, []markedCase{
			{name: "public URL", text: "function Fn", src: samHead + samFn + `      FunctionUrlConfig:
        AuthType: NONE # want
`},
			{name: "IAM URL", src: samHead + samFn + `      FunctionUrlConfig:
        AuthType: AWS_IAM
`},
		})
	})
	t.Run("BW205", func(t *testing.T) {
		runMarkedCases(t, LambdaCrossAccountLayer, []markedCase{
			{name: "third-party layer", src: samHead + samFn + `      Layers:
        - arn:aws:lambda:us-east-1:464622532012:layer:Datadog-Python312:98 # want
`},
			{name: "own layer", src: samHead + samFn + `      Layers:
        - !Ref Deps
  Deps:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: layers/deps/
`},
		})
	})
	t.Run("BW206", func(t *testing.T) {
		runMarkedCases(t, CORSWildcardOrigin, []markedCase{
			{name: "function URL", src: samHead + samFn + `      FunctionUrlConfig:
        AuthType: AWS_IAM
        Cors:
          AllowOrigins: ["*"] # want
`},
			{name: "HTTP API", src: samHead + `
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      CorsConfiguration:
        AllowOrigins:
          - "*" # want
`},
			{name: "REST API", src: samHead + `
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Cors: "'*'" # want
` + samFn + `      Events:
        List:
          Type: Api
          Properties:
            RestApiId: !Ref Api
            Path: /orders
            Method: get
`},
			{name: "listed origins", src: samHead + `
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      CorsConfiguration:
        AllowOrigins: [https://app.example.com]
` + samFn + `      FunctionUrlConfig:
        AuthType: AWS_IAM
        Cors:
          AllowOrigins: [https://app.example.com]
`},
		})
	})
}

func TestCORSWildcardOriginLooksIntoBothBranchesOfAnUndecidedCondition(t *testing.T) {
	runMarkedCases(t, CORSWildcardOrigin, []markedCase{
		{name: "wildcard in the else branch", src: `Parameters:
  Stage:
    Type: String
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
Resources:
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Name: shop
      ProtocolType: HTTP
      CorsConfiguration: !If
        - IsProd
        - AllowOrigins: [https://app.example.com]
        - AllowOrigins: ["*"] # want
`},
	})
}

func TestLambdaCrossAccountLayerKnowsTheStackAccountWhenTold(t *testing.T) {
	dir := t.TempDir()
	src := "Resources:" + exposureFn + "      Layers:\n        - arn:aws:lambda:eu-west-1:111122223333:layer:deps:7\n"
	if err := os.WriteFile(filepath.Join(dir, "template.yaml"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		account string
		want    int
	}{{"", 1}, {"444455556666", 1}, {"111122223333", 0}} {
		opts := load.Options{}
		if tt.account != "" {
			opts.Parameters = map[string]string{"AWS::AccountId": tt.account}
		}
		res, err := load.Paths([]string{dir}, opts)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		LambdaCrossAccountLayer.Run(&rule.Pass{App: res.App, Rule: LambdaCrossAccountLayer, Report: func(rule.Finding) { n++ }})
		if n != tt.want {
			t.Errorf("with AWS::AccountId=%q: %d findings, want %d", tt.account, n, tt.want)
		}
	}
}
