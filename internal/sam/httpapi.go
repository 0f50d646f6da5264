package sam

import (
	"encoding/json"
	"regexp"
	"strings"

	"github.com/bulwark-sec/bulwark/internal/source"
)

// httpAPIEvent handles an HttpApi event: the permission for API Gateway and
// the route, with its authorization, on the API's OpenAPI definition.
func (t *transformer) httpAPIEvent(b *functionBuild, ev *event, pass []source.Field) error {
	r := b.r
	apiIDNode := apiIDString(ev.prop("ApiId"))
	apiID, ok := stringValue(apiIDNode)
	if !ok {
		return t.invalidEvent(r, ev, ev.propPos("ApiId"), "Property 'ApiId' should be a string.")
	}
	api := t.byID[apiID]
	if api == nil || api.props == nil {
		return t.invalidEvent(r, ev, ev.propPos("ApiId"), "ApiId must be a valid reference to an 'AWS::Serverless::HttpApi' resource in same template.")
	}
	pathNode := ev.prop("Path")
	path, okPath := stringValue(pathNode)
	method, okMethod := stringValue(ev.prop("Method"))
	if !okPath || !okMethod {
		return t.invalidEvent(r, ev, ev.keyPos, "Properties 'Path' and 'Method' should be strings.")
	}
	method = strings.ToLower(method)
	pos := posOr(pathNode, ev.keyPos)

	body := api.props.Get("DefinitionBody")
	var ed *editor
	if truthy(body) {
		if !isOpenAPI(body) {
			return t.invalid(api, body.Pos, "Invalid OpenApi document. Invalid values or missing keys for 'openapi' or 'paths' in 'DefinitionBody'.")
		}
		ed = &editor{t: t, doc: body}
	}
	if err := t.httpPermission(b, ev, ed, path, method, pos, pass); err != nil {
		return err
	}
	if body == nil || body.Kind == source.Null {
		return nil
	}
	doc := t.ownBody(api)
	ed = &editor{t: t, doc: doc}
	if api.managed {
		has, err := ed.hasIntegration(path, method)
		if err != nil {
			return err
		}
		if has {
			return t.invalidEvent(r, ev, pos, "API method '%s' defined multiple times for path '%s'.", method, path)
		}
	}
	if err := t.addHTTPIntegration(b, ev, ed, path, method, pos); err != nil {
		return err
	}
	if auth := ev.prop("Auth"); truthy(auth) {
		if err := t.addHTTPEventAuth(b, ev, api, ed, path, method); err != nil {
			return err
		}
	}
	ops, err := ed.operations(path, method, true)
	if err != nil {
		return err
	}
	if timeout := ev.prop("TimeoutInMillis"); truthy(timeout) {
		for _, op := range ops {
			set(op.Get(xIntegration), "timeoutInMillis", timeout)
		}
	}
	if params := pathParameters.FindAllStringSubmatch(path, -1); len(params) > 0 {
		for _, op := range ops {
			existing := op.Get("parameters")
			if existing == nil || existing.Kind != source.Seq {
				existing = list(pos)
			} else {
				existing = shallow(existing)
			}
			for _, m := range params {
				found := false
				for i, p := range itemsOf(existing) {
					if n, _ := stringValue(p.Get("name")); n == m[1] && p.Kind == source.Map {
						np := shallow(p)
						set(np, "in", str("path", pos))
						set(np, "required", boolean(true, pos))
						existing.Items[i] = np
						found = true
						break
					}
				}
				if !found {
					existing.Items = append(existing.Items, obj(pos, "name", str(m[1], pos), "in", str("path", pos), "required", boolean(true, pos)))
				}
			}
			set(op, "parameters", existing)
		}
	}
	if v := ev.prop("PayloadFormatVersion"); truthy(v) {
		for _, op := range ops {
			set(op.Get(xIntegration), "payloadFormatVersion", v)
		}
	}
	return nil
}

var pathParameters = regexp.MustCompile(`\{(.*?)\}`)

// httpPermission adds the permission for an HTTP API route, unless the API's
// $default route already sends everything to the same function.
func (t *transformer) httpPermission(b *functionBuild, ev *event, ed *editor, path, method string, pos source.Pos, pass []source.Field) error {
	p := trailingSlash.ReplaceAllString(path, "$1")
	if p == "$default" {
		p = ""
	} else if ed != nil {
		match, err := ed.integrationTargets("$default", xAnyMethod, b.target.logicalID)
		if err != nil {
			return err
		}
		if match {
			return nil
		}
	}
	p = httpPermissionPath(p)
	m := strings.ToUpper(method)
	if method == "any" || method == xAnyMethod {
		m = "*"
	}
	resource := "${__ApiId__}/${__Stage__}"
	if method == "any" && p == "/$default" {
		resource += p
	} else {
		resource += "/" + m + p
	}
	sourceArn := fnSubVars("arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:"+resource, pos,
		"__ApiId__", ev.prop("ApiId"), "__Stage__", str("*", pos))
	t.permission(b.r, ev.logicalID, "", b.target, pos, pass, "apigateway.amazonaws.com", sourceArn, nil, nil)
	return nil
}

var arnReference = regexp.MustCompile(`([A-Za-z0-9]+\.Arn)`)

// integrationTargets reports whether every integration on the path and
// method invokes the given function.
func (e *editor) integrationTargets(path, method, logicalID string) (bool, error) {
	has, err := e.hasIntegration(path, method)
	if err != nil || !has {
		return false, err
	}
	ops, err := e.operations(path, method, false)
	if err != nil {
		return false, err
	}
	for _, op := range ops {
		integration := op.Get(xIntegration)
		if integration != nil && integration.Kind != source.Map {
			return false, invalidDoc(integration.Pos, "Value of '%s' must be a dictionary according to Swagger spec.", xIntegration)
		}
		uri := integration.Get("uri")
		if uri == nil || uri.Kind != source.Map {
			return false, nil
		}
		uris, err := branches(uri)
		if err != nil {
			return false, err
		}
		for _, u := range uris {
			arn, _ := stringValue(u.Get("Fn::Sub"))
			m := arnReference.FindString(arn)
			if m == "" || strings.TrimSuffix(m, ".Arn") != logicalID {
				return false, nil
			}
		}
	}
	return true, nil
}

func (t *transformer) addHTTPIntegration(b *functionBuild, ev *event, ed *editor, path, method string, pos source.Pos) error {
	has, err := ed.hasIntegration(path, method)
	if err != nil || has {
		return err
	}
	if err := ed.addPath(path, method, pos); err != nil {
		return err
	}
	norm := normalizeMethod(method)
	uri := t.integrationURI(b.target, "${AWS::Partition}", false, pos)
	cond := b.r.condition()
	if cond != "" {
		uri = fnIf(cond, uri, noValue(pos), pos)
	}
	items, err := branches(ed.paths().Get(path))
	if err != nil {
		return err
	}
	for _, item := range items {
		if item == nil || item.Kind != source.Map {
			return pathItemError(path, pos)
		}
		op := item.Get(norm)
		if op == nil || op.Kind == source.Null {
			op = obj(pos)
			set(item, norm, op)
		}
		if op.Kind != source.Map {
			return methodError(norm, path, op.Pos)
		}
		set(op, xIntegration, obj(pos, "type", str("aws_proxy", pos), "httpMethod", str("POST", pos),
			"payloadFormatVersion", str("2.0", pos), "uri", uri))
		if path == "$default" && norm == xAnyMethod {
			set(op, "isDefaultRoute", boolean(true, pos))
		}
		if op.Get("responses") == nil {
			set(op, "responses", obj(pos))
		}
		if cond != "" {
			set(item, norm, fnIf(cond, op, noValue(pos), pos))
		}
	}
	return nil
}

func (t *transformer) addHTTPEventAuth(b *functionBuild, ev *event, api *resource, ed *editor, path, method string) error {
	r := b.r
	auth := ev.prop("Auth")
	if auth.Kind != source.Map {
		return t.invalidEvent(r, ev, auth.Pos, "Property 'Auth' should be a map.")
	}
	apiAuth := api.props.Get("Auth")
	if apiAuth != nil && apiAuth.Kind != source.Map {
		return t.invalid(api, apiAuth.Pos, "Property 'Auth' should be a map.")
	}
	authorizer := auth.Get("Authorizer")
	if !truthy(authorizer) {
		def := apiAuth.Get("DefaultAuthorizer")
		if !truthy(def) {
			return t.invalidEvent(r, ev, auth.Pos, "'Auth' section requires either an explicit 'Authorizer' set or a 'DefaultAuthorizer' configured on the HttpApi.")
		}
		authorizer = def
	}
	authorizers := apiAuth.Get("Authorizers")
	iamEnabled := isTrue(apiAuth.Get("EnableIamAuthorizer"))
	name, isStr := stringValue(authorizer)
	if !(name == "NONE" || (name == "AWS_IAM" && iamEnabled)) {
		if !isStr || (authorizers != nil && authorizers.Kind != source.Map) {
			return t.invalidEvent(r, ev, authorizer.Pos, "Unable to set Authorizer [%s] on API method [%s] for path [%s]. The method authorizer must be a string with a corresponding dict entry in the api authorizer.", pyStr(authorizer), method, path)
		}
	}
	if name == "NONE" {
		if !truthy(apiAuth.Get("DefaultAuthorizer")) {
			return t.invalidEvent(r, ev, authorizer.Pos, "Unable to set Authorizer on API method [%s] for path [%s] because 'NONE' is only a valid value when a DefaultAuthorizer on the API is specified.", method, path)
		}
	} else if (name == "AWS_IAM" && !iamEnabled) || name != "AWS_IAM" {
		if !truthy(authorizers) {
			return t.invalidEvent(r, ev, authorizer.Pos, "Unable to set Authorizer [%s] on API method [%s] for path [%s] because the related API does not define any Authorizers.", name, method, path)
		}
		if !truthy(authorizers.Get(name)) {
			return t.invalidEvent(r, ev, authorizer.Pos, "Unable to set Authorizer [%s] on API method [%s] for path [%s] because it wasn't defined in the API's Authorizers.", name, method, path)
		}
	}
	scopes := auth.Get("AuthorizationScopes")
	if truthy(scopes) && scopes.Kind != source.Seq {
		return t.invalidEvent(r, ev, scopes.Pos, "Unable to set Authorizer on API method [%s] for path [%s] because 'AuthorizationScopes' must be a list of strings.", method, path)
	}
	ops, err := ed.operations(path, method, true)
	if err != nil {
		return err
	}
	for _, op := range ops {
		entryScopes := list(authorizer.Pos)
		if name != "NONE" && name != "AWS_IAM" {
			a := authorizers.Get(name)
			if a != nil && a.Kind != source.Map {
				return invalidDoc(a.Pos, "Type of authorizer '%s' must be a dictionary", name)
			}
			s := a.Get("AuthorizationScopes")
			if truthy(scopes) {
				s = scopes
			}
			if truthy(a) && truthy(s) {
				entryScopes = s
			}
		}
		existing, err := operationSecurity(op, path, method)
		if err != nil {
			return err
		}
		security := list(authorizer.Pos, existing...)
		security.Items = append(security.Items, obj(authorizer.Pos, name, entryScopes))
		set(op, "security", security)
	}
	return nil
}

// httpAuthorizer is one HTTP API authorizer: JWT, Lambda (REQUEST) or the
// built-in AWS_IAM one.
type httpAuthorizer struct {
	name string
	pos  source.Pos
	kind string // "AWS_IAM", "JWT", "REQUEST"
	def  *source.Node
}

var httpAuthorizerProps = map[string][2]string{
	"AuthorizationScopes":              {"JWT", "OAuth2 Authorizer"},
	"JwtConfiguration":                 {"JWT", "OAuth2 Authorizer"},
	"IdentitySource":                   {"JWT", "OAuth2 Authorizer. For Lambda Authorizer, use the 'Identity' property instead"},
	"FunctionArn":                      {"REQUEST", "Lambda Authorizer"},
	"FunctionInvokeRole":               {"REQUEST", "Lambda Authorizer"},
	"Identity":                         {"REQUEST", "Lambda Authorizer"},
	"AuthorizerPayloadFormatVersion":   {"REQUEST", "Lambda Authorizer"},
	"EnableSimpleResponses":            {"REQUEST", "Lambda Authorizer"},
	"EnableFunctionDefaultPermissions": {"REQUEST", "Lambda Authorizer"},
}

func (t *transformer) httpAuthorizers(r *resource, auth *source.Node) ([]*httpAuthorizer, error) {
	var out []*httpAuthorizer
	if v := auth.Get("EnableIamAuthorizer"); isTrue(v) {
		out = append(out, &httpAuthorizer{name: "AWS_IAM", pos: v.Pos, kind: "AWS_IAM", def: obj(v.Pos)})
	}
	cfg := auth.Get("Authorizers")
	if !truthy(cfg) {
		return out, nil
	}
	if cfg.Kind != source.Map {
		return nil, t.invalid(r, cfg.Pos, "Property 'Auth.Authorizers' should be a map.")
	}
	for _, f := range fieldsOf(cfg) {
		a := f.Value
		if a.Kind != source.Map {
			return nil, t.invalid(r, a.Pos, "Property 'Auth.Authorizers.%s' should be a map.", f.Key)
		}
		if a.Get("OpenIdConnectUrl") != nil {
			return nil, t.invalid(r, a.Get("OpenIdConnectUrl").Pos, "'OpenIdConnectUrl' is no longer a supported property for authorizer '%s'. Please refer to the AWS SAM documentation.", f.Key)
		}
		jwt := a.Get("JwtConfiguration")
		if jwt != nil && jwt.Kind != source.Null && jwt.Kind != source.Map {
			return nil, t.invalid(r, jwt.Pos, "Property 'JwtConfiguration' should be a map.")
		}
		kind := "REQUEST"
		if truthy(jwt) {
			kind = "JWT"
		}
		if s := a.Get("AuthorizationScopes"); s != nil && s.Kind != source.Null && s.Kind != source.Seq {
			return nil, t.invalid(r, s.Pos, "AuthorizationScopes must be a list.")
		}
		for _, p := range fieldsOf(a) {
			allowed, known := httpAuthorizerProps[p.Key]
			if !known || p.Value.Kind == source.Null {
				continue
			}
			if allowed[0] != kind {
				return nil, t.invalid(r, p.KeyPos, "%s is only supported for %s.", p.Key, allowed[1])
			}
		}
		switch kind {
		case "JWT":
			if !truthy(a.Get("IdentitySource")) {
				return nil, t.invalid(r, f.KeyPos, "%s OAuth2 Authorizer must define 'IdentitySource'.", f.Key)
			}
		case "REQUEST":
			if !truthy(a.Get("FunctionArn")) {
				return nil, t.invalid(r, f.KeyPos, "%s Lambda Authorizer must define 'FunctionArn'.", f.Key)
			}
			if !truthy(a.Get("AuthorizerPayloadFormatVersion")) {
				return nil, t.invalid(r, f.KeyPos, "%s Lambda Authorizer must define 'AuthorizerPayloadFormatVersion'.", f.Key)
			}
		}
		if v := a.Get("EnableFunctionDefaultPermissions"); v != nil && v.Kind != source.Null && v.Kind != source.Bool {
			return nil, t.invalid(r, v.Pos, "Property 'Authorizers.%s.EnableFunctionDefaultPermissions' should be a boolean.", f.Key)
		}
		out = append(out, &httpAuthorizer{name: f.Key, pos: f.KeyPos, kind: kind, def: a})
	}
	return out, nil
}

func (t *transformer) httpAuthorizerOpenAPI(r *resource, a *httpAuthorizer) (*source.Node, error) {
	p := a.pos
	switch a.kind {
	case "AWS_IAM":
		return obj(p, "type", str("apiKey", p), "name", str("Authorization", p), "in", str("header", p),
			"x-amazon-apigateway-authtype", str("awsSigv4", p)), nil
	case "JWT":
		jwt := a.def.Get("JwtConfiguration")
		lowered := obj(jwt.Pos)
		for _, f := range fieldsOf(jwt) {
			lowered.Fields = append(lowered.Fields, source.Field{Key: strings.ToLower(f.Key), KeyPos: f.KeyPos, Value: f.Value})
		}
		return obj(p, "type", str("oauth2", p), "x-amazon-apigateway-authorizer", obj(p,
			"jwtConfiguration", lowered, "identitySource", a.def.Get("IdentitySource"), "type", str("jwt", p))), nil
	}
	fn := a.def.Get("FunctionArn")
	authorizer := obj(p, "type", str("request", p),
		"authorizerUri", fnSubVars("arn:"+t.partition+":apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${__FunctionArn__}/invocations",
			fn.Pos, "__FunctionArn__", fn))
	if role := a.def.Get("FunctionInvokeRole"); truthy(role) {
		if s, _ := stringValue(role); s != "NONE" {
			set(authorizer, "authorizerCredentials", role)
		}
	}
	if identity := a.def.Get("Identity"); truthy(identity) {
		if identity.Kind != source.Map {
			return nil, t.invalid(r, identity.Pos, "Property 'Auth.Authorizers.%s.Identity' should be a map.", a.name)
		}
		if ttl := identity.Get("ReauthorizeEvery"); ttl != nil && ttl.Kind != source.Null {
			set(authorizer, "authorizerResultTtlInSeconds", ttl)
		}
		sources := list(identity.Pos)
		for _, kp := range [][2]string{{"Headers", "$request.header."}, {"QueryStrings", "$request.querystring."},
			{"StageVariables", "$stageVariables."}, {"Context", "$context."}} {
			v := identity.Get(kp[0])
			if !truthy(v) {
				continue
			}
			if v.Kind != source.Seq {
				return nil, t.invalid(r, v.Pos, "Property 'Authorizers.%s.Identity.%s' should be a list of strings.", a.name, kp[0])
			}
			for _, it := range itemsOf(v) {
				s, ok := stringValue(it)
				if !ok {
					return nil, t.invalid(r, it.Pos, "Property 'Authorizers.%s.Identity.%s' should be a list of strings.", a.name, kp[0])
				}
				sources.Items = append(sources.Items, str(kp[1]+s, it.Pos))
			}
		}
		set(authorizer, "identitySource", sources)
	}
	set(authorizer, "authorizerPayloadFormatVersion", a.def.Get("AuthorizerPayloadFormatVersion"))
	if v := a.def.Get("EnableSimpleResponses"); truthy(v) {
		set(authorizer, "enableSimpleResponses", v)
	}
	return obj(p, "type", str("apiKey", p), "name", str("Unused", p), "in", str("header", p),
		"x-amazon-apigateway-authorizer", authorizer), nil
}

// transformHTTPAPI expands an AWS::Serverless::HttpApi into the
// ApiGatewayV2 Api with its OpenAPI body (CORS, authorizers, default
// authorization, tags), a Stage, authorizer permissions and custom domains.
func (t *transformer) transformHTTPAPI(r *resource) error {
	if err := t.checkProps(resourceWhere(r.id), r.props, resourceProps[typeHTTPAPI], r.typ, "the resource"); err != nil {
		return err
	}
	props := r.props
	body := props.Get("DefinitionBody")
	uri := props.Get("DefinitionUri")
	if truthy(uri) && truthy(body) {
		return t.invalid(r, uri.Pos, "Specify either 'DefinitionUri' or 'DefinitionBody' property and not both.")
	}
	if truthy(body) && body.Kind == source.Map {
		body = t.ownBody(r)
	} else if !truthy(body) {
		body = nil
	}
	api := obj(props.Pos)
	cors, err := t.resolveParams(props.Get("CorsConfiguration"))
	if err != nil {
		return err
	}
	if truthy(cors) {
		if err := t.addHTTPCors(r, body, cors); err != nil {
			return err
		}
	}
	auth := props.Get("Auth")
	if truthy(auth) {
		if err := t.addHTTPAuth(r, body, auth); err != nil {
			return err
		}
	}
	tags := props.Get("Tags")
	if truthy(tags) && body == nil {
		return t.invalid(r, tags.Pos, "Tags works only with inline OpenApi specified in the 'DefinitionBody' property.")
	}
	if body != nil {
		if truthy(tags) && !isOpenAPI(body) {
			return t.invalid(r, tags.Pos, "Unable to add `Tags` because 'DefinitionBody' does not contain a valid OpenApi definition.")
		}
		if isOpenAPI(body) {
			if err := addOpenAPITags(body, tags, r.keyPos); err != nil {
				return err
			}
		}
	}
	if v := props.Get("FailOnWarnings"); truthy(v) {
		set(api, "FailOnWarnings", v)
	}
	if v := props.Get("DisableExecuteApiEndpoint"); v != nil && v.Kind != source.Null {
		if body == nil {
			return t.invalid(r, v.Pos, "DisableExecuteApiEndpoint works only within 'DefinitionBody' property.")
		}
		if err := disableExecuteEndpoint(body, v, false); err != nil {
			return err
		}
	}
	if name := props.Get("Name"); truthy(name) {
		if body == nil {
			return t.invalid(r, name.Pos, "Name works only with inline OpenApi specified in the 'DefinitionBody' property.")
		}
		if !equal(body.Get("info").Get("title"), ref("AWS::StackName", name.Pos)) {
			return t.invalid(r, name.Pos, "Unable to set Name because it is already defined within inline OpenAPI specified in the 'DefinitionBody' property.")
		}
		body.Get("info").Set("title", name)
	}
	if desc := props.Get("Description"); truthy(desc) {
		if body == nil {
			return t.invalid(r, desc.Pos, "Description works only with inline OpenApi specified in the 'DefinitionBody' property.")
		}
		info := body.Get("info")
		if truthy(info.Get("description")) {
			return t.invalid(r, desc.Pos, "Unable to set Description because it is already defined within inline OpenAPI specified in the 'DefinitionBody' property.")
		}
		if info == nil {
			info = obj(desc.Pos)
			set(body, "info", info)
		}
		set(info, "description", desc)
	}
	if truthy(props.Get("FailOnWarnings")) && body != nil {
		if paths := body.Get("paths"); paths != nil {
			for i, f := range fieldsOf(paths) {
				if f.Key == "$default" {
					paths.Fields[i].Key = "/$default"
				}
			}
		}
	}
	switch {
	case truthy(uri):
		loc, err := t.s3Location(r, uri, "DefinitionUri", "Bucket", "Key", "Version")
		if err != nil {
			return err
		}
		set(api, "BodyS3Location", loc)
	case body != nil:
		set(api, "Body", body)
	default:
		return t.invalid(r, r.keyPos, "'DefinitionUri' or 'DefinitionBody' are required properties of an 'AWS::Serverless::HttpApi'. Add a value for one of these properties or add a 'HttpApi' event to an 'AWS::Serverless::Function'.")
	}
	t.emit(r, r.id, resourceNode("AWS::ApiGatewayV2::Api", r.keyPos, mainAttrs(r), api), r.keyPos)
	pass := passthroughAttrs(r)

	if truthy(auth) {
		authorizers, err := t.httpAuthorizers(r, auth)
		if err != nil {
			return err
		}
		for _, a := range authorizers {
			fn := a.def.Get("FunctionArn")
			if !truthy(fn) || !isTrue(a.def.Get("EnableFunctionDefaultPermissions")) {
				continue
			}
			t.emit(r, r.id+a.name+"AuthorizerPermission", resourceNode("AWS::Lambda::Permission", a.pos, pass, obj(a.pos,
				"Action", str("lambda:InvokeFunction", a.pos),
				"FunctionName", fn,
				"Principal", str("apigateway.amazonaws.com", a.pos),
				"SourceArn", fnSubVars("arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${__ApiId__}/authorizers/*",
					a.pos, "__ApiId__", ref(r.id, a.pos)),
			)), a.pos)
		}
	}
	stageName := props.Get("StageName")
	name := "$default"
	if s, ok := stringValue(stageName); ok {
		name = s
	} else if truthy(stageName) {
		name = ""
	}
	if stageName == nil || !truthy(stageName) {
		stageName = str("$default", r.keyPos)
	}
	stageID := hashString(r.id+"Stage", name)
	switch {
	case isAlnum(name):
		stageID = r.id + name + "Stage"
	case name == "$default":
		stageID = r.id + "ApiGatewayDefaultStage"
	}
	stagePos := stageName.Pos
	t.emit(r, stageID, resourceNode("AWS::ApiGatewayV2::Stage", stagePos, pass, obj(stagePos,
		"ApiId", ref(r.id, stagePos),
		"StageName", stageName,
		"StageVariables", props.Get("StageVariables"),
		"AccessLogSettings", props.Get("AccessLogSettings"),
		"DefaultRouteSettings", props.Get("DefaultRouteSettings"),
		"Tags", tags,
		"AutoDeploy", boolean(true, stagePos),
		"RouteSettings", props.Get("RouteSettings"),
	)), stagePos)
	t.addDerivedRef(r.id, "Stage", stageID)
	domain, err := t.resolveParams(props.Get("Domain"))
	if err != nil {
		return err
	}
	return t.httpDomain(r, domain, ref(stageID, stagePos), pass, obj(r.keyPos, "httpapi:createdBy", str("SAM", r.keyPos)))
}

func addOpenAPITags(body, tags *source.Node, pos source.Pos) error {
	list := body.Get("tags")
	if list == nil {
		list = &source.Node{Kind: source.Seq, Pos: pos}
	} else if list.Kind != source.Seq {
		return invalidDoc(list.Pos, "Tags in OpenApi DefinitionBody needs to be a list.")
	} else {
		list = shallow(list)
	}
	add := func(name string, value *source.Node, p source.Pos) {
		for i, existing := range itemsOf(list) {
			if n, _ := stringValue(existing.Get("name")); n == name && existing.Kind == source.Map {
				e := shallow(existing)
				set(e, "x-amazon-apigateway-tag-value", value)
				list.Items[i] = e
				return
			}
		}
		list.Items = append(list.Items, obj(p, "name", str(name, p), "x-amazon-apigateway-tag-value", value))
	}
	if tags != nil && tags.Kind == source.Map {
		for _, f := range fieldsOf(tags) {
			add(f.Key, f.Value, f.KeyPos)
		}
	}
	add("httpapi:createdBy", str("SAM", pos), pos)
	set(body, "tags", list)
	return nil
}

var httpCorsKeys = []string{"AllowMethods", "AllowHeaders", "AllowOrigins", "MaxAge", "ExposeHeaders", "AllowCredentials"}

func (t *transformer) addHTTPCors(r *resource, body, cors *source.Node) error {
	if body == nil {
		return t.invalid(r, cors.Pos, "Cors works only with inline OpenApi specified in 'DefinitionBody' property.")
	}
	var origins *source.Node
	var fields *source.Node
	switch {
	case cors.Kind == source.Bool:
		origins = strList(cors.Pos, "*")
	case isIntrinsic(cors):
		origins = cors
	case cors.Kind == source.Map:
		for _, f := range fieldsOf(cors) {
			if !contains(httpCorsKeys, f.Key) {
				return t.invalid(r, f.KeyPos, "Invalid key '%s' for 'Cors' property.", f.Key)
			}
		}
		fields = cors
		origins = cors.Get("AllowOrigins")
	default:
		return t.invalid(r, cors.Pos, "Invalid value for 'Cors' property.")
	}
	if !isOpenAPI(body) {
		return t.invalid(r, body.Pos, "Unable to add Cors configuration because 'DefinitionBody' does not contain a valid OpenApi definition.")
	}
	if isTrue(fields.Get("AllowCredentials")) && equal(origins, strList(cors.Pos, "*")) {
		return t.invalid(r, cors.Pos, "Unable to add Cors configuration because 'AllowCredentials' can not be true when 'AllowOrigin' is \"'*'\" or not set.")
	}
	config := body.Get("x-amazon-apigateway-cors")
	if config == nil {
		config = obj(cors.Pos)
	} else if config.Kind != source.Map {
		return invalidDoc(config.Pos, "Value of 'x-amazon-apigateway-cors' must be a dictionary according to Swagger spec.")
	} else {
		config = shallow(config)
	}
	if truthy(origins) && isIntrinsic(origins) {
		// SAM lower-cases the first letter of each CORS key inside the intrinsic.
		converted := lowerCorsKeys(origins)
		for _, f := range fieldsOf(converted) {
			set(config, f.Key, f.Value)
		}
	} else {
		setIf := func(key string, v *source.Node) {
			if truthy(v) {
				set(config, key, v)
			}
		}
		setIf("allowOrigins", origins)
		setIf("allowHeaders", fields.Get("AllowHeaders"))
		setIf("allowMethods", fields.Get("AllowMethods"))
		setIf("exposeHeaders", fields.Get("ExposeHeaders"))
		if v := fields.Get("MaxAge"); v != nil && v.Kind != source.Null {
			set(config, "maxAge", v)
		}
		if v := fields.Get("AllowCredentials"); isTrue(v) {
			set(config, "allowCredentials", v)
		}
	}
	set(body, "x-amazon-apigateway-cors", config)
	return nil
}

func lowerCorsKeys(n *source.Node) *source.Node {
	raw, _ := json.Marshal(nodeToAny(n))
	text := string(raw)
	for _, k := range []string{"allowOrigins", "allowHeaders", "allowMethods", "exposeHeaders", "maxAge", "allowCredentials"} {
		text = strings.ReplaceAll(text, strings.ToUpper(k[:1])+k[1:], k)
	}
	doc, err := source.Parse("", []byte(text), source.Limits{})
	if err != nil {
		return n
	}
	return withPos(doc.Root, n.Pos)
}

// nodeToAny converts a tree to plain Go values (used for small rewrites).
func nodeToAny(n *source.Node) any {
	switch n.Kind {
	case source.Map:
		m := make(map[string]any, len(n.Fields))
		for _, f := range fieldsOf(n) {
			m[f.Key] = nodeToAny(f.Value)
		}
		return m
	case source.Seq:
		l := make([]any, len(n.Items))
		for i, it := range itemsOf(n) {
			l[i] = nodeToAny(it)
		}
		return l
	case source.Bool:
		return truthy(n)
	case source.Null:
		return nil
	case source.Number:
		return json.Number(n.Value)
	}
	return n.Value
}

var httpAuthKeys = []string{"Authorizers", "DefaultAuthorizer", "EnableIamAuthorizer"}

func (t *transformer) addHTTPAuth(r *resource, body, auth *source.Node) error {
	if body == nil {
		return t.invalid(r, auth.Pos, "Auth works only with inline OpenApi specified in the 'DefinitionBody' property.")
	}
	if auth.Kind != source.Map {
		return t.invalid(r, auth.Pos, "Property 'Auth' should be a map.")
	}
	for _, f := range fieldsOf(auth) {
		if !contains(httpAuthKeys, f.Key) {
			return t.invalid(r, f.KeyPos, "Invalid value for 'Auth' property")
		}
	}
	if !isOpenAPI(body) {
		return t.invalid(r, body.Pos, "Unable to add Auth configuration because 'DefinitionBody' does not contain a valid OpenApi definition.")
	}
	authorizers, err := t.httpAuthorizers(r, auth)
	if err != nil {
		return err
	}
	if len(authorizers) > 0 {
		components := body.Get("components")
		if !truthy(components) || components.Kind != source.Map {
			components = obj(auth.Pos)
			set(body, "components", components)
		}
		schemes := components.Get("securitySchemes")
		if !truthy(schemes) || schemes.Kind != source.Map {
			schemes = obj(auth.Pos)
			set(components, "securitySchemes", schemes)
		}
		for _, a := range authorizers {
			def, err := t.httpAuthorizerOpenAPI(r, a)
			if err != nil {
				return err
			}
			set(schemes, a.name, def)
		}
	}
	def := auth.Get("DefaultAuthorizer")
	if !truthy(def) || isNoValue(def) {
		return nil
	}
	name, ok := stringValue(def)
	if !ok {
		return t.invalid(r, def.Pos, "Property 'Auth.DefaultAuthorizer' should be a string.")
	}
	var chosen *httpAuthorizer
	for _, a := range authorizers {
		if a.name == name {
			chosen = a
		}
	}
	if chosen == nil {
		return t.invalid(r, def.Pos, "Unable to set DefaultAuthorizer because '%s' was not defined in 'Authorizers'.", name)
	}
	ed := &editor{t: t, doc: body}
	for _, f := range ed.paths().Fields {
		items, err := branches(f.Value)
		if err != nil {
			return err
		}
		for _, item := range items {
			if item == nil || item.Kind != source.Map {
				return pathItemError(f.Key, f.Value.Pos)
			}
			for _, m := range fieldsOf(item) {
				norm := normalizeMethod(m.Key)
				if norm == "parameters" || norm == "options" {
					continue
				}
				if item.Get(norm) == nil {
					return invalidDoc(m.KeyPos, "Could not find %s in %s within DefinitionBody.", norm, f.Key)
				}
				defs, err := branches(m.Value)
				if err != nil {
					return err
				}
				for _, d := range defs {
					if d == nil || d.Kind != source.Map {
						return methodError(m.Key, f.Key, m.Value.Pos)
					}
					if !truthy(d.Get(xIntegration)) || truthy(d.Get("security")) {
						continue
					}
					scopes := list(def.Pos)
					if s := chosen.def.Get("AuthorizationScopes"); s != nil && s.Kind != source.Null {
						scopes = s
					}
					set(d, "security", list(def.Pos, obj(def.Pos, name, scopes)))
				}
			}
		}
	}
	return nil
}
