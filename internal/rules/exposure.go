package rules

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/bulwark-sec/bulwark/internal/model"
	"github.com/bulwark-sec/bulwark/internal/rule"
	"github.com/bulwark-sec/bulwark/internal/source"
)

var exposureRules = []*rule.Rule{LambdaURLNoAuth, LambdaCrossAccountLayer, CORSWildcardOrigin}

// LambdaURLNoAuth is BW203.
var LambdaURLNoAuth = &rule.Rule{
	ID: "BW203", Name: "lambda-url-no-auth", Severity: rule.High,
	Title: "a function URL lets anyone invoke the function without authentication",
	Rationale: "A function URL with AuthType NONE is a public HTTPS endpoint: anyone who learns the URL can " +
		"invoke the function as often as they like, with no throttling, WAF or authorizer in front. The guides " +
		"ask for authentication on every public entry point and to limit unauthenticated ones (002, 003, 004).",
	Remediation: "Set AuthType to AWS_IAM and sign requests (from callers with IAM credentials, or through " +
		"CloudFront with origin access control). If the endpoint must be public, such as a webhook, verify " +
		"each request in the handler (a signature, a shared secret) and set reserved concurrency.",
	Example: `Resources:
  ReportFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      CodeUri: src/
      FunctionUrlConfig:
        AuthType: AWS_IAM`,
	Where:       "T A",
	Equivalents: rule.Equivalents{Checkov: []string{"CKV_AWS_258"}},
	Run:         runLambdaURLNoAuth,
}

// LambdaCrossAccountLayer is BW205.
var LambdaCrossAccountLayer = &rule.Rule{
	ID: "BW205", Name: "lambda-cross-account-layer", Severity: rule.Medium,
	Title: "a function runs a layer owned by another AWS account",
	Rationale: "A layer's code runs inside the function, with its role and its data. A layer published from " +
		"another account is code its owner wrote and can withdraw; the guides ask to treat third-party code " +
		"as part of the attack surface and review it (001, 002). Layers that AWS publishes (Lambda Insights, " +
		"the Parameters and Secrets extension, ADOT, Powertools) are reported at low severity: they are " +
		"third-party code too, from a party the function already trusts.",
	Remediation: "Review the layer's code and pin its version. Better, build the dependency into your own " +
		"layer (AWS::Serverless::LayerVersion or AWS::Lambda::LayerVersion) or the function package.",
	Example: `Resources:
  DepsLayer:
    Type: AWS::Serverless::LayerVersion
    Properties:
      ContentUri: layers/deps/
      CompatibleRuntimes: [python3.12]
  OrdersFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      CodeUri: src/
      Layers:
        - !Ref DepsLayer`,
	Where: "T A",
	Run:   runLambdaCrossAccountLayer,
}

// CORSWildcardOrigin is BW206.
var CORSWildcardOrigin = &rule.Rule{
	ID: "BW206", Name: "cors-wildcard-origin", Severity: rule.Medium,
	Title: "an API or function URL accepts browser requests from any origin",
	Rationale: "CORS with origin * lets scripts on any web site call the API from their visitors' browsers " +
		"and read the answers; with credentials allowed, those calls carry the visitors' cookies or " +
		"authorization. The guide asks to restrict who can reach the API (002). The rule reads HTTP API " +
		"CorsConfiguration (and x-amazon-apigateway-cors), the CORS headers of REST API integration " +
		"responses (SAM Cors, OpenAPI bodies and AWS::ApiGateway::Method), and function URL Cors.",
	Remediation: "List the exact origins of your front ends in AllowOrigins (or in the " +
		"Access-Control-Allow-Origin header), and allow credentials only for those origins.",
	Example: `Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      CorsConfiguration:
        AllowOrigins:
          - https://app.example.com
        AllowMethods: [GET, POST]
        AllowCredentials: true`,
	Where: "T A",
	Run:   runCORSWildcardOrigin,
}

func runLambdaURLNoAuth(pass *rule.Pass) {
	owner := map[*model.Resource]*model.Function{}
	for _, f := range pass.App.Functions {
		for _, u := range f.URLs {
			owner[u.Resource] = f
		}
	}
	for _, st := range pass.App.Stacks {
		for _, r := range st.Resources {
			if r.Type != "AWS::Lambda::Url" {
				continue
			}
			auth := r.Prop("AuthType")
			if s, ok := auth.Str(); !ok || !strings.EqualFold(s, "NONE") {
				continue
			}
			at := rule.At(r, auth.Pos)
			target := "its function"
			if f := owner[r]; f != nil {
				at.Function, target = f.Name, "function "+f.Name
			} else if name, ok := r.Prop("TargetFunctionArn").Str(); ok {
				target = "function " + name
			}
			pass.Reportf(at, "NONE",
				"the function URL of %s has AuthType NONE: anyone who finds the URL can invoke the function, "+
					"with no authorizer, WAF or throttling in front. Use AWS_IAM, or verify every request in the "+
					"handler if the URL must be public", target)
		}
	}
}

// layerARNPattern reads a layer version ARN whose parts may be ${...}
// placeholders: partition, region, account, name, version.
var layerARNPattern = regexp.MustCompile(`^arn:(\$\{[^}]*\}|[^:]*):lambda:(\$\{[^}]*\}|[^:]*):(\$\{[^}]*\}|[^:]*):layer:([^:]+)(?::(.+))?$`)

// awsLayerPublishers are accounts from which AWS publishes layers.
var awsLayerPublishers = map[string]string{
	"580247275435": "Lambda Insights",
	"177933569100": "the AWS Parameters and Secrets Lambda Extension",
	"027255383542": "the AWS AppConfig Lambda extension",
	"066940009817": "the AWS AppConfig Lambda extension",
	"901920570463": "AWS Distro for OpenTelemetry",
	"017000801446": "Powertools for AWS Lambda (Python)",
	"094274105915": "Powertools for AWS Lambda (TypeScript)",
}

func runLambdaCrossAccountLayer(pass *rule.Pass) {
	for _, f := range pass.App.Functions {
		st := f.Resource.Stack
		for _, layer := range f.Layers {
			if referencedResource(st, layer, "AWS::Lambda::LayerVersion") != nil {
				continue
			}
			m := layerARNPattern.FindStringSubmatch(layer.Value)
			if m == nil {
				continue
			}
			account, name := m[3], m[4]
			if !isAccountID(account) || account == stackAccount(st, layer.Pos) {
				continue // this stack's account, or one the template does not fix
			}
			at := rule.AtFunction(f, layer.Pos)
			if publisher, ok := awsLayerPublishers[account]; ok {
				pass.Report(rule.Finding{RuleID: pass.Rule.ID, Severity: rule.Low, Location: at, Evidence: account + ":" + name,
					Message: fmt.Sprintf("function %s runs layer %s, published by AWS (%s) from account %s: its "+
						"code runs with the function's role. Keep its version pinned and current", f.Name, name, publisher, account)})
				continue
			}
			pass.Reportf(at, account+":"+name,
				"function %s runs layer %s published from AWS account %s, not from this stack's own account: "+
					"its owner's code runs with the function's role and data. If the account is yours, write the "+
					"ARN with ${AWS::AccountId}; otherwise review the layer and pin its version, or build the "+
					"dependency into a layer of your own", f.Name, name, account)
		}
	}
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// stackAccount returns the stack's account when the scan was told it
// (--parameter AWS::AccountId=...), and "" otherwise.
func stackAccount(st *model.Stack, pos source.Pos) string {
	if st.Eval == nil {
		return ""
	}
	s, _ := st.Eval.Ref("AWS::AccountId", pos).Str()
	return s
}

func runCORSWildcardOrigin(pass *rule.Pass) {
	for _, api := range pass.App.APIs {
		switch api.Kind {
		case "HTTP":
			if pos, creds, ok := wildcardOrigin(api.Cors); ok {
				reportCORS(pass, rule.At(api.Resource, pos), "HTTP API "+api.Name, creds)
			}
		case "REST":
			if pos, creds, ok := wildcardOriginHeader(api.Resource.Prop("Body")); ok {
				reportCORS(pass, rule.At(api.Resource, pos), "REST API "+api.Name, creds)
			}
		}
	}
	for _, st := range pass.App.Stacks {
		for _, r := range st.Resources {
			if r.Type != "AWS::ApiGateway::Method" {
				continue
			}
			if pos, creds, ok := wildcardOriginHeader(r.Prop("Integration", "IntegrationResponses")); ok {
				what := "method " + r.Origin.LogicalID
				if api := referencedResource(st, r.Prop("RestApiId"), "AWS::ApiGateway::RestApi"); api != nil {
					what += " of REST API " + api.Origin.LogicalID
				}
				reportCORS(pass, rule.At(r, pos), what, creds)
			}
		}
	}
	for _, f := range pass.App.Functions {
		for _, u := range f.URLs {
			if pos, creds, ok := wildcardOrigin(u.Cors); ok {
				at := rule.At(u.Resource, pos)
				at.Function = f.Name
				reportCORS(pass, at, "the function URL of "+f.Name, creds)
			}
		}
	}
}

func reportCORS(pass *rule.Pass, at rule.Location, what string, creds bool) {
	if creds {
		pass.Reportf(at, "*+credentials",
			"%s allows any origin (*) with credentials: any web site can call it with its visitors' cookies or "+
				"authorization and read the answers. List the exact origins of your front ends", what)
		return
	}
	pass.Reportf(at, "*",
		"%s allows any origin (*) in its CORS configuration: any web site can call it from its visitors' "+
			"browsers. List the exact origins of your front ends", what)
}

// wildcardOrigin reads a CorsConfiguration (HTTP API, x-amazon-apigateway-cors
// or function URL Cors) and reports whether it allows origin *, where, and
// whether it allows credentials. SAM's CorsConfiguration: true allows every
// origin.
func wildcardOrigin(cors *source.Node) (pos source.Pos, creds, ok bool) {
	if cors == nil {
		return pos, false, false
	}
	if name, arg, ok := cors.Intrinsic(); ok && name == "Fn::If" && arg.Kind == source.Seq && len(arg.Items) == 3 {
		if pos, creds, ok := wildcardOrigin(arg.Items[1]); ok {
			return pos, creds, true
		}
		return wildcardOrigin(arg.Items[2]) // an undecided condition: either branch may apply
	}
	if cors.Kind == source.Bool && cors.Truthy() {
		return cors.Pos, false, true
	}
	creds = firstField(cors, "AllowCredentials", "allowCredentials").Truthy()
	for _, o := range listOf(firstField(cors, "AllowOrigins", "allowOrigins")) {
		if s, _ := o.Str(); s == "*" {
			return o.Pos, creds, true
		}
	}
	return pos, false, false
}

func firstField(n *source.Node, keys ...string) *source.Node {
	for _, k := range keys {
		if v := n.Get(k); v != nil {
			return v
		}
	}
	return nil
}

// The response headers of REST API CORS, as integration responses map them.
const (
	allowOriginHeader      = "method.response.header.Access-Control-Allow-Origin"
	allowCredentialsHeader = "method.response.header.Access-Control-Allow-Credentials"
)

// wildcardOriginHeader looks through an OpenAPI body or integration
// responses for a response that sets Access-Control-Allow-Origin to '*'.
func wildcardOriginHeader(n *source.Node) (pos source.Pos, creds, ok bool) {
	var walk func(*source.Node) bool
	walk = func(n *source.Node) bool {
		if n == nil {
			return false
		}
		if v := n.Get(allowOriginHeader); v != nil {
			if s, _ := v.Str(); strings.Trim(s, "'\"") == "*" {
				c, _ := n.Get(allowCredentialsHeader).Str()
				pos, creds = v.Pos, strings.Trim(c, "'\"") == "true"
				return true
			}
		}
		for _, it := range n.Items {
			if walk(it) {
				return true
			}
		}
		for _, f := range n.Fields {
			if walk(f.Value) {
				return true
			}
		}
		return false
	}
	ok = walk(n)
	return pos, creds, ok
}
