package sam

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/bulwark-sec/bulwark/internal/source"
)

// globalProperties lists, per Globals section, the properties SAM lets a
// template set for every resource of that type.
var globalProperties = map[string][]string{
	"Function": {"Handler", "Runtime", "CodeUri", "DeadLetterQueue", "Description", "MemorySize", "Timeout",
		"VpcConfig", "Environment", "Tags", "PropagateTags", "Tracing", "KmsKeyArn", "AutoPublishAlias",
		"AutoPublishAliasAllProperties", "Layers", "DeploymentPreference", "RolePath", "PermissionsBoundary",
		"ReservedConcurrentExecutions", "ProvisionedConcurrencyConfig", "AssumeRolePolicyDocument",
		"EventInvokeConfig", "FileSystemConfigs", "CodeSigningConfigArn", "Architectures", "SnapStart",
		"EphemeralStorage", "FunctionUrlConfig", "RuntimeManagementConfig", "LoggingConfig", "RecursiveLoop",
		"SourceKMSKeyArn", "TenancyConfig", "DurableConfig", "CapacityProviderConfig", "FunctionScalingConfig",
		"PublishToLatestPublished", "VersionDeletionPolicy"},
	"Api": {"Auth", "Name", "DefinitionUri", "CacheClusterEnabled", "CacheClusterSize", "MergeDefinitions",
		"Variables", "EndpointConfiguration", "MethodSettings", "BinaryMediaTypes", "MinimumCompressionSize",
		"Cors", "GatewayResponses", "AccessLogSetting", "CanarySetting", "TracingEnabled", "OpenApiVersion",
		"Domain", "AlwaysDeploy", "PropagateTags", "SecurityPolicy", "EndpointAccessMode"},
	"HttpApi": {"Auth", "AccessLogSettings", "StageVariables", "Tags", "CorsConfiguration",
		"DefaultRouteSettings", "Domain", "RouteSettings", "FailOnWarnings", "PropagateTags"},
	"SimpleTable":  {"SSESpecification"},
	"StateMachine": {"PropagateTags"},
	"LayerVersion": {"PublishLambdaVersion"},
	"CapacityProvider": {"VpcConfig", "OperatorRole", "Tags", "InstanceRequirements", "ScalingConfig",
		"KmsKeyArn", "PropagateTags"},
	"WebSocketApi": {"AccessLogSettings", "ApiKeySelectionExpression", "DefaultRouteSettings",
		"DisableExecuteApiEndpoint", "DisableSchemaValidation", "Domain", "FailOnWarnings", "IpAddressType",
		"PropagateTags", "RouteSelectionExpression", "RouteSettings", "StageVariables", "Tags"},
}

func globalsError(pos source.Pos, msg string) *source.Error {
	return &source.Error{Pos: pos, Msg: "'Globals' section is invalid. " + msg}
}

// applyGlobals merges the Globals section into every SAM resource of the
// matching type. Maps merge key by key, lists concatenate (globals first),
// and any other value, or a value whose shape differs between the two
// levels, is taken from the resource. Intrinsic functions count as plain
// values. The IgnoreGlobals attribute opts a resource out, wholly ("*") or
// per property. Sections and properties SAM does not support in Globals
// are not applied, with a warning; a Globals section, or a section in it,
// that is not a map is an error, since every resource of its type would be
// expanded from the wrong defaults.
func (t *transformer) applyGlobals() bool {
	globals := t.root.Get("Globals")
	sections := map[string]*source.Node{}
	if globals != nil {
		if globals.Kind != source.Map {
			t.errs = append(t.errs, globalsError(globals.Pos, "It must be a non-empty dictionary"))
			return false
		}
		names := make([]string, 0, len(globalProperties))
		for name := range globalProperties {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, f := range fieldsOf(globals) {
			supported, ok := globalProperties[f.Key]
			if !ok {
				t.tolerate(globalsError(f.KeyPos, fmt.Sprintf(
					"'%s' is not supported. Must be one of the following values - [%s]", f.Key, strings.Join(names, ", "))),
					"the section is not applied")
				continue
			}
			if f.Value.Kind != source.Map {
				t.errs = append(t.errs, globalsError(f.Value.Pos, fmt.Sprintf("Value of %s must be a dictionary", f.Key)))
				return false
			}
			section := f.Value
			for _, p := range f.Value.Fields {
				if !contains(supported, p.Key) {
					t.tolerate(globalsError(p.KeyPos, fmt.Sprintf(
						"'%s' is not a supported property of '%s'. Must be one of the following values - [%s]",
						p.Key, f.Key, strings.Join(supported, ", "))),
						"the property is not applied")
					if section == f.Value {
						section = shallow(f.Value)
					}
					section.Delete(p.Key)
				}
			}
			sections["AWS::Serverless::"+f.Key] = section
		}
	}
	for _, r := range t.resources {
		g := sections[r.typ]
		if g == nil || r.props == nil {
			continue
		}
		r.props = mergeGlobal(t.ignoredGlobals(r, g), r.props)
		r.props.Pos = r.node.Pos
		if body := r.props.Get("DefinitionBody"); r.managed && body != nil {
			r.body = body
		}
	}
	t.fixOpenAPIVersions()
	return true
}

// ignoredGlobals returns the Globals section g without what r's
// IgnoreGlobals attribute opts out of. Where SAM rejects the attribute, the
// transform warns: an item naming no global property is skipped, and an
// attribute that is neither "*" nor a list opts out of nothing.
func (t *transformer) ignoredGlobals(r *resource, g *source.Node) *source.Node {
	ignore := r.attr("IgnoreGlobals")
	if ignore == nil {
		return g
	}
	if s, ok := stringValue(ignore); ok && s == "*" {
		return obj(g.Pos)
	}
	if ignore.Kind != source.Seq {
		t.tolerate(&source.Error{Pos: ignore.Pos, Msg: fmt.Sprintf("Resource %s has invalid resource attribute 'IgnoreGlobals'.", r.id)},
			"all Globals are applied to it")
		return g
	}
	out := shallow(g)
	for _, it := range itemsOf(ignore) {
		key, _ := stringValue(it)
		if g.Get(key) == nil {
			t.tolerate(&source.Error{Pos: it.Pos, Msg: fmt.Sprintf("Resource %s has invalid resource attribute 'IgnoreGlobals' on item '%s'.", r.id, it.Value)},
				"the item is skipped")
			continue
		}
		out.Delete(key)
	}
	return out
}

func mergeGlobal(global, local *source.Node) *source.Node {
	gk, lk := mergeShape(global), mergeShape(local)
	if gk != lk || gk == shapeScalar {
		return local
	}
	if gk == shapeList {
		out := &source.Node{Kind: source.Seq, Pos: local.Pos, Items: make([]*source.Node, 0, len(global.Items)+len(local.Items))}
		out.Items = append(out.Items, global.Items...)
		out.Items = append(out.Items, local.Items...)
		return out
	}
	out := shallow(global)
	out.Pos = local.Pos
	for _, f := range fieldsOf(local) {
		found := false
		for i := range fieldsOf(out) {
			if out.Fields[i].Key == f.Key {
				out.Fields[i].Value = mergeGlobal(out.Fields[i].Value, f.Value)
				out.Fields[i].KeyPos = f.KeyPos
				found = true
				break
			}
		}
		if !found {
			out.Fields = append(out.Fields, f)
		}
	}
	return out
}

type shape uint8

const (
	shapeScalar shape = iota
	shapeMap
	shapeList
)

func mergeShape(n *source.Node) shape {
	switch {
	case n.Kind == source.Seq:
		return shapeList
	case n.Kind == source.Map && !isIntrinsic(n):
		return shapeMap
	}
	return shapeScalar
}

var openAPI3 = regexp.MustCompile(`^3(\.\d)(\.\d)?$`)

// fixOpenAPIVersions gives SAM-built REST API definitions the OpenAPI version
// the API asks for, after Globals are known.
func (t *transformer) fixOpenAPIVersions() {
	for _, r := range t.resources {
		if r.typ != typeAPI || !r.managed || r.body == nil {
			continue
		}
		v := r.props.Get("OpenApiVersion")
		text, ok := v.Str()
		if !ok || !openAPI3.MatchString(text) {
			continue
		}
		if v.Kind != source.String {
			set(r.props, "OpenApiVersion", str(text, v.Pos))
		}
		set(r.body, "openapi", str(text, v.Pos))
		r.body.Delete("swagger")
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
