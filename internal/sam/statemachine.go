package sam

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/bulwark-sec/bulwark/internal/source"
)

// transformStateMachine expands an AWS::Serverless::StateMachine into the
// state machine, its execution role (Policies, policy templates, X-Ray),
// an optional version and alias, and the resources of its events, each of
// which gets a role allowed to start executions.
func (t *transformer) transformStateMachine(r *resource) error {
	t.expandPolicyTemplates(r)
	if err := t.checkProps(resourceWhere(r.id), r.props, resourceProps[typeStateMachine], r.typ, "the resource"); err != nil {
		return err
	}
	props := r.props
	sm := obj(props.Pos)
	if v := props.Get("DefinitionSubstitutions"); truthy(v) {
		set(sm, "DefinitionSubstitutions", v)
	}
	def, uri := props.Get("Definition"), props.Get("DefinitionUri")
	switch {
	case truthy(def) && truthy(uri):
		return t.invalid(r, uri.Pos, "Specify either 'Definition' or 'DefinitionUri' property and not both.")
	case truthy(def):
		defString, subs := definitionString(def)
		if len(subs.Fields) > 0 {
			merged := obj(def.Pos)
			if existing := sm.Get("DefinitionSubstitutions"); existing != nil && existing.Kind == source.Map {
				merged = shallow(existing)
			}
			for _, f := range fieldsOf(subs) {
				set(merged, f.Key, f.Value)
			}
			set(sm, "DefinitionSubstitutions", merged)
		}
		set(sm, "DefinitionString", defString)
	case truthy(uri):
		loc, err := t.s3Location(r, uri, "DefinitionUri", "Bucket", "Key", "Version")
		if err != nil {
			return err
		}
		set(sm, "DefinitionS3Location", loc)
	default:
		return t.invalid(r, r.keyPos, "Either 'Definition' or 'DefinitionUri' property must be specified.")
	}
	role, policies := props.Get("Role"), props.Get("Policies")
	if truthy(role) && truthy(policies) {
		return t.invalid(r, role.Pos, "Specify either 'Role' or 'Policies' (but not both at the same time) or neither of them")
	}
	pass := passthroughAttrs(r)
	var roleNode *source.Node
	var roleID string
	if truthy(role) {
		set(sm, "RoleArn", role)
	} else {
		b := &roleBuilder{logicalID: r.id + "Role", pos: r.keyPos, attrs: pass,
			assume: assumeRoleFor("states.amazonaws.com", r.keyPos)}
		entries := policyEntries(policies)
		if tracing := props.Get("Tracing"); tracing != nil && isTrue(tracing.Get("Enabled")) {
			entries = append(append([]*source.Node(nil), entries...), str(t.xrayPolicyName(), tracing.Pos))
		}
		t.addPolicies(r, b, list(props.Pos, entries...))
		b.path = props.Get("RolePath")
		b.boundary = props.Get("PermissionsBoundary")
		b.tags = tagList(r.keyPos, "stateMachine:createdBy", props.Get("Tags"))
		roleID = b.logicalID
		roleNode = b.node()
		set(sm, "RoleArn", getAtt(roleID, "Arn", r.keyPos))
	}
	for _, kv := range [][2]string{{"Name", "StateMachineName"}, {"Type", "StateMachineType"},
		{"Logging", "LoggingConfiguration"}, {"Tracing", "TracingConfiguration"}} {
		if v := props.Get(kv[0]); v != nil && v.Kind != source.Null {
			set(sm, kv[1], v)
		}
	}
	set(sm, "Tags", tagList(r.keyPos, "stateMachine:createdBy", props.Get("Tags")))
	t.emit(r, r.id, resourceNode("AWS::StepFunctions::StateMachine", r.keyPos, mainAttrs(r), sm), r.keyPos)
	if roleNode != nil {
		t.emit(r, roleID, roleNode, r.keyPos)
	}

	target := r.id
	alias := props.Get("AutoPublishAlias")
	dp := props.Get("DeploymentPreference")
	useAlias := props.Get("UseAliasAsEventTarget")
	switch {
	case !truthy(alias) && truthy(useAlias):
		return t.invalid(r, useAlias.Pos, "'UseAliasAsEventTarget' requires 'AutoPublishAlias' property to be specified.")
	case !truthy(alias) && truthy(dp):
		return t.invalid(r, dp.Pos, "'DeploymentPreference' requires 'AutoPublishAlias' property to be specified.")
	case truthy(alias):
		versionID := r.id + "Version"
		vattrs := pass
		if !hasAttr(vattrs, "DeletionPolicy") {
			vattrs = withAttr(vattrs, "DeletionPolicy", str("Retain", alias.Pos))
		}
		if !hasAttr(vattrs, "UpdateReplacePolicy") {
			vattrs = withAttr(vattrs, "UpdateReplacePolicy", str("Retain", alias.Pos))
		}
		t.emit(r, versionID, resourceNode("AWS::StepFunctions::StateMachineVersion", alias.Pos, vattrs, obj(alias.Pos,
			"StateMachineArn", ref(r.id, alias.Pos),
			"StateMachineRevisionId", getAtt(r.id, "StateMachineRevisionId", alias.Pos))), alias.Pos)
		name, _ := alias.Str()
		aliasID := r.id + "Alias" + name
		pref := obj(alias.Pos, "Type", str("ALL_AT_ONCE", alias.Pos))
		if truthy(dp) && dp.Kind == source.Map {
			pref = shallow(dp)
		}
		set(pref, "StateMachineVersionArn", ref(versionID, alias.Pos))
		t.emit(r, aliasID, resourceNode("AWS::StepFunctions::StateMachineAlias", alias.Pos, pass, obj(alias.Pos,
			"Name", alias, "DeploymentPreference", pref)), alias.Pos)
		if isTrue(useAlias) {
			target = aliasID
		}
	}
	for _, ev := range t.events(r) {
		t.curEv = ev // a problem with it leaves out just this event
		if err := t.checkEvent(r, ev); err != nil {
			return err
		}
		if err := t.stateMachineEvent(r, ev, target, pass); err != nil {
			return err
		}
	}
	t.curEv = nil
	t.propagateTags(r, props.Get("Tags"), props.Get("PropagateTags"))
	return nil
}

// definitionString renders an inline state machine definition the way SAM
// does: intrinsic functions become ${definition_substitution_N} and the JSON
// is split into lines for an Fn::Join.
func definitionString(def *source.Node) (*source.Node, *source.Node) {
	subs := obj(def.Pos)
	counter := 0
	var replace func(n *source.Node) any
	replace = func(n *source.Node) any {
		switch n.Kind {
		case source.Map:
			m := make(map[string]any, len(n.Fields))
			keys := n.Keys()
			sort.Strings(keys)
			for _, k := range keys {
				v := n.Get(k)
				if isIntrinsic(v) || isDynamicReference(v) {
					counter++
					name := fmt.Sprintf("definition_substitution_%d", counter)
					set(subs, name, v)
					m[k] = "${" + name + "}"
					continue
				}
				m[k] = replace(v)
			}
			return m
		case source.Seq:
			l := make([]any, len(n.Items))
			for i, it := range itemsOf(n) {
				if isIntrinsic(it) || isDynamicReference(it) {
					counter++
					name := fmt.Sprintf("definition_substitution_%d", counter)
					set(subs, name, it)
					l[i] = "${" + name + "}"
					continue
				}
				l[i] = replace(it)
			}
			return l
		}
		return nodeToAny(n)
	}
	value := replace(def)
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "    ")
	enc.SetEscapeHTML(false)
	_ = enc.Encode(value)
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	items := make([]*source.Node, len(lines))
	for i, l := range lines {
		items[i] = str(l, def.Pos)
	}
	return obj(def.Pos, "Fn::Join", list(def.Pos, str("\n", def.Pos), list(def.Pos, items...))), subs
}

var dynamicReference = regexp.MustCompile(`\{\{resolve:.+\}\}`)

func isDynamicReference(n *source.Node) bool {
	return n.Kind == source.String && dynamicReference.MatchString(n.Value)
}

func (t *transformer) stateMachineEvent(r *resource, ev *event, target string, pass []source.Field) error {
	smArn := ref(target, ev.keyPos)
	switch ev.typ {
	case "ScheduleV2":
		return t.scheduleV2Event(r, ev, smArn, false, pass)
	case "Api":
		return t.stateMachineAPIEvent(r, ev, smArn, pass)
	}
	rule := obj(ev.keyPos)
	if ev.typ == "Schedule" {
		set(rule, "ScheduleExpression", ev.prop("Schedule"))
		state, enabled := ev.prop("State"), ev.prop("Enabled")
		if truthy(state) && enabled != nil {
			return t.invalidEvent(r, ev, enabled.Pos, "State and Enabled Properties cannot both be specified.")
		}
		if truthy(state) {
			set(rule, "State", state)
		}
		if enabled != nil {
			set(rule, "State", str(enabledState(enabled), enabled.Pos))
		}
		set(rule, "Name", ev.prop("Name"))
		set(rule, "Description", ev.prop("Description"))
	} else {
		set(rule, "EventBusName", ev.prop("EventBusName"))
		set(rule, "EventPattern", ev.prop("Pattern"))
		set(rule, "Name", ev.prop("RuleName"))
		if v := ev.prop("State"); truthy(v) {
			set(rule, "State", v)
		}
	}
	rule = obj(rule.Pos, flatten(rule)...)
	var roleArn *source.Node
	if ev.typ == "Schedule" && ev.prop("RoleArn") != nil {
		roleArn = ev.prop("RoleArn")
	} else {
		roleID := t.eventRole(r, ev, "events.amazonaws.com", smArn, pass)
		roleArn = getAtt(roleID, "Arn", ev.keyPos)
	}
	ruleArn := getAtt(ev.logicalID, "Arn", ev.keyPos)
	dlqArn, err := t.ruleDLQ(r, ev, ruleArn, pass)
	if err != nil {
		return err
	}
	id := str(ruleTargetID(ev.logicalID, "StepFunctionsTarget"), ev.keyPos)
	if tgt := ev.prop("Target"); tgt != nil && tgt.Get("Id") != nil {
		id = tgt.Get("Id")
	}
	tgt := obj(ev.keyPos, "Arn", smArn, "Id", id, "RoleArn", roleArn, "Input", ev.prop("Input"), "InputPath", ev.prop("InputPath"))
	if ev.prop("DeadLetterConfig") != nil {
		set(tgt, "DeadLetterConfig", obj(ev.propPos("DeadLetterConfig"), "Arn", dlqArn))
	}
	if v := ev.prop("RetryPolicy"); v != nil {
		set(tgt, "RetryPolicy", v)
	}
	if v := ev.prop("InputTransformer"); v != nil && ev.typ != "Schedule" {
		set(tgt, "InputTransformer", v)
	}
	set(rule, "Targets", list(ev.keyPos, tgt))
	t.emit(r, ev.logicalID, resourceNode("AWS::Events::Rule", ev.keyPos, pass, rule), ev.keyPos)
	return nil
}

// flatten returns a map's fields as alternating keys and values for obj,
// which drops nil values.
func flatten(n *source.Node) []any {
	out := make([]any, 0, 2*len(n.Fields))
	for _, f := range fieldsOf(n) {
		out = append(out, f.Key, f.Value)
	}
	return out
}

// eventRole creates the role an event service assumes to start executions
// of the state machine.
func (t *transformer) eventRole(r *resource, ev *event, principal string, smArn *source.Node, pass []source.Field) string {
	roleID := ev.logicalID + "Role"
	b := &roleBuilder{logicalID: roleID, pos: ev.keyPos, attrs: pass, assume: assumeRoleFor(principal, ev.keyPos)}
	b.policies = []*source.Node{namedPolicy(roleID+"StartExecutionPolicy", obj(ev.keyPos, "Statement", list(ev.keyPos,
		allow(ev.keyPos, str("states:StartExecution", ev.keyPos), smArn))), ev.keyPos)}
	b.boundary = r.props.Get("PermissionsBoundary")
	node := b.node()
	props := node.Get("Properties")
	props.Delete("ManagedPolicyArns")
	t.emit(r, roleID, node, ev.keyPos)
	return roleID
}

// stateMachineAPIEvent adds a route that starts an execution: a role for API
// Gateway and, on SAM-built definitions, an AWS integration with its auth.
func (t *transformer) stateMachineAPIEvent(r *resource, ev *event, smArn *source.Node, pass []source.Field) error {
	apiID, ok := stringValue(apiIDString(ev.prop("RestApiId")))
	if !ok {
		return t.invalidEvent(r, ev, ev.propPos("RestApiId"), "Property 'RestApiId' should be a string.")
	}
	api := t.byID[apiID]
	if api == nil {
		return t.invalidEvent(r, ev, ev.propPos("RestApiId"), "RestApiId property of Api event must reference a valid resource in the same template.")
	}
	roleID := t.eventRole(r, ev, "apigateway.amazonaws.com", smArn, pass)
	if api.props == nil || !api.managed {
		return nil
	}
	path, okPath := stringValue(ev.prop("Path"))
	method, okMethod := stringValue(ev.prop("Method"))
	if !okPath || !okMethod {
		return t.invalidEvent(r, ev, ev.keyPos, "Properties 'Path' and 'Method' should be strings.")
	}
	method = strings.ToLower(method)
	pos := ev.propPos("Path")
	doc := t.ownBody(api)
	if doc == nil {
		return nil
	}
	ed := &editor{t: t, doc: doc}
	has, err := ed.hasIntegration(path, method)
	if err != nil {
		return err
	}
	if has {
		return t.invalidEvent(r, ev, pos, "API method \"%s\" defined multiple times for path \"%s\".", method, path)
	}
	if err := ed.addPath(path, method, pos); err != nil {
		return err
	}
	uri := fnSub("arn:${AWS::Partition}:apigateway:${AWS::Region}:states:action/StartExecution", pos)
	cond := r.condition()
	if cond != "" {
		uri = fnIf(cond, uri, noValue(pos), pos)
	}
	var template *source.Node
	if isTrue(ev.prop("UnescapeMappingTemplate")) {
		template = fnSub(`{"input": "$util.escapeJavaScript($input.json('$')).replaceAll("\\'","'")", "stateMachineArn": "${`+r.id+`}"}`, pos)
	} else {
		template = fnSub(`{"input": "$util.escapeJavaScript($input.json('$'))", "stateMachineArn": "${`+r.id+`}"}`, pos)
	}
	norm := normalizeMethod(method)
	items, err := branches(ed.paths().Get(path))
	if err != nil {
		return err
	}
	for _, item := range items {
		op := item.Get(norm)
		set(op, xIntegration, obj(pos,
			"type", str("aws", pos),
			"httpMethod", str("POST", pos),
			"uri", uri,
			"responses", obj(pos, "200", obj(pos, "statusCode", str("200", pos)), "400", obj(pos, "statusCode", str("400", pos))),
			"credentials", getAtt(roleID, "Arn", pos),
			"requestTemplates", obj(pos, "application/json", template)))
		if op.Get("responses") == nil {
			set(op, "responses", obj(pos, "200", obj(pos, "description", str("OK", pos)), "400", obj(pos, "description", str("Bad Request", pos))))
		}
		if cond != "" {
			set(item, norm, fnIf(cond, op, noValue(pos), pos))
		}
	}
	if truthy(ev.prop("Auth")) {
		// Unlike function events, SAM passes the event's own Stage here.
		return t.addEventAuth(r, ev, api, ed, path, method, ev.prop("Stage"))
	}
	return nil
}

// scheduleV2Event adds an EventBridge Scheduler schedule and the role it
// uses to invoke the function or start the state machine.
func (t *transformer) scheduleV2Event(r *resource, ev *event, targetArn *source.Node, function bool, pass []source.Field) error {
	pos := ev.keyPos
	sched := obj(pos, "ScheduleExpression", ev.prop("ScheduleExpression"))
	if v := ev.prop("State"); truthy(v) {
		set(sched, "State", v)
	}
	if isTrue(ev.prop("OmitName")) {
		if truthy(ev.prop("Name")) {
			return t.invalidEvent(r, ev, ev.propPos("Name"), "Name cannot be set when OmitName is True")
		}
	} else if v := ev.prop("Name"); truthy(v) {
		set(sched, "Name", v)
	} else {
		set(sched, "Name", str(ev.logicalID, pos))
	}
	if v := ev.prop("FlexibleTimeWindow"); truthy(v) {
		set(sched, "FlexibleTimeWindow", v)
	} else {
		set(sched, "FlexibleTimeWindow", obj(pos, "Mode", str("OFF", pos)))
	}
	for _, k := range []string{"Description", "StartDate", "EndDate", "ScheduleExpressionTimezone", "GroupName", "KmsKeyArn"} {
		if v := ev.prop(k); v != nil {
			set(sched, k, v)
		}
	}
	var dlqArn *source.Node
	if cfg := ev.prop("DeadLetterConfig"); cfg != nil {
		if err := t.validateRuleDLQ(r, ev, cfg); err != nil {
			return err
		}
		if arn := cfg.Get("Arn"); arn != nil {
			dlqArn = arn
		} else {
			queueID := ev.logicalID + "Queue"
			if q := cfg.Get("QueueLogicalId"); q != nil {
				s, ok := stringValue(q)
				if !ok {
					return t.invalidEvent(r, ev, q.Pos, "QueueLogicalId must be a string")
				}
				queueID = s
			}
			t.emit(r, queueID, resourceNode("AWS::SQS::Queue", cfg.Pos, pass, nil), cfg.Pos)
			dlqArn = getAtt(queueID, "Arn", cfg.Pos)
		}
	}
	roleArn := ev.prop("RoleArn")
	if !truthy(roleArn) {
		roleID := hashString(ev.logicalID+"Role", "")
		var policy *source.Node
		if function {
			policy = destinationPolicy("Lambda", ev.logicalID, targetArn, pos)
		} else {
			policy = namedPolicy(ev.logicalID+"StartExecutionPolicy", obj(pos, "Statement", list(pos,
				allow(pos, str("states:StartExecution", pos), targetArn))), pos)
		}
		b := &roleBuilder{logicalID: roleID, pos: pos, attrs: pass, assume: assumeRoleFor("scheduler.amazonaws.com", pos),
			policies: []*source.Node{policy}}
		if dlqArn != nil {
			b.policies = append(b.policies, destinationPolicy("SQS", ev.logicalID, dlqArn, pos))
		}
		b.boundary = ev.prop("PermissionsBoundary")
		node := b.node()
		node.Get("Properties").Delete("ManagedPolicyArns")
		t.emit(r, roleID, node, pos)
		roleArn = getAtt(roleID, "Arn", pos)
	}
	tgt := obj(pos, "Arn", targetArn, "RoleArn", roleArn, "Input", ev.prop("Input"))
	if ev.prop("DeadLetterConfig") != nil {
		set(tgt, "DeadLetterConfig", obj(ev.propPos("DeadLetterConfig"), "Arn", dlqArn))
	}
	if v := ev.prop("RetryPolicy"); v != nil {
		set(tgt, "RetryPolicy", v)
	}
	set(sched, "Target", tgt)
	t.emit(r, ev.logicalID, resourceNode("AWS::Scheduler::Schedule", pos, pass, sched), pos)
	return nil
}
