package model

import (
	"iter"
	"strings"

	"github.com/bulwark-sec/bulwark/internal/source"
)

// API Gateway in the model: REST APIs (AWS::ApiGateway::*) and HTTP and
// WebSocket APIs (AWS::ApiGatewayV2::*). A route can be written two ways, and
// both end up as the same Route: as an operation of the API's OpenAPI Body
// (what the SAM transform produces, and what users import), or as explicit
// Method / Route resources (what CDK produces). Stages collect what protects
// the whole deployment: throttling, access logs, tracing and WAF.

// Values of Auth.Type.
const (
	authNone    = "NONE"
	authIAM     = "AWS_IAM"
	authCognito = "COGNITO_USER_POOLS"
	authCustom  = "CUSTOM"
	authJWT     = "JWT"
)

// Resource types read here.
const (
	typeRestAPI         = "AWS::ApiGateway::RestApi"
	typeRestResource    = "AWS::ApiGateway::Resource"
	typeRestMethod      = "AWS::ApiGateway::Method"
	typeRestAuthorizer  = "AWS::ApiGateway::Authorizer"
	typeRestValidator   = "AWS::ApiGateway::RequestValidator"
	typeRestStage       = "AWS::ApiGateway::Stage"
	typeRestDeployment  = "AWS::ApiGateway::Deployment"
	typeUsagePlan       = "AWS::ApiGateway::UsagePlan"
	typeV2API           = "AWS::ApiGatewayV2::Api"
	typeV2Route         = "AWS::ApiGatewayV2::Route"
	typeV2Integration   = "AWS::ApiGatewayV2::Integration"
	typeV2Authorizer    = "AWS::ApiGatewayV2::Authorizer"
	typeV2Stage         = "AWS::ApiGatewayV2::Stage"
	typeV2Overrides     = "AWS::ApiGatewayV2::ApiGatewayManagedOverrides"
	typeWAFv2Assoc      = "AWS::WAFv2::WebACLAssociation"
	typeWAFRegionalAsoc = "AWS::WAFRegional::WebACLAssociation"
)

// buildAPIs reads the stack's API Gateway REST and HTTP APIs, their stages
// and routes, and links each route to the function it reaches.
func (b *stackBuilder) buildAPIs() {
	ab := &apiBuilder{stackBuilder: b, byType: map[string][]*Resource{}}
	for _, r := range b.st.Resources {
		if strings.HasPrefix(r.Type, "AWS::ApiGateway") || r.Type == typeWAFv2Assoc || r.Type == typeWAFRegionalAsoc {
			ab.byType[r.Type] = append(ab.byType[r.Type], r)
		}
	}
	if len(ab.byType) == 0 {
		return
	}
	ab.apis = map[string]*API{}
	for _, r := range b.st.Resources { // APIs in source order, whatever their kind
		switch r.Type {
		case typeRestAPI:
			ab.restAPI(r)
		case typeV2API:
			ab.v2API(r)
		}
	}
	if len(ab.apis) == 0 {
		return
	}
	ab.throttles = map[*Stage]*routeThrottles{}
	for _, r := range ab.byType[typeRestMethod] {
		ab.restMethod(r)
	}
	for _, r := range ab.byType[typeV2Route] {
		ab.v2Route(r)
	}
	ab.restStages()
	for _, r := range ab.byType[typeV2Stage] {
		ab.v2Stage(r)
	}
	for _, r := range ab.byType[typeV2Overrides] {
		ab.v2Overrides(r)
	}
	for _, r := range ab.byType[typeUsagePlan] {
		ab.usagePlan(r)
	}
	for _, r := range ab.byType[typeWAFv2Assoc] {
		ab.webACLAssociation(r)
	}
	for _, r := range ab.byType[typeWAFRegionalAsoc] {
		ab.webACLAssociation(r)
	}
	ab.markThrottledRoutes()
}

// apiBuilder builds the APIs of one stack. The stack's API Gateway resources
// are indexed once by type, so that linking routes, stages and plans never
// rescans the stack.
type apiBuilder struct {
	*stackBuilder
	byType    map[string][]*Resource
	apis      map[string]*API             // by logical ID
	paths     map[*Resource]string        // REST resource paths, memoised
	throttles map[*Stage]*routeThrottles  // routes a stage throttles one by one
	quick     map[*API]*Route             // the route of a quick-create HTTP API
	sources   map[*Function]map[*API]bool // functions already given an "api" event source
}

// routePattern selects routes by method and path; "*" matches any.
type routePattern struct{ method, path string }

func (p routePattern) matches(rt *Route) bool {
	return (p.method == "*" || p.method == rt.Method) && (p.path == "*" || p.path == rt.Path)
}

// routeThrottles are the per-route throttling settings of one stage: most
// name one route exactly, a few use a wildcard.
type routeThrottles struct {
	exact    map[routePattern]bool
	wildcard []routePattern
}

func (t *routeThrottles) add(p routePattern) {
	if p.method == "*" || p.path == "*" {
		t.wildcard = append(t.wildcard, p)
		return
	}
	if t.exact == nil {
		t.exact = map[routePattern]bool{}
	}
	t.exact[p] = true
}

func (t *routeThrottles) covers(rt *Route) bool {
	if t == nil {
		return false
	}
	if t.exact[routePattern{rt.Method, rt.Path}] {
		return true
	}
	for _, p := range t.wildcard {
		if p.matches(rt) {
			return true
		}
	}
	return false
}

// apiOf returns the API of this stack that n refers to.
func (ab *apiBuilder) apiOf(n *source.Node) *API {
	if n == nil {
		return nil
	}
	for _, ref := range n.Refs {
		if api := ab.apis[ref]; api != nil {
			return api
		}
	}
	return nil
}

// addRoute records rt on api and links it to the function behind the
// integration URI.
func (ab *apiBuilder) addRoute(api *API, rt *Route, integrationURI *source.Node) {
	rt.API = api
	api.Routes = append(api.Routes, rt)
	f := ab.integrationFunction(integrationURI)
	if f == nil {
		return
	}
	rt.Function = f
	f.Routes = append(f.Routes, rt)
	// One "api" event source per function and API, however many routes.
	if ab.sources == nil {
		ab.sources = map[*Function]map[*API]bool{}
	}
	if ab.sources[f] == nil {
		ab.sources[f] = map[*API]bool{}
	}
	if !ab.sources[f][api] {
		ab.sources[f][api] = true
		id := api.Resource.LogicalID
		src := &source.Node{Kind: source.Symbol, Value: "${" + id + "}", Refs: []string{id}, Pos: api.Resource.Origin.Pos}
		f.Sources = append(f.Sources, &EventSource{Kind: "api", Resource: api.Resource, Source: src})
	}
}

// integrationFunction resolves an integration URI to a function of this
// stack. It accepts the API Gateway form
// arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/FUNCTION_ARN/invocations
// and, for HTTP APIs, a bare function or alias ARN.
func (ab *apiBuilder) integrationFunction(uri *source.Node) *Function {
	for alt := range alternatives(uri) {
		if len(alt.Refs) > 0 {
			if f := ab.functionOf(alt); f != nil {
				return f
			}
		}
		if alt.Kind != source.String && alt.Kind != source.Symbol {
			continue
		}
		arn := alt.Value
		if _, rest, ok := strings.Cut(arn, "/functions/"); ok {
			arn, _, _ = strings.Cut(rest, "/invocations")
		}
		if strings.Contains(arn, ":function:") {
			if f := ab.functionOf(source.NewString(arn, alt.Pos)); f != nil {
				return f
			}
		}
	}
	return nil
}

// restAPI reads an AWS::ApiGateway::RestApi and the routes of its Body.
func (ab *apiBuilder) restAPI(r *Resource) {
	api := &API{Resource: r, Kind: "REST", Name: r.LogicalID, Policy: r.Prop("Policy")}
	ab.apis[r.LogicalID] = api
	ab.app.APIs = append(ab.app.APIs, api)
	body := r.Prop("Body")
	if api.Policy == nil {
		for def := range alternatives(body) {
			if p := def.Get("x-amazon-apigateway-policy"); p != nil {
				api.Policy = p
				break
			}
		}
	}
	ab.bodyRoutes(api, body)
}

// v2API reads an AWS::ApiGatewayV2::Api: the routes of its Body, or the one
// route and stage that quick create makes from its Target.
func (ab *apiBuilder) v2API(r *Resource) {
	api := &API{Resource: r, Kind: "HTTP", Name: r.LogicalID, Cors: r.Prop("CorsConfiguration")}
	if p, ok := oneStr(r.Prop("ProtocolType")); ok && strings.EqualFold(p, "WEBSOCKET") {
		api.Kind = "WEBSOCKET"
	}
	ab.apis[r.LogicalID] = api
	ab.app.APIs = append(ab.app.APIs, api)
	body := r.Prop("Body")
	if api.Cors == nil {
		for def := range alternatives(body) {
			if c := def.Get("x-amazon-apigateway-cors"); c != nil {
				api.Cors = c
				break
			}
		}
	}
	ab.bodyRoutes(api, body)
	target := r.Prop("Target")
	if target == nil {
		return
	}
	key := "$default"
	if k, ok := oneStr(r.Prop("RouteKey")); ok {
		key = k
	}
	rt := &Route{Auth: Auth{Type: authNone}, Pos: r.Origin.Pos, Origin: r.Origin}
	rt.Method, rt.Path = splitRouteKey(key, api.Kind)
	ab.addRoute(api, rt, target)
	if ab.quick == nil {
		ab.quick = map[*API]*Route{}
	}
	ab.quick[api] = rt
	// Quick create also makes a $default stage, auto-deployed.
	api.Stages = append(api.Stages, &Stage{Resource: r, Name: "$default"})
}

// splitRouteKey splits an HTTP API route key such as "POST /orders". The
// $default route catches every method; WebSocket route keys ($connect,
// sendMessage) have no method at all.
func splitRouteKey(key, kind string) (method, path string) {
	if kind == "WEBSOCKET" {
		return "", key
	}
	method, path, ok := strings.Cut(key, " ")
	if !ok {
		return "ANY", key
	}
	return strings.ToUpper(method), strings.TrimSpace(path)
}

// openAPIMethods maps the operation keys of an OpenAPI path item to methods.
var openAPIMethods = map[string]string{
	"get": "GET", "put": "PUT", "post": "POST", "delete": "DELETE", "options": "OPTIONS",
	"head": "HEAD", "patch": "PATCH", "trace": "TRACE", "x-amazon-apigateway-any-method": "ANY",
}

// bodyRoutes records the operations of an OpenAPI definition (swagger 2 or
// OpenAPI 3, with the x-amazon-apigateway extensions) as routes. Parts kept
// under an Fn::If whose condition is unknown give a route per outcome.
func (ab *apiBuilder) bodyRoutes(api *API, body *source.Node) {
	for def := range alternatives(body) {
		spec := newOpenAPISpec(def)
		for _, p := range fields(def.Get("paths")) {
			for item := range alternatives(p.Value) {
				pathParams := declared(item.Get("parameters"))
				for _, m := range item.Fields {
					method, ok := openAPIMethods[strings.ToLower(m.Key)]
					if !ok {
						continue
					}
					for op := range alternatives(m.Value) {
						rt := &Route{Method: method, Path: p.Key, Pos: firstValid(m.KeyPos, op.Pos, api.Resource.Origin.Pos)}
						rt.Origin = originAt(api.Resource, rt.Pos)
						spec.setAuth(rt, op)
						rt.Validator = spec.validator(op)
						rt.HasParams = pathParams || declared(op.Get("parameters")) || declared(op.Get("requestBody"))
						ab.addRoute(api, rt, op.Get("x-amazon-apigateway-integration").Get("uri"))
					}
				}
			}
		}
	}
}

func firstValid(ps ...source.Pos) source.Pos {
	for _, p := range ps {
		if p.IsValid() {
			return p
		}
	}
	return source.Pos{}
}

// openAPISpec is what an OpenAPI definition says about all its operations.
type openAPISpec struct {
	schemes          *source.Node // securityDefinitions (swagger 2) or components.securitySchemes
	security         *source.Node // the global security requirement; nil when absent
	validators       *source.Node // x-amazon-apigateway-request-validators
	defaultValidator string       // the root x-amazon-apigateway-request-validator
}

func newOpenAPISpec(def *source.Node) *openAPISpec {
	s := &openAPISpec{
		schemes:    def.Get("securityDefinitions"),
		security:   def.Get("security"),
		validators: def.Get("x-amazon-apigateway-request-validators"),
	}
	if s.schemes == nil {
		s.schemes = def.Get("components").Get("securitySchemes")
	}
	s.defaultValidator, _ = oneStr(def.Get("x-amazon-apigateway-request-validator"))
	return s
}

// apiKeyScheme is the kind of a security scheme that asks for an API key
// rather than a caller identity.
const apiKeyScheme = "api_key"

// setAuth sets the route's Auth and APIKeyRequired from the operation's
// security requirement, or the global one when the operation has none.
// API Gateway applies one authorizer and, separately, the API key check, so
// the first scheme that is not the API key decides Auth, and an API key
// scheme anywhere in the requirement makes the key required.
func (s *openAPISpec) setAuth(rt *Route, op *source.Node) {
	reqs := op.Get("security")
	if reqs == nil {
		reqs = s.security
	}
	rt.Auth = Auth{Type: authNone}
	found := false
	for _, req := range items(reqs) {
		for alt := range alternatives(req) {
			for _, f := range alt.Fields {
				kind := s.schemeKind(f.Key)
				switch {
				case kind == apiKeyScheme:
					rt.APIKeyRequired = true
				case !found:
					found = true
					rt.Auth = Auth{Type: kind}
					if kind == authCustom || kind == authCognito || kind == authJWT {
						rt.Auth.Authorizer = f.Key
					}
				}
			}
		}
	}
}

// schemeKind says what the named security scheme does: an Auth.Type, the
// apiKeyScheme, or "" when it depends on a value the template does not fix.
// API Gateway ignores schemes it does not understand, so they count as NONE.
func (s *openAPISpec) schemeKind(name string) string {
	def := s.schemes.Get(name)
	if def == nil {
		if name == apiKeyScheme { // SAM's name for the API key scheme
			return apiKeyScheme
		}
		return authNone // SAM writes {NONE: []} for a route that opts out of the default authorizer
	}
	if t := def.Get("x-amazon-apigateway-authorizer").Get("type"); t != nil {
		v, ok := oneStr(t)
		if !ok {
			return ""
		}
		switch strings.ToLower(v) {
		case "token", "request":
			return authCustom
		case "cognito_user_pools":
			return authCognito
		case "jwt":
			return authJWT
		}
	}
	if t := def.Get("x-amazon-apigateway-authtype"); t != nil {
		v, ok := oneStr(t)
		if !ok {
			return ""
		}
		switch strings.ToLower(v) {
		case "awssigv4":
			return authIAM
		case "cognito_user_pools":
			return authCognito
		case "custom", "oauth2":
			return authCustom
		}
	}
	typ, _ := oneStr(def.Get("type"))
	in, _ := oneStr(def.Get("in"))
	header, _ := oneStr(def.Get("name"))
	if strings.EqualFold(typ, "apiKey") && strings.EqualFold(in, "header") && strings.EqualFold(header, "x-api-key") {
		return apiKeyScheme
	}
	return authNone
}

// validator returns what the operation's request validator checks.
func (s *openAPISpec) validator(op *source.Node) string {
	name, ok := oneStr(op.Get("x-amazon-apigateway-request-validator"))
	if !ok {
		name = s.defaultValidator
	}
	if name == "" {
		return ""
	}
	v := s.validators.Get(name)
	return validatorKind(v.Get("validateRequestBody").Truthy(), v.Get("validateRequestParameters").Truthy())
}

// validatorKind is Route.Validator for a validator that checks the body,
// the parameters, or both.
func validatorKind(body, params bool) string {
	switch {
	case body && params:
		return "all"
	case body:
		return "body"
	case params:
		return "params"
	}
	return ""
}

// restMethod reads an AWS::ApiGateway::Method as a route.
func (ab *apiBuilder) restMethod(r *Resource) {
	api := ab.apiOf(r.Prop("RestApiId"))
	if api == nil {
		return
	}
	method, _ := oneStr(r.Prop("HttpMethod"))
	rt := &Route{Method: strings.ToUpper(method), Path: ab.restPath(r.Prop("ResourceId"), 0), Pos: r.Origin.Pos, Origin: r.Origin}
	rt.Auth = ab.restMethodAuth(r)
	rt.APIKeyRequired = r.Prop("ApiKeyRequired").Truthy()
	if v := ab.target(r.Prop("RequestValidatorId"), typeRestValidator); v != nil {
		rt.Validator = validatorKind(v.Prop("ValidateRequestBody").Truthy(), v.Prop("ValidateRequestParameters").Truthy())
	}
	rt.HasParams = declared(r.Prop("RequestParameters")) || declared(r.Prop("RequestModels"))
	ab.addRoute(api, rt, r.Prop("Integration", "Uri"))
}

// restMethodAuth reads a method's AuthorizationType. The type decides
// whether API Gateway calls an authorizer at all, so a method that names an
// authorizer without the type is open; when the type asks for an
// authorizer, the authorizer's own Type says which kind runs.
func (ab *apiBuilder) restMethodAuth(r *Resource) Auth {
	n := r.Prop("AuthorizationType")
	if n == nil {
		return Auth{Type: authNone}
	}
	typ, ok := oneStr(n)
	if !ok {
		return Auth{}
	}
	a := Auth{Type: strings.ToUpper(typ)}
	if a.Type != authCustom && a.Type != authCognito {
		return a
	}
	authz := ab.target(r.Prop("AuthorizerId"), typeRestAuthorizer)
	if authz == nil {
		return a
	}
	a.Authorizer = authz.Origin.LogicalID
	if t, ok := oneStr(authz.Prop("Type")); ok {
		switch strings.ToUpper(t) {
		case "TOKEN", "REQUEST":
			a.Type = authCustom
		case authCognito:
			a.Type = authCognito
		}
	}
	return a
}

// restPath returns the path of the REST resource that n refers to, built
// from its ParentId chain; the API's root resource is "/". A part that
// cannot be known (an imported resource ID) appears as its placeholder.
func (ab *apiBuilder) restPath(n *source.Node, depth int) string {
	res := ab.target(n, typeRestResource)
	switch {
	case res != nil:
	case n == nil, ab.apiOf(n) != nil: // Fn::GetAtt Api.RootResourceId
		return "/"
	default:
		return n.Value
	}
	if p, ok := ab.paths[res]; ok {
		return p
	}
	if depth > 64 { // a ParentId cycle; CloudFormation would reject it
		return ""
	}
	part := text(res.Prop("PathPart"))
	parent := ab.restPath(res.Prop("ParentId"), depth+1)
	p := strings.TrimSuffix(parent, "/") + "/" + part
	if ab.paths == nil {
		ab.paths = map[*Resource]string{}
	}
	ab.paths[res] = p
	return p
}

// v2Route reads an AWS::ApiGatewayV2::Route; its Target names an
// integration whose IntegrationUri is the function.
func (ab *apiBuilder) v2Route(r *Resource) {
	api := ab.apiOf(r.Prop("ApiId"))
	if api == nil {
		return
	}
	key := text(r.Prop("RouteKey"))
	rt := &Route{Pos: r.Origin.Pos, Origin: r.Origin}
	rt.Method, rt.Path = splitRouteKey(key, api.Kind)
	rt.Auth = ab.v2Auth(r.Prop("AuthorizationType"), r.Prop("AuthorizerId"))
	rt.APIKeyRequired = r.Prop("ApiKeyRequired").Truthy()
	rt.HasParams = declared(r.Prop("RequestParameters")) || declared(r.Prop("RequestModels"))
	var uri *source.Node
	if integ := ab.target(r.Prop("Target"), typeV2Integration); integ != nil {
		uri = integ.Prop("IntegrationUri")
	}
	ab.addRoute(api, rt, uri)
}

// v2Auth reads the AuthorizationType and AuthorizerId of an HTTP or
// WebSocket route (or of quick create's managed overrides).
func (ab *apiBuilder) v2Auth(typeNode, authorizerID *source.Node) Auth {
	if typeNode == nil {
		return Auth{Type: authNone}
	}
	typ, ok := oneStr(typeNode)
	if !ok {
		return Auth{}
	}
	a := Auth{Type: strings.ToUpper(typ)}
	if a.Type == authJWT || a.Type == authCustom {
		if authz := ab.target(authorizerID, typeV2Authorizer); authz != nil {
			a.Authorizer = authz.Origin.LogicalID
		}
	}
	return a
}

// restStages reads the stages of REST APIs: AWS::ApiGateway::Stage
// resources, or, for an API that has none, the stage a Deployment creates
// through its StageName and StageDescription.
func (ab *apiBuilder) restStages() {
	withStageResource := map[*API]bool{}
	for _, r := range ab.byType[typeRestStage] {
		api := ab.apiOf(r.Prop("RestApiId"))
		if api == nil {
			continue
		}
		withStageResource[api] = true
		st := &Stage{
			Resource: r, AccessLogs: r.Prop("AccessLogSetting"), MethodSettings: r.Prop("MethodSettings"),
			TracingEnabled: r.Prop("TracingEnabled").Truthy(), ClientCertID: r.Prop("ClientCertificateId"),
		}
		st.Name, _ = oneStr(r.Prop("StageName"))
		ab.restMethodSettings(st, st.MethodSettings)
		api.Stages = append(api.Stages, st)
	}
	for _, r := range ab.byType[typeRestDeployment] {
		api := ab.apiOf(r.Prop("RestApiId"))
		name, ok := oneStr(r.Prop("StageName"))
		if api == nil || withStageResource[api] || !ok || name == "" {
			continue
		}
		d := r.Prop("StageDescription")
		st := &Stage{
			Resource: r, Name: name, AccessLogs: d.Get("AccessLogSetting"), MethodSettings: d.Get("MethodSettings"),
			TracingEnabled: d.Get("TracingEnabled").Truthy(), ClientCertID: d.Get("ClientCertificateId"),
			DataTraceLogged: d.Get("DataTraceEnabled").Truthy(),
			Throttled:       throttleSet(d.Get("ThrottlingBurstLimit"), d.Get("ThrottlingRateLimit")),
		}
		ab.restMethodSettings(st, st.MethodSettings)
		api.Stages = append(api.Stages, st)
	}
}

// restMethodSettings applies a REST stage's MethodSettings: a setting for
// ResourcePath "/*" and HttpMethod "*" covers every method.
func (ab *apiBuilder) restMethodSettings(st *Stage, settings *source.Node) {
	for _, item := range items(settings) {
		for s := range alternatives(item) {
			if s.Get("DataTraceEnabled").Truthy() {
				st.DataTraceLogged = true
			}
			if !throttleSet(s.Get("ThrottlingBurstLimit"), s.Get("ThrottlingRateLimit")) {
				continue
			}
			method, ok := oneStr(s.Get("HttpMethod"))
			if !ok {
				method = "*"
			}
			path, _ := oneStr(s.Get("ResourcePath"))
			p := routePattern{method: strings.ToUpper(method), path: methodSettingPath(path)}
			ab.addThrottle(st, p)
		}
	}
}

// methodSettingPath decodes a MethodSettings ResourcePath, where the slashes
// of the path are written ~1 ("/~1orders~1{id}" is /orders/{id}).
func methodSettingPath(p string) string {
	switch p {
	case "", "*", "/*":
		return "*"
	case "/":
		return "/"
	}
	p = strings.ReplaceAll(strings.TrimPrefix(p, "/"), "~1", "/")
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return p
}

// addThrottle records that st throttles the routes p selects.
func (ab *apiBuilder) addThrottle(st *Stage, p routePattern) {
	if p.method == "*" && p.path == "*" {
		st.Throttled = true
		return
	}
	if ab.throttles[st] == nil {
		ab.throttles[st] = &routeThrottles{}
	}
	ab.throttles[st].add(p)
}

// throttleSet reports whether a burst or rate limit is set; -1 turns
// throttling off.
func throttleSet(limits ...*source.Node) bool {
	for _, n := range limits {
		if n == nil || n.Kind == source.Null {
			continue
		}
		if v, ok := n.Str(); ok && v == "-1" {
			continue
		}
		return true
	}
	return false
}

// v2Stage reads an AWS::ApiGatewayV2::Stage.
func (ab *apiBuilder) v2Stage(r *Resource) {
	api := ab.apiOf(r.Prop("ApiId"))
	if api == nil {
		return
	}
	st := &Stage{Resource: r, ClientCertID: r.Prop("ClientCertificateId")}
	st.Name, _ = oneStr(r.Prop("StageName"))
	ab.v2StageSettings(st, api, r.Prop("AccessLogSettings"), r.Prop("DefaultRouteSettings"), r.Prop("RouteSettings"))
	api.Stages = append(api.Stages, st)
}

// v2StageSettings applies an HTTP or WebSocket stage's logging and route
// settings. MethodSettings keeps DefaultRouteSettings, or RouteSettings when
// there are no defaults.
func (ab *apiBuilder) v2StageSettings(st *Stage, api *API, accessLogs, defaults, perRoute *source.Node) {
	st.AccessLogs = accessLogs
	st.MethodSettings = defaults
	if defaults == nil {
		st.MethodSettings = perRoute
	}
	if defaults.Get("DataTraceEnabled").Truthy() {
		st.DataTraceLogged = true
	}
	if throttleSet(defaults.Get("ThrottlingBurstLimit"), defaults.Get("ThrottlingRateLimit")) {
		st.Throttled = true
	}
	for _, f := range fields(perRoute) {
		if f.Value.Get("DataTraceEnabled").Truthy() {
			st.DataTraceLogged = true
		}
		if throttleSet(f.Value.Get("ThrottlingBurstLimit"), f.Value.Get("ThrottlingRateLimit")) {
			method, path := splitRouteKey(f.Key, api.Kind)
			ab.addThrottle(st, routePattern{method: method, path: path})
		}
	}
}

// v2Overrides applies AWS::ApiGatewayV2::ApiGatewayManagedOverrides, which
// configure the route and stage that quick create made.
func (ab *apiBuilder) v2Overrides(r *Resource) {
	api := ab.apiOf(r.Prop("ApiId"))
	rt := ab.quick[api]
	if rt == nil {
		return
	}
	if o := r.Prop("Route"); o != nil && o.Get("AuthorizationType") != nil {
		rt.Auth = ab.v2Auth(o.Get("AuthorizationType"), o.Get("AuthorizerId"))
	}
	if o := r.Prop("Stage"); o != nil {
		for _, st := range api.Stages {
			if st.Resource == api.Resource {
				ab.v2StageSettings(st, api, o.Get("AccessLogSettings"), o.Get("DefaultRouteSettings"), o.Get("RouteSettings"))
			}
		}
	}
}

// usagePlan applies a usage plan's throttling to the stages it lists: its
// Throttle to every route of a stage, an ApiStages entry's Throttle (keyed
// "/path/METHOD") to single routes.
func (ab *apiBuilder) usagePlan(r *Resource) {
	planThrottled := throttleSet(r.Prop("Throttle", "BurstLimit"), r.Prop("Throttle", "RateLimit"))
	for _, entry := range items(r.Prop("ApiStages")) {
		api := ab.apiOf(entry.Get("ApiId"))
		if api == nil {
			continue
		}
		name, _ := oneStr(entry.Get("Stage"))
		st := stageOf(api, entry.Get("Stage"), name)
		if st == nil {
			continue
		}
		if planThrottled {
			st.Throttled = true
		}
		for _, f := range fields(entry.Get("Throttle")) {
			if !throttleSet(f.Value.Get("BurstLimit"), f.Value.Get("RateLimit")) {
				continue
			}
			i := strings.LastIndexByte(f.Key, '/')
			if i < 0 {
				continue
			}
			path, method := "/", strings.ToUpper(f.Key[i+1:])
			if i > 0 {
				path = methodSettingPath(f.Key[:i])
			}
			ab.addThrottle(st, routePattern{method: method, path: path})
		}
	}
}

// stageOf finds the stage of api that n refers to (a Ref to a stage
// resource) or, failing that, the stage called name.
func stageOf(api *API, n *source.Node, name string) *Stage {
	if n != nil {
		for _, ref := range n.Refs {
			for _, st := range api.Stages {
				if st.Resource.LogicalID == ref && (st.Resource.Type == typeRestStage || st.Resource.Type == typeV2Stage) {
					return st
				}
			}
		}
	}
	if name == "" {
		return nil
	}
	for _, st := range api.Stages {
		if st.Name == name {
			return st
		}
	}
	return nil
}

// webACLAssociation links a WAF web ACL association to the REST API stage
// its ResourceArn names: arn:aws:apigateway:REGION::/restapis/API/stages/STAGE.
func (ab *apiBuilder) webACLAssociation(r *Resource) {
	arn := r.Prop("ResourceArn")
	api := ab.apiOf(arn)
	if api == nil || api.Kind != "REST" {
		return
	}
	_, name, _ := strings.Cut(arn.Value, "/stages/")
	name, _, _ = strings.Cut(name, "/")
	if st := stageOf(api, arn, name); st != nil && st.WebACL == nil {
		st.WebACL = r
	}
}

// markThrottledRoutes sets Route.Throttled on the routes that every stage
// of their API throttles, as a whole or one by one.
func (ab *apiBuilder) markThrottledRoutes() {
	for _, api := range ab.apis {
		for _, rt := range api.Routes {
			rt.Throttled = len(api.Stages) > 0
			for _, st := range api.Stages {
				if !st.Throttled && !ab.throttles[st].covers(rt) {
					rt.Throttled = false
					break
				}
			}
		}
	}
}

// alternatives yields the values n may take. An Fn::If left by the
// evaluator (its condition depends on a parameter) yields both branches; a
// branch that is AWS::NoValue yields nothing.
func alternatives(n *source.Node) iter.Seq[*source.Node] {
	return func(yield func(*source.Node) bool) {
		eachAlternative(n, yield)
	}
}

func eachAlternative(n *source.Node, yield func(*source.Node) bool) bool {
	if n == nil || n.Kind == source.Null {
		return true
	}
	name, arg, ok := n.Intrinsic()
	switch {
	case ok && name == "Ref":
		if s, _ := arg.Str(); s == "AWS::NoValue" {
			return true
		}
	case ok && name == "Fn::If" && arg != nil && arg.Kind == source.Seq && len(arg.Items) == 3:
		return eachAlternative(arg.Items[1], yield) && eachAlternative(arg.Items[2], yield)
	}
	return yield(n)
}

// oneStr returns the text of a scalar, or of an Fn::If whose outcomes all
// have the same text.
func oneStr(n *source.Node) (string, bool) {
	if s, ok := n.Str(); ok {
		return s, true
	}
	var out string
	seen := false
	for alt := range alternatives(n) {
		s, ok := alt.Str()
		if !ok || (seen && s != out) {
			return "", false
		}
		out, seen = s, true
	}
	return out, seen
}

// text returns the text of a scalar, or the placeholder of a value that
// cannot be known, so that a route can still be named.
func text(n *source.Node) string {
	if s, ok := oneStr(n); ok {
		return s
	}
	if n == nil {
		return ""
	}
	return n.Value
}

// declared reports whether a parameters list, model map or request body is
// present and not empty. A value that cannot be known counts as declared.
func declared(n *source.Node) bool {
	switch {
	case n == nil, n.Kind == source.Null:
		return false
	case n.Kind == source.Map:
		return len(n.Fields) > 0
	case n.Kind == source.Seq:
		return len(n.Items) > 0
	case n.Kind == source.Symbol:
		return true
	}
	return false
}

// fields returns the fields of a map node; nil for anything else, so that a
// missing or unresolved section reads as empty.
func fields(n *source.Node) []source.Field {
	if n == nil || n.Kind != source.Map {
		return nil
	}
	return n.Fields
}
