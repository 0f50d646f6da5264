package sam

import (
	"strings"

	"github.com/bulwark-sec/bulwark/internal/source"
)

// transformWebSocketAPI expands an AWS::Serverless::WebSocketApi into the
// ApiGatewayV2 API, one route, integration and permission per route, the
// $connect authorizer and a stage.
func (t *transformer) transformWebSocketAPI(r *resource) error {
	if err := t.checkProps(resourceWhere(r.id), r.props, resourceProps[typeWebSocketAPI], r.typ, "the resource"); err != nil {
		return err
	}
	props := r.props
	pos := r.keyPos
	auth, err := t.resolveParams(props.Get("Auth"))
	if err != nil {
		return err
	}
	domain, err := t.resolveParams(props.Get("Domain"))
	if err != nil {
		return err
	}
	routes, err := t.resolveParams(props.Get("Routes"))
	if err != nil {
		return err
	}
	if !truthy(routes) {
		return t.invalid(r, posOr(routes, pos), "WebSocket API must have at least one route.")
	}
	name := props.Get("Name")
	if name == nil {
		name = str(r.id, pos)
	}
	stageName := props.Get("StageName")
	if stageName == nil {
		stageName = str("default", pos)
	}
	if ip := props.Get("IpAddressType"); ip != nil && !isIntrinsic(ip) {
		if s, _ := stringValue(ip); s != "ipv4" && s != "dualstack" {
			return t.invalid(r, ip.Pos, "IpAddressType must be 'ipv4' or 'dualstack'.")
		}
	}
	if domain != nil && domain.Get("MutualTlsAuthentication") != nil {
		return t.invalid(r, domain.Get("MutualTlsAuthentication").Pos, "Mutual TLS domain name association is not supported for Websocket APIs.")
	}
	if truthy(auth) && routes.Get("$connect") == nil {
		return t.invalid(r, auth.Pos, "Authorization is only available if there is a $connect route.")
	}
	tags := obj(pos)
	if v := props.Get("Tags"); v != nil && v.Kind == source.Map {
		tags = shallow(v)
	}
	set(tags, "websocketapi:createdBy", str("SAM", pos))
	api := obj(props.Pos,
		"ApiKeySelectionExpression", props.Get("ApiKeySelectionExpression"),
		"Description", props.Get("Description"),
		"DisableExecuteApiEndpoint", props.Get("DisableExecuteApiEndpoint"),
		"DisableSchemaValidation", props.Get("DisableSchemaValidation"),
		"IpAddressType", props.Get("IpAddressType"),
		"Name", name,
		"RouteSelectionExpression", props.Get("RouteSelectionExpression"),
		"Tags", tags,
		"ProtocolType", str("WEBSOCKET", pos))
	t.emit(r, r.id, resourceNode("AWS::ApiGatewayV2::Api", pos, mainAttrs(r), api), pos)
	pass := passthroughAttrs(r)

	stageStr, stageIsStr := stringValue(stageName)
	if stageIsStr && stageStr == "$default" {
		return t.invalid(r, stageName.Pos, "Stages cannot be named $default for WebSocket APIs.")
	}
	if truthy(auth) {
		if err := t.validateWebSocketAuth(r, auth); err != nil {
			return err
		}
	}
	var routeIDs []string
	authorizerID := ""
	for _, f := range fieldsOf(routes) {
		key := f.Key
		spec := f.Value
		if spec.Kind != source.Map {
			return t.invalid(r, spec.Pos, "Property 'Routes.%s' should be a map.", key)
		}
		clean := ""
		switch {
		case key == "$connect" || key == "$disconnect" || key == "$default":
			clean = capitalize(strings.TrimPrefix(key, "$"))
		case isAlnum(key):
			clean = capitalize(key)
		default:
			return t.invalid(r, f.KeyPos, "Route key '%s' must be alphanumeric. Only $connect, $disconnect, and $default special routes are supported.", key)
		}
		base := r.id + clean
		routeID, integrationID, permID := base+"Route", base+"Integration", base+"Permission"
		p := f.KeyPos
		route := obj(p, "RouteKey", str(key, p), "ApiId", ref(r.id, p),
			"ApiKeyRequired", spec.Get("ApiKeyRequired"),
			"ModelSelectionExpression", spec.Get("ModelSelectionExpression"),
			"OperationName", spec.Get("OperationName"),
			"RequestModels", spec.Get("RequestModels"))
		if rp := spec.Get("RequestParameters"); truthy(rp) {
			if key != "$connect" {
				return t.invalid(r, rp.Pos, "Request parameters are only supported for the $connect route in WebSocket APIs.")
			}
			set(route, "RequestParameters", rp)
		}
		if v := spec.Get("RouteResponseSelectionExpression"); v != nil {
			set(route, "RouteResponseSelectionExpression", v)
		}
		set(route, "Target", obj(p, "Fn::Join", list(p, str("/", p), list(p, str("integrations", p), ref(integrationID, p)))))
		if truthy(auth) && key == "$connect" {
			authType, _ := stringValue(auth.Get("AuthType"))
			switch strings.ToUpper(authType) {
			case "CUSTOM":
				authorizerID = r.id + "ConnectAuthorizer"
				set(route, "AuthorizationType", str("CUSTOM", auth.Pos))
				set(route, "AuthorizerId", ref(authorizerID, auth.Pos))
			case "AWS_IAM":
				set(route, "AuthorizationType", str("AWS_IAM", auth.Pos))
			default:
				set(route, "AuthorizationType", str("NONE", auth.Pos))
			}
		}
		fn := spec.Get("FunctionArn")
		if fn == nil {
			return t.invalid(r, spec.Pos, "Route must have associated function.")
		}
		t.emit(r, routeID, resourceNode("AWS::ApiGatewayV2::Route", p, pass, route), p)
		t.emit(r, integrationID, resourceNode("AWS::ApiGatewayV2::Integration", p, pass, obj(p,
			"ApiId", ref(r.id, p),
			"IntegrationType", str("AWS_PROXY", p),
			"IntegrationUri", fnSubVars("arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${FunctionArn}/invocations", p, "FunctionArn", fn),
			"TimeoutInMillis", spec.Get("IntegrationTimeout"))), p)
		var sourceArn *source.Node
		if stageIsStr {
			sourceArn = fnSub("arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${"+r.id+".ApiId}/"+stageStr+"/"+key, p)
		} else {
			sourceArn = fnSubVars("arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${"+r.id+".ApiId}/${__StageName__}/"+key, p, "__StageName__", stageName)
		}
		t.emit(r, permID, resourceNode("AWS::Lambda::Permission", p, pass, obj(p,
			"Action", str("lambda:InvokeFunction", p),
			"FunctionName", fn,
			"Principal", str("apigateway.amazonaws.com", p),
			"SourceArn", sourceArn)), p)
		routeIDs = append(routeIDs, routeID)
	}
	stageID := r.id + stageStr + "Stage"
	if stageStr == "default" {
		stageID = r.id + "DefaultStage"
	}
	stageAttrs := pass
	if truthy(props.Get("RouteSettings")) && len(routeIDs) > 0 {
		stageAttrs = append([]source.Field{{Key: "DependsOn", KeyPos: pos, Value: strList(pos, routeIDs...)}}, pass...)
	}
	t.emit(r, stageID, resourceNode("AWS::ApiGatewayV2::Stage", stageName.Pos, stageAttrs, obj(stageName.Pos,
		"ApiId", ref(r.id, stageName.Pos),
		"StageName", stageName,
		"StageVariables", props.Get("StageVariables"),
		"AccessLogSettings", props.Get("AccessLogSettings"),
		"DefaultRouteSettings", props.Get("DefaultRouteSettings"),
		"Tags", obj(stageName.Pos, "websocketapi:createdBy", str("SAM", stageName.Pos)),
		"AutoDeploy", boolean(true, stageName.Pos),
		"RouteSettings", props.Get("RouteSettings"))), stageName.Pos)
	t.addDerivedRef(r.id, "Stage", stageID)
	if authorizerID != "" {
		ap := auth.Pos
		authorizer := obj(ap, "ApiId", ref(r.id, ap))
		if v := auth.Get("InvokeRole"); v != nil {
			set(authorizer, "AuthorizerCredentialsArn", v)
		}
		set(authorizer, "AuthorizerType", str("REQUEST", ap))
		if arn := auth.Get("AuthArn"); arn != nil {
			set(authorizer, "AuthorizerUri", fnSubVars("arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${AuthArn}/invocations", ap, "AuthArn", arn))
		}
		if v := auth.Get("IdentitySource"); v != nil {
			set(authorizer, "IdentitySource", v)
		}
		authName := auth.Get("Name")
		if !truthy(authName) {
			authName = str(authorizerID, ap)
		}
		set(authorizer, "Name", authName)
		t.emit(r, authorizerID, resourceNode("AWS::ApiGatewayV2::Authorizer", ap, pass, authorizer), ap)
		if !truthy(auth.Get("InvokeRole")) && truthy(auth.Get("AuthArn")) {
			t.emit(r, r.id+"AuthorizerPermission", resourceNode("AWS::Lambda::Permission", ap, pass, obj(ap,
				"Action", str("lambda:InvokeFunction", ap),
				"FunctionName", auth.Get("AuthArn"),
				"Principal", str("apigateway.amazonaws.com", ap),
				"SourceArn", fnSubVars("arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${__ApiId__}/authorizers/*", ap, "__ApiId__", ref(r.id, ap)))), ap)
		}
	}
	return t.httpDomain(r, domain, ref(stageID, pos), pass, nil)
}

func (t *transformer) validateWebSocketAuth(r *resource, auth *source.Node) error {
	typ, ok := stringValue(auth.Get("AuthType"))
	if !ok || typ == "" {
		return t.invalid(r, auth.Pos, "AuthType must be specified for additional auth configurations.")
	}
	switch strings.ToUpper(typ) {
	case "CUSTOM":
		if !truthy(auth.Get("AuthArn")) {
			return t.invalid(r, auth.Pos, "AuthArn must be specified if AuthType is CUSTOM.")
		}
	case "AWS_IAM":
		if len(auth.Fields) > 1 {
			return t.invalid(r, auth.Pos, "No additional configurations supported for AuthType AWS_IAM.")
		}
	case "NONE":
		if len(auth.Fields) > 1 {
			return t.invalid(r, auth.Pos, "No additional configurations supported for AuthType NONE.")
		}
	default:
		return t.invalid(r, auth.Pos, "AuthType is not one of AWS_IAM, CUSTOM or NONE.")
	}
	return nil
}

// capitalize mirrors Python's str.capitalize: first letter upper, rest lower.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + strings.ToLower(s[1:])
}
