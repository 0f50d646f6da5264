package sam

import (
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/bulwark-sec/bulwark/internal/source"
)

var (
	trailingSlash           = regexp.MustCompile(`^(.+)/$`)
	supportedOpenAPIVersion = regexp.MustCompile(`^[2-3](\.\d)(\.\d)?$`)
	statusCode              = regexp.MustCompile(`^[0-9]{1,3}$`)
)

// restAPIEvent handles an Api event: the permission API Gateway needs to call
// the function, and, on APIs whose definition SAM builds, the route with its
// Lambda proxy integration and authorization.
func (t *transformer) restAPIEvent(b *functionBuild, ev *event, pass []source.Field) error {
	r := b.r
	apiIDNode := apiIDString(ev.prop("RestApiId"))
	apiID, ok := stringValue(apiIDNode)
	if !ok {
		return t.invalidEvent(r, ev, ev.propPos("RestApiId"), "Property 'RestApiId' should be a string.")
	}
	api := t.byID[apiID]
	if api == nil {
		return t.invalidEvent(r, ev, ev.propPos("RestApiId"), "RestApiId property of Api event must reference a valid resource in the same template.")
	}
	apiProps := api.props
	if apiProps == nil {
		apiProps = api.node.Get("Properties")
		if apiProps == nil {
			apiProps = obj(api.node.Pos)
		}
		if apiProps.Kind != source.Map {
			return t.invalid(api, apiProps.Pos, "Attribute 'Properties' should be a map.")
		}
	}
	suffix := "Stage"
	if s, ok := stringValue(apiProps.Get("StageName")); ok {
		if s == "" {
			return t.invalid(api, apiProps.Get("StageName").Pos, "StageName cannot be empty.")
		}
		suffix = s
	}
	pathNode := ev.prop("Path")
	path, okPath := stringValue(pathNode)
	method, okMethod := stringValue(ev.prop("Method"))
	if !okPath || !okMethod {
		return t.invalidEvent(r, ev, ev.keyPos, "Properties 'Path' and 'Method' should be strings.")
	}
	method = strings.ToLower(method)

	permPath := restPermissionPath(trailingSlash.ReplaceAllString(path, "$1"))
	permMethod := strings.ToUpper(method)
	if method == "any" {
		permMethod = "*"
	}
	sourceArn := fnSubVars("arn:"+t.partition+":execute-api:${AWS::Region}:${AWS::AccountId}:${__ApiId__}/${__Stage__}/"+permMethod+permPath,
		pathNode.Pos, "__ApiId__", ev.prop("RestApiId"), "__Stage__", str("*", pathNode.Pos))
	t.permission(r, ev.logicalID, suffix, b.target, pathNode.Pos, pass, "apigateway.amazonaws.com", sourceArn, nil, nil)

	if api.props == nil {
		return nil
	}
	if api.managed || isTrue(apiProps.Get("MergeDefinitions")) {
		if err := t.addLambdaIntegration(b, ev, api, path, method); err != nil {
			return err
		}
	}
	if auth := ev.prop("Auth"); truthy(auth) && truthy(auth.Get("OverrideApiAuth")) && truthy(apiProps.Get("DefinitionBody")) {
		if !(truthy(auth.Get("Authorizer")) || truthy(auth.Get("ApiKeyRequired")) || truthy(auth.Get("ResourcePolicy"))) {
			return t.invalidEvent(r, ev, auth.Pos, "Must define one of: Authorizer, ApiKeyRequired or ResourcePolicy when using the OverrideApiAuth property.")
		}
		body := t.ownBody(api)
		if body == nil || !isSwagger(body) {
			return invalidDoc(apiProps.Get("DefinitionBody").Pos, "Invalid Swagger document or the Swagger document is not explicitly defined in 'DefinitionBody'.")
		}
		ed := &editor{t: t, doc: body}
		if err := ed.validatePaths(); err != nil {
			return err
		}
		if err := t.addEventAuth(r, ev, api, ed, path, method, str(suffix, ev.keyPos)); err != nil {
			return err
		}
	}
	return nil
}

// integrationURI is the invocation ARN API Gateway calls for a function.
func (t *transformer) integrationURI(target functionTarget, partition string, streaming bool, pos source.Pos) *source.Node {
	version, suffix := "2015-03-31", "/invocations"
	if streaming {
		version, suffix = "2021-11-15", "/response-streaming-invocations"
	}
	arn := target.arn(pos)
	return fnSub("arn:"+partition+":apigateway:${AWS::Region}:lambda:path/"+version+"/functions/"+shorthand(arn)+suffix, pos)
}

func (t *transformer) addLambdaIntegration(b *functionBuild, ev *event, api *resource, path, method string) error {
	r := b.r
	merge := isTrue(api.props.Get("MergeDefinitions")) && !api.managed
	var doc *source.Node
	if merge {
		doc = swaggerSkeleton(ev.keyPos)
	} else {
		doc = t.ownBody(api)
		if doc == nil {
			return nil
		}
	}
	if !isSwagger(doc) {
		return invalidDoc(posOf(doc), "Invalid Swagger document or the Swagger document is not explicitly defined in 'DefinitionBody'.")
	}
	ed := &editor{t: t, doc: doc}
	if !t.validBodies[doc] {
		if err := ed.validatePaths(); err != nil {
			return err
		}
		if t.validBodies == nil {
			t.validBodies = map[*source.Node]bool{}
		}
		t.validBodies[doc] = true
	}
	pathNode := ev.prop("Path")
	has, err := ed.hasIntegration(path, method)
	if err != nil {
		return err
	}
	if has {
		return t.invalidEvent(r, ev, pathNode.Pos, "API method \"%s\" defined multiple times for path \"%s\".", method, path)
	}
	methodAuth := ev.prop("Auth")
	if methodAuth != nil && methodAuth.Kind != source.Map {
		return t.invalidEvent(r, ev, methodAuth.Pos, "Property 'Auth' should be a map.")
	}
	apiAuth := api.props.Get("Auth")
	if apiAuth != nil && apiAuth.Kind != source.Map && truthy(apiAuth) {
		return t.invalid(api, apiAuth.Pos, "Property 'Auth' should be a map.")
	}
	mode, _ := stringValue(ev.prop("ResponseTransferMode"))
	uri := t.integrationURI(b.target, t.partition, mode == "RESPONSE_STREAM", pathNode.Pos)
	cond := r.condition()
	if err := ed.addPath(path, method, pathNode.Pos); err != nil {
		return err
	}
	if cond != "" {
		uri = fnIf(cond, uri, noValue(pathNode.Pos), pathNode.Pos)
	}
	norm := normalizeMethod(method)
	items, err := branches(ed.paths().Get(path))
	if err != nil {
		return err
	}
	for _, item := range items {
		if item == nil || item.Kind != source.Map {
			return pathItemError(path, pathNode.Pos)
		}
		op := item.Get(norm)
		if op == nil || op.Kind != source.Map {
			return methodError(norm, path, pathNode.Pos)
		}
		integration := obj(pathNode.Pos, "type", str("aws_proxy", pathNode.Pos), "httpMethod", str("POST", pathNode.Pos), "uri", uri)
		if mode == "RESPONSE_STREAM" {
			set(integration, "responseTransferMode", str("STREAM", pathNode.Pos))
		}
		authorizer, _ := stringValue(methodAuth.Get("Authorizer"))
		defaultAuthorizer, _ := stringValue(apiAuth.Get("DefaultAuthorizer"))
		if authorizer == "AWS_IAM" || (defaultAuthorizer == "AWS_IAM" && !truthy(methodAuth)) {
			if creds := t.iamCredentials(methodAuth, apiAuth, pathNode.Pos); creds != nil {
				set(integration, "credentials", creds)
			}
		}
		set(op, xIntegration, integration)
		if op.Get("responses") == nil {
			set(op, "responses", obj(pathNode.Pos))
		}
		if cond != "" {
			set(item, norm, fnIf(cond, op, noValue(pathNode.Pos), pathNode.Pos))
		}
	}
	if truthy(methodAuth) {
		if err := t.addEventAuth(r, ev, api, ed, path, method, str(stageSuffix(api), ev.keyPos)); err != nil {
			return err
		}
	}
	if timeout := ev.prop("TimeoutInMillis"); truthy(timeout) {
		ops, err := ed.operations(path, method, true)
		if err != nil {
			return err
		}
		for _, op := range ops {
			set(op.Get(xIntegration), "timeoutInMillis", timeout)
		}
	}
	if err := t.addRequestModel(b, ev, api, ed, path, method); err != nil {
		return err
	}
	if err := t.addRequestParameters(b, ev, ed, path, method); err != nil {
		return err
	}
	if merge {
		return t.mergeDefinition(api, ed, path, method, pathNode.Pos)
	}
	return nil
}

func stageSuffix(api *resource) string {
	if s, ok := stringValue(api.props.Get("StageName")); ok {
		return s
	}
	return "Stage"
}

// iamCredentials is the integration role for AWS_IAM-authorized methods: the
// InvokeRole given, or the caller's own credentials.
func (t *transformer) iamCredentials(methodAuth, apiAuth *source.Node, pos source.Pos) *source.Node {
	role := func(auth *source.Node) *source.Node {
		f, ok := auth.Field("InvokeRole")
		if !ok {
			return nil
		}
		if !truthy(f.Value) {
			return str("NONE", f.Value.Pos)
		}
		return f.Value
	}
	creds := role(methodAuth)
	if !truthy(creds) {
		creds = role(apiAuth)
	}
	if s, _ := stringValue(creds); creds == nil || s == "CALLER_CREDENTIALS" {
		return str("arn:"+t.partition+":iam::*:user/*", posOr(creds, pos))
	}
	if s, _ := stringValue(creds); s == "NONE" {
		return nil
	}
	return creds
}

// mergeDefinition copies the operation SAM generated into the API's own
// DefinitionBody (MergeDefinitions: true), SAM's keys winning.
func (t *transformer) mergeDefinition(api *resource, ed *editor, path, method string, pos source.Pos) error {
	body := t.ownBody(api)
	if body == nil {
		return nil
	}
	paths := body.Get("paths")
	if !truthy(paths) {
		// SAM merges into a detached map when the definition has no paths,
		// so the generated route is dropped; the output follows SAM.
		return nil
	}
	if paths.Kind != source.Map {
		return t.invalid(api, paths.Pos, "Property 'DefinitionBody' is invalid: The value of 'paths' should be a map")
	}
	var existing *source.Node
	if item := paths.Get(path); item != nil {
		if item.Kind != source.Map {
			return t.invalid(api, item.Pos, "Property 'DefinitionBody' is invalid: The value of '%s' should be a map", path)
		}
		existing = item.Get(method)
	}
	if existing != nil && existing.Kind != source.Map {
		return t.invalid(api, existing.Pos, "Property 'DefinitionBody.paths.%s.%s' should be a map.", path, method)
	}
	generated := ed.paths().Get(path).Get(normalizeMethod(method))
	merged := obj(pos)
	if existing != nil {
		merged = shallow(existing)
	}
	for _, f := range fieldsOf(generated) {
		set(merged, f.Key, f.Value)
	}
	item := paths.Get(path)
	if item == nil {
		item = obj(pos)
		set(paths, path, item)
	}
	set(item, method, merged)
	return nil
}

func (t *transformer) addRequestModel(b *functionBuild, ev *event, api *resource, ed *editor, path, method string) error {
	r := b.r
	model := ev.prop("RequestModel")
	if !truthy(model) {
		return nil
	}
	if model.Kind != source.Map {
		return t.invalidEvent(r, ev, model.Pos, "Property 'RequestModel' should be a map.")
	}
	name := model.Get("Model")
	if !truthy(name) {
		return nil
	}
	prefix := "Unable to set RequestModel [" + pyStr(name) + "] on API method [" + method + "] for path [" + path + "] "
	models := api.props.Get("Models")
	switch {
	case !truthy(models):
		return t.invalidEvent(r, ev, name.Pos, "%sbecause the related API does not define any Models.", prefix)
	case !isIntrinsic(models) && models.Kind != source.Map:
		return t.invalidEvent(r, ev, name.Pos, "%sbecause the related API Models defined is of invalid type.", prefix)
	case name.Kind != source.String:
		return t.invalidEvent(r, ev, name.Pos, "%sbecause the related API does not contain valid Models.", prefix)
	case !truthy(models.Get(name.Value)):
		return t.invalidEvent(r, ev, name.Pos, "%sbecause it wasn't defined in the API's Models.", prefix)
	}
	lower := strings.ToLower(name.Value)
	ops, err := ed.operations(path, method, true)
	if err != nil {
		return err
	}
	for _, op := range ops {
		if ed.doc.Get("swagger") != nil {
			params := op.Get("parameters")
			var items []*source.Node
			if params != nil && params.Kind == source.Seq {
				items = params.Items
			}
			param := obj(name.Pos, "in", str("body", name.Pos), "name", str(lower, name.Pos),
				"schema", obj(name.Pos, "$ref", str("#/definitions/"+lower, name.Pos)), "required", model.Get("Required"))
			set(op, "parameters", list(name.Pos, append(append([]*source.Node(nil), items...), param)...))
		} else if v, ok := ed.doc.Get("openapi").Str(); ok && openAPI3.MatchString(v) {
			body := obj(name.Pos, "content", obj(name.Pos, "application/json", obj(name.Pos, "schema",
				obj(name.Pos, "$ref", str("#/components/schemas/"+lower, name.Pos)))), "required", model.Get("Required"))
			set(op, "requestBody", body)
		}
	}
	vb, vp := model.Get("ValidateBody"), model.Get("ValidateParameters")
	if vb == nil && vp == nil {
		return nil
	}
	if (vb != nil && vb.Kind != source.Bool) || (vp != nil && vp.Kind != source.Bool) {
		return t.invalidEvent(r, ev, model.Pos, "Unable to set Validator to RequestModel [%s] on API method [%s] for path [%s] ValidateBody and ValidateParameters must be a boolean type, strings or intrinsics are not supported.", name.Value, method, path)
	}
	body, params := truthy(vb), truthy(vp)
	validator := map[[2]bool]string{{true, true}: "body-and-params", {true, false}: "body-only", {false, true}: "params-only", {false, false}: "no-validation"}[[2]bool{body, params}]
	validators := ed.doc.Get("x-amazon-apigateway-request-validators")
	if !truthy(validators) {
		validators = obj(model.Pos)
		set(ed.doc, "x-amazon-apigateway-request-validators", validators)
	}
	if validators.Get(validator) == nil {
		set(validators, validator, obj(model.Pos, "validateRequestBody", boolean(body, model.Pos), "validateRequestParameters", boolean(params, model.Pos)))
	}
	for _, op := range ops {
		set(op, "x-amazon-apigateway-request-validator", str(validator, model.Pos))
	}
	return nil
}

var requestParameterName = regexp.MustCompile(`^method\.request\.(querystring|path|header)\.`)

func (t *transformer) addRequestParameters(b *functionBuild, ev *event, ed *editor, path, method string) error {
	r := b.r
	params := ev.prop("RequestParameters")
	if !truthy(params) {
		return nil
	}
	type setting struct {
		name              string
		pos               source.Pos
		required, caching *source.Node
	}
	var settings []setting
	for _, p := range itemsOf(params) {
		s := setting{pos: p.Pos}
		switch p.Kind {
		case source.Map:
			if len(p.Fields) == 0 {
				return t.invalidEvent(r, ev, p.Pos, "Invalid value for 'RequestParameters' property. Property must be either a string or an object")
			}
			s.name = p.Fields[0].Key
			v := p.Fields[0].Value
			if v.Kind != source.Map {
				return t.invalidEvent(r, ev, v.Pos, "Invalid value for 'RequestParameters' property. Values must be an object, e.g { Required: true, Caching: false }")
			}
			for _, f := range fieldsOf(v) {
				if f.Key != "Required" && f.Key != "Caching" {
					return t.invalidEvent(r, ev, v.Pos, "Invalid value for 'RequestParameters' property. Values must be an object, e.g { Required: true, Caching: false }")
				}
			}
			s.required, s.caching = v.Get("Required"), v.Get("Caching")
		case source.String:
			s.name = p.Value
		default:
			return t.invalidEvent(r, ev, p.Pos, "Invalid value for 'RequestParameters' property. Property must be either a string or an object")
		}
		if !requestParameterName.MatchString(s.name) {
			return t.invalidEvent(r, ev, p.Pos, "Invalid value for 'RequestParameters' property. Keys must be in the format 'method.request.[querystring|path|header].{value}', e.g 'method.request.header.Authorization'.")
		}
		if s.required == nil {
			s.required = boolean(false, p.Pos)
		}
		if s.caching == nil {
			s.caching = boolean(false, p.Pos)
		}
		settings = append(settings, s)
	}
	ops, err := ed.operations(path, method, true)
	if err != nil {
		return err
	}
	for _, op := range ops {
		existing := op.Get("parameters")
		out := list(params.Pos)
		if existing != nil && existing.Kind == source.Seq {
			out.Items = append(out.Items, existing.Items...)
		}
		for _, s := range settings {
			location, name, _ := strings.Cut(strings.TrimPrefix(s.name, "method.request."), ".")
			if location == "querystring" {
				location = "query"
			}
			out.Items = append(out.Items, obj(s.pos, "in", str(location, s.pos), "name", str(name, s.pos),
				"required", s.required, "type", str("string", s.pos)))
			if truthy(s.caching) {
				integration := op.Get(xIntegration)
				keys := integration.Get("cacheKeyParameters")
				nk := list(s.pos)
				if keys != nil && keys.Kind == source.Seq {
					nk.Items = append(nk.Items, keys.Items...)
				}
				nk.Items = append(nk.Items, str(s.name, s.pos))
				set(integration, "cacheKeyParameters", nk)
			}
		}
		set(op, "parameters", out)
	}
	return nil
}

// restAPIAuthKeys are the keys SAM accepts in an Api's Auth.
var restAPIAuthKeys = []string{"Authorizers", "DefaultAuthorizer", "InvokeRole", "AddDefaultAuthorizerToCorsPreflight",
	"AddApiKeyRequiredToCorsPreflight", "ApiKeyRequired", "ResourcePolicy", "UsagePlan"}

// transformAPI expands an AWS::Serverless::Api into the RestApi with its
// Swagger body (CORS, authorizers, default authorization, API keys, resource
// policy), a Deployment, a Stage, authorizer permissions, usage plans and
// custom domains.
func (t *transformer) transformAPI(r *resource) error {
	if err := t.checkProps(resourceWhere(r.id), r.props, resourceProps[typeAPI], r.typ, "the resource"); err != nil {
		return err
	}
	props := r.props
	body := props.Get("DefinitionBody")
	uri := props.Get("DefinitionUri")
	if truthy(uri) && truthy(body) {
		return t.invalid(r, uri.Pos, "Specify either 'DefinitionUri' or 'DefinitionBody' property and not both.")
	}
	if truthy(uri) && isTrue(props.Get("MergeDefinitions")) {
		return t.invalid(r, props.Get("MergeDefinitions").Pos, "Cannot set 'MergeDefinitions' to True when using `DefinitionUri`.")
	}
	openAPIVersion := props.Get("OpenApiVersion")
	if truthy(openAPIVersion) {
		v, _ := openAPIVersion.Str()
		if !supportedOpenAPIVersion.MatchString(v) {
			return t.invalid(r, openAPIVersion.Pos, "The OpenApiVersion value must be of the format '3.0.0'.")
		}
	}
	auth, err := t.resolveParams(props.Get("Auth"))
	if err != nil {
		return err
	}
	if auth != nil && auth.Kind == source.Null {
		auth = nil
	}
	rest := obj(props.Pos)
	if v, err := t.resolveParams(props.Get("BinaryMediaTypes")); err != nil {
		return err
	} else if v != nil {
		set(rest, "BinaryMediaTypes", v)
	}
	if v := props.Get("MinimumCompressionSize"); v != nil {
		set(rest, "MinimumCompressionSize", v)
	}
	if ec := props.Get("EndpointConfiguration"); truthy(ec) {
		if err := t.endpointConfiguration(r, rest, ec); err != nil {
			return err
		}
	}
	if truthy(body) && body.Kind == source.Map {
		body = t.ownBody(r)
	}
	if err := t.addRESTCors(r, body); err != nil {
		return err
	}
	if err := t.addRESTAuth(r, body, auth, openAPIVersion); err != nil {
		return err
	}
	if err := t.addGatewayResponses(r, body); err != nil {
		return err
	}
	if bmt := rest.Get("BinaryMediaTypes"); truthy(bmt) && truthy(body) {
		set(body, "x-amazon-apigateway-binary-media-types", tildeToSlash(bmt))
	}
	if err := t.addModels(r, body, openAPIVersion); err != nil {
		return err
	}
	if v := props.Get("FailOnWarnings"); truthy(v) {
		set(rest, "FailOnWarnings", v)
	}
	if v := props.Get("DisableExecuteApiEndpoint"); v != nil && v.Kind != source.Null {
		if !truthy(body) {
			return t.invalid(r, v.Pos, "DisableExecuteApiEndpoint works only within 'DefinitionBody' property.")
		}
		if err := disableExecuteEndpoint(body, v, true); err != nil {
			return err
		}
	}
	switch {
	case truthy(uri):
		loc, err := t.s3Location(r, uri, "DefinitionUri", "Bucket", "Key", "Version")
		if err != nil {
			return err
		}
		set(rest, "BodyS3Location", loc)
	case truthy(body):
		if err := openAPIPostprocess(body, openAPIVersion); err != nil {
			return err
		}
		set(rest, "Body", body)
	}
	for _, name := range []string{"Name", "Description", "Mode", "ApiKeySourceType", "Policy", "SecurityPolicy", "EndpointAccessMode"} {
		if v := props.Get(name); truthy(v) {
			set(rest, name, v)
		}
	}
	t.emit(r, r.id, resourceNode("AWS::ApiGateway::RestApi", r.keyPos, mainAttrs(r), rest), r.keyPos)

	pass := passthroughAttrs(r)
	deploymentID, stageID := t.restDeploymentAndStage(r, rest, pass, openAPIVersion)
	t.addDerivedRef(r.id, "Stage", stageID)
	t.addDerivedRef(r.id, "Deployment", deploymentID)
	if err := t.authorizerPermissions(r, auth, pass); err != nil {
		return err
	}
	if err := t.usagePlan(r, auth, stageID, pass); err != nil {
		return err
	}
	if err := t.restDomain(r, pass); err != nil {
		return err
	}
	t.propagateTags(r, props.Get("Tags"), props.Get("PropagateTags"))
	return nil
}

func tildeToSlash(n *source.Node) *source.Node {
	switch n.Kind {
	case source.String:
		return str(strings.ReplaceAll(n.Value, "~1", "/"), n.Pos)
	case source.Seq:
		out := list(n.Pos)
		for _, it := range itemsOf(n) {
			out.Items = append(out.Items, tildeToSlash(it))
		}
		return out
	case source.Map:
		out := obj(n.Pos)
		for _, f := range fieldsOf(n) {
			out.Fields = append(out.Fields, source.Field{Key: strings.ReplaceAll(f.Key, "~1", "/"), KeyPos: f.KeyPos, Value: tildeToSlash(f.Value)})
		}
		return out
	}
	return n
}

func (t *transformer) endpointConfiguration(r *resource, rest, ec *source.Node) error {
	pos := ec.Pos
	if ec.Kind == source.Map && truthy(ec.Get("Type")) {
		typ := ec.Get("Type")
		set(rest, "Parameters", obj(pos, "endpointConfigurationTypes", typ))
		cfg := obj(pos, "Types", list(pos, typ))
		a, b := ec.Get("VPCEndpointIds"), ec.Get("VpcEndpointIds")
		if a != nil && b != nil {
			return t.invalid(r, pos, "'VPCEndpointIds' and 'VpcEndpointIds' cannot be used together in EndpointConfiguration.")
		}
		if a != nil || b != nil {
			ids := a
			if !truthy(ids) {
				ids = b
			}
			set(cfg, "VpcEndpointIds", ids)
		}
		if v := ec.Get("IpAddressType"); v != nil {
			set(cfg, "IpAddressType", v)
		}
		set(rest, "EndpointConfiguration", cfg)
		return nil
	}
	set(rest, "EndpointConfiguration", obj(pos, "Types", list(pos, ec)))
	set(rest, "Parameters", obj(pos, "endpointConfigurationTypes", ec))
	return nil
}

// addRESTAuth writes the API's authorizers into the Swagger and applies the
// default authorizer, API key requirement and resource policy to every path.
func (t *transformer) addRESTAuth(r *resource, body, auth, openAPIVersion *source.Node) error {
	if !truthy(auth) {
		return nil
	}
	if !truthy(body) {
		return t.invalid(r, auth.Pos, "Auth works only with inline Swagger specified in 'DefinitionBody' property.")
	}
	if auth.Kind != source.Map {
		return t.invalid(r, auth.Pos, "Property 'Auth' should be a map.")
	}
	for _, f := range fieldsOf(auth) {
		if !contains(restAPIAuthKeys, f.Key) {
			return t.invalid(r, f.KeyPos, "Invalid value for 'Auth' property")
		}
	}
	if !isSwagger(body) {
		return t.invalid(r, body.Pos, "Unable to add Auth configuration because 'DefinitionBody' does not contain a valid Swagger definition.")
	}
	ed := &editor{t: t, doc: body}
	if err := ed.validatePaths(); err != nil {
		return err
	}
	authorizers, err := t.restAuthorizers(r, auth, true)
	if err != nil {
		return err
	}
	if len(authorizers) > 0 {
		defs := body.Get("securityDefinitions")
		if !truthy(defs) || defs.Kind != source.Map {
			defs = obj(auth.Pos)
			set(body, "securityDefinitions", defs)
		}
		for _, a := range authorizers {
			def, err := t.restAuthorizerSwagger(r, a)
			if err != nil {
				return err
			}
			set(defs, a.name, def)
		}
		if def := auth.Get("DefaultAuthorizer"); truthy(def) {
			name, ok := stringValue(def)
			if !ok {
				return t.invalid(r, def.Pos, "DefaultAuthorizer is not a string.")
			}
			if findAuthorizer(authorizers, name) == nil && name != "AWS_IAM" {
				return t.invalid(r, def.Pos, "Unable to set DefaultAuthorizer because '%s' was not defined in 'Authorizers'.", name)
			}
			preflight := true
			if v := auth.Get("AddDefaultAuthorizerToCorsPreflight"); v != nil && v.Kind != source.Null {
				preflight = truthy(v)
			}
			for _, f := range ed.paths().Fields {
				if err := ed.setPathDefaultAuthorizer(f.Key, name, def.Pos, authorizers, preflight); err != nil {
					return err
				}
			}
		}
	} else if def := auth.Get("DefaultAuthorizer"); truthy(def) && def.Kind != source.String {
		return t.invalid(r, def.Pos, "DefaultAuthorizer is not a string.")
	}
	if req := auth.Get("ApiKeyRequired"); truthy(req) {
		if err := addAPIKeySecurityDefinition(body, req.Pos); err != nil {
			return err
		}
		preflight := true
		if v := auth.Get("AddApiKeyRequiredToCorsPreflight"); v != nil && v.Kind != source.Null {
			preflight = truthy(v)
		}
		for _, f := range ed.paths().Fields {
			if err := ed.setPathDefaultAPIKey(f.Key, preflight, req.Pos); err != nil {
				return err
			}
		}
	}
	if rp := auth.Get("ResourcePolicy"); truthy(rp) {
		if rp.Kind != source.Map {
			return invalidDoc(rp.Pos, "ResourcePolicy must be a map (ResourcePolicyStatement).")
		}
		stage := r.props.Get("StageName")
		for _, f := range ed.paths().Fields {
			if err := ed.addResourcePolicy(t, rp, f.Key, stage); err != nil {
				return err
			}
		}
		if cs := rp.Get("CustomStatements"); truthy(cs) {
			ed.addCustomStatements(cs)
		}
	}
	return openAPIPostprocess(body, openAPIVersion)
}

// openAPIPostprocess moves Swagger sections to their OpenAPI 3 places when
// the API is OpenAPI 3, as SAM does after editing.
func openAPIPostprocess(body, openAPIVersion *source.Node) error {
	if body.Get("swagger") != nil {
		return nil
	}
	version := openAPIVersion
	if body.Get("openapi") != nil && !truthy(openAPIVersion) {
		version = body.Get("openapi")
	}
	v, _ := version.Str()
	if !truthy(version) || !openAPI3.MatchString(v) {
		return nil
	}
	moveTo := func(from, to string) {
		section := body.Get(from)
		if !truthy(section) {
			return
		}
		components := body.Get("components")
		if !truthy(components) || components.Kind != source.Map {
			components = obj(section.Pos)
			set(body, "components", components)
		}
		set(components, to, section)
		body.Delete(from)
	}
	moveTo("securityDefinitions", "securitySchemes")
	moveTo("definitions", "schemas")
	paths := body.Get("paths")
	if !truthy(paths) {
		return nil
	}
	if paths.Kind != source.Map {
		return invalidDoc(paths.Pos, "Value of paths must be a dictionary according to Swagger spec.")
	}
	for _, f := range fieldsOf(paths) {
		if f.Value.Kind != source.Map {
			return pathItemError(f.Key, f.Value.Pos)
		}
		options := f.Value.Get("options")
		if !truthy(options) {
			continue
		}
		if options.Kind != source.Map {
			return invalidDoc(options.Pos, "Value of options method for path %s must be a dictionary according to Swagger spec.", f.Key)
		}
		options.Delete("produces")
		options.Delete("consumes")
		responses := options.Get("responses")
		if responses == nil {
			continue
		}
		if responses.Kind != source.Map {
			return invalidDoc(responses.Pos, "Invalid responses in options method for path %s: The value of 'responses' should be a map.", f.Key)
		}
		ok200 := responses.Get("200")
		if ok200 != nil && ok200.Kind != source.Map {
			return invalidDoc(ok200.Pos, "Invalid responses in options method for path %s: The value of '200' should be a map.", f.Key)
		}
		headers := ok200.Get("headers")
		if !truthy(headers) {
			continue
		}
		if headers.Kind != source.Map {
			return invalidDoc(headers.Pos, "Value of response's headers in options method for path %s must be a dictionary according to Swagger spec.", f.Key)
		}
		for i, h := range fieldsOf(headers) {
			headers.Fields[i].Value = obj(h.Value.Pos, "schema", h.Value)
		}
	}
	return nil
}

// disableExecuteEndpoint records DisableExecuteApiEndpoint in the definition.
func disableExecuteEndpoint(body, v *source.Node, rest bool) error {
	setFlag := func(config *source.Node) error {
		if config.Kind != source.Map {
			return invalidDoc(config.Pos, "Invalid OpenAPI definition of 'servers': the value should be a map.")
		}
		ext := config.Get("x-amazon-apigateway-endpoint-configuration")
		if ext == nil {
			ext = obj(v.Pos)
			set(config, "x-amazon-apigateway-endpoint-configuration", ext)
		}
		if ext.Kind != source.Map {
			return invalidDoc(ext.Pos, "Invalid OpenAPI definition: the value of 'x-amazon-apigateway-endpoint-configuration' should be a map.")
		}
		set(ext, "disableExecuteApiEndpoint", v)
		return nil
	}
	openapi, _ := body.Get("openapi").Str()
	if !rest || (truthy(body.Get("openapi")) && openAPI3.MatchString(openapi)) {
		servers := body.Get("servers")
		if servers == nil {
			servers = list(v.Pos, obj(v.Pos))
			set(body, "servers", servers)
		}
		if servers.Kind != source.Seq {
			return invalidDoc(servers.Pos, "Value of 'servers' item must be a dictionary according to Swagger spec.")
		}
		for _, s := range itemsOf(servers) {
			if err := setFlag(s); err != nil {
				return err
			}
		}
		return nil
	}
	return setFlag(body)
}

// restDeploymentAndStage adds the Deployment and Stage; the deployment's ID
// carries a hash of the definition so that changes redeploy.
func (t *transformer) restDeploymentAndStage(r *resource, rest *source.Node, pass []source.Field, openAPIVersion *source.Node) (string, string) {
	props := r.props
	pos := r.keyPos
	deployment := obj(pos, "RestApiId", ref(r.id, pos))
	if !truthy(openAPIVersion) {
		set(deployment, "StageName", str("Stage", pos))
	}
	deploymentID := r.id + "Deployment"
	swagger := rest.Get("Body")
	if swagger == nil {
		swagger = rest.Get("BodyS3Location")
	}
	if truthy(swagger) {
		var b strings.Builder
		writePyJSON(&b, swagger)
		if truthy(openAPIVersion) {
			v, _ := openAPIVersion.Str()
			b.WriteString("||" + v)
		}
		data := b.String()
		digest := hashString("", data)
		full := sha1Hex(data)
		deploymentID += digest
		deployment = obj(pos, "Description", str("RestApi deployment id: "+full, pos), "RestApiId", ref(r.id, pos), "StageName", deployment.Get("StageName"))
	}
	t.emit(r, deploymentID, resourceNode("AWS::ApiGateway::Deployment", pos, pass, deployment), pos)

	stageName := props.Get("StageName")
	prefix, _ := stringValue(stageName)
	stageID := r.id + prefix + "Stage"
	if !isAlnum(prefix) {
		stageID = hashString(r.id+"Stage", prefix)
	}
	var tags *source.Node
	if v := props.Get("Tags"); v != nil && v.Kind != source.Null {
		tags = tagList(v.Pos, "", v)
	}
	stagePos := posOr(stageName, pos)
	t.emit(r, stageID, resourceNode("AWS::ApiGateway::Stage", stagePos, pass, obj(stagePos,
		"RestApiId", ref(r.id, stagePos),
		"DeploymentId", ref(deploymentID, stagePos),
		"StageName", stageName,
		"CacheClusterEnabled", props.Get("CacheClusterEnabled"),
		"CacheClusterSize", props.Get("CacheClusterSize"),
		"Variables", props.Get("Variables"),
		"MethodSettings", props.Get("MethodSettings"),
		"AccessLogSetting", props.Get("AccessLogSetting"),
		"CanarySetting", props.Get("CanarySetting"),
		"TracingEnabled", props.Get("TracingEnabled"),
		"Tags", tags,
	)), stagePos)
	return deploymentID, stageID
}

// authorizerPermissions lets API Gateway invoke each Lambda authorizer.
func (t *transformer) authorizerPermissions(r *resource, auth *source.Node, pass []source.Field) error {
	if !truthy(auth) {
		return nil
	}
	authorizers, err := t.restAuthorizers(r, auth, false)
	if err != nil {
		return err
	}
	for _, a := range authorizers {
		if !truthy(a.functionArn) || truthy(a.disableDefaultPm) {
			continue
		}
		t.authorizerPermission(r, r.id+a.name+"AuthorizerPermission", a.functionArn, pass, a.pos)
	}
	return nil
}

func (t *transformer) authorizerPermission(r *resource, id string, functionArn *source.Node, pass []source.Field, pos source.Pos) {
	t.emit(r, id, resourceNode("AWS::Lambda::Permission", pos, pass, obj(pos,
		"Action", str("lambda:InvokeFunction", pos),
		"FunctionName", functionArn,
		"Principal", str("apigateway.amazonaws.com", pos),
		"SourceArn", fnSubVars("arn:"+t.partition+":execute-api:${AWS::Region}:${AWS::AccountId}:${__ApiId__}/authorizers/*",
			pos, "__ApiId__", ref(r.id, pos)),
	)), pos)
}

// addGatewayResponses writes GatewayResponses into the definition.
func (t *transformer) addGatewayResponses(r *resource, body *source.Node) error {
	responses := r.props.Get("GatewayResponses")
	if !truthy(responses) {
		return nil
	}
	if !truthy(body) {
		return t.invalid(r, responses.Pos, "GatewayResponses works only with inline Swagger specified in 'DefinitionBody' property.")
	}
	if responses.Kind != source.Map {
		return t.invalid(r, responses.Pos, "Property 'GatewayResponses' should be a map.")
	}
	for _, f := range fieldsOf(responses) {
		if isIntrinsic(f.Value) {
			return t.invalid(r, f.Value.Pos, "Unable to set GatewayResponses attribute because intrinsic functions are not supported for this field.")
		}
		if f.Value.Kind != source.Map {
			return t.invalid(r, f.Value.Pos, "Invalid property type '%s' for GatewayResponses. Expected an object of type 'GatewayResponse'.", pyType(f.Value))
		}
		for _, k := range f.Value.Fields {
			if k.Key != "ResponseParameters" && k.Key != "ResponseTemplates" && k.Key != "StatusCode" {
				return t.invalid(r, k.KeyPos, "Invalid property '%s' in 'GatewayResponses' property '%s'.", k.Key, f.Key)
			}
		}
	}
	if !isSwagger(body) {
		return t.invalid(r, body.Pos, "Unable to add Auth configuration because 'DefinitionBody' does not contain a valid Swagger definition.")
	}
	out := body.Get("x-amazon-apigateway-gateway-responses")
	if !truthy(out) || out.Kind != source.Map {
		out = obj(responses.Pos)
	}
	for _, f := range fieldsOf(responses) {
		params := f.Value.Get("ResponseParameters")
		if truthy(params) && params.Kind != source.Map {
			return t.invalid(r, params.Pos, "Property 'GatewayResponses.%s.ResponseParameters' should be a map.", f.Key)
		}
		prefixed := obj(f.Value.Pos)
		for _, p := range fieldsOf(params) {
			if p.Key != "Headers" && p.Key != "Paths" && p.Key != "QueryStrings" {
				return t.invalid(r, p.KeyPos, "Invalid gateway response parameter '%s'", p.Key)
			}
		}
		for _, kp := range [][2]string{{"Headers", "header."}, {"Paths", "path."}, {"QueryStrings", "querystring."}} {
			group := params.Get(kp[0])
			if group != nil && group.Kind != source.Map {
				return t.invalid(r, group.Pos, "Property 'ResponseParameters.%s' should be a map.", kp[0])
			}
			for _, g := range fieldsOf(group) {
				set(prefixed, "gatewayresponse."+kp[1]+g.Key, g.Value)
			}
		}
		templates := f.Value.Get("ResponseTemplates")
		if !truthy(templates) {
			templates = obj(f.Value.Pos)
		}
		gr := obj(f.Value.Pos, "responseParameters", prefixed, "responseTemplates", templates)
		if code := f.Value.Get("StatusCode"); code != nil && code.Kind != source.Null {
			text, _ := code.Str()
			if !statusCode.MatchString(text) {
				return t.invalid(r, code.Pos, "Property 'StatusCode' must be numeric")
			}
			set(gr, "statusCode", str(text, code.Pos))
		}
		set(out, f.Key, gr)
	}
	set(body, "x-amazon-apigateway-gateway-responses", out)
	return nil
}

func pyType(n *source.Node) string {
	switch n.Kind {
	case source.String:
		return "str"
	case source.Seq:
		return "list"
	case source.Bool:
		return "bool"
	case source.Number:
		if strings.ContainsAny(n.Value, ".eE") {
			return "float"
		}
		return "int"
	case source.Null:
		return "NoneType"
	}
	return "dict"
}

func (t *transformer) addModels(r *resource, body, openAPIVersion *source.Node) error {
	models := r.props.Get("Models")
	if !truthy(models) {
		return nil
	}
	if !truthy(body) {
		return t.invalid(r, models.Pos, "Models works only with inline Swagger specified in 'DefinitionBody' property.")
	}
	if !isSwagger(body) {
		return t.invalid(r, body.Pos, "Unable to add Models definitions because 'DefinitionBody' does not contain a valid Swagger definition.")
	}
	if models.Kind != source.Map {
		return t.invalid(r, models.Pos, "Invalid value for 'Models' property")
	}
	for _, f := range fieldsOf(models) {
		if f.Value.Kind != source.Map {
			return t.invalid(r, f.Value.Pos, "Invalid value for 'Models' property")
		}
	}
	defs := body.Get("definitions")
	if !truthy(defs) || defs.Kind != source.Map {
		defs = obj(models.Pos)
	}
	for _, f := range fieldsOf(models) {
		if !truthy(f.Value.Get("type")) {
			return invalidDoc(f.Value.Pos, "'Models' schema is missing 'type'.")
		}
		set(defs, strings.ToLower(f.Key), f.Value)
	}
	set(body, "definitions", defs)
	return openAPIPostprocess(body, openAPIVersion)
}

// corsKeys are the keys SAM accepts in a REST API's Cors map.
var corsKeys = []string{"AllowMethods", "AllowHeaders", "AllowOrigin", "MaxAge", "AllowCredentials"}

// addRESTCors adds an OPTIONS mock integration to every path, answering
// CORS preflight requests with the configured headers.
func (t *transformer) addRESTCors(r *resource, body *source.Node) error {
	cors, err := t.resolveParams(r.props.Get("Cors"))
	if err != nil || !truthy(cors) {
		return err
	}
	if !truthy(body) {
		return t.invalid(r, cors.Pos, "Cors works only with inline Swagger specified in 'DefinitionBody' property.")
	}
	var origin, headers, methods, maxAge, credentials *source.Node
	switch {
	case cors.Kind == source.String || isIntrinsic(cors):
		origin = cors
	case cors.Kind == source.Map:
		for _, f := range fieldsOf(cors) {
			if !contains(corsKeys, f.Key) {
				return t.invalid(r, f.KeyPos, "Invalid key '%s' for 'Cors' property.", f.Key)
			}
		}
		origin, headers, methods, maxAge, credentials = cors.Get("AllowOrigin"), cors.Get("AllowHeaders"),
			cors.Get("AllowMethods"), cors.Get("MaxAge"), cors.Get("AllowCredentials")
		if _, set := cors.Field("AllowOrigin"); !set {
			origin = str("'*'", cors.Pos)
		}
	default:
		return t.invalid(r, cors.Pos, "Invalid value for 'Cors' property")
	}
	if !isSwagger(body) {
		return t.invalid(r, body.Pos, "Unable to add Cors configuration because 'DefinitionBody' does not contain a valid Swagger definition.")
	}
	if isTrue(credentials) {
		if s, _ := stringValue(origin); origin == nil || s == "'*'" {
			return t.invalid(r, credentials.Pos, "Unable to add Cors configuration because 'AllowCredentials' can not be true when 'AllowOrigin' is \"'*'\" or not set")
		}
	}
	ed := &editor{t: t, doc: body}
	if err := ed.validatePaths(); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, f := range append([]source.Field(nil), ed.paths().Fields...) {
		norm := f.Key
		if norm != "/" {
			norm = strings.TrimRight(norm, "/")
		}
		if seen[norm] {
			continue
		}
		seen[norm] = true
		items, err := branches(f.Value)
		if err != nil {
			return err
		}
		for _, item := range items {
			if item == nil || item.Kind != source.Map {
				return pathItemError(f.Key, f.Value.Pos)
			}
			if item.Get("options") != nil {
				continue
			}
			if !truthy(origin) {
				return t.invalid(r, cors.Pos, "Structure of the SAM template is invalid. Invalid input. Value for AllowedOrigins is required")
			}
			allowed := methods
			if !truthy(allowed) {
				allowed = str("'"+corsMethods(item)+"'", cors.Pos)
			}
			set(item, "options", corsOptions(cors.Pos, origin, headers, allowed, maxAge, isTrue(credentials)))
		}
	}
	return nil
}

func corsMethods(item *source.Node) string {
	set := map[string]bool{}
	keys := item.Keys()
	if contains(keys, xAnyMethod) {
		for _, m := range []string{"OPTIONS", "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"} {
			set[m] = true
		}
	} else {
		for _, k := range keys {
			set[strings.ToUpper(k)] = true
		}
		set["OPTIONS"] = true
	}
	out := sortedKeys(set)
	sort.Strings(out)
	return strings.Join(out, ",")
}

func corsOptions(pos source.Pos, origin, headers, methods, maxAge *source.Node, credentials bool) *source.Node {
	params := obj(pos, "method.response.header.Access-Control-Allow-Origin", origin)
	respHeaders := obj(pos, "Access-Control-Allow-Origin", obj(pos, "type", str("string", pos)))
	if truthy(headers) {
		set(params, "method.response.header.Access-Control-Allow-Headers", headers)
		set(respHeaders, "Access-Control-Allow-Headers", obj(pos, "type", str("string", pos)))
	}
	if truthy(methods) {
		set(params, "method.response.header.Access-Control-Allow-Methods", methods)
		set(respHeaders, "Access-Control-Allow-Methods", obj(pos, "type", str("string", pos)))
	}
	if maxAge != nil && maxAge.Kind != source.Null {
		set(params, "method.response.header.Access-Control-Max-Age", maxAge)
		set(respHeaders, "Access-Control-Max-Age", obj(pos, "type", str("integer", pos)))
	}
	if credentials {
		set(params, "method.response.header.Access-Control-Allow-Credentials", str("'true'", pos))
		set(respHeaders, "Access-Control-Allow-Credentials", obj(pos, "type", str("string", pos)))
	}
	return obj(pos,
		"summary", str("CORS support", pos),
		"consumes", strList(pos, "application/json"),
		"produces", strList(pos, "application/json"),
		xIntegration, obj(pos,
			"type", str("mock", pos),
			"requestTemplates", obj(pos, "application/json", str("{\n  \"statusCode\" : 200\n}\n", pos)),
			"responses", obj(pos, "default", obj(pos,
				"statusCode", str("200", pos),
				"responseParameters", params,
				"responseTemplates", obj(pos, "application/json", str("{}\n", pos))))),
		"responses", obj(pos, "200", obj(pos, "description", str("Default response for CORS method", pos), "headers", respHeaders)))
}

func parseInt(s string) (int, error) { return strconv.Atoi(strings.TrimSpace(s)) }
