package sam

import (
	"github.com/bulwark-sec/bulwark/internal/source"
)

// Gradual deployments (DeploymentPreference) become a CodeDeploy
// application, one deployment group per function, the CodeDeploy service
// role unless every function names its own, and an UpdatePolicy on the
// function's alias.

type deploymentPreference struct {
	function  *resource
	enabled   bool
	typ       *source.Node
	preHook   *source.Node
	postHook  *source.Node
	alarms    *source.Node
	role      *source.Node
	triggers  *source.Node
	condition string
	pos       source.Pos
}

type deploymentPreferences struct {
	list []*deploymentPreference
}

var predefinedDeployments = []string{"Canary10Percent5Minutes", "Canary10Percent10Minutes", "Canary10Percent15Minutes",
	"Canary10Percent30Minutes", "Linear10PercentEvery1Minute", "Linear10PercentEvery2Minutes",
	"Linear10PercentEvery3Minutes", "Linear10PercentEvery10Minutes", "AllAtOnce"}

// registerDeploymentPreference reads a function's DeploymentPreference and
// puts the CodeDeploy update policy on its alias.
func (t *transformer) registerDeploymentPreference(b *functionBuild) error {
	r := b.r
	dp := r.props.Get("DeploymentPreference")
	if dp == nil || dp.Kind == source.Null {
		return nil
	}
	if dp.Kind != source.Map {
		return t.invalid(r, dp.Pos, "Property 'DeploymentPreference' should be a map.")
	}
	resolve := func(n *source.Node) (*source.Node, error) {
		v, err := t.resolveParams(n)
		if err != nil {
			return nil, err
		}
		return t.resolveFindInMap(v), nil
	}
	enabled := true
	if v := dp.Get("Enabled"); v != nil {
		rv, err := resolve(v)
		if err != nil {
			return err
		}
		switch {
		case rv.Kind == source.String && (rv.Value == "false" || rv.Value == "False"):
			enabled = false
		case rv.Kind == source.Bool:
			enabled = truthy(rv)
		default:
			enabled = truthy(rv)
		}
	}
	passthrough := false
	if v := dp.Get("PassthroughCondition"); v != nil {
		rv, err := resolve(v)
		if err != nil {
			return err
		}
		switch {
		case rv.Kind == source.Bool || (rv.Kind == source.String && (rv.Value == "true" || rv.Value == "True" || rv.Value == "false" || rv.Value == "False")):
			passthrough = boolTrue(rv.Value)
		case isIntrinsic(rv):
			return t.invalid(r, v.Pos, "Unsupported intrinsic: the only intrinsic functions supported for property PassthroughCondition are FindInMap and parameter Refs.")
		default:
			return t.invalid(r, v.Pos, "Invalid value for property PassthroughCondition.")
		}
	}
	if t.deployments == nil {
		t.deployments = &deploymentPreferences{}
	}
	pref := &deploymentPreference{function: r, enabled: enabled, pos: dp.Pos}
	t.deployments.list = append(t.deployments.list, pref)
	if !enabled {
		return nil
	}
	typ := dp.Get("Type")
	if typ == nil {
		return t.invalid(r, dp.Pos, "'DeploymentPreference' is missing required Property 'Type'")
	}
	resolvedType, err := resolve(typ)
	if err != nil {
		return err
	}
	pref.typ = resolvedType
	hooks := dp.Get("Hooks")
	if hooks != nil && hooks.Kind != source.Map {
		return t.invalid(r, hooks.Pos, "'Hooks' property of 'DeploymentPreference' must be a dictionary")
	}
	pref.preHook, pref.postHook = hooks.Get("PreTraffic"), hooks.Get("PostTraffic")
	pref.alarms, pref.role, pref.triggers = dp.Get("Alarms"), dp.Get("Role"), dp.Get("TriggerConfigurations")
	if passthrough {
		pref.condition = r.condition()
	}
	if !truthy(r.props.Get("AutoPublishAlias")) {
		return t.invalid(r, dp.Pos, "'DeploymentPreference' requires AutoPublishAlias property to be specified.")
	}
	if b.alias == "" {
		return nil
	}
	alias := t.generated[t.genIndex[b.alias]].node
	update := obj(dp.Pos, "CodeDeployLambdaAliasUpdate", obj(dp.Pos,
		"ApplicationName", ref("ServerlessDeploymentApplication", dp.Pos),
		"DeploymentGroupName", ref(r.id+"DeploymentGroup", dp.Pos),
		"BeforeAllowTrafficHook", pref.preHook,
		"AfterAllowTrafficHook", pref.postHook))
	alias.Fields = withAttr(alias.Fields, "UpdatePolicy", update)
	return nil
}

// resolveFindInMap resolves Fn::FindInMap with literal arguments against the
// template's Mappings, as SAM does for DeploymentPreference.
func (t *transformer) resolveFindInMap(n *source.Node) *source.Node {
	name, arg, ok := n.Intrinsic()
	if !ok || name != "Fn::FindInMap" || arg.Kind != source.Seq || len(arg.Items) != 3 {
		return n
	}
	v := t.root.Get("Mappings")
	for _, k := range itemsOf(arg) {
		s, ok := stringValue(k)
		if !ok {
			return n
		}
		v = v.Get(s)
	}
	if v == nil {
		return n
	}
	return v
}

func (t *transformer) finishDeploymentPreferences() {
	d := t.deployments
	if d == nil || len(t.errs) > 0 || len(t.failures) > 0 {
		return
	}
	anyEnabled, skipRole := false, true
	var conds []string
	unconditional := false
	for _, p := range d.list {
		if !p.enabled {
			continue
		}
		anyEnabled = true
		if !truthy(p.role) {
			skipRole = false
		}
		if p.condition == "" {
			unconditional = true
		} else if !contains(conds, p.condition) {
			conds = append(conds, p.condition)
		}
	}
	if !anyEnabled {
		return
	}
	first := d.list[0]
	pos := first.pos
	var attrs []source.Field
	if !unconditional && len(conds) > 0 {
		name := conds[0]
		if len(conds) > 1 {
			name = "ServerlessCodeDeployCondition"
			t.addCombinedCondition(name, conds, pos)
		}
		attrs = append(attrs, source.Field{Key: "Condition", KeyPos: pos, Value: str(name, pos)})
	}
	// Problems here belong to the function whose preference caused them.
	defer func() { t.cur = nil }()
	t.cur = first.function
	t.emit(first.function, "ServerlessDeploymentApplication", resourceNode("AWS::CodeDeploy::Application", pos, attrs,
		obj(pos, "ComputePlatform", str("Lambda", pos))), pos)
	if !skipRole {
		b := &roleBuilder{logicalID: "CodeDeployServiceRole", pos: pos, attrs: attrs, assume: assumeRoleFor("codedeploy.amazonaws.com", pos)}
		b.addManaged(str(t.awsPolicyARN("service-role/AWSCodeDeployRoleForLambda"), pos))
		t.emit(first.function, b.logicalID, b.node(), pos)
	}
	for _, p := range d.list {
		if !p.enabled {
			continue
		}
		r := p.function
		t.cur = r
		alarms, ok := alarmConfiguration(p.alarms)
		if !ok {
			t.fail(t.invalid(r, p.alarms.Pos, "Alarms must be a list"))
			continue
		}
		role := getAtt("CodeDeployServiceRole", "Arn", p.pos)
		if truthy(p.role) {
			role = p.role
		}
		var gattrs []source.Field
		if p.condition != "" {
			gattrs = append(gattrs, source.Field{Key: "Condition", KeyPos: p.pos, Value: str(p.condition, p.pos)})
		}
		var triggers *source.Node
		if truthy(p.triggers) {
			triggers = p.triggers
		}
		t.emit(r, r.id+"DeploymentGroup", resourceNode("AWS::CodeDeploy::DeploymentGroup", p.pos, gattrs, obj(p.pos,
			"AlarmConfiguration", alarms,
			"ApplicationName", ref("ServerlessDeploymentApplication", p.pos),
			"AutoRollbackConfiguration", obj(p.pos, "Enabled", boolean(true, p.pos), "Events",
				strList(p.pos, "DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_STOP_ON_REQUEST")),
			"DeploymentConfigName", deploymentConfigName(p.typ, ""),
			"DeploymentStyle", obj(p.pos, "DeploymentType", str("BLUE_GREEN", p.pos), "DeploymentOption", str("WITH_TRAFFIC_CONTROL", p.pos)),
			"ServiceRoleArn", role,
			"TriggerConfigurations", triggers)), p.pos)
	}
}

// alarmConfiguration turns DeploymentPreference.Alarms into a deployment
// group's AlarmConfiguration; it reports false when Alarms is not a list.
func alarmConfiguration(alarms *source.Node) (*source.Node, bool) {
	if !truthy(alarms) || isNoValue(alarms) {
		return nil, true
	}
	build := func(l *source.Node) (*source.Node, bool) {
		if l.Kind != source.Seq {
			return nil, false
		}
		if len(l.Items) == 0 || isNoValue(l.Items[0]) {
			return obj(l.Pos), true
		}
		names := list(l.Pos)
		for _, a := range itemsOf(l) {
			names.Items = append(names.Items, obj(a.Pos, "Name", a))
		}
		return obj(l.Pos, "Enabled", boolean(true, l.Pos), "Alarms", names), true
	}
	if cond, then, els, ok := ifParts(alarms); ok {
		a, okThen := build(then)
		b, okElse := build(els)
		if !okThen || !okElse {
			return nil, false
		}
		return fnIf(cond, a, b, alarms.Pos), true
	}
	return build(alarms)
}

// deploymentConfigName turns SAM's short deployment types into CodeDeploy's
// predefined configuration names.
func deploymentConfigName(v *source.Node, key string) *source.Node {
	if v == nil {
		return nil
	}
	switch {
	case v.Kind == source.Seq:
		out := list(v.Pos)
		for _, it := range itemsOf(v) {
			out.Items = append(out.Items, deploymentConfigName(it, ""))
		}
		return out
	case isIntrinsic(v):
		out := obj(v.Pos)
		for _, f := range fieldsOf(v) {
			out.Fields = append(out.Fields, source.Field{Key: f.Key, KeyPos: f.KeyPos, Value: deploymentConfigName(f.Value, f.Key)})
		}
		return out
	case v.Kind == source.String && contains(predefinedDeployments, v.Value):
		if key == "Fn::Sub" {
			return list(v.Pos, str("CodeDeployDefault.Lambda${ConfigName}", v.Pos), obj(v.Pos, "ConfigName", v))
		}
		return fnSubVars("CodeDeployDefault.Lambda${ConfigName}", v.Pos, "ConfigName", v)
	}
	return v
}
