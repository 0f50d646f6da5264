package rules

import (
	"bufio"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/bulwark-sec/bulwark/internal/rule"
)

// markedCase is one template and what a rule must report on it: a finding
// on every line that carries a "# want" comment ("# want 3" for three
// findings on the line), and nothing elsewhere.
type markedCase struct {
	name string
	src  string
	text string        // a substring every finding's message must contain
	sev  rule.Severity // when set, the severity every finding must have
}

// markedLines returns the lines of src marked "# want", one entry per
// expected finding.
func markedLines(src string) []int {
	var out []int
	sc := bufio.NewScanner(strings.NewReader(src))
	for line := 1; sc.Scan(); line++ {
		_, mark, ok := strings.Cut(sc.Text(), "# want")
		if !ok {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(mark))
		if err != nil {
			n = 1
		}
		for range n {
			out = append(out, line)
		}
	}
	return out
}

// runMarkedCases runs r on each case's template and checks its findings
// against the marked lines.
func runMarkedCases(t *testing.T, r *rule.Rule, cases []markedCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := runRule(t, r, template(c.src))
			want := markedLines(c.src)
			if !slices.Equal(lines(got), want) {
				t.Errorf("%s reported on lines %v, want %v", r.ID, lines(got), want)
				for _, f := range got {
					t.Logf("  %d: %s", f.Location.Pos.Line, f.Message)
				}
			}
			for _, f := range got {
				if f.RuleID != r.ID {
					t.Errorf("finding has rule %s, want %s", f.RuleID, r.ID)
				}
				if c.text != "" && !strings.Contains(f.Message, c.text) {
					t.Errorf("message %q does not contain %q", f.Message, c.text)
				}
				if c.sev != 0 && f.Severity != c.sev {
					t.Errorf("severity %v, want %v (%s)", f.Severity, c.sev, f.Message)
				}
				if f.Location.Resource == "" || f.Location.Stack == "" {
					t.Errorf("finding has no resource or stack: %+v", f.Location)
				}
			}
		})
	}
}

// Template fragments shared by the API tests.
const (
	apiFunction = `
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.13
      Handler: app.handler
      Role: arn:aws:iam::123456789012:role/app
      Code:
        ZipFile: "def handler(event, context): return {}"
`
	restAPI = `
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Name: shop
  Orders:
    Type: AWS::ApiGateway::Resource
    Properties:
      RestApiId: !Ref Api
      ParentId: !GetAtt Api.RootResourceId
      PathPart: orders
`
	lambdaIntegration = `
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
`
)

// restMethod is an AWS::ApiGateway::Method on /orders reaching Fn; mark is
// appended to the logical ID line and extra to the properties.
func restMethod(id, method, mark, extra string) string {
	return "\n  " + id + ": " + mark + `
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Orders
      HttpMethod: ` + method + "\n" + extra + lambdaIntegration
}

func TestAPIRouteNoAuthReportsOpenRoutesThatReachFunctions(t *testing.T) {
	runMarkedCases(t, APIRouteNoAuth, []markedCase{
		{name: "rest methods", text: "reaches function Fn", sev: rule.High, src: "Resources:" + apiFunction + restAPI +
			restMethod("ListOrders", "GET", "# want", "      AuthorizationType: NONE\n") +
			restMethod("CreateOrder", "POST", "# want", "") + // no AuthorizationType means NONE
			restMethod("DeleteOrder", "DELETE", "", "      AuthorizationType: AWS_IAM\n") +
			restMethod("PreflightOrders", "OPTIONS", "", "      AuthorizationType: NONE\n") +
			restMethod("PutOrder", "PUT", "", "      AuthorizationType: NONE\n      ApiKeyRequired: true\n")},
		{name: "cognito authorizer", src: "Resources:" + apiFunction + restAPI + `
  Users:
    Type: AWS::ApiGateway::Authorizer
    Properties:
      RestApiId: !Ref Api
      Type: COGNITO_USER_POOLS
      IdentitySource: method.request.header.Authorization
      ProviderARNs: [arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc]
` + restMethod("ListOrders", "GET", "", "      AuthorizationType: COGNITO_USER_POOLS\n      AuthorizerId: !Ref Users\n")},
		{name: "mock integration runs no function", src: "Resources:" + restAPI + `
  Mock:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Orders
      HttpMethod: GET
      AuthorizationType: NONE
      Integration:
        Type: MOCK
`},
		{name: "function outside the templates", text: "outside the scanned templates", src: `Parameters:
  OrdersArn:
    Type: String
Resources:` + restAPI + `
  ListOrders: # want
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref Orders
      HttpMethod: GET
      AuthorizationType: NONE
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${OrdersArn}/invocations
`},
		{name: "auth type decided by a parameter", src: `Parameters:
  AuthType:
    Type: String
Resources:` + apiFunction + restAPI + restMethod("ListOrders", "GET", "", "      AuthorizationType: !Ref AuthType\n")},
		{name: "private rest api", sev: rule.Medium, text: "private REST API", src: "Resources:" + apiFunction + `
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Name: internal
      EndpointConfiguration:
        Types: [PRIVATE]
  Orders:
    Type: AWS::ApiGateway::Resource
    Properties:
      RestApiId: !Ref Api
      ParentId: !GetAtt Api.RootResourceId
      PathPart: orders
` + restMethod("ListOrders", "GET", "# want", "      AuthorizationType: NONE\n")},
		{name: "openapi body", text: "GET /orders", src: "Resources:" + apiFunction + `
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Body:
        swagger: "2.0"
        info: {title: shop}
        securityDefinitions:
          Users:
            type: apiKey
            name: Authorization
            in: header
            x-amazon-apigateway-authtype: cognito_user_pools
            x-amazon-apigateway-authorizer:
              type: cognito_user_pools
              providerARNs: [arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc]
        paths:
          /orders:
            get: # want
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
            post:
              security:
                - Users: []
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
`},
		{name: "http api routes", text: "HTTP API", src: "Resources:" + apiFunction + `
  Http:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Name: shop
      ProtocolType: HTTP
  Integration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Http
      IntegrationType: AWS_PROXY
      IntegrationUri: !GetAtt Fn.Arn
      PayloadFormatVersion: "2.0"
  Jwt:
    Type: AWS::ApiGatewayV2::Authorizer
    Properties:
      ApiId: !Ref Http
      AuthorizerType: JWT
      Name: users
      IdentitySource: [$request.header.Authorization]
      JwtConfiguration:
        Audience: [shop]
        Issuer: https://issuer.example.com
  Open: # want
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Http
      RouteKey: GET /orders
      Target: !Sub integrations/${Integration}
  Closed:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Http
      RouteKey: POST /orders
      AuthorizationType: JWT
      AuthorizerId: !Ref Jwt
      Target: !Sub integrations/${Integration}
`},
		{name: "http api quick create", src: "Resources:" + apiFunction + `
  Http: # want
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Name: shop
      ProtocolType: HTTP
      Target: !GetAtt Fn.Arn
`},
		{name: "mutual tls only", src: "Resources:" + apiFunction + mutualTLSAPI("", true)},
		{name: "custom domain without mutual tls", src: "Resources:" + apiFunction + mutualTLSAPI("# want", false)},
		{name: "websocket without connect auth", text: "$connect", src: "Resources:" + apiFunction + webSocketAPI("")},
		{name: "websocket with connect auth", src: "Resources:" + apiFunction + webSocketAPI("CUSTOM")},
	})
}

// mutualTLSAPI is a quick-create HTTP API reaching Fn whose default
// endpoint is disabled and which is mapped to a custom domain, with or
// without mutual TLS; mark goes on the API's logical ID.
func mutualTLSAPI(mark string, mtls bool) string {
	s := `
  Http: ` + mark + `
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Name: partners
      ProtocolType: HTTP
      DisableExecuteApiEndpoint: true
      Target: !GetAtt Fn.Arn
  Domain:
    Type: AWS::ApiGatewayV2::DomainName
    Properties:
      DomainName: partners.example.com
      DomainNameConfigurations:
        - CertificateArn: arn:aws:acm:us-east-1:123456789012:certificate/abc
`
	if mtls {
		s += "      MutualTlsAuthentication:\n        TruststoreUri: s3://truststore/partners.pem\n"
	}
	return s + `
  Mapping:
    Type: AWS::ApiGatewayV2::ApiMapping
    Properties:
      DomainName: partners.example.com
      ApiId: !Ref Http
      Stage: $default
`
}

// webSocketAPI is a WebSocket API whose $connect and sendMessage routes
// reach Fn; connectAuth is the $connect AuthorizationType.
func webSocketAPI(connectAuth string) string {
	mark, auth := "# want", ""
	if connectAuth != "" {
		mark = ""
		auth = "      AuthorizationType: " + connectAuth + "\n      AuthorizerId: !Ref Authorizer\n"
	}
	return `
  Ws:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Name: chat
      ProtocolType: WEBSOCKET
      RouteSelectionExpression: $request.body.action
  Authorizer:
    Type: AWS::ApiGatewayV2::Authorizer
    Properties:
      ApiId: !Ref Ws
      AuthorizerType: REQUEST
      Name: tokens
      AuthorizerUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
  Integration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Ws
      IntegrationType: AWS_PROXY
      IntegrationUri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
  Connect: ` + mark + `
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Ws
      RouteKey: $connect
` + auth + `      Target: !Sub integrations/${Integration}
  Send:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Ws
      RouteKey: sendMessage
      Target: !Sub integrations/${Integration}
`
}

func TestAPIKeyOnlyAuthReportsRoutesProtectedByAKeyAlone(t *testing.T) {
	runMarkedCases(t, APIKeyOnlyAuth, []markedCase{
		{name: "rest methods", text: "only by an API key", src: "Resources:" + apiFunction + restAPI +
			restMethod("KeyOnly", "GET", "# want", "      AuthorizationType: NONE\n      ApiKeyRequired: true\n") +
			restMethod("KeyAndIAM", "POST", "", "      AuthorizationType: AWS_IAM\n      ApiKeyRequired: true\n") +
			restMethod("Open", "PUT", "", "      AuthorizationType: NONE\n") +
			restMethod("Preflight", "OPTIONS", "", "      AuthorizationType: NONE\n      ApiKeyRequired: true\n")},
		{name: "openapi api key scheme", src: "Resources:" + apiFunction + `
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Body:
        swagger: "2.0"
        info: {title: shop}
        securityDefinitions:
          api_key:
            type: apiKey
            name: x-api-key
            in: header
          sigv4:
            type: apiKey
            name: Authorization
            in: header
            x-amazon-apigateway-authtype: awsSigv4
        paths:
          /orders:
            get: # want
              security:
                - api_key: []
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
            post:
              security:
                - api_key: []
                  sigv4: []
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
`},
	})
}

func TestAPINoRequestValidationReportsUncheckedInput(t *testing.T) {
	validators := `
  BodyOnly:
    Type: AWS::ApiGateway::RequestValidator
    Properties:
      RestApiId: !Ref Api
      ValidateRequestBody: true
  ParamsOnly:
    Type: AWS::ApiGateway::RequestValidator
    Properties:
      RestApiId: !Ref Api
      ValidateRequestParameters: true
  Both:
    Type: AWS::ApiGateway::RequestValidator
    Properties:
      RestApiId: !Ref Api
      ValidateRequestBody: true
      ValidateRequestParameters: true
`
	auth := "      AuthorizationType: AWS_IAM\n"
	params := "      RequestParameters:\n        method.request.querystring.limit: true\n"
	runMarkedCases(t, APINoRequestValidation, []markedCase{
		{name: "rest methods", src: "Resources:" + apiFunction + restAPI + validators +
			restMethod("PostNone", "POST", "# want", auth) +
			restMethod("PostParamsValidator", "POST", "# want", auth+"      RequestValidatorId: !Ref ParamsOnly\n") +
			restMethod("PostBodyValidator", "POST", "", auth+"      RequestValidatorId: !Ref BodyOnly\n") +
			restMethod("AnyBoth", "ANY", "", auth+"      RequestValidatorId: !Ref Both\n") +
			restMethod("GetParamsNone", "GET", "# want", auth+params) +
			restMethod("GetParamsBodyValidator", "GET", "# want", auth+params+"      RequestValidatorId: !Ref BodyOnly\n") +
			restMethod("GetParamsValidated", "GET", "", auth+params+"      RequestValidatorId: !Ref ParamsOnly\n") +
			restMethod("GetPlain", "GET", "", auth) +
			restMethod("GetPathOnly", "GET", "", auth+"      RequestParameters:\n        method.request.path.id: true\n") +
			restMethod("DeletePlain", "DELETE", "", auth)},
		{name: "openapi body", src: "Resources:" + apiFunction + `
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Body:
        openapi: 3.0.1
        info: {title: shop}
        x-amazon-apigateway-request-validators:
          all:
            validateRequestBody: true
            validateRequestParameters: true
        paths:
          /orders:
            get: # want
              parameters:
                - {name: limit, in: query, required: true, schema: {type: integer}}
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
            post:
              x-amazon-apigateway-request-validator: all
              requestBody:
                content:
                  application/json:
                    schema: {type: object}
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
          /orders/{id}:
            parameters:
              - {name: id, in: path, required: true, schema: {type: string}}
            get:
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
`},
		{name: "message names what is unchecked", text: "passes its body to function Fn", src: "Resources:" + apiFunction +
			restAPI + restMethod("PatchNone", "PATCH", "# want", auth)},
		{name: "http apis have no validators", src: "Resources:" + apiFunction + `
  Http:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Name: shop
      ProtocolType: HTTP
      Target: !GetAtt Fn.Arn
      RouteKey: POST /orders
`},
	})
}

// restStage is a REST API with one GET method reaching Fn and a Prod stage
// with the given extra properties; mark goes on the stage's logical ID.
func restStage(mark, stageProps string) string {
	return "Resources:" + apiFunction + restAPI + restMethod("ListOrders", "GET", "", "      AuthorizationType: AWS_IAM\n") + `
  Deployment:
    Type: AWS::ApiGateway::Deployment
    DependsOn: ListOrders
    Properties:
      RestApiId: !Ref Api
  Prod: ` + mark + `
    Type: AWS::ApiGateway::Stage
    Properties:
      RestApiId: !Ref Api
      DeploymentId: !Ref Deployment
      StageName: prod
` + stageProps
}

// httpStage is an HTTP API with one route reaching Fn and a stage with the
// given extra properties; mark goes on the stage's logical ID.
func httpStage(mark, stageProps string) string {
	return "Resources:" + apiFunction + `
  Http:
    Type: AWS::ApiGatewayV2::Api
    Properties:
      Name: shop
      ProtocolType: HTTP
  Integration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Http
      IntegrationType: AWS_PROXY
      IntegrationUri: !GetAtt Fn.Arn
      PayloadFormatVersion: "2.0"
  Route:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref Http
      RouteKey: GET /orders
      AuthorizationType: AWS_IAM
      Target: !Sub integrations/${Integration}
  Stage: ` + mark + `
    Type: AWS::ApiGatewayV2::Stage
    Properties:
      ApiId: !Ref Http
      StageName: $default
      AutoDeploy: true
` + stageProps
}

func TestAPINoThrottlingReportsStagesWithoutLimits(t *testing.T) {
	runMarkedCases(t, APINoThrottling, []markedCase{
		{name: "rest stage without limits", text: "Stage prod of REST API Api sets no throttling", src: restStage("# want", "")},
		{name: "rest stage method settings", src: restStage("", `      MethodSettings:
        - ResourcePath: "/*"
          HttpMethod: "*"
          ThrottlingRateLimit: 100
          ThrottlingBurstLimit: 200
`)},
		{name: "rest stage turned off", src: restStage("", `      MethodSettings: # want
        - ResourcePath: "/*"
          HttpMethod: "*"
          ThrottlingRateLimit: -1
          ThrottlingBurstLimit: -1
`)},
		{name: "rest stage per method", src: restStage("", `      MethodSettings:
        - ResourcePath: /~1orders
          HttpMethod: GET
          ThrottlingRateLimit: 10
`)},
		{name: "usage plan", src: restStage("", "") + `
  Plan:
    Type: AWS::ApiGateway::UsagePlan
    Properties:
      ApiStages:
        - ApiId: !Ref Api
          Stage: !Ref Prod
      Throttle:
        RateLimit: 50
        BurstLimit: 100
`},
		{name: "http stage without limits", text: "HTTP API Http", src: httpStage("# want", "")},
		{name: "http stage default route settings", src: httpStage("", `      DefaultRouteSettings:
        ThrottlingRateLimit: 100
        ThrottlingBurstLimit: 200
`)},
	})
}

func TestAPINoWAFReportsPublicRESTStagesWithoutWebACL(t *testing.T) {
	association := `
  WebAclAssociation:
    Type: AWS::WAFv2::WebACLAssociation
    Properties:
      ResourceArn: !Sub arn:aws:apigateway:${AWS::Region}::/restapis/${Api}/stages/${Prod}
      WebACLArn: arn:aws:wafv2:us-east-1:123456789012:regional/webacl/shop/abc
`
	private := restStage("", "")
	private = strings.Replace(private, "      Name: shop\n", "      Name: shop\n      EndpointConfiguration:\n        Types: [PRIVATE]\n", 1)
	runMarkedCases(t, APINoWAF, []markedCase{
		{name: "public stage", text: "has no AWS WAF web ACL", src: restStage("# want", "")},
		{name: "associated web acl", src: restStage("", "") + association},
		{name: "private api", src: private},
		{name: "waf classic", text: "WAF Classic", src: restStage("", "") + `
  ClassicAssociation: # want
    Type: AWS::WAFRegional::WebACLAssociation
    Properties:
      ResourceArn: !Sub arn:aws:apigateway:${AWS::Region}::/restapis/${Api}/stages/${Prod}
      WebACLId: abc
`},
		{name: "http apis cannot have waf", src: httpStage("", "")},
	})
}

func TestAPINoAccessLogsReportsStagesWithoutDestination(t *testing.T) {
	runMarkedCases(t, APINoAccessLogs, []markedCase{
		{name: "rest stage without logs", text: "AccessLogSetting", src: restStage("# want", "")},
		{name: "rest stage with logs", src: restStage("", `      AccessLogSetting:
        DestinationArn: arn:aws:logs:us-east-1:123456789012:log-group:api
        Format: $context.requestId
`)},
		{name: "rest stage with format only", text: "without a DestinationArn", src: restStage("", `      AccessLogSetting: # want
        Format: $context.requestId
`)},
		{name: "http stage without logs", text: "AccessLogSettings", src: httpStage("# want", "")},
		{name: "http stage with logs", src: httpStage("", `      AccessLogSettings:
        DestinationArn: arn:aws:logs:us-east-1:123456789012:log-group:api
        Format: $context.requestId
`)},
		{name: "deployment stage", src: "Resources:" + apiFunction + restAPI +
			restMethod("ListOrders", "GET", "", "      AuthorizationType: AWS_IAM\n") + `
  Deployment: # want
    Type: AWS::ApiGateway::Deployment
    DependsOn: ListOrders
    Properties:
      RestApiId: !Ref Api
      StageName: prod
`},
	})
}

func TestAPILogsRequestDataReportsDataTrace(t *testing.T) {
	runMarkedCases(t, APILogsRequestData, []markedCase{
		{name: "rest data trace on", text: "DataTraceEnabled", src: restStage("", `      MethodSettings:
        - ResourcePath: "/*"
          HttpMethod: "*"
          LoggingLevel: INFO
          DataTraceEnabled: true # want
`)},
		{name: "rest data trace off", src: restStage("", `      MethodSettings:
        - ResourcePath: "/*"
          HttpMethod: "*"
          LoggingLevel: INFO
          DataTraceEnabled: false
`)},
		{name: "deployment stage description", src: "Resources:" + apiFunction + restAPI +
			restMethod("ListOrders", "GET", "", "      AuthorizationType: AWS_IAM\n") + `
  Deployment:
    Type: AWS::ApiGateway::Deployment
    DependsOn: ListOrders
    Properties:
      RestApiId: !Ref Api
      StageName: prod
      StageDescription:
        DataTraceEnabled: "true" # want
`},
		{name: "websocket default route settings", src: "Resources:" + apiFunction + webSocketAPI("CUSTOM") + `
  Stage:
    Type: AWS::ApiGatewayV2::Stage
    Properties:
      ApiId: !Ref Ws
      StageName: prod
      DefaultRouteSettings:
        DataTraceEnabled: true # want
`},
	})
}

func TestAPIWeakTLSReportsDomainsBelowTLS12(t *testing.T) {
	runMarkedCases(t, APIWeakTLS, []markedCase{
		{name: "rest domain tls 1.0", text: "TLS_1_0", src: `Resources:
  Domain:
    Type: AWS::ApiGateway::DomainName
    Properties:
      DomainName: api.example.com
      SecurityPolicy: TLS_1_0 # want
`},
		{name: "rest domain without policy", text: "no SecurityPolicy", src: `Resources:
  Domain: # want
    Type: AWS::ApiGateway::DomainName
    Properties:
      DomainName: api.example.com
`},
		{name: "rest domain tls 1.2", src: `Resources:
  Domain:
    Type: AWS::ApiGateway::DomainName
    Properties:
      DomainName: api.example.com
      SecurityPolicy: TLS_1_2
`},
		{name: "enhanced policy", src: `Resources:
  Domain:
    Type: AWS::ApiGateway::DomainName
    Properties:
      DomainName: api.example.com
      SecurityPolicy: SecurityPolicy_TLS13_1_2_2021_06
`},
		{name: "policy from a parameter default", src: `Parameters:
  Policy:
    Type: String
    Default: TLS_1_0
Resources:
  Domain:
    Type: AWS::ApiGateway::DomainName
    Properties:
      DomainName: api.example.com
      SecurityPolicy: !Ref Policy # want
`},
		{name: "policy from a parameter without value", src: `Parameters:
  Policy:
    Type: String
Resources:
  Domain:
    Type: AWS::ApiGateway::DomainName
    Properties:
      DomainName: api.example.com
      SecurityPolicy: !Ref Policy
`},
		{name: "v2 domain", src: `Resources:
  Weak:
    Type: AWS::ApiGatewayV2::DomainName
    Properties:
      DomainName: api.example.com
      DomainNameConfigurations:
        - CertificateArn: arn:aws:acm:us-east-1:123456789012:certificate/abc
          SecurityPolicy: TLS_1_0 # want
  Default:
    Type: AWS::ApiGatewayV2::DomainName
    Properties:
      DomainName: ws.example.com
      DomainNameConfigurations:
        - CertificateArn: arn:aws:acm:us-east-1:123456789012:certificate/abc
  Bare:
    Type: AWS::ApiGatewayV2::DomainName
    Properties:
      DomainName: bare.example.com
`},
	})
}

// samFunction is a SAM function with events (the Events block's contents,
// indented for it); mark goes on its logical ID line.
func samFunction(id, mark, extra, events string) string {
	s := "\n  " + id + ": " + mark + `
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.13
      Handler: app.handler
      CodeUri: s3://artifacts/app.zip
` + extra
	if events != "" {
		s += "      Events:\n" + events
	}
	return s
}

const samHeader = "Transform: AWS::Serverless-2016-10-31\nResources:"

func TestSAMAPIRoutes(t *testing.T) {
	getOrders := `        List:
          Type: Api
          Properties:
            Path: /orders # want
            Method: get
`
	runMarkedCases(t, APIRouteNoAuth, []markedCase{
		{name: "implicit api", text: "GET /orders on REST API", src: samHeader + samFunction("Orders", "", "", getOrders)},
		{name: "default cognito authorizer", src: samHeader + samFunction("Orders", "", "", `        List:
          Type: Api
          Properties:
            RestApiId: !Ref Api
            Path: /orders
            Method: get
        Health:
          Type: Api
          Properties:
            RestApiId: !Ref Api
            Path: /health # want
            Method: get
            Auth:
              Authorizer: NONE
`) + `
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Auth:
        DefaultAuthorizer: Users
        Authorizers:
          Users:
            UserPoolArn: arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc
`},
		{name: "http api", text: "HTTP API", src: samHeader + samFunction("Orders", "", "", `        List:
          Type: HttpApi
          Properties:
            Path: /orders # want
            Method: get
`)},
		{name: "http api with jwt", src: samHeader + samFunction("Orders", "", "", `        List:
          Type: HttpApi
          Properties:
            ApiId: !Ref Http
            Path: /orders
            Method: get
`) + `
  Http:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: Users
        Authorizers:
          Users:
            IdentitySource: $request.header.Authorization
            JwtConfiguration:
              issuer: https://issuer.example.com
              audience: [shop]
`},
	})
	runMarkedCases(t, APIKeyOnlyAuth, []markedCase{
		{name: "api key required", text: "only by an API key", src: samHeader + samFunction("Orders", "", "", `        List:
          Type: Api
          Properties:
            RestApiId: !Ref Api
            Path: /orders # want
            Method: get
`) + `
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Auth:
        ApiKeyRequired: true
`},
	})
	runMarkedCases(t, APINoRequestValidation, []markedCase{
		{name: "post without model", text: "body", src: samHeader + samFunction("Orders", "", "", `        Create:
          Type: Api
          Properties:
            Path: /orders # want
            Method: post
`)},
		{name: "post with validated model", src: samHeader + samFunction("Orders", "", "", `        Create:
          Type: Api
          Properties:
            RestApiId: !Ref Api
            Path: /orders
            Method: post
            RequestModel:
              Model: Order
              Required: true
              ValidateBody: true
              ValidateParameters: true
`) + `
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Models:
        Order:
          type: object
          required: [id]
          properties:
            id: {type: string}
`},
	})
}

// samAPI is an AWS::Serverless::Api named Api with extra properties and a
// function with one GET route on it; mark goes on its StageName line, where
// the stage that SAM generates is written.
func samAPI(mark, extra string) string {
	return samHeader + samFunction("Orders", "", "", `        List:
          Type: Api
          Properties:
            RestApiId: !Ref Api
            Path: /orders
            Method: get
`) + `
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod ` + mark + `
      Auth:
        DefaultAuthorizer: AWS_IAM
` + extra
}

func TestSAMAPIStages(t *testing.T) {
	implicit := samHeader + samFunction("Orders", "", "", `        List: # want
          Type: Api
          Properties:
            Path: /orders
            Method: get
`)
	runMarkedCases(t, APINoThrottling, []markedCase{
		{name: "no limits", src: samAPI("# want", "")},
		{name: "implicit api", text: "Stage Prod of REST API ServerlessRestApi", src: implicit},
		{name: "globals method settings", src: `Globals:
  Api:
    MethodSettings:
      - ResourcePath: "/*"
        HttpMethod: "*"
        ThrottlingRateLimit: 10
        ThrottlingBurstLimit: 20
` + strings.Replace(implicit, " # want", "", 1)},
		{name: "method settings", src: samAPI("", `      MethodSettings:
        - ResourcePath: "/*"
          HttpMethod: "*"
          ThrottlingRateLimit: 10
          ThrottlingBurstLimit: 20
`)},
	})
	runMarkedCases(t, APINoWAF, []markedCase{
		{name: "public", src: samAPI("# want", "")},
		{name: "private", src: samAPI("", `      EndpointConfiguration:
        Type: PRIVATE
`)},
	})
	runMarkedCases(t, APINoAccessLogs, []markedCase{
		{name: "no logs", src: samAPI("# want", "")},
		{name: "logs", src: samAPI("", `      AccessLogSetting:
        DestinationArn: arn:aws:logs:us-east-1:123456789012:log-group:api
        Format: $context.requestId
`)},
		{name: "http api logs", src: samHeader + samFunction("Orders", "", "", `        List:
          Type: HttpApi
          Properties:
            ApiId: !Ref Http
            Path: /orders
            Method: get
`) + `
  Http:
    Type: AWS::Serverless::HttpApi
    Properties:
      AccessLogSettings:
        DestinationArn: arn:aws:logs:us-east-1:123456789012:log-group:api
        Format: $context.requestId
`},
	})
	runMarkedCases(t, APILogsRequestData, []markedCase{
		{name: "data trace", src: samAPI("", `      MethodSettings:
        - ResourcePath: "/*"
          HttpMethod: "*"
          DataTraceEnabled: true # want
`)},
		{name: "no data trace", src: samAPI("", "")},
	})
	runMarkedCases(t, APIWeakTLS, []markedCase{
		{name: "weak domain", src: samAPI("", `      Domain:
        DomainName: api.example.com
        CertificateArn: arn:aws:acm:us-east-1:123456789012:certificate/abc
        SecurityPolicy: TLS_1_0 # want
`)},
		{name: "strong domain", src: samAPI("", `      Domain:
        DomainName: api.example.com
        CertificateArn: arn:aws:acm:us-east-1:123456789012:certificate/abc
        SecurityPolicy: TLS_1_2
`)},
	})
}
