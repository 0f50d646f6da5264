package model_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/bulwark-sec/bulwark/internal/cfn"
	"github.com/bulwark-sec/bulwark/internal/model"
	"github.com/bulwark-sec/bulwark/internal/source"
)

// buildFile builds the model of one CloudFormation template file.
func buildFile(t testing.TB, path string) *model.App {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return buildData(t, path, data)
}

func buildData(t testing.TB, path string, data []byte) *model.App {
	t.Helper()
	doc, err := source.Parse(path, data, source.Limits{})
	if err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	tmpl, warns := cfn.Parse(path, doc.Root)
	if len(warns) > 0 {
		t.Fatalf("template %s: %v", path, warns[0])
	}
	return model.Build([]model.Input{{Name: path, Kind: "cloudformation", Doc: doc, Template: tmpl}})
}

// routeSummary renders a route as one line, so that tables of expectations
// read like the API they describe.
func routeSummary(rt *model.Route) string {
	fn := "-"
	if rt.Function != nil {
		fn = rt.Function.Name
	}
	auth := rt.Auth.Type
	if auth == "" {
		auth = "?"
	}
	if rt.Auth.Authorizer != "" {
		auth += ":" + rt.Auth.Authorizer
	}
	var flags []string
	if rt.APIKeyRequired {
		flags = append(flags, "key")
	}
	if rt.Validator != "" {
		flags = append(flags, "validator="+rt.Validator)
	}
	if rt.HasParams {
		flags = append(flags, "params")
	}
	if rt.Throttled {
		flags = append(flags, "throttled")
	}
	s := fmt.Sprintf("%s %s -> %s %s", rt.API.Name, strings.TrimSpace(rt.Method+" "+rt.Path), fn, auth)
	if len(flags) > 0 {
		s += " [" + strings.Join(flags, " ") + "]"
	}
	return s
}

func stageSummary(api *model.API, st *model.Stage) string {
	var flags []string
	if st.AccessLogs != nil {
		flags = append(flags, "logs")
	}
	if st.Throttled {
		flags = append(flags, "throttled")
	}
	if st.TracingEnabled {
		flags = append(flags, "tracing")
	}
	if st.DataTraceLogged {
		flags = append(flags, "datatrace")
	}
	if st.WebACL != nil {
		flags = append(flags, "waf="+st.WebACL.LogicalID)
	}
	return fmt.Sprintf("%s/%s (%s) [%s]", api.Name, st.Name, st.Resource.LogicalID, strings.Join(flags, " "))
}

func routesOf(app *model.App) []string {
	var out []string
	for _, api := range app.APIs {
		for _, rt := range api.Routes {
			out = append(out, routeSummary(rt))
		}
	}
	return out
}

func stagesOf(app *model.App) []string {
	var out []string
	for _, api := range app.APIs {
		for _, st := range api.Stages {
			out = append(out, stageSummary(api, st))
		}
	}
	return out
}

func TestAPIRoutesFromEachStyle(t *testing.T) {
	tests := []struct {
		file   string
		routes []string
		stages []string
	}{
		{
			file: "rest_body.yaml",
			routes: []string{
				"OrdersApi POST /orders -> CreateOrder COGNITO_USER_POOLS:UserPool [validator=all params]",
				"OrdersApi GET /orders -> GetOrder NONE [validator=params]",
				"OrdersApi OPTIONS /orders -> - NONE [validator=params]",
				"OrdersApi ANY /orders/{id} -> GetOrder CUSTOM:TokenAuth [key validator=params params]",
				"OrdersApi DELETE /admin -> GetOrder AWS_IAM [validator=params]",
				"OrdersApi GET /key-only -> GetOrder NONE [key validator=params]",
				// Under an Fn::If whose condition depends on a parameter.
				"OrdersApi PUT /conditional -> CreateOrder COGNITO_USER_POOLS:UserPool [validator=params]",
			},
			stages: []string{
				// The Deployment's StageName is not a stage of its own: Stage resources exist.
				"OrdersApi/prod (OrdersProd) [logs throttled tracing waf=ProdFirewall]",
				"OrdersApi/dev (OrdersDev) [datatrace]",
			},
		},
		{
			file: "rest_methods.yaml",
			routes: []string{
				"Api GET / -> Orders NONE",
				"Api POST /orders -> Orders CUSTOM:TokenAuthorizer [validator=body params throttled]",
				"Api OPTIONS /orders -> - NONE",
				"Api GET /orders/{id} -> Orders COGNITO_USER_POOLS:PoolAuthorizer [key params throttled]",
				"Api DELETE /orders/{id} -> Orders AWS_IAM",
				"Api PATCH /orders/{id} -> Orders NONE",
			},
			stages: []string{"Api/v1 (Deployment) [logs tracing datatrace waf=Firewall]"},
		},
		{
			file: "http_body.json",
			routes: []string{
				"HttpApi POST /orders -> Handler JWT:Jwt [params throttled]",
				"HttpApi GET /orders -> Handler NONE [throttled]",
				"HttpApi GET /admin -> Handler AWS_IAM [throttled]",
				"HttpApi ANY $default -> Handler CUSTOM:LambdaAuth [throttled]",
			},
			stages: []string{"HttpApi/$default (HttpApiStage) [logs throttled]"},
		},
		{
			file: "http_routes.yaml",
			routes: []string{
				"Api POST /orders -> Handler JWT:JwtAuthorizer [throttled]",
				"Api GET /orders -> Handler NONE",
				"Api ANY /{proxy+} -> Handler CUSTOM:LambdaAuthorizer",
				"Api ANY $default -> Handler AWS_IAM",
				"QuickApi ANY $default -> Handler NONE [throttled]",
				"Socket $connect -> Handler NONE",
			},
			stages: []string{
				"Api/live (Stage) []",
				"QuickApi/$default (QuickApi) [logs throttled]",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			app := buildFile(t, filepath.Join("testdata", "api", tt.file))
			if got := routesOf(app); !slices.Equal(got, tt.routes) {
				t.Errorf("routes:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(tt.routes, "\n     "))
			}
			if got := stagesOf(app); !slices.Equal(got, tt.stages) {
				t.Errorf("stages:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(tt.stages, "\n     "))
			}
		})
	}
}

func TestAPIKindsPoliciesAndCors(t *testing.T) {
	tests := []struct {
		file, api, kind string
		policy, cors    bool
	}{
		{"rest_body.yaml", "OrdersApi", "REST", true, false},
		{"rest_methods.yaml", "Api", "REST", false, false},
		{"http_body.json", "HttpApi", "HTTP", false, true},
		{"http_routes.yaml", "Api", "HTTP", false, true},
		{"http_routes.yaml", "QuickApi", "HTTP", false, false},
		{"http_routes.yaml", "Socket", "WEBSOCKET", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.api, func(t *testing.T) {
			api := findAPI(t, buildFile(t, filepath.Join("testdata", "api", tt.file)), tt.api)
			if api.Kind != tt.kind {
				t.Errorf("Kind = %q, want %q", api.Kind, tt.kind)
			}
			if (api.Policy != nil) != tt.policy {
				t.Errorf("Policy = %v, want set: %t", api.Policy, tt.policy)
			}
			if (api.Cors != nil) != tt.cors {
				t.Errorf("Cors = %v, want set: %t", api.Cors, tt.cors)
			}
		})
	}
}

func findAPI(t *testing.T, app *model.App, name string) *model.API {
	t.Helper()
	for _, api := range app.APIs {
		if api.Name == name {
			return api
		}
	}
	t.Fatalf("no API %s", name)
	return nil
}

func findRoute(t *testing.T, api *model.API, method, path string) *model.Route {
	t.Helper()
	for _, rt := range api.Routes {
		if rt.Method == method && rt.Path == path {
			return rt
		}
	}
	t.Fatalf("API %s has no route %s %s", api.Name, method, path)
	return nil
}

// lineOf returns the 1-based line of the first occurrence of text in file.
func lineOf(t *testing.T, file, text string) int {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(data), text)
	if i < 0 {
		t.Fatalf("%s does not contain %q", file, text)
	}
	return strings.Count(string(data[:i]), "\n") + 1
}

func TestRoutePositionPointsAtWhatTheUserWrote(t *testing.T) {
	tests := []struct {
		file, api, method, path string
		line                    string // the text on the line the route must point at
		origin                  string // Route.Origin.LogicalID
	}{
		{"rest_body.yaml", "OrdersApi", "POST", "/orders", "            post:", "OrdersApi"},
		{"rest_body.yaml", "OrdersApi", "PUT", "/conditional", "            put:", "OrdersApi"},
		{"rest_methods.yaml", "Api", "POST", "/orders", "  OrdersPost:", "OrdersPost"},
		{"http_body.json", "HttpApi", "GET", "/admin", `"get": {
                "security": [{"AWS_IAM"`, "HttpApi"},
		{"http_routes.yaml", "Api", "ANY", "/{proxy+}", "  Proxy:", "Proxy"},
		{"http_routes.yaml", "QuickApi", "ANY", "$default", "  QuickApi:", "QuickApi"},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.method+" "+tt.path, func(t *testing.T) {
			file := filepath.Join("testdata", "api", tt.file)
			rt := findRoute(t, findAPI(t, buildFile(t, file), tt.api), tt.method, tt.path)
			if want := lineOf(t, file, tt.line); rt.Pos.Line != want {
				t.Errorf("Pos = %v, want line %d", rt.Pos, want)
			}
			if rt.Origin.LogicalID != tt.origin || rt.Origin.Pos != rt.Pos {
				t.Errorf("Origin = %+v, want %s at %v", rt.Origin, tt.origin, rt.Pos)
			}
		})
	}
}

func TestBodyRouteOriginFollowsTheGeneratedAPIsOrigin(t *testing.T) {
	file := filepath.Join("testdata", "api", "rest_body.yaml")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := source.Parse(file, data, source.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	tmpl, _ := cfn.Parse(file, doc.Root)
	samAPI := model.Origin{LogicalID: "Orders", Type: "AWS::Serverless::Api", Pos: source.Pos{File: file, Line: 1}}
	app := model.Build([]model.Input{{Name: file, Kind: "sam", Doc: doc, Template: tmpl, Origins: map[string]model.Origin{"OrdersApi": samAPI}}})
	rt := findRoute(t, findAPI(t, app, "OrdersApi"), "GET", "/key-only")
	if rt.Origin.LogicalID != "Orders" || rt.Origin.Type != "AWS::Serverless::Api" {
		t.Errorf("Origin = %+v, want the SAM API", rt.Origin)
	}
	if want := lineOf(t, file, "          /key-only:") + 1; rt.Pos.Line != want {
		t.Errorf("Pos = %v, want line %d (the operation, not the API)", rt.Pos, want)
	}
}

func TestRoutesLinkTheirFunctions(t *testing.T) {
	app := buildFile(t, filepath.Join("testdata", "api", "rest_body.yaml"))
	want := map[string][]string{
		"CreateOrder": {"POST /orders", "PUT /conditional"},
		// Reached by ARN literal, alias Ref and alias ARN.
		"GetOrder": {"GET /orders", "ANY /orders/{id}", "DELETE /admin", "GET /key-only"},
	}
	for _, f := range app.Functions {
		var got []string
		for _, rt := range f.Routes {
			if rt.Function != f {
				t.Errorf("%s lists route %s %s, which reaches %v", f.Name, rt.Method, rt.Path, rt.Function)
			}
			got = append(got, rt.Method+" "+rt.Path)
		}
		if !slices.Equal(got, want[f.Name]) {
			t.Errorf("%s routes = %q, want %q", f.Name, got, want[f.Name])
		}
		var apis []string
		for _, s := range f.Sources {
			if s.Kind == "api" {
				apis = append(apis, s.Resource.LogicalID)
			}
		}
		if !slices.Equal(apis, []string{"OrdersApi"}) {
			t.Errorf("%s api event sources = %q, want one for OrdersApi", f.Name, apis)
		}
	}
}

func TestAPIEdgeCases(t *testing.T) {
	const header = `Parameters:
  AuthType: {Type: String}
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: a.b, Role: arn:aws:iam::1:role/r, Code: {ZipFile: x}}
`
	const uri = `!Sub "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations"`
	tests := []struct {
		name   string
		yaml   string
		routes []string
		stages []string
	}{
		{
			name: "global security applies unless the operation says otherwise",
			yaml: `
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Body:
        openapi: 3.0.1
        security: [{pool: []}]
        components:
          securitySchemes:
            pool: {type: apiKey, name: Authorization, in: header, x-amazon-apigateway-authtype: cognito_user_pools}
        x-amazon-apigateway-policy: {Statement: []}
        paths:
          /a: {get: {x-amazon-apigateway-integration: {uri: ` + uri + `}}}
          /b: {get: {security: [], x-amazon-apigateway-integration: {uri: ` + uri + `}}}
          /c: {post: {requestBody: {content: {}}, x-amazon-apigateway-integration: {uri: ` + uri + `}}}
`,
			routes: []string{
				"Api GET /a -> Fn COGNITO_USER_POOLS:pool",
				"Api GET /b -> Fn NONE",
				"Api POST /c -> Fn COGNITO_USER_POOLS:pool [params]",
			},
		},
		{
			name: "an authorization type from a parameter is unknown",
			yaml: `
  Api:
    Type: AWS::ApiGateway::RestApi
  Get:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !GetAtt Api.RootResourceId
      HttpMethod: GET
      AuthorizationType: !Ref AuthType
      Integration: {Uri: ` + uri + `}
`,
			routes: []string{"Api GET / -> Fn ?"},
		},
		{
			name: "a usage plan's own throttle covers every route of its stages",
			yaml: `
  Api:
    Type: AWS::ApiGateway::RestApi
  Get:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !GetAtt Api.RootResourceId
      HttpMethod: GET
      AuthorizationType: NONE
      ApiKeyRequired: true
      Integration: {Uri: ` + uri + `}
  Prod:
    Type: AWS::ApiGateway::Stage
    Properties: {RestApiId: !Ref Api, StageName: prod}
  Test:
    Type: AWS::ApiGateway::Stage
    Properties:
      RestApiId: !Ref Api
      StageName: test
      MethodSettings: [{ResourcePath: /*, HttpMethod: "*", ThrottlingRateLimit: -1, ThrottlingBurstLimit: -1}]
  Plan:
    Type: AWS::ApiGateway::UsagePlan
    Properties:
      Throttle: {RateLimit: 10}
      ApiStages: [{ApiId: !Ref Api, Stage: !Ref Prod}]
  Firewall:
    Type: AWS::WAFRegional::WebACLAssociation
    Properties:
      ResourceArn: !Sub arn:aws:apigateway:${AWS::Region}::/restapis/${Api}/stages/test
      WebACLId: acl
`,
			// Throttled only where every stage throttles it: test turns throttling off.
			routes: []string{"Api GET / -> Fn NONE [key]"},
			stages: []string{"Api/prod (Prod) [throttled]", "Api/test (Test) [waf=Firewall]"},
		},
		{
			name: "a route with no stage is not throttled",
			yaml: `
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties: {ProtocolType: HTTP}
  Integration:
    Type: AWS::ApiGatewayV2::Integration
    Properties: {ApiId: !Ref Api, IntegrationType: AWS_PROXY, IntegrationUri: !Ref Fn}
  Route:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Api, RouteKey: "delete /items/{id}", AuthorizationType: JWT, Target: !Sub "integrations/${Integration}"}
`,
			routes: []string{"Api DELETE /items/{id} -> Fn JWT"},
		},
		{
			name: "resources missing required properties still give routes",
			yaml: `
  Api:
    Type: AWS::ApiGateway::RestApi
  NoPart:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId}
  Get:
    Type: AWS::ApiGateway::Method
    Properties: {RestApiId: !Ref Api, ResourceId: !Ref NoPart, HttpMethod: GET}
  Http:
    Type: AWS::ApiGatewayV2::Api
  NoKey:
    Type: AWS::ApiGatewayV2::Route
    Properties: {ApiId: !Ref Http}
  Plan:
    Type: AWS::ApiGateway::UsagePlan
    Properties: {ApiStages: [{ApiId: !Ref Api}]}
  Firewall:
    Type: AWS::WAFv2::WebACLAssociation
    Properties: {ResourceArn: !Ref Api}
`,
			routes: []string{"Api GET / -> - NONE", "Http ANY -> - NONE"},
		},
		{
			name: "a method of an API in another stack is not modelled",
			yaml: `
  Get:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !ImportValue shared-api
      ResourceId: !ImportValue shared-root
      HttpMethod: GET
      AuthorizationType: NONE
      Integration: {Uri: ` + uri + `}
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := buildData(t, "edge.yaml", []byte(header+tt.yaml))
			if got := routesOf(app); !slices.Equal(got, tt.routes) {
				t.Errorf("routes:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(tt.routes, "\n     "))
			}
			if got := stagesOf(app); !slices.Equal(got, tt.stages) {
				t.Errorf("stages:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(tt.stages, "\n     "))
			}
		})
	}
}

// samOutputs is where the SAM translator's golden outputs are: the plain
// CloudFormation that the SAM transform produces for its test inputs.
const samOutputs = "/work/shared/corpus/serverless-application-model/tests/translator/output"

func TestRoutesOfSAMTranslatorOutputs(t *testing.T) {
	if _, err := os.Stat(samOutputs); err != nil {
		t.Skipf("SAM translator golden outputs not found at %s: %v", samOutputs, err)
	}
	tests := []struct {
		file   string
		routes []string
	}{
		{"api_with_auth_all_minimum.json", []string{
			"MyApiWithCognitoAuth ANY /any/cognito -> MyFn COGNITO_USER_POOLS:MyCognitoAuth",
			"MyApiWithCognitoAuth GET /cognito -> MyFn COGNITO_USER_POOLS:MyCognitoAuth",
			"MyApiWithLambdaRequestAuth ANY /any/lambda-request -> MyFn CUSTOM:MyLambdaRequestAuth",
			"MyApiWithLambdaRequestAuth GET /lambda-request -> MyFn CUSTOM:MyLambdaRequestAuth",
			"MyApiWithLambdaTokenAuth ANY /any/lambda-token -> MyFn CUSTOM:MyLambdaTokenAuth",
			"MyApiWithLambdaTokenAuth GET /lambda-token -> MyFn CUSTOM:MyLambdaTokenAuth",
			"MyApiWithNotCachedLambdaRequestAuth GET /not-cached-lambda-request -> MyFn CUSTOM:MyLambdaRequestAuth",
		}},
		{"http_api_lambda_auth.json", []string{
			"MyApi ANY $default -> HttpApiFunction CUSTOM:LambdaAuth",
			"MyApi GET /basic -> HttpApiFunction CUSTOM:LambdaAuth",
			"MyApi POST /basic -> HttpApiFunction CUSTOM:LambdaAuth",
		}},
		{"api_with_method_aws_iam_auth.json", []string{
			"MyApiWithoutAuth GET / -> MyFunctionWithAwsIamAuth AWS_IAM",
			"MyApiWithoutAuth POST / -> MyFunctionWithAwsIamAuth AWS_IAM",
			"MyApiWithoutAuth PUT / -> MyFunctionWithAwsIamAuth AWS_IAM",
			"MyApiWithoutAuth ANY /any/one -> MyFunctionWithAwsIamAuth AWS_IAM",
			"MyApiWithoutAuth ANY /any/three -> MyFunctionWithAwsIamAuth AWS_IAM",
			"MyApiWithoutAuth ANY /any/two -> MyFunctionWithAwsIamAuth AWS_IAM",
		}},
		{"api_with_apikey_required.json", []string{
			"MyApiWithoutAuth GET /ApiKeyRequiredTrue -> MyFunctionWithApiKeyRequired NONE [key]",
			"MyApiWithoutAuth ANY /any/ApiKeyRequiredTrue -> MyFunctionWithApiKeyRequired NONE [key]",
		}},
		{"http_api_global_iam_auth_enabled.json", []string{
			"ServerlessHttpApi GET /default-auth -> HttpApiFunction NONE",
			"ServerlessHttpApi GET /iam-auth -> HttpApiFunction AWS_IAM",
		}},
		{"api_with_swagger_authorizer_none.json", []string{
			"MyApiWithCognitoAuth ANY /any/cognito -> MyFn NONE",
			"MyApiWithCognitoAuth GET /cognito -> MyFn NONE",
			"MyApiWithLambdaRequestAuth GET /lambda-request -> MyFn CUSTOM:MyLambdaRequestAuth",
			"MyApiWithLambdaTokenAuth ANY /any/lambda-token -> MyFn NONE",
			"MyApiWithLambdaTokenAuth GET /lambda-token -> MyFn NONE",
		}},
		{"api_with_usageplans.json", []string{
			"MyApiOne ANY /any/path/one -> MyFunctionOne NONE [key]",
			"MyApiOne GET /path/one -> MyFunctionOne NONE [key]",
			"MyApiThree GET /path/three -> MyFunctionThree NONE [key]",
			"MyApiTwo GET /path/two -> MyFunctionTwo NONE [key throttled]",
			"ServerlessRestApi GET /path/event -> MyFunctionTwo NONE [key]",
		}},
		{"http_api_existing_openapi.json", []string{
			"MyApi ANY $default -> HttpApiFunction JWT:OpenIdAuth",
			"MyApi POST /basic -> - JWT:OpenIdAuth", // DifferentFunction is not in the template
			"MyApi GET /get/{something}/with/{params} -> HttpApiFunction NONE [params]",
			"MyApi POST /integration -> HttpApiFunction JWT:OpenIdAuth",
			"MyApi POST /oauth2 -> HttpApiFunction JWT:oauth2Auth",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			app := buildFile(t, filepath.Join(samOutputs, tt.file))
			if got := routesOf(app); !slices.Equal(got, tt.routes) {
				t.Errorf("routes:\n got %s\nwant %s", strings.Join(got, "\n     "), strings.Join(tt.routes, "\n     "))
			}
		})
	}
}

// BenchmarkBuildAPIs builds a stack with one REST API of explicit methods
// and one HTTP API with an OpenAPI body, n routes each.
func BenchmarkBuildAPIs(b *testing.B) {
	const n = 500
	var sb strings.Builder
	sb.WriteString("Resources:\n  Fn:\n    Type: AWS::Lambda::Function\n    Properties: {Runtime: python3.12, Handler: a.b, Role: arn:aws:iam::1:role/r, Code: {ZipFile: x}}\n")
	sb.WriteString("  Rest:\n    Type: AWS::ApiGateway::RestApi\n")
	sb.WriteString("  Stage:\n    Type: AWS::ApiGateway::Stage\n    Properties: {RestApiId: !Ref Rest, StageName: prod}\n")
	for i := range n {
		fmt.Fprintf(&sb, "  R%d:\n    Type: AWS::ApiGateway::Resource\n    Properties: {RestApiId: !Ref Rest, ParentId: !GetAtt Rest.RootResourceId, PathPart: p%d}\n", i, i)
		fmt.Fprintf(&sb, "  M%d:\n    Type: AWS::ApiGateway::Method\n    Properties: {RestApiId: !Ref Rest, ResourceId: !Ref R%d, HttpMethod: GET, AuthorizationType: NONE, Integration: {Uri: !Sub 'arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations'}}\n", i, i)
	}
	sb.WriteString("  Http:\n    Type: AWS::ApiGatewayV2::Api\n    Properties:\n      Body:\n        openapi: 3.0.1\n        paths:\n")
	for i := range n {
		fmt.Fprintf(&sb, "          /p%d:\n            get:\n              x-amazon-apigateway-integration: {uri: !GetAtt Fn.Arn}\n", i)
	}
	data := []byte(sb.String())
	doc, err := source.Parse("bench.yaml", data, source.Limits{})
	if err != nil {
		b.Fatal(err)
	}
	tmpl, _ := cfn.Parse("bench.yaml", doc.Root)
	in := []model.Input{{Name: "bench.yaml", Kind: "cloudformation", Doc: doc, Template: tmpl}}
	if app := model.Build(in); len(app.APIs) != 2 || len(app.APIs[0].Routes) != n || len(app.APIs[1].Routes) != n {
		b.Fatalf("built %d APIs", len(app.APIs))
	}
	b.ReportAllocs()
	for b.Loop() {
		model.Build(in)
	}
}
