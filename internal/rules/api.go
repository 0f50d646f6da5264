package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/bulwark-sec/bulwark/internal/model"
	"github.com/bulwark-sec/bulwark/internal/rule"
	"github.com/bulwark-sec/bulwark/internal/source"
)

// API entry points (5xx): who may call a route, what API Gateway checks
// before the function runs, and what each stage throttles, filters and logs.
//
// Route rules judge the routes that reach a Lambda function (one of the
// scanned templates, or one outside them named by its ARN); a MOCK or HTTP
// integration runs no function code. Stage rules judge every stage of an
// API in the templates.

// APIRouteNoAuth is BW501.
var APIRouteNoAuth = &rule.Rule{
	ID:       "BW501",
	Name:     "api-route-no-auth",
	Severity: rule.High,
	Title:    "an API route reaches a function without any authentication",
	Rationale: "Practice BW501, asked for by guides 001, 002, 003 and 004: a route with no authorizer, IAM or " +
		"Cognito/JWT auth lets anyone on the internet run the function behind it, with whatever the function's role " +
		"may do. Guide 004 advises limiting unauthenticated routes and protecting those that must stay open; guide 003 " +
		"names Cognito and Lambda authorizers as the controls to use.",
	Remediation: "Give the route an authorizer: AWS_IAM for callers inside AWS, a Cognito user pool or JWT authorizer " +
		"for users, or a Lambda authorizer for custom tokens. In SAM set Auth.DefaultAuthorizer on the API (or Auth " +
		"on the event); in CloudFormation set AuthorizationType (and AuthorizerId) on the Method or Route. A route " +
		"that must stay public (a webhook verified by signature) is a documented exception: suppress it with the reason.",
	Example: `Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Auth:
        DefaultAuthorizer: Users
        Authorizers:
          Users:
            UserPoolArn: !GetAtt UserPool.Arn
  Orders:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        List:
          Type: Api
          Properties:
            RestApiId: !Ref Api
            Path: /orders
            Method: get`,
	Where: "T A",
	Equivalents: rule.Equivalents{
		Checkov: []string{"CKV_AWS_59"},
		KICS:    []string{"1056dfbb-5802-4762-bf2b-8b9b9684b1b0", "7fd0d461-5b8c-4815-898c-f2b4b117eb28"},
		Trivy:   []string{"AVD-AWS-0004"},
		CfnNag:  []string{"W59"},
		CdkNag:  []string{"AwsSolutions-APIG4"},
	},
	Run: runAPIRouteNoAuth,
}

func runAPIRouteNoAuth(pass *rule.Pass) {
	for _, api := range pass.App.APIs {
		if api.Kind == "WEBSOCKET" {
			reportOpenWebSocket(pass, api)
			continue
		}
		if clientCertificatesOnly(api) {
			continue // every caller presents a certificate the truststore admits
		}
		for _, rt := range api.Routes {
			// Auth.Type "" means the type depends on a value the template does
			// not fix; API-key-only routes are BW502's.
			if rt.Method == "OPTIONS" || rt.Auth.Type == "" || rt.Auth.Authenticated() || rt.APIKeyRequired {
				continue
			}
			target, ok := routeTarget(rt)
			if !ok {
				continue
			}
			f := rule.Finding{
				RuleID: pass.Rule.ID, Severity: pass.Rule.Severity, Location: routeLocation(rt),
				Evidence: routeName(rt),
				Message: fmt.Sprintf("%s on %s API %s reaches %s with no authorizer, IAM or Cognito/JWT auth: anyone who "+
					"can reach the API can run it. Add an authorizer to the route (or a default authorizer to the API).",
					routeName(rt), api.Kind, api.Name, target),
			}
			if restEndpoint(api) == privateEndpoint {
				// Only the VPCs that the resource policy admits can call a
				// private API, which narrows who can run the function.
				f.Severity = rule.Medium
				f.Message = fmt.Sprintf("%s on private REST API %s reaches %s with no authorizer, IAM or Cognito auth: "+
					"any caller inside an admitted VPC can run it. Add an authorizer to the route.", routeName(rt), api.Name, target)
			}
			pass.Report(f)
		}
	}
}

// reportOpenWebSocket reports a WebSocket API whose $connect route is not
// authenticated. API Gateway authorizes a WebSocket connection once, on
// $connect; every other route of the API is open to whoever connected, so
// the finding goes where the fix goes.
func reportOpenWebSocket(pass *rule.Pass, api *model.API) {
	var connect *model.Route
	var targets []string
	for _, rt := range api.Routes {
		if rt.Path == "$connect" {
			connect = rt
		}
		if target, ok := routeTarget(rt); ok && !slices.Contains(targets, target) {
			targets = append(targets, target)
		}
	}
	if len(targets) == 0 {
		return
	}
	if connect != nil && (connect.Auth.Type == "" || connect.Auth.Authenticated()) {
		return
	}
	loc := rule.At(api.Resource, source.Pos{})
	what := "has no $connect route"
	if connect != nil {
		loc = routeLocation(connect)
		what = "authorizes nothing on $connect"
	}
	pass.Reportf(loc, "$connect",
		"WebSocket API %s %s, so anyone can connect and send messages that reach %s. Add a Lambda authorizer or "+
			"AWS_IAM auth to the $connect route.", api.Name, what, strings.Join(targets, ", "))
}

// clientCertificatesOnly reports whether every way to call the API asks
// for a client certificate: its default execute-api endpoint is disabled,
// and it is mapped to custom domains that all require mutual TLS.
func clientCertificatesOnly(api *model.API) bool {
	disabled := api.Resource.Prop("DisableExecuteApiEndpoint")
	if disabled == nil {
		for _, body := range possibleValues(api.Resource.Prop("Body")) {
			disabled = body.Get("x-amazon-apigateway-endpoint-configuration").Get("disableExecuteApiEndpoint")
		}
	}
	if !disabled.Truthy() {
		return false
	}
	st := api.Resource.Stack
	mapped := false
	for _, r := range st.Resources {
		var apiRef, domainRef *source.Node
		switch r.Type {
		case "AWS::ApiGatewayV2::ApiMapping":
			apiRef, domainRef = r.Prop("ApiId"), r.Prop("DomainName")
		case "AWS::ApiGateway::BasePathMapping":
			apiRef, domainRef = r.Prop("RestApiId"), r.Prop("DomainName")
		case "AWS::ApiGateway::BasePathMappingV2":
			apiRef, domainRef = r.Prop("RestApiId"), r.Prop("DomainNameArn")
		default:
			continue
		}
		if apiRef == nil || !slices.Contains(apiRef.Refs, api.Resource.LogicalID) {
			continue
		}
		domain := customDomain(st, domainRef)
		if domain == nil || len(possibleValues(domain.Prop("MutualTlsAuthentication"))) == 0 {
			return false
		}
		mapped = true
	}
	return mapped
}

// customDomain finds the API Gateway custom domain that n names, by
// reference or by domain name.
func customDomain(st *model.Stack, n *source.Node) *model.Resource {
	isDomain := func(r *model.Resource) bool {
		if r == nil {
			return false
		}
		switch r.Type {
		case "AWS::ApiGateway::DomainName", "AWS::ApiGateway::DomainNameV2", "AWS::ApiGatewayV2::DomainName":
			return true
		}
		return false
	}
	if n == nil {
		return nil
	}
	for _, ref := range n.Refs {
		if r := st.Resource(ref); isDomain(r) {
			return r
		}
	}
	name, ok := n.Str()
	if !ok {
		return nil
	}
	for _, r := range st.Resources {
		if d, _ := r.Prop("DomainName").Str(); isDomain(r) && d == name {
			return r
		}
	}
	return nil
}

// APIKeyOnlyAuth is BW502.
var APIKeyOnlyAuth = &rule.Rule{
	ID:       "BW502",
	Name:     "api-key-only-auth",
	Severity: rule.Medium,
	Title:    "an API key is the only protection of a route",
	Rationale: "Practice BW502, from guide 003: API keys identify a client for usage plans and throttling; they are " +
		"not authentication. A key is a static value sent with every request and shared by every user of the client, " +
		"and a key for one API works on every API of its usage plan. Guide 003 asks to use them only together with an authorizer.",
	Remediation: "Keep the API key for metering if you need it, and add an authorizer to the route: AWS_IAM, a Cognito " +
		"user pool, a JWT or a Lambda authorizer.",
	Example: `Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Auth:
        ApiKeyRequired: true
        DefaultAuthorizer: AWS_IAM`,
	Where: "T A",
	Run:   runAPIKeyOnlyAuth,
}

func runAPIKeyOnlyAuth(pass *rule.Pass) {
	for _, api := range pass.App.APIs {
		for _, rt := range api.Routes {
			if rt.Method == "OPTIONS" || !rt.APIKeyRequired || rt.Auth.Type != "NONE" {
				continue
			}
			target, ok := routeTarget(rt)
			if !ok {
				continue
			}
			pass.Reportf(routeLocation(rt), routeName(rt),
				"%s on %s API %s reaches %s protected only by an API key: a key is a static shared value, not a "+
					"caller identity. Add an authorizer (IAM, Cognito, JWT or Lambda) to the route.",
				routeName(rt), api.Kind, api.Name, target)
		}
	}
}

// APINoRequestValidation is BW503.
var APINoRequestValidation = &rule.Rule{
	ID:       "BW503",
	Name:     "api-no-request-validation",
	Severity: rule.Medium,
	Title:    "a REST API method takes a body or parameters that API Gateway does not validate",
	Rationale: "Practice BW503, from guides 000 and 002: validating requests at API Gateway rejects malformed and " +
		"oversized input before it reaches function code, where injection and parsing bugs live, and before it costs " +
		"an invocation. Guide 002 shows a RequestValidator with a JSON schema model for each method that takes input.",
	Remediation: "Add an AWS::ApiGateway::RequestValidator that validates the body and the parameters, point the " +
		"method's RequestValidatorId at it and declare a RequestModels schema (SAM: RequestModel with ValidateBody, and " +
		"RequestParameters with Required). Keep validating in the handler too.",
	Example: `Resources:
  Validator:
    Type: AWS::ApiGateway::RequestValidator
    Properties:
      RestApiId: !Ref Api
      ValidateRequestBody: true
      ValidateRequestParameters: true
  CreateOrder:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !Ref OrdersResource
      HttpMethod: POST
      AuthorizationType: AWS_IAM
      RequestValidatorId: !Ref Validator
      RequestModels:
        application/json: !Ref OrderModel
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${OrdersFunction.Arn}/invocations`,
	Where: "T A",
	Equivalents: rule.Equivalents{
		CdkNag: []string{"AwsSolutions-APIG2"},
	},
	Run: runAPINoRequestValidation,
}

func runAPINoRequestValidation(pass *rule.Pass) {
	for _, api := range pass.App.APIs {
		if api.Kind != "REST" {
			continue // HTTP and WebSocket APIs have no request validators
		}
		for _, rt := range api.Routes {
			missing := unvalidatedInput(rt)
			if missing == "" {
				continue
			}
			target, ok := routeTarget(rt)
			if !ok {
				continue
			}
			pass.Reportf(routeLocation(rt), routeName(rt),
				"%s on REST API %s passes its %s to %s unchecked: no request validator covers it. Add a "+
					"RequestValidator that validates the %s, with a request model, to the method.",
				routeName(rt), api.Name, missing, target, missing)
		}
	}
}

// unvalidatedInput names the input of a REST route that no validator
// checks: "body", "parameters", "body and parameters", or "" when none.
// POST, PUT, PATCH and ANY take a body; so does a method that declares a
// body model.
func unvalidatedInput(rt *model.Route) string {
	bodyModel, params, known := declaredInput(rt)
	takesBody := bodyModel || slices.Contains([]string{"POST", "PUT", "PATCH", "ANY"}, rt.Method)
	if !known {
		// Route.HasParams says the method declares parameters or a model
		// without saying which: for a method that takes a body it is read
		// as the model, otherwise as parameters.
		params = rt.HasParams && !takesBody
	}
	bodyChecked := rt.Validator == "body" || rt.Validator == "all"
	paramsChecked := rt.Validator == "params" || rt.Validator == "all"
	var missing []string
	if takesBody && !bodyChecked {
		missing = append(missing, "body")
	}
	if params && !paramsChecked {
		missing = append(missing, "parameters")
	}
	return strings.Join(missing, " and ")
}

// APINoThrottling is BW504.
var APINoThrottling = &rule.Rule{
	ID:       "BW504",
	Name:     "api-no-throttling",
	Severity: rule.Medium,
	Title:    "an API stage sets no throttling",
	Rationale: "Practice BW504, asked for by guides 000, 002, 003 and 004: without stage, route or usage-plan limits an " +
		"API passes any flood of requests to its functions, up to the account-wide API Gateway limit. Guide 004 notes " +
		"that such a flood exhausts Lambda concurrency and downstream capacity (a denial of service) and runs up cost; " +
		"guide 002 shows stage and per-method limits, guide 003 usage plans.",
	Remediation: "Set ThrottlingRateLimit and ThrottlingBurstLimit for all methods (MethodSettings with ResourcePath " +
		"\"/*\" and HttpMethod \"*\") on REST stages, DefaultRouteSettings on HTTP and WebSocket stages, or attach the " +
		"stage to a usage plan with a Throttle. Size the limits to what the functions and their data stores can take.",
	Example: `Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      MethodSettings:
        - ResourcePath: "/*"
          HttpMethod: "*"
          ThrottlingRateLimit: 100
          ThrottlingBurstLimit: 200`,
	Where: "T A",
	// KICS and cfn_nag's "stage without usage plan" checks are not
	// equivalents: a plan without a Throttle does not limit anything, and a
	// stage with its own limits needs no plan.
	Run: runAPINoThrottling,
}

func runAPINoThrottling(pass *rule.Pass) {
	for _, api := range pass.App.APIs {
		var open []string // routes some stage leaves unthrottled
		routes := 0
		for _, rt := range api.Routes {
			if rt.Method == "OPTIONS" {
				continue
			}
			routes++
			if !rt.Throttled {
				open = append(open, routeName(rt))
			}
		}
		for _, st := range api.Stages {
			// A stage that throttles every route one by one marks them all
			// Throttled; Route.Throttled is false when any stage leaves the
			// route open, which for a stage without a stage-wide limit is
			// taken to be this one.
			if st.Throttled || (routes > 0 && len(open) == 0) {
				continue
			}
			pos := writtenAt(st.Resource.Props, "MethodSettings")
			if !pos.IsValid() {
				pos = writtenAt(st.Resource.Props, "DefaultRouteSettings")
			}
			detail := ""
			if len(open) > 0 && len(open) < routes {
				detail = " for " + strings.Join(open, ", ")
			}
			pass.Reportf(stageLocation(api, st, pos), stageName(st),
				"Stage %s of %s API %s sets no throttling%s (no stage rate and burst limits, route settings or usage "+
					"plan throttle): a flood of requests reaches %s up to the account-wide limit. Set "+
					"ThrottlingRateLimit and ThrottlingBurstLimit for all methods.",
				stageName(st), api.Kind, api.Name, detail, apiTargets(api))
		}
	}
}

// APINoWAF is BW505.
var APINoWAF = &rule.Rule{
	ID:       "BW505",
	Name:     "api-no-waf",
	Severity: rule.Medium,
	Title:    "a public REST API stage has no AWS WAF web ACL",
	Rationale: "Practice BW505, asked for by guides 000, 002 and 004: a WAF web ACL in front of a public API blocks " +
		"common injection and cross-site scripting payloads, known bad sources and floods (rate-based rules) before " +
		"they reach function code. Guide 004 recommends it for any unauthenticated API; guide 002 lists it in its " +
		"deployment checklist.",
	Remediation: "Create an AWS::WAFv2::WebACL with Scope REGIONAL (for example with the AWS managed common rule set " +
		"and a rate-based rule) and associate it with the stage through AWS::WAFv2::WebACLAssociation, whose " +
		"ResourceArn is the stage ARN. Private REST APIs and HTTP APIs are out of scope: WAF cannot attach to HTTP APIs.",
	Example: `Resources:
  ApiWebAcl:
    Type: AWS::WAFv2::WebACLAssociation
    Properties:
      ResourceArn: !Sub arn:aws:apigateway:${AWS::Region}::/restapis/${Api}/stages/${Api.Stage}
      WebACLArn: !GetAtt WebAcl.Arn`,
	Where: "T A",
	Equivalents: rule.Equivalents{
		CdkNag: []string{"AwsSolutions-APIG3"},
	},
	Run: runAPINoWAF,
}

func runAPINoWAF(pass *rule.Pass) {
	for _, api := range pass.App.APIs {
		if api.Kind != "REST" || restEndpoint(api) != publicEndpoint {
			continue
		}
		for _, st := range api.Stages {
			switch {
			case st.WebACL == nil:
				pass.Reportf(stageLocation(api, st, source.Pos{}), stageName(st),
					"Public stage %s of REST API %s has no AWS WAF web ACL: injection payloads and floods go straight "+
						"to %s. Associate a WAFv2 web ACL with the stage (AWS::WAFv2::WebACLAssociation).",
					stageName(st), api.Name, apiTargets(api))
			case st.WebACL.Type != "AWS::WAFv2::WebACLAssociation":
				pass.Reportf(rule.At(st.WebACL, source.Pos{}), stageName(st),
					"Stage %s of REST API %s is protected by a WAF Classic web ACL (%s); AWS has ended support for WAF "+
						"Classic. Migrate the web ACL to WAFv2 and associate it with AWS::WAFv2::WebACLAssociation.",
					stageName(st), api.Name, st.WebACL.Origin.LogicalID)
			}
		}
	}
}

// endpointKind says whether a REST API is reachable from the internet.
type endpointKind uint8

const (
	publicEndpoint  endpointKind = iota // EDGE or REGIONAL, the default
	privateEndpoint                     // PRIVATE whatever the parameters
	unknownEndpoint                     // depends on a value the template does not fix
)

// restEndpoint says whether a REST API is public or private, from its
// EndpointConfiguration Types.
func restEndpoint(api *model.API) endpointKind {
	if api.Kind != "REST" {
		return publicEndpoint
	}
	types := api.Resource.Prop("EndpointConfiguration", "Types")
	if types == nil {
		return publicEndpoint
	}
	private, public := false, false
	for _, list := range possibleValues(types) {
		items := []*source.Node{list}
		if list.Kind == source.Seq {
			items = list.Items
		}
		for _, it := range items {
			values, known := possibleStrings(it)
			if !known {
				return unknownEndpoint
			}
			for _, v := range values {
				if strings.EqualFold(v, "PRIVATE") {
					private = true
				} else {
					public = true
				}
			}
		}
	}
	switch {
	case private && public:
		return unknownEndpoint
	case private:
		return privateEndpoint
	}
	return publicEndpoint
}

// APINoAccessLogs is BW506.
var APINoAccessLogs = &rule.Rule{
	ID:       "BW506",
	Name:     "api-no-access-logs",
	Severity: rule.Medium,
	Title:    "an API stage writes no access logs",
	Rationale: "Practice BW506, from guide 002: access logs record who called which route, from where, with which " +
		"identity and result. Without them there is no trail to investigate abuse of an API or to see an attack " +
		"while it happens; guide 002 lists API Gateway access logging in its deployment checklist.",
	Remediation: "Set AccessLogSetting (REST) or AccessLogSettings (HTTP, WebSocket) on the stage with a DestinationArn " +
		"(a CloudWatch Logs group with a retention period) and a Format that includes $context.requestId, " +
		"$context.identity.sourceIp, $context.routeKey or $context.resourcePath, and $context.status.",
	Example: `Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      AccessLogSetting:
        DestinationArn: !GetAtt ApiAccessLogs.Arn
        Format: '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","path":"$context.resourcePath","status":"$context.status"}'
  ApiAccessLogs:
    Type: AWS::Logs::LogGroup
    Properties:
      RetentionInDays: 90`,
	Where: "T A",
	Equivalents: rule.Equivalents{
		Checkov: []string{"CKV_AWS_76", "CKV_AWS_95"},
		KICS:    []string{"0a994e04-c6dc-471d-817e-d37451d18a3b"},
		Trivy:   []string{"AVD-AWS-0001"},
		CfnNag:  []string{"W45", "W46", "W69"},
		CdkNag:  []string{"AwsSolutions-APIG1"},
	},
	Run: runAPINoAccessLogs,
}

func runAPINoAccessLogs(pass *rule.Pass) {
	for _, api := range pass.App.APIs {
		for _, st := range api.Stages {
			if st.AccessLogs == nil {
				pass.Reportf(stageLocation(api, st, source.Pos{}), stageName(st),
					"Stage %s of %s API %s writes no access logs: calls to %s leave no record of caller, route and "+
						"result. Set %s with a DestinationArn and a Format.",
					stageName(st), api.Kind, api.Name, apiTargets(api), accessLogProperty(api))
				continue
			}
			if hasDestination(st.AccessLogs) {
				continue
			}
			pos := writtenAt(st.Resource.Props, "AccessLogSetting")
			if !pos.IsValid() {
				pos = writtenAt(st.Resource.Props, "AccessLogSettings")
			}
			pass.Reportf(stageLocation(api, st, pos), stageName(st),
				"Stage %s of %s API %s has access log settings without a DestinationArn, so no access logs are "+
					"written. Add the DestinationArn of a log group.", stageName(st), api.Kind, api.Name)
		}
	}
}

// hasDestination reports whether access log settings name (or may name) a
// destination.
func hasDestination(settings *source.Node) bool {
	for _, s := range possibleValues(settings) {
		if s.Kind != source.Map || s.Get("DestinationArn") != nil {
			return true
		}
	}
	return false
}

func accessLogProperty(api *model.API) string {
	if api.Kind == "REST" {
		return "AccessLogSetting"
	}
	return "AccessLogSettings"
}

// APILogsRequestData is BW507.
var APILogsRequestData = &rule.Rule{
	ID:       "BW507",
	Name:     "api-logs-request-data",
	Severity: rule.Medium,
	Title:    "API execution logging records full request and response data",
	Rationale: "Practice BW507, from guide 002: with DataTraceEnabled, API Gateway writes whole requests and " +
		"responses to CloudWatch Logs, including Authorization headers, tokens, API keys and personal data. Guide 002 " +
		"says never to log sensitive data; anyone who can read the log group can then impersonate callers.",
	Remediation: "Remove DataTraceEnabled (or set it to false) in the stage's MethodSettings or route settings. Use " +
		"access logs with a chosen Format, and LoggingLevel ERROR or INFO, for what operations need.",
	Example: `Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      MethodSettings:
        - ResourcePath: "/*"
          HttpMethod: "*"
          LoggingLevel: ERROR
          DataTraceEnabled: false`,
	Where: "T A",
	Run:   runAPILogsRequestData,
}

func runAPILogsRequestData(pass *rule.Pass) {
	for _, api := range pass.App.APIs {
		for _, st := range api.Stages {
			if !st.DataTraceLogged {
				continue
			}
			pass.Reportf(stageLocation(api, st, truthyKeyPos(st.Resource.Props, "DataTraceEnabled", 0)), stageName(st),
				"Stage %s of %s API %s has DataTraceEnabled: full requests and responses, with their tokens and "+
					"personal data, are written to CloudWatch Logs. Turn data tracing off and keep access logs.",
				stageName(st), api.Kind, api.Name)
		}
	}
}

// truthyKeyPos returns where key is first set to true anywhere under n, or
// the zero Pos.
func truthyKeyPos(n *source.Node, key string, depth int) source.Pos {
	if n == nil || depth > 16 {
		return source.Pos{}
	}
	for _, f := range n.Fields {
		if f.Key == key && f.Value.Truthy() {
			return firstPos(f.KeyPos, f.Value.Pos)
		}
		if p := truthyKeyPos(f.Value, key, depth+1); p.IsValid() {
			return p
		}
	}
	for _, it := range n.Items {
		if p := truthyKeyPos(it, key, depth+1); p.IsValid() {
			return p
		}
	}
	return source.Pos{}
}

// APIWeakTLS is BW508.
var APIWeakTLS = &rule.Rule{
	ID:       "BW508",
	Name:     "api-weak-tls",
	Severity: rule.Medium,
	Title:    "an API custom domain accepts TLS versions below 1.2",
	Rationale: "Practice BW508, asked for by guides 000 and 004: TLS 1.0 and 1.1 have known weaknesses and are " +
		"deprecated (RFC 8996); a custom domain that still accepts them lets a network attacker downgrade clients. " +
		"Guide 000 enforces TLS 1.2 as the minimum; guide 004 relies on HTTPS for data in transit.",
	Remediation: "Set SecurityPolicy: TLS_1_2 (or an enhanced SecurityPolicy_TLS13_* policy) on the " +
		"AWS::ApiGateway::DomainName, on each DomainNameConfigurations entry of an AWS::ApiGatewayV2::DomainName, or " +
		"on the Domain of a SAM API. REST custom domains without a SecurityPolicy get API Gateway's legacy default.",
	Example: `Resources:
  ApiDomain:
    Type: AWS::ApiGateway::DomainName
    Properties:
      DomainName: api.example.com
      RegionalCertificateArn: !Ref Certificate
      EndpointConfiguration:
        Types: [REGIONAL]
      SecurityPolicy: TLS_1_2`,
	Where: "T A",
	Equivalents: rule.Equivalents{
		Checkov: []string{"CKV_AWS_206"},
		KICS:    []string{"8275fab0-68ec-4705-bbf4-86975edb170e"},
		Trivy:   []string{"AVD-AWS-0005"},
		CfnNag:  []string{"W62"},
	},
	Run: runAPIWeakTLS,
}

func runAPIWeakTLS(pass *rule.Pass) {
	for _, st := range pass.App.Stacks {
		for _, r := range st.Resources {
			switch r.Type {
			case "AWS::ApiGateway::DomainName", "AWS::ApiGateway::DomainNameV2":
				policy := r.Prop("SecurityPolicy")
				if policy == nil {
					pass.Reportf(rule.At(r, source.Pos{}), "no SecurityPolicy",
						"Custom domain %s sets no SecurityPolicy, so API Gateway's legacy default applies and clients "+
							"may connect with TLS 1.0. Set SecurityPolicy: TLS_1_2.", r.Origin.LogicalID)
					continue
				}
				reportWeakPolicy(pass, r, policy, writtenAt(r.Props, "SecurityPolicy"))
			case "AWS::ApiGatewayV2::DomainName":
				// HTTP and WebSocket domains support only TLS 1.2; an absent
				// policy is therefore not weak.
				for _, cfg := range itemsOf(r.Prop("DomainNameConfigurations")) {
					if policy := cfg.Get("SecurityPolicy"); policy != nil {
						reportWeakPolicy(pass, r, policy, writtenAt(cfg, "SecurityPolicy"))
					}
				}
			}
		}
	}
}

func reportWeakPolicy(pass *rule.Pass, r *model.Resource, policy *source.Node, pos source.Pos) {
	values, _ := possibleStrings(policy)
	for _, v := range values {
		if strings.EqualFold(v, "TLS_1_0") {
			pass.Reportf(rule.At(r, pos), v,
				"Custom domain %s has SecurityPolicy %s, which accepts TLS 1.0 and 1.1 connections open to downgrade "+
					"attacks. Set SecurityPolicy: TLS_1_2.", r.Origin.LogicalID, v)
			return
		}
	}
}

var apiRules = []*rule.Rule{
	APIRouteNoAuth, APIKeyOnlyAuth, APINoRequestValidation, APINoThrottling,
	APINoWAF, APINoAccessLogs, APILogsRequestData, APIWeakTLS,
}

// routeName renders a route as its method and path ("GET /orders"), or its
// route key for WebSocket routes.
func routeName(rt *model.Route) string {
	return strings.TrimSpace(rt.Method + " " + rt.Path)
}

// routeLocation is where the user wrote the route (the SAM event, the
// OpenAPI operation, the Method or Route resource), naming the function it
// reaches.
func routeLocation(rt *model.Route) rule.Location {
	o := rt.Origin
	l := rule.Location{
		Pos: firstPos(rt.Pos, o.Pos), Stack: rt.API.Resource.Stack.Name, Resource: o.LogicalID,
		CDKPath: o.CDKPath, Framework: o.Framework,
	}
	if rt.Function != nil {
		l.Function = rt.Function.Name
	}
	return l
}

// stageLocation is where the user wrote a stage: pos when known, else the
// resource that makes it, else its API (the stage of SAM's implicit API has
// no place of its own), else the first route the user wrote.
func stageLocation(api *model.API, st *model.Stage, pos source.Pos) rule.Location {
	loc := rule.At(st.Resource, pos)
	if loc.Pos.IsValid() {
		return loc
	}
	if l := rule.At(api.Resource, source.Pos{}); l.Pos.IsValid() {
		return l
	}
	for _, rt := range api.Routes {
		if l := routeLocation(rt); l.Pos.IsValid() {
			l.Function = ""
			return l
		}
	}
	return loc
}

// routeTarget describes the Lambda function a route reaches ("function
// Orders"), and reports false when the route reaches none: a MOCK, HTTP or
// AWS service integration, or an integration the templates do not show.
func routeTarget(rt *model.Route) (string, bool) {
	if rt.Function != nil {
		return "function " + rt.Function.Name, true
	}
	uri := routeIntegrationURI(rt)
	if uri == nil {
		return "", false
	}
	for _, alt := range possibleValues(uri) {
		if strings.Contains(alt.Value, ":lambda:path/") || strings.Contains(alt.Value, ":function:") {
			return "a Lambda function outside the scanned templates", true
		}
	}
	return "", false
}

// routeDefinition is what the user wrote for a route: the Method or Route
// resource, or the OpenAPI operation and its path item in the API's Body.
type routeDefinition struct {
	resource *model.Resource // AWS::ApiGateway::Method or AWS::ApiGatewayV2::Route
	op, item *source.Node    // OpenAPI operation and path item
}

// defineRoute finds the definition of a route in the API's stack. The
// model keeps what it needs of a route; rules that need more (the
// integration of a function outside the templates, which parameters are
// declared) read it here.
func defineRoute(rt *model.Route) routeDefinition {
	api := rt.API
	if r := api.Resource.Stack.Resource(rt.Origin.LogicalID); r != nil && r != api.Resource &&
		(r.Type == "AWS::ApiGateway::Method" || r.Type == "AWS::ApiGatewayV2::Route") {
		return routeDefinition{resource: r}
	}
	for _, body := range possibleValues(api.Resource.Prop("Body")) {
		item := body.Get("paths").Get(rt.Path)
		for _, f := range item.Entries() {
			if m, ok := openAPIOperations[strings.ToLower(f.Key)]; ok && m == rt.Method {
				return routeDefinition{op: f.Value, item: item}
			}
		}
	}
	return routeDefinition{}
}

// routeIntegrationURI finds the integration URI of a route, in whichever
// form the route was written.
func routeIntegrationURI(rt *model.Route) *source.Node {
	def := defineRoute(rt)
	switch {
	case def.resource != nil && def.resource.Type == "AWS::ApiGateway::Method":
		return def.resource.Prop("Integration", "Uri")
	case def.resource != nil:
		st := def.resource.Stack
		for _, ref := range def.resource.Prop("Target").Refs {
			if integ := st.Resource(ref); integ != nil && integ.Type == "AWS::ApiGatewayV2::Integration" {
				return integ.Prop("IntegrationUri")
			}
		}
		return nil
	case def.op != nil:
		return def.op.Get("x-amazon-apigateway-integration").Get("uri")
	}
	return rt.API.Resource.Prop("Target") // HTTP API quick create
}

// declaredInput says whether a REST route declares a body model and
// whether it declares parameters a validator can check: query strings and
// headers. Path parameters are left out, since API Gateway only routes a
// request whose path has them. known is false when the route's definition
// cannot be found; a parameter list that cannot be read counts as declared.
func declaredInput(rt *model.Route) (bodyModel, params, known bool) {
	def := defineRoute(rt)
	switch {
	case def.resource != nil:
		for _, f := range def.resource.Prop("RequestParameters").Entries() {
			if !strings.HasPrefix(f.Key, "method.request.path.") {
				params = true
			}
		}
		if n := def.resource.Prop("RequestParameters"); n != nil && n.Kind == source.Symbol {
			params = true
		}
		return len(possibleValues(def.resource.Prop("RequestModels"))) > 0, params, true
	case def.op != nil:
		for _, list := range []*source.Node{def.item.Get("parameters"), def.op.Get("parameters")} {
			for _, p := range itemsOf(list) {
				switch in, _ := p.Get("in").Str(); in {
				case "path":
				case "body":
					bodyModel = true
				default: // query, header, or a $ref that cannot be told
					params = true
				}
			}
		}
		if def.op.Get("requestBody") != nil {
			bodyModel = true
		}
		return bodyModel, params, true
	}
	return false, false, false
}

var openAPIOperations = map[string]string{
	"get": "GET", "put": "PUT", "post": "POST", "delete": "DELETE", "options": "OPTIONS", "head": "HEAD",
	"patch": "PATCH", "trace": "TRACE", "x-amazon-apigateway-any-method": "ANY",
}

// apiTargets names the functions an API's routes reach, for messages.
func apiTargets(api *model.API) string {
	var names []string
	for _, rt := range api.Routes {
		if rt.Function != nil && !slices.Contains(names, rt.Function.Name) {
			names = append(names, rt.Function.Name)
		}
	}
	switch len(names) {
	case 0:
		return "its integrations"
	case 1:
		return "function " + names[0]
	}
	return "functions " + strings.Join(names, ", ")
}

// stageName is the stage's name, or the logical ID of the resource that
// makes it when the name is not known.
func stageName(st *model.Stage) string {
	if st.Name != "" {
		return st.Name
	}
	return st.Resource.Origin.LogicalID
}

// writtenAt returns where key is written in the map n, or the zero Pos when
// it is not there.
func writtenAt(n *source.Node, key string) source.Pos {
	f, ok := n.Field(key)
	if !ok {
		return source.Pos{}
	}
	var valuePos source.Pos
	if f.Value != nil {
		valuePos = f.Value.Pos
	}
	return firstPos(f.KeyPos, valuePos)
}

func firstPos(ps ...source.Pos) source.Pos {
	for _, p := range ps {
		if p.IsValid() {
			return p
		}
	}
	return source.Pos{}
}

// possibleValues returns the values n may take once deployed: both branches
// of an Fn::If whose condition the evaluator could not decide, and nothing
// for AWS::NoValue or an absent value.
func possibleValues(n *source.Node) []*source.Node {
	var out []*source.Node
	var walk func(n *source.Node, depth int)
	walk = func(n *source.Node, depth int) {
		if n == nil || n.Kind == source.Null || depth > 32 {
			return
		}
		name, arg, ok := n.Intrinsic()
		switch {
		case ok && name == "Ref":
			if s, _ := arg.Str(); s == "AWS::NoValue" {
				return
			}
		case ok && name == "Fn::If" && arg != nil && arg.Kind == source.Seq && len(arg.Items) == 3:
			walk(arg.Items[1], depth+1)
			walk(arg.Items[2], depth+1)
			return
		}
		out = append(out, n)
	}
	walk(n, 0)
	return out
}

// possibleStrings returns the texts n may take, and false when some outcome
// is not a known scalar (a parameter without a value, an attribute of
// another resource).
func possibleStrings(n *source.Node) ([]string, bool) {
	var out []string
	known := true
	for _, v := range possibleValues(n) {
		s, ok := v.Str()
		if !ok {
			known = false
			continue
		}
		out = append(out, s)
	}
	return out, known
}
