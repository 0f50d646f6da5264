package sam

import (
	"sort"
	"strconv"
	"strings"

	"github.com/bulwark-sec/bulwark/internal/source"
)

// implicitAPI is the state of one implicit API (ServerlessRestApi or
// ServerlessHttpApi) while events are attached to it.
type implicitAPI struct {
	logicalID     string
	conditionName string
	eventType     string // "Api" or "HttpApi"
	apiType       string // AWS::Serverless::Api or AWS::Serverless::HttpApi
	idProperty    string // RestApiId or ApiId
	existing      *resource

	// conditions[api][path][method] = condition of the resource that owns
	// the event ("" when it has none).
	conditions    map[string]map[string]map[string]string
	pathOrder     map[string][]string
	deletion      map[string][]string
	updateReplace map[string][]string
}

// addDefaultDefinitionBodies gives APIs that have neither DefinitionBody nor
// DefinitionUri an empty definition that SAM then builds from events.
func (t *transformer) addDefaultDefinitionBodies() {
	for _, r := range t.resources {
		if r.typ != typeAPI && r.typ != typeHTTPAPI {
			continue
		}
		if truthy(r.props.Get("DefinitionBody")) || truthy(r.props.Get("DefinitionUri")) {
			continue
		}
		if r.typ == typeHTTPAPI {
			r.body = openAPISkeleton(r.keyPos)
		} else {
			r.body = swaggerSkeleton(r.keyPos)
		}
		set(r.props, "DefinitionBody", r.body)
		r.managed = true
	}
	for _, r := range t.resources {
		if r.props != nil && isTrue(r.props.Get("__MANAGE_SWAGGER")) && !r.managed {
			r.managed = true
			t.ownBody(r)
		}
	}
}

// ownBody gives the transform a private copy of an API's DefinitionBody so
// SAM's edits never reach the caller's tree.
func (t *transformer) ownBody(r *resource) *source.Node {
	if r.body != nil {
		return r.body
	}
	body := r.props.Get("DefinitionBody")
	if body == nil || body.Kind != source.Map {
		return nil
	}
	r.body = body.Clone()
	set(r.props, "DefinitionBody", r.body)
	return r.body
}

// addImplicitAPIs builds ServerlessRestApi and ServerlessHttpApi from the Api
// and HttpApi events that name no API, and adds every event's path and
// method to the definition of the API it targets.
func (t *transformer) addImplicitAPIs() {
	rest := &implicitAPI{logicalID: "ServerlessRestApi", conditionName: "ServerlessRestApiCondition",
		eventType: "Api", apiType: typeAPI, idProperty: "RestApiId"}
	http := &implicitAPI{logicalID: "ServerlessHttpApi", conditionName: "ServerlessHttpApiCondition",
		eventType: "HttpApi", apiType: typeHTTPAPI, idProperty: "ApiId"}
	for _, api := range []*implicitAPI{rest, http} {
		t.addImplicitAPI(api)
	}
}

func (t *transformer) addImplicitAPI(api *implicitAPI) {
	api.conditions = map[string]map[string]map[string]string{}
	api.pathOrder = map[string][]string{}
	api.deletion = map[string][]string{}
	api.updateReplace = map[string][]string{}
	api.existing = t.byID[api.logicalID]
	if !t.hasEventType(api.eventType) {
		return
	}

	implicit := &resource{id: api.logicalID, typ: api.apiType, managed: true, implied: true}
	implicit.node = obj(source.Pos{}, "Type", str(api.apiType, source.Pos{}))
	if api.apiType == typeHTTPAPI {
		implicit.body = openAPISkeleton(source.Pos{})
		implicit.props = obj(source.Pos{}, "DefinitionBody", implicit.body)
	} else {
		implicit.body = swaggerSkeleton(source.Pos{})
		implicit.props = obj(source.Pos{}, "StageName", str("Prod", source.Pos{}), "DefinitionBody", implicit.body)
	}
	t.setResource(implicit)

	var firstPos source.Pos
	for _, r := range append([]*resource(nil), t.resources...) {
		if (r.typ != typeFunction && r.typ != typeStateMachine) || t.isLeftOut(r) {
			continue
		}
		for _, ev := range t.events(r) {
			if ev.typ != api.eventType {
				continue
			}
			t.cur, t.curEv = r, ev
			err := t.attachToAPI(api, r, ev)
			t.fail(err)
			t.cur, t.curEv = nil, nil
			if err != nil {
				continue
			}
			if !firstPos.IsValid() {
				firstPos = ev.keyPos
				implicit.parent = r
			}
		}
	}
	implicit.keyPos = firstPos
	implicit.node.Pos = firstPos

	t.conditionImplicitAPI(api, implicit)
	t.conditionPaths(api)
	paths := implicit.body.Get("paths")
	if paths == nil || len(paths.Fields) == 0 {
		if api.existing != nil {
			t.setResource(api.existing)
		} else {
			t.removeResource(api.logicalID)
		}
	}
}

// hasEventType reports whether any function or state machine has an event of
// the given type, so the implicit API is only built when it can be used.
func (t *transformer) hasEventType(typ string) bool {
	for _, r := range t.resources {
		if (r.typ != typeFunction && r.typ != typeStateMachine) || t.isLeftOut(r) {
			continue
		}
		for _, ev := range t.events(r) {
			if ev.typ == typ {
				return true
			}
		}
	}
	return false
}

func (t *transformer) setResource(r *resource) {
	if old, ok := t.byID[r.id]; ok {
		for i, x := range t.resources {
			if x == old {
				t.resources[i] = r
			}
		}
	} else {
		t.resources = append(t.resources, r)
	}
	t.byID[r.id] = r
}

func (t *transformer) removeResource(id string) {
	old, ok := t.byID[id]
	if !ok {
		return
	}
	delete(t.byID, id)
	for i, x := range t.resources {
		if x == old {
			t.resources = append(t.resources[:i:i], t.resources[i+1:]...)
			break
		}
	}
}

// attachToAPI records one Api/HttpApi event: it fills in the implicit API's
// ID when the event names none and adds the route to the API definition
// when SAM manages that definition.
func (t *transformer) attachToAPI(api *implicitAPI, r *resource, ev *event) error {
	if ev.props.Kind != source.Map {
		return t.invalidEvent(r, ev, ev.props.Pos, "Properties should be a map.")
	}
	if api.eventType == "Api" && len(ev.props.Fields) == 0 {
		return nil
	}
	t.propagateTagsToImplicitAPI(api, r, ev)
	if ev.prop(api.idProperty) == nil {
		set(ev.props, api.idProperty, ref(api.logicalID, ev.keyPos))
	}
	if api.eventType == "HttpApi" && !truthy(ev.prop("Path")) && !truthy(ev.prop("Method")) {
		set(ev.props, "Path", str("$default", ev.keyPos))
		set(ev.props, "Method", str("x-amazon-apigateway-any-method", ev.keyPos))
	}
	apiID := apiIDString(ev.prop(api.idProperty))
	pathNode, methodNode := ev.prop("Path"), ev.prop("Method")
	if pathNode == nil || pathNode.Kind == source.Null {
		return t.invalidEvent(r, ev, ev.keyPos, "Property 'Path' is required.")
	}
	if methodNode == nil || methodNode.Kind == source.Null {
		return t.invalidEvent(r, ev, ev.keyPos, "Property 'Method' is required.")
	}
	id, ok := stringValue(apiID)
	if !ok {
		return t.invalidEvent(r, ev, ev.propPos(api.idProperty), "Property '%s' should be a string.", api.idProperty)
	}
	path, ok := stringValue(pathNode)
	if !ok {
		return t.invalidEvent(r, ev, pathNode.Pos, "Property 'Path' should be a string.")
	}
	method, ok := stringValue(methodNode)
	if !ok {
		return t.invalidEvent(r, ev, methodNode.Pos, "Property 'Method' should be a string.")
	}

	byPath := api.conditions[id]
	if byPath == nil {
		byPath = map[string]map[string]string{}
		api.conditions[id] = byPath
	}
	if byPath[path] == nil {
		byPath[path] = map[string]string{}
		api.pathOrder[id] = append(api.pathOrder[id], path)
	}
	byPath[path][method] = r.condition()
	dp, _ := stringValue(r.attr("DeletionPolicy"))
	api.deletion[id] = append(api.deletion[id], dp)
	urp, _ := stringValue(r.attr("UpdateReplacePolicy"))
	api.updateReplace[id] = append(api.updateReplace[id], urp)

	target := t.byID[id]
	if target == nil || (target.typ == typeHTTPAPI && api.apiType != typeHTTPAPI) {
		return t.invalidEvent(r, ev, ev.propPos(api.idProperty),
			"%s must be a valid reference to an '%s' resource in same template.", api.idProperty, api.apiType)
	}
	if target.props == nil || !target.managed || target.body == nil {
		return nil
	}
	valid := isSwagger(target.body)
	if api.apiType == typeHTTPAPI {
		valid = isOpenAPI(target.body)
	}
	if !valid {
		return nil
	}
	ed := &editor{t: t, doc: target.body}
	return ed.addPath(path, method, pathNode.Pos)
}

// apiIDString unwraps {"Ref": X} to X, as SAM does for RestApiId and ApiId.
func apiIDString(n *source.Node) *source.Node {
	if name, arg, ok := n.Intrinsic(); ok && name == "Ref" {
		return arg
	}
	return n
}

// propagateTagsToImplicitAPI copies a function's Tags to the implicit API
// when the function (or Globals) asks for tag propagation.
func (t *transformer) propagateTagsToImplicitAPI(api *implicitAPI, r *resource, ev *event) {
	if ev.prop(api.idProperty) != nil {
		return
	}
	implicit := t.byID[api.logicalID]
	if implicit == nil || !implicit.implied {
		return
	}
	var globals *source.Node
	if g := t.root.Get("Globals"); g != nil {
		globals = g.Get(strings.TrimPrefix(r.typ, "AWS::Serverless::"))
	}
	propagate := r.props.Get("PropagateTags")
	if !truthy(propagate) {
		propagate = globals.Get("PropagateTags")
	}
	tags := r.props.Get("Tags")
	if !truthy(tags) {
		tags = globals.Get("Tags")
	}
	if !truthy(propagate) || !truthy(tags) || tags.Kind != source.Map {
		return
	}
	existing := implicit.props.Get("Tags")
	merged := obj(tags.Pos)
	if existing != nil {
		merged = shallow(existing)
	}
	for _, f := range fieldsOf(tags) {
		set(merged, f.Key, f.Value)
	}
	set(implicit.props, "Tags", merged)
	set(implicit.props, "PropagateTags", boolean(true, propagate.Pos))
}

// conditionImplicitAPI makes the implicit API conditional when every route on
// it comes from a conditional resource, and carries deletion policies over.
func (t *transformer) conditionImplicitAPI(api *implicitAPI, implicit *resource) {
	byPath := api.conditions[api.logicalID]
	if len(byPath) > 0 {
		all := map[string]bool{}
		unconditional := false
		for _, methods := range byPath {
			for _, c := range methods {
				if c == "" {
					unconditional = true
				}
				all[c] = true
			}
		}
		if !unconditional && len(all) > 0 {
			names := sortedKeys(all)
			if len(names) == 1 {
				set(implicit.node, "Condition", str(names[0], implicit.node.Pos))
			} else {
				set(implicit.node, "Condition", str(api.conditionName, implicit.node.Pos))
				t.addCombinedCondition(api.conditionName, names, implicit.node.Pos)
			}
		}
	}
	if policy := strongestPolicy(api.deletion[api.logicalID], "Retain", "Delete"); policy != "" {
		set(implicit.node, "DeletionPolicy", str(policy, implicit.node.Pos))
	}
	if policy := strongestPolicy(api.updateReplace[api.logicalID], "Retain", "Snapshot", "Delete"); policy != "" {
		set(implicit.node, "UpdateReplacePolicy", str(policy, implicit.node.Pos))
	}
}

func strongestPolicy(policies []string, order ...string) string {
	for _, want := range order {
		for _, p := range policies {
			if p == want {
				return want
			}
		}
	}
	return ""
}

// conditionPaths wraps a path of a SAM-built definition in Fn::If when every
// method on it comes from a conditional resource.
func (t *transformer) conditionPaths(api *implicitAPI) {
	for _, r := range t.resources {
		if r.typ != api.apiType || !r.managed || r.body == nil {
			continue
		}
		paths := r.body.Get("paths")
		if paths == nil || paths.Kind != source.Map {
			continue
		}
		for i, f := range fieldsOf(paths) {
			methods := api.conditions[r.id][f.Key]
			if len(methods) == 0 {
				continue
			}
			all := map[string]bool{}
			unconditional := false
			for _, c := range methods {
				if c == "" {
					unconditional = true
				}
				all[c] = true
			}
			if unconditional {
				continue
			}
			names := sortedKeys(all)
			cond := names[0]
			if len(names) > 1 {
				cond = r.id + strings.NewReplacer("/", "SLASH", "{", "OB", "}", "CB").Replace(f.Key) + "PathCondition"
				t.addCombinedCondition(cond, names, f.Value.Pos)
			}
			paths.Fields[i].Value = fnIf(cond, f.Value, noValue(f.Value.Pos), f.Value.Pos)
		}
	}
}

// addCombinedCondition adds template conditions that OR the given ones
// together under name, the way SAM does: Fn::Or takes at most ten
// conditions, so larger sets chain through numbered helper conditions.
func (t *transformer) addCombinedCondition(name string, conds []string, pos source.Pos) {
	if len(conds) < 2 {
		return
	}
	const most = 10
	extra := (len(conds) - 2) / (most - 1)
	conds = append([]string(nil), conds...)
	for len(conds) > 1 {
		newName := name
		if extra > 0 {
			newName = name + strconv.Itoa(extra)
			extra--
		}
		k := min(most, len(conds))
		t.addCondition(newName, orOf(conds[:k], pos))
		conds = append(conds[k:], newName)
	}
}

func orOf(conds []string, pos source.Pos) *source.Node {
	items := make([]*source.Node, len(conds))
	for i, c := range conds {
		items[i] = obj(pos, "Condition", str(c, pos))
	}
	return obj(pos, "Fn::Or", list(pos, items...))
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
