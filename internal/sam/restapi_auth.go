package sam

import (
	"strings"

	"github.com/bulwark-sec/bulwark/internal/source"
)

// This file holds the REST API (Swagger) authorization logic that events and
// the Api macro share: method authorizers, API keys, default authorizers and
// resource policies.

// restAuthorizer is one entry of an Api's Auth.Authorizers (or the implicit
// AWS_IAM authorizer of DefaultAuthorizer: AWS_IAM).
type restAuthorizer struct {
	name             string
	pos              source.Pos
	iam              bool
	userPoolArn      *source.Node
	functionArn      *source.Node
	identity         *source.Node
	payloadType      *source.Node
	invokeRole       *source.Node
	scopes           *source.Node
	disableDefaultPm *source.Node
}

func (a *restAuthorizer) kind() string {
	switch {
	case a.iam:
		return "AWS_IAM"
	case truthy(a.userPoolArn):
		return "COGNITO_USER_POOLS"
	}
	return "LAMBDA"
}

func (a *restAuthorizer) payload() string {
	if s, ok := stringValue(a.payloadType); ok && s != "" {
		return s
	}
	return "TOKEN"
}

// restAuthorizers parses Auth.Authorizers, validating each entry as SAM does.
func (t *transformer) restAuthorizers(r *resource, auth *source.Node, withDefaultIAM bool) ([]*restAuthorizer, error) {
	var out []*restAuthorizer
	if withDefaultIAM {
		if d, _ := stringValue(auth.Get("DefaultAuthorizer")); d == "AWS_IAM" {
			out = append(out, &restAuthorizer{name: "AWS_IAM", pos: auth.Get("DefaultAuthorizer").Pos, iam: true})
		}
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
		ra := &restAuthorizer{name: f.Key, pos: f.KeyPos, userPoolArn: a.Get("UserPoolArn"), functionArn: a.Get("FunctionArn"),
			identity: a.Get("Identity"), payloadType: a.Get("FunctionPayloadType"), invokeRole: a.Get("FunctionInvokeRole"),
			scopes: a.Get("AuthorizationScopes"), disableDefaultPm: a.Get("DisableFunctionDefaultPermissions")}
		if pt := ra.payloadType; pt != nil && pt.Kind != source.Null {
			if s, _ := stringValue(pt); s != "TOKEN" && s != "REQUEST" {
				return nil, t.invalid(r, pt.Pos, "%s Authorizer has invalid 'FunctionPayloadType': %s.", f.Key, pt.Value)
			}
		}
		if ra.identity != nil && ra.identity.Kind != source.Null && ra.identity.Kind != source.Map {
			return nil, t.invalid(r, ra.identity.Pos, "Auth.Authorizers.<Authorizer>.Identity must be a dict (LambdaTokenAuthorizationIdentity, LambdaRequestAuthorizationIdentity or CognitoAuthorizationIdentity).")
		}
		if ra.payload() == "REQUEST" && missingIdentitySource(ra.identity) {
			return nil, t.invalid(r, f.KeyPos, "%s Authorizer must specify Identity with at least one of Headers, QueryStrings, StageVariables, or Context.", f.Key)
		}
		if ra.scopes != nil && ra.scopes.Kind != source.Seq {
			return nil, t.invalid(r, ra.scopes.Pos, "Property 'Authorizers.%s.AuthorizationScopes' should be a list.", f.Key)
		}
		if d := ra.disableDefaultPm; d != nil && d.Kind != source.Bool {
			return nil, t.invalid(r, d.Pos, "Property 'Authorizers.%s.DisableFunctionDefaultPermissions' should be a boolean.", f.Key)
		}
		out = append(out, ra)
	}
	return out, nil
}

func missingIdentitySource(identity *source.Node) bool {
	if !truthy(identity) {
		return true
	}
	missing := !truthy(identity.Get("Headers")) && !truthy(identity.Get("QueryStrings")) &&
		!truthy(identity.Get("StageVariables")) && !truthy(identity.Get("Context"))
	ttl := identity.Get("ReauthorizeEvery")
	if ttl == nil || ttl.Kind == source.Null {
		return missing
	}
	text, _ := ttl.Str()
	n, err := parseInt(text)
	if err != nil {
		return missing
	}
	return n > 0 && missing
}

func findAuthorizer(list []*restAuthorizer, name string) *restAuthorizer {
	for _, a := range list {
		if a.name == name {
			return a
		}
	}
	return nil
}

// swagger renders an authorizer as a securityDefinitions entry.
func (t *transformer) restAuthorizerSwagger(r *resource, a *restAuthorizer) (*source.Node, error) {
	p := a.pos
	header := "Authorization"
	if a.identity != nil && a.identity.Kind == source.Map {
		if h := a.identity.Get("Header"); truthy(h) {
			header, _ = h.Str()
		}
	}
	name := str(header, p)
	if h := a.identity.Get("Header"); truthy(h) {
		name = h
	}
	kind := a.kind()
	if kind == "LAMBDA" && a.payload() == "REQUEST" {
		name = str("Unused", p)
	}
	authtype := map[string]string{"AWS_IAM": "awsSigv4", "COGNITO_USER_POOLS": "cognito_user_pools", "LAMBDA": "custom"}[kind]
	def := obj(p, "type", str("apiKey", p), "name", name, "in", str("header", p), "x-amazon-apigateway-authtype", str(authtype, p))
	var authorizer *source.Node
	switch kind {
	case "COGNITO_USER_POOLS":
		arns := a.userPoolArn
		if arns.Kind != source.Seq {
			arns = list(arns.Pos, arns)
		}
		authorizer = obj(p, "type", str("cognito_user_pools", p), "providerARNs", arns)
	case "LAMBDA":
		typ := "token"
		if a.payload() == "REQUEST" {
			typ = "request"
		}
		authorizer = obj(p, "type", str(typ, p))
		set(authorizer, "authorizerUri", fnSubVars("arn:"+t.partition+":apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${__FunctionArn__}/invocations",
			posOr(a.functionArn, p), "__FunctionArn__", a.functionArn))
		if ttl := a.identity.Get("ReauthorizeEvery"); ttl != nil && ttl.Kind != source.Null {
			set(authorizer, "authorizerResultTtlInSeconds", ttl)
		}
		if role := a.invokeRole; truthy(role) {
			if s, _ := stringValue(role); s != "NONE" {
				set(authorizer, "authorizerCredentials", role)
			}
		}
		if a.payload() == "REQUEST" {
			src, err := t.identitySource(r, a)
			if err != nil {
				return nil, err
			}
			if src != "" {
				set(authorizer, "identitySource", str(src, posOr(a.identity, p)))
			}
		}
	}
	if authorizer != nil {
		set(def, "x-amazon-apigateway-authorizer", authorizer)
		if kind == "COGNITO_USER_POOLS" || (kind == "LAMBDA" && a.payload() == "TOKEN") {
			if v := a.identity.Get("ValidationExpression"); truthy(v) {
				set(authorizer, "identityValidationExpression", v)
			}
		}
	}
	return def, nil
}

func (t *transformer) identitySource(r *resource, a *restAuthorizer) (string, error) {
	var parts []string
	for _, kp := range [][2]string{{"Headers", "method.request.header."}, {"QueryStrings", "method.request.querystring."},
		{"StageVariables", "stageVariables."}, {"Context", "context."}} {
		v := a.identity.Get(kp[0])
		if !truthy(v) {
			continue
		}
		if v.Kind != source.Seq {
			return "", t.invalid(r, v.Pos, "Property 'Auth.Authorizers.%s.Identity.%s' should be a list.", a.name, kp[0])
		}
		for i, it := range itemsOf(v) {
			s, ok := stringValue(it)
			if !ok {
				return "", t.invalid(r, it.Pos, "Property 'Auth.Authorizers.%s.Identity.%s[%d]' should be a string.", a.name, kp[0], i)
			}
			parts = append(parts, kp[1]+s)
		}
	}
	return strings.Join(parts, ", "), nil
}

// securityDefinitionsKey is where a definition keeps its security schemes.
func securitySection(doc *source.Node) *source.Node {
	defs := doc.Get("securityDefinitions")
	if defs == nil || defs.Kind != source.Map {
		defs = obj(doc.Pos)
		set(doc, "securityDefinitions", defs)
	}
	return defs
}

func addIAMSecurityDefinition(doc *source.Node, pos source.Pos) {
	defs := securitySection(doc)
	if defs.Get("AWS_IAM") == nil {
		set(defs, "AWS_IAM", obj(pos, "x-amazon-apigateway-authtype", str("awsSigv4", pos), "type", str("apiKey", pos),
			"name", str("Authorization", pos), "in", str("header", pos)))
	}
}

func addAPIKeySecurityDefinition(doc *source.Node, pos source.Pos) error {
	defs := doc.Get("securityDefinitions")
	if defs != nil && defs.Kind != source.Map && truthy(defs) {
		return invalidDoc(defs.Pos, "securityDefinitions must be a dictionary.")
	}
	defs = securitySection(doc)
	if defs.Get("api_key") == nil {
		set(defs, "api_key", obj(pos, "type", str("apiKey", pos), "name", str("x-api-key", pos), "in", str("header", pos)))
	}
	return nil
}

// setMethodAuthorizer appends {name: scopes} to the security of the
// operation (per-event Authorizer).
func (e *editor) setMethodAuthorizer(path, method, name string, pos source.Pos, authorizers *source.Node, scopes *source.Node) error {
	ops, err := e.operations(path, method, true)
	if err != nil {
		return err
	}
	for _, op := range ops {
		entryScopes := list(pos)
		if name != "NONE" && truthy(authorizers) {
			a := authorizers.Get(name)
			if a != nil && a.Kind != source.Map {
				return invalidDoc(a.Pos, "Type of authorizer '%s' must be a dictionary", name)
			}
			s := a.Get("AuthorizationScopes")
			if scopes != nil {
				s = scopes
			}
			if a != nil && s != nil {
				entryScopes = s
			}
		}
		existing, err := operationSecurity(op, path, method)
		if err != nil {
			return err
		}
		security := list(pos, existing...)
		security.Items = append(security.Items, obj(pos, name, entryScopes))
		set(op, "security", security)
		if security.Items[0].Get("AWS_IAM") != nil {
			addIAMSecurityDefinition(e.doc, pos)
		}
	}
	return nil
}

// setMethodAPIKey appends {api_key: []} (or the api_key_false marker SAM uses
// to opt a method out of the API-wide requirement).
func (e *editor) setMethodAPIKey(path, method string, required bool, pos source.Pos) error {
	ops, err := e.operations(path, method, true)
	if err != nil {
		return err
	}
	for _, op := range ops {
		key := "api_key_false"
		if required {
			key = "api_key"
			if err := addAPIKeySecurityDefinition(e.doc, pos); err != nil {
				return err
			}
		}
		existing, err := operationSecurity(op, path, method)
		if err != nil {
			return err
		}
		security := list(pos, existing...)
		security.Items = append(security.Items, obj(pos, key, list(pos)))
		set(op, "security", security)
	}
	return nil
}

// setPathDefaultAuthorizer gives every operation of a path the API's default
// authorizer, unless the operation names an authorizer of its own or opts
// out with NONE.
func (e *editor) setPathDefaultAuthorizer(path, def string, pos source.Pos, authorizers []*restAuthorizer, preflight bool) error {
	ops, err := e.allOperations(path, false)
	if err != nil {
		return err
	}
	names := map[string]bool{"AWS_IAM": true}
	for _, a := range authorizers {
		names[a.name] = true
	}
	for _, op := range ops {
		if !preflight && op.name == "options" {
			continue
		}
		existing, err := operationSecurity(op.def, path, op.name)
		if err != nil {
			return err
		}
		var nonAuth, auth []*source.Node
		for _, s := range existing {
			if s.Kind != source.Map {
				return invalidDoc(s.Pos, "%s in Security for path %s method %s is not a valid dictionary.", pyRepr(s), path, op.name)
			}
			isAuth := false
			for _, k := range s.Keys() {
				if names[k] {
					isAuth = true
				}
			}
			if isAuth {
				auth = append(auth, s)
			} else {
				nonAuth = append(nonAuth, s)
			}
		}
		noneIdx := -1
		for i, s := range nonAuth {
			if s.Get("NONE") != nil {
				noneIdx = i
				break
			}
		}
		var authSecurity []*source.Node
		switch {
		case noneIdx >= 0:
			nonAuth = append(nonAuth[:noneIdx:noneIdx], nonAuth[noneIdx+1:]...)
		case len(auth) > 0:
			authSecurity = auth
		default:
			scopes := list(pos)
			if a := findAuthorizer(authorizers, def); a != nil && a.scopes != nil {
				scopes = a.scopes
			}
			authSecurity = []*source.Node{obj(pos, def, scopes)}
		}
		security := list(pos, append(nonAuth, authSecurity...)...)
		if len(security.Items) > 0 {
			set(op.def, "security", security)
			if security.Items[0].Get("AWS_IAM") != nil {
				addIAMSecurityDefinition(e.doc, pos)
			}
		}
	}
	return nil
}

// setPathDefaultAPIKey requires an API key on every operation of a path that
// does not opt out.
func (e *editor) setPathDefaultAPIKey(path string, preflight bool, pos source.Pos) error {
	ops, err := e.allOperations(path, false)
	if err != nil {
		return err
	}
	for _, op := range ops {
		existing, err := operationSecurity(op.def, path, op.name)
		if err != nil {
			return err
		}
		var nonKey, key []*source.Node
		for _, s := range existing {
			if s.Kind != source.Map {
				return invalidDoc(s.Pos, "%s in Security for path %s method %s is not a valid dictionary.", pyRepr(s), path, op.name)
			}
			if s.Get("api_key") != nil || s.Get("api_key_false") != nil {
				key = append(key, s)
			} else {
				nonKey = append(nonKey, s)
			}
		}
		falseIdx := -1
		for i, s := range key {
			if s.Get("api_key_false") != nil {
				falseIdx = i
				break
			}
		}
		var keySecurity []*source.Node
		if falseIdx < 0 {
			keySecurity = []*source.Node{obj(pos, "api_key", list(pos))}
		}
		security := append(append([]*source.Node(nil), nonKey...), keySecurity...)
		if op.name == "options" && !preflight {
			security = nonKey
		}
		if !sameItems(security, existing) {
			set(op.def, "security", list(pos, security...))
		}
	}
	return nil
}

func sameItems(a, b []*source.Node) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// pyRepr renders a small value the way SAM's error messages show it.
func pyRepr(n *source.Node) string {
	switch n.Kind {
	case source.Seq:
		parts := make([]string, len(n.Items))
		for i, it := range itemsOf(n) {
			parts[i] = pyRepr(it)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case source.Map:
		parts := make([]string, len(n.Fields))
		for i, f := range fieldsOf(n) {
			parts[i] = "'" + f.Key + "': " + pyRepr(f.Value)
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case source.String:
		return "'" + n.Value + "'"
	case source.Null:
		return "None"
	case source.Bool:
		if truthy(n) {
			return "True"
		}
		return "False"
	}
	return n.Value
}

// addEventAuth applies an Api event's Auth to its operation, after checking
// it against the API's authorizers as SAM does.
func (t *transformer) addEventAuth(r *resource, ev *event, api *resource, ed *editor, path, method string, stage *source.Node) error {
	auth := ev.prop("Auth")
	apiAuthRaw := api.props.Get("Auth")
	apiAuth, err := t.resolveParams(apiAuthRaw)
	if err != nil {
		return err
	}
	methodAuthorizer := auth.Get("Authorizer")
	authorizerName, _ := stringValue(methodAuthorizer)
	if truthy(methodAuthorizer) {
		apiAuthorizers := apiAuth.Get("Authorizers")
		if truthy(apiAuthorizers) && apiAuthorizers.Kind != source.Map {
			return t.invalid(api, apiAuthorizers.Pos, "Property 'Auth.Authorizers' should be a map.")
		}
		if authorizerName != "AWS_IAM" {
			if authorizerName != "NONE" {
				if !truthy(apiAuthorizers) {
					return t.invalidEvent(r, ev, methodAuthorizer.Pos, "Unable to set Authorizer [%s] on API method [%s] for path [%s] because the related API does not define any Authorizers.", pyStr(methodAuthorizer), method, path)
				}
				if methodAuthorizer.Kind != source.String {
					return t.invalidEvent(r, ev, methodAuthorizer.Pos, "Unable to set Authorizer [%s] on API method [%s] for path [%s]. The method authorizer must be a string with a corresponding dict entry in the api authorizer.", pyStr(methodAuthorizer), method, path)
				}
				if !truthy(apiAuthorizers.Get(authorizerName)) {
					return t.invalidEvent(r, ev, methodAuthorizer.Pos, "Unable to set Authorizer [%s] on API method [%s] for path [%s] because it wasn't defined in the API's Authorizers.", authorizerName, method, path)
				}
			} else if !truthy(apiAuth.Get("DefaultAuthorizer")) {
				return t.invalidEvent(r, ev, methodAuthorizer.Pos, "Unable to set Authorizer on API method [%s] for path [%s] because 'NONE' is only a valid value when a DefaultAuthorizer on the API is specified.", method, path)
			}
		}
	}
	scopes := auth.Get("AuthorizationScopes")
	if truthy(scopes) {
		if scopes.Kind != source.Seq {
			return t.invalidEvent(r, ev, scopes.Pos, "Property 'Auth.AuthorizationScopes' should be a list.")
		}
		if !truthy(methodAuthorizer) {
			return t.invalidEvent(r, ev, scopes.Pos, "AuthorizationScopes works only when Authorizer is set")
		}
	}
	keyRequired := auth.Get("ApiKeyRequired")
	if keyRequired != nil && !truthy(keyRequired) && !truthy(apiAuth.Get("ApiKeyRequired")) {
		return t.invalidEvent(r, ev, keyRequired.Pos, "Unable to set ApiKeyRequired [False] on API method [%s] for path [%s] because the related API does not specify any ApiKeyRequired.", method, path)
	}
	if truthy(methodAuthorizer) {
		if err := ed.setMethodAuthorizer(path, method, authorizerName, methodAuthorizer.Pos, apiAuthRaw.Get("Authorizers"), scopes); err != nil {
			return err
		}
	}
	if keyRequired != nil && keyRequired.Kind != source.Null {
		if err := ed.setMethodAPIKey(path, method, truthy(keyRequired), keyRequired.Pos); err != nil {
			return err
		}
	}
	if rp := auth.Get("ResourcePolicy"); truthy(rp) {
		if rp.Kind != source.Map {
			return t.invalidEvent(r, ev, rp.Pos, "Property 'Auth.ResourcePolicy' should be a map.")
		}
		if stage == nil {
			stage = &source.Node{Kind: source.Null, Pos: rp.Pos}
		}
		if err := ed.addResourcePolicy(t, rp, path, stage); err != nil {
			return err
		}
		if cs := rp.Get("CustomStatements"); truthy(cs) {
			ed.addCustomStatements(cs)
		}
	}
	return nil
}

func pyStr(n *source.Node) string {
	if n.Kind == source.String {
		return n.Value
	}
	return pyRepr(n)
}

// policySection returns the definition's x-amazon-apigateway-policy.
func (e *editor) policySection(pos source.Pos) *source.Node {
	p := e.doc.Get("x-amazon-apigateway-policy")
	if p == nil || p.Kind != source.Map {
		p = obj(pos)
		set(e.doc, "x-amazon-apigateway-policy", p)
	}
	return p
}

// addStatements appends statements to the resource policy, skipping ones
// already there when dedup is set.
func (e *editor) addStatements(pos source.Pos, dedup bool, statements ...*source.Node) {
	policy := e.policySection(pos)
	set(policy, "Version", str("2012-10-17", pos))
	existing := policy.Get("Statement")
	if existing == nil {
		set(policy, "Statement", list(pos, statements...))
		return
	}
	st := existing
	if st.Kind != source.Seq {
		st = list(existing.Pos, existing)
	} else {
		st = shallow(st)
	}
	for _, s := range statements {
		dup := false
		if dedup {
			for _, x := range itemsOf(st) {
				if equal(x, s) {
					dup = true
					break
				}
			}
		}
		if !dup {
			st.Items = append(st.Items, s)
		}
	}
	set(policy, "Statement", st)
}

// addResourcePolicy turns an Auth.ResourcePolicy into statements of the
// API's resource policy for one path, as SAM's add_resource_policy does.
func (e *editor) addResourcePolicy(t *transformer, rp *source.Node, path string, stage *source.Node) error {
	resources, err := e.methodURIs(path, stage)
	if err != nil {
		return err
	}
	pos := rp.Pos
	iam := func(principals *source.Node, effect string) {
		if !truthy(principals) {
			return
		}
		if principals.Kind != source.Seq {
			principals = list(principals.Pos, principals)
		}
		statement := obj(principals.Pos, "Effect", str(effect, pos), "Action", str("execute-api:Invoke", pos),
			"Resource", resources, "Principal", obj(principals.Pos, "AWS", principals))
		policy := e.policySection(pos)
		if policy.Get("Statement") == nil {
			// SAM writes a lone account statement as a map, not a list.
			set(policy, "Version", str("2012-10-17", pos))
			set(policy, "Statement", statement)
			return
		}
		e.addStatements(pos, false, statement)
	}
	ip := func(ranges *source.Node, cond string) {
		if !truthy(ranges) {
			return
		}
		if ranges.Kind != source.Seq {
			ranges = list(ranges.Pos, ranges)
		}
		e.addStatements(pos, true,
			obj(ranges.Pos, "Effect", str("Allow", pos), "Action", str("execute-api:Invoke", pos), "Resource", resources, "Principal", str("*", pos)),
			obj(ranges.Pos, "Effect", str("Deny", pos), "Action", str("execute-api:Invoke", pos), "Resource", resources, "Principal", str("*", pos),
				"Condition", obj(ranges.Pos, cond, obj(ranges.Pos, "aws:SourceIp", ranges))))
	}
	for _, name := range []string{"AwsAccountWhitelist", "AwsAccountBlacklist"} {
		if v := rp.Get(name); v != nil && v.Kind != source.Null && v.Kind != source.Map && v.Kind != source.Seq {
			return invalidDoc(v.Pos, "Type of '%s' must be a list or dictionary", pyStr(v))
		}
	}
	iam(rp.Get("AwsAccountWhitelist"), "Allow")
	iam(rp.Get("AwsAccountBlacklist"), "Deny")
	ip(rp.Get("IpRangeWhitelist"), "NotIpAddress")
	ip(rp.Get("IpRangeBlacklist"), "IpAddress")
	if err := e.vpcPolicy(rp, "SourceVpcBlacklist", "IntrinsicVpcBlacklist", "IntrinsicVpceBlacklist", "StringEquals", resources); err != nil {
		return err
	}
	return e.vpcPolicy(rp, "SourceVpcWhitelist", "IntrinsicVpcWhitelist", "IntrinsicVpceWhitelist", "StringNotEquals", resources)
}

func (e *editor) vpcPolicy(rp *source.Node, plain, intrinsicVpc, intrinsicVpce, cond string, resources *source.Node) error {
	pos := rp.Pos
	endpoints := rp.Get(plain)
	if endpoints != nil && endpoints.Kind == source.Seq {
		for _, it := range itemsOf(endpoints) {
			if it.Kind != source.String {
				return invalidDoc(it.Pos, "%s must be a list of strings. Use %s instead for values that use Intrinsic Functions", plain, strings.Replace(plain, "Source", "Intrinsic", 1))
			}
		}
	}
	condition := obj(pos)
	appendTo := func(key string, items []*source.Node) {
		if len(items) == 0 {
			return
		}
		cur := condition.Get(key)
		if cur == nil {
			cur = list(pos)
			set(condition, key, cur)
		}
		cur.Items = append(cur.Items, items...)
	}
	if endpoints != nil && endpoints.Kind == source.Seq {
		var vpcs, vpces []*source.Node
		for _, it := range itemsOf(endpoints) {
			switch {
			case strings.HasPrefix(it.Value, "vpce-"):
				vpces = append(vpces, it)
			case strings.HasPrefix(it.Value, "vpc-"):
				vpcs = append(vpcs, it)
			}
		}
		appendTo("aws:SourceVpc", vpcs)
		appendTo("aws:SourceVpce", vpces)
	}
	if v := rp.Get(intrinsicVpc); v != nil && v.Kind == source.Seq {
		cur := condition.Get("aws:SourceVpc")
		if cur == nil {
			set(condition, "aws:SourceVpc", list(pos))
		}
		appendTo("aws:SourceVpc", v.Items)
	}
	if v := rp.Get(intrinsicVpce); v != nil && v.Kind == source.Seq {
		cur := condition.Get("aws:SourceVpce")
		if cur == nil {
			set(condition, "aws:SourceVpce", list(pos))
		}
		appendTo("aws:SourceVpce", v.Items)
	}
	if !truthy(condition.Get("aws:SourceVpc")) && !truthy(condition.Get("aws:SourceVpce")) {
		return nil
	}
	e.addStatements(pos, true,
		obj(pos, "Effect", str("Allow", pos), "Action", str("execute-api:Invoke", pos), "Resource", resources, "Principal", str("*", pos)),
		obj(pos, "Effect", str("Deny", pos), "Action", str("execute-api:Invoke", pos), "Resource", resources, "Principal", str("*", pos),
			"Condition", obj(pos, cond, condition)))
	return nil
}

func (e *editor) addCustomStatements(cs *source.Node) {
	pos := cs.Pos
	policy := e.policySection(pos)
	set(policy, "Version", str("2012-10-17", pos))
	if policy.Get("Statement") == nil {
		set(policy, "Statement", cs)
		return
	}
	items := []*source.Node{cs}
	if cs.Kind == source.Seq {
		items = cs.Items
	}
	e.addStatements(pos, true, items...)
}

// methodURIs lists execute-api:/<stage>/<METHOD><path> for each method of a
// path, as SAM writes them into resource policies.
func (e *editor) methodURIs(path string, stage *source.Node) (*source.Node, error) {
	items, err := branches(e.paths().Get(path))
	if err != nil {
		return nil, err
	}
	out := list(stage.Pos)
	clean := restPermissionPath(path)
	for _, it := range items {
		if it == nil || it.Kind != source.Map {
			return nil, pathItemError(path, stage.Pos)
		}
		for _, f := range fieldsOf(it) {
			m := strings.ToUpper(f.Key)
			if strings.ToLower(f.Key) == xAnyMethod || strings.ToLower(f.Key) == "any" {
				m = "*"
			}
			out.Items = append(out.Items, fnSubVars("execute-api:/${__Stage__}/"+m+clean, stage.Pos, "__Stage__", stage))
		}
	}
	return out, nil
}
