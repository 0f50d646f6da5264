package sam

import (
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/bulwark-sec/bulwark/internal/source"
)

// Connectors (AWS::Serverless::Connector and the Connectors attribute)
// grant one resource access to another through the profiles SAM ships: an
// IAM managed policy on the source's role, a queue or topic policy, or a
// Lambda permission.

// expandEmbeddedConnectors turns each resource's Connectors attribute into
// AWS::Serverless::Connector resources named <Source><Connector>.
func (t *transformer) expandEmbeddedConnectors() {
	const without = "the connector is left out"
	for _, r := range append([]*resource(nil), t.resources...) {
		conns := r.node.Get("Connectors")
		if conns == nil {
			continue
		}
		if conns.Kind != source.Map {
			t.tolerate(t.invalid(r, conns.Pos, "Property '%s.Connectors' should be a map.", r.id), "the connectors are left out")
			conns = nil
		}
		for _, f := range fieldsOf(conns) {
			id := r.id + f.Key
			c := f.Value
			if c.Kind != source.Map {
				t.tolerate(t.errorAt(c.Pos, "Resource with id [%s] is invalid. %s.%s should be a map.", id, r.id, id), without)
				continue
			}
			props := c.Get("Properties")
			if props == nil || props.Kind != source.Map {
				t.tolerate(t.invalid(r, posOr(props, c.Pos), "Property 'Connectors.%s.Properties' should be a map.", f.Key), without)
				continue
			}
			props = shallow(props)
			src := obj(f.KeyPos, "Id", str(r.id, f.KeyPos))
			if ref := props.Get("SourceReference"); ref != nil {
				if ref.Kind != source.Map {
					t.tolerate(t.invalid(r, ref.Pos, "Property 'Connectors.%s.Properties.SourceReference' should be a map.", f.Key), without)
					continue
				}
				if ref.Get("Id") != nil {
					t.tolerate(t.errorAt(ref.Pos, "Resource with id [%s] is invalid. 'Id' shouldn't be defined in 'SourceReference'.", f.Key), without)
					continue
				}
				for _, rf := range fieldsOf(ref) {
					set(src, rf.Key, rf.Value)
				}
				props.Delete("SourceReference")
			}
			set(props, "Source", src)
			node := obj(c.Pos, "Type", str(typeConnector, f.KeyPos))
			for _, cf := range fieldsOf(c) {
				if cf.Key != "Properties" && cf.Key != "Type" {
					node.Fields = append(node.Fields, cf)
				}
			}
			set(node, "Properties", props)
			if _, exists := t.byID[id]; exists {
				t.tolerate(t.errorAt(f.KeyPos, "Transforming resource with id [%s] attempts to create a new resource with id [%s] and type \"%s\". A resource with that id already exists within this template. Please use a different id for that resource.", r.id, id, typeConnector), without)
				continue
			}
			cr := &resource{id: id, keyPos: f.KeyPos, node: node, typ: typeConnector, props: props, implied: true, parent: r}
			t.resources = append(t.resources, cr)
			t.byID[id] = cr
		}
		// The attribute is SAM's own: it never reaches CloudFormation.
		if !r.isSAM() {
			if !r.owned {
				r.node = shallow(r.node)
			}
			r.node.Delete("Connectors")
		} else {
			r.node = shallow(r.node)
			r.node.Delete("Connectors")
		}
	}
}

// connectorEnd is one side of a connector, resolved against the transformed
// template.
type connectorEnd struct {
	logicalID  string
	typ        string
	arn        *source.Node
	roleName   *source.Node
	queueURL   *source.Node
	resourceID *source.Node
	name       *source.Node
	qualifier  *source.Node
}

var samToCFN = map[string]string{
	typeFunction: "AWS::Lambda::Function", typeStateMachine: "AWS::StepFunctions::StateMachine",
	typeAPI: "AWS::ApiGateway::RestApi", typeHTTPAPI: "AWS::ApiGatewayV2::Api", typeSimpleTable: "AWS::DynamoDB::Table",
}

// currentResource returns a resource as it stands in the output so far.
func (t *transformer) currentResource(id string) *source.Node {
	if i, ok := t.genIndex[id]; ok {
		return t.generated[i].node
	}
	if r, ok := t.byID[id]; ok && !r.isSAM() {
		return r.node
	}
	return nil
}

// mutableResource returns a resource of the output that the transform may
// change (adding DependsOn), copying a user's resource first.
func (t *transformer) mutableResource(id string) *source.Node {
	if i, ok := t.genIndex[id]; ok {
		return t.generated[i].node
	}
	if r, ok := t.byID[id]; ok && !r.isSAM() {
		t.own(r)
		return r.node
	}
	return nil
}

func (t *transformer) connectorRef(c *resource, end, other *source.Node) (*connectorEnd, error) {
	if end == nil || end.Kind != source.Map {
		return nil, t.invalid(c, posOr(end, c.keyPos), "Must provide 'Id' (with optional 'Qualifier') or a supported combination of other properties.")
	}
	hasID := end.Get("Id") != nil
	others := 0
	for _, f := range fieldsOf(end) {
		if f.Key != "Id" && f.Key != "Qualifier" {
			others++
		}
	}
	if hasID == (others > 0) {
		return nil, t.invalid(c, end.Pos, "Must provide 'Id' (with optional 'Qualifier') or a supported combination of other properties.")
	}
	if !hasID {
		typ, ok := stringValue(end.Get("Type"))
		if !ok || typ == "" {
			return nil, t.invalid(c, end.Pos, "'Type' is missing or not a string.")
		}
		if cfn, ok := samToCFN[typ]; ok {
			typ = cfn
		}
		return &connectorEnd{typ: typ, arn: end.Get("Arn"), roleName: end.Get("RoleName"), queueURL: end.Get("QueueUrl"),
			resourceID: end.Get("ResourceId"), name: end.Get("Name"), qualifier: end.Get("Qualifier")}, nil
	}
	id, ok := stringValue(end.Get("Id"))
	if !ok || id == "" {
		return nil, t.invalid(c, end.Get("Id").Pos, "'Id' is missing or not a string.")
	}
	res := t.currentResource(id)
	if res == nil {
		return nil, t.invalid(c, end.Get("Id").Pos, "Unable to find resource with logical ID '%s'.", id)
	}
	typ, ok := stringValue(res.Get("Type"))
	if !ok || typ == "" {
		return nil, t.invalid(c, end.Get("Id").Pos, "'Type' is missing or not a string.")
	}
	pos := end.Pos
	cfnProps := t.data.profiles.Get("CfnResourceProperties").Get(typ)
	outputs := profileReplace(cfnProps.Get("Outputs"), map[string]*source.Node{"logicalId": str(id, pos)}, pos)
	ce := &connectorEnd{logicalID: id, typ: typ, arn: outputs.Get("Arn"), queueURL: outputs.Get("Url"),
		resourceID: outputs.Get("Id"), name: outputs.Get("Name"), qualifier: outputs.Get("Qualifier")}
	if q := end.Get("Qualifier"); q != nil {
		ce.qualifier = q
	}
	props := res.Get("Properties")
	var role *source.Node
	switch in := cfnProps.Get("Inputs").Get("Role"); {
	case in == nil:
	case in.Kind == source.String:
		role = props.Get(in.Value)
	case in.Kind == source.Map:
		if fn, _ := stringValue(in.Get("Function")); fn == "GetEventsRuleRole" {
			otherID, _ := stringValue(other.Get("Id"))
			otherArn := other.Get("Arn")
			for _, target := range itemsOf(props.Get("Targets")) {
				arn := target.Get("Arn")
				tid := logicalIDOf(arn)
				if (tid != "" && tid == otherID) || (otherArn != nil && equal(arn, otherArn)) {
					role = target.Get("RoleArn")
					break
				}
			}
		}
	}
	if truthy(role) {
		if rid := logicalIDOf(role); rid != "" {
			ce.roleName = ref(rid, role.Pos)
		}
	}
	return ce, nil
}

var profileVariable = regexp.MustCompile(`%\{[\w.]+\}`)
var subReference = regexp.MustCompile(`\$\{.+\}`)

// profileReplace substitutes %{Name} variables in profile data. A string that
// is exactly one variable becomes its value; variables inside longer strings
// become ${Name} references of an Fn::Sub.
func profileReplace(n *source.Node, vars map[string]*source.Node, pos source.Pos) *source.Node {
	if n == nil {
		return nil
	}
	switch n.Kind {
	case source.Map:
		out := obj(pos)
		for _, f := range fieldsOf(n) {
			out.Fields = append(out.Fields, source.Field{Key: f.Key, KeyPos: pos, Value: profileReplace(f.Value, vars, pos)})
		}
		return out
	case source.Seq:
		out := list(pos)
		for _, it := range itemsOf(n) {
			out.Items = append(out.Items, profileReplace(it, vars, pos))
		}
		return out
	case source.String:
		s := n.Value
		subVars := obj(pos)
		names := make([]string, 0, len(vars))
		for k := range vars {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			pattern := "%{" + k + "}"
			if !strings.Contains(s, pattern) {
				continue
			}
			v := vars[k]
			if v == nil {
				return nil
			}
			if s == pattern {
				return v
			}
			name := alnumOnly(k)
			s = strings.ReplaceAll(s, pattern, "${"+name+"}")
			set(subVars, name, v)
		}
		if subReference.MatchString(s) {
			if len(subVars.Fields) > 0 {
				return obj(pos, "Fn::Sub", list(pos, str(s, pos), subVars))
			}
			return obj(pos, "Fn::Sub", str(s, pos))
		}
		return str(s, pos)
	}
	return withPos(n, pos)
}

// missingVariable reports the first %{...} variable left unreplaced or
// whose value is missing.
func missingVariable(template *source.Node, vars map[string]*source.Node) string {
	var found string
	var walk func(n *source.Node)
	walk = func(n *source.Node) {
		if n == nil || found != "" {
			return
		}
		switch n.Kind {
		case source.Map:
			for _, f := range fieldsOf(n) {
				walk(f.Value)
			}
		case source.Seq:
			for _, it := range itemsOf(n) {
				walk(it)
			}
		case source.String:
			for _, m := range profileVariable.FindAllString(n.Value, -1) {
				name := strings.TrimSuffix(strings.TrimPrefix(m, "%{"), "}")
				if v, ok := vars[name]; !ok || v == nil {
					found = name
					return
				}
			}
		}
	}
	walk(template)
	return found
}

func (t *transformer) transformConnector(c *resource) error {
	if err := t.checkProps(resourceWhere(c.id), c.props, resourceProps[typeConnector], c.typ, "the resource"); err != nil {
		return err
	}
	props := c.props
	srcRef := props.Get("Source")
	dest := props.Get("Destination")
	perms := props.Get("Permissions")
	var dests []*source.Node
	multi := dest.Kind == source.Seq
	if multi {
		dests = dest.Items
	} else {
		dests = []*source.Node{dest}
	}
	var permissions []string
	for _, p := range itemsOf(perms) {
		s, ok := stringValue(p)
		if !ok {
			return t.invalid(c, p.Pos, "Property 'Permissions' should be a list of strings.")
		}
		if !contains(permissions, s) {
			permissions = append(permissions, s)
		}
	}
	var generated []string
	for i, d := range dests {
		dst, err := t.connectorRef(c, d, srcRef)
		if err != nil {
			return err
		}
		src, err := t.connectorRef(c, srcRef, d)
		if err != nil {
			return err
		}
		ids, err := t.connectorResources(c, src, dst, permissions, i, multi)
		if err != nil {
			return err
		}
		generated = append(generated, ids...)
	}
	if len(generated) == 0 {
		return t.invalid(c, dest.Pos, "'Destination' is an empty list")
	}
	t.replaceDependsOn(c.id, generated)
	return nil
}

func (t *transformer) connectorResources(c *resource, src, dst *connectorEnd, permissions []string, index int, multi bool) ([]string, error) {
	pos := c.keyPos
	profile := t.data.profiles.Get("Permissions").Get(src.typ).Get(dst.typ)
	if profile == nil {
		return nil, t.invalid(c, pos, "Unable to create connector from %s to %s; it's not supported or the template is invalid.", src.typ, dst.typ)
	}
	profileType, _ := stringValue(profile.Get("Type"))
	pp := profile.Get("Properties")
	categories := pp.Get("AccessCategories")
	valid := categories.Keys()
	if len(permissions) == 0 {
		return nil, t.invalid(c, pos, "'Permissions' cannot be empty; valid values are: %s.", strings.Join(valid, ", "))
	}
	for _, p := range permissions {
		if !contains(valid, p) {
			return nil, t.invalid(c, pos, "Unsupported 'Permissions' provided for connector from %s to %s; valid values are: %s.", src.typ, dst.typ, strings.Join(valid, ", "))
		}
	}
	if combos := pp.Get("ValidAccessCategories"); combos != nil {
		sortedPerms := append([]string(nil), permissions...)
		sort.Strings(sortedPerms)
		var shown []string
		ok := false
		for _, combo := range itemsOf(combos) {
			var names []string
			for _, it := range itemsOf(combo) {
				names = append(names, it.Value)
			}
			sort.Strings(names)
			shown = append(shown, strings.Join(names, " + "))
			if strings.Join(names, ",") == strings.Join(sortedPerms, ",") {
				ok = true
			}
		}
		if !ok {
			return nil, t.invalid(c, pos, "Unsupported 'Permissions' provided for connector from %s to %s; valid combinations are: %s.", src.typ, dst.typ, strings.Join(shown, ", "))
		}
	}
	vars := map[string]*source.Node{
		"Source.Arn": src.arn, "Destination.Arn": dst.arn,
		"Source.ResourceId": src.resourceID, "Destination.ResourceId": dst.resourceID,
		"Source.Name": src.name, "Destination.Name": dst.name,
		"Source.Qualifier": src.qualifier, "Destination.Qualifier": dst.qualifier,
	}
	if missing := missingVariable(pp, vars); missing != "" {
		return nil, t.invalid(c, pos, "%s is missing.", missing)
	}
	pp = profileReplace(pp, vars, pos)
	categories = pp.Get("AccessCategories")
	sourcePolicy := isTrue(pp.Get("SourcePolicy"))
	side, sideName := dst, "Destination"
	if sourcePolicy {
		side, sideName = src, "Source"
	}
	suffix := func(base string) string {
		if multi {
			return c.id + base + "Destination" + strconv.Itoa(index)
		}
		return c.id + base
	}
	statements := func() *source.Node {
		out := list(pos)
		for _, f := range fieldsOf(categories) {
			if contains(permissions, f.Key) {
				out.Items = append(out.Items, f.Value.Get("Statement").Items...)
			}
		}
		return obj(pos, "Version", str("2012-10-17", pos), "Statement", out)
	}
	attrs := mainAttrs(c)
	var ids []string
	add := func(id, typ string, props *source.Node) {
		md := obj(pos, "aws:sam:connectors", obj(pos, c.id, obj(pos,
			"Source", obj(pos, "Type", str(t.originalType(src), pos)),
			"Destination", obj(pos, "Type", str(t.originalType(dst), pos)))))
		a := append([]source.Field(nil), attrs...)
		if existing := c.attr("Metadata"); existing != nil && existing.Kind == source.Map {
			merged := shallow(existing)
			for _, f := range fieldsOf(md) {
				set(merged, f.Key, f.Value)
			}
			md = merged
		}
		a = withAttr(a, "Metadata", md)
		t.emit(c, id, resourceNode(typ, pos, a, props), pos)
		ids = append(ids, id)
	}
	switch profileType {
	case "AWS_IAM_ROLE_MANAGED_POLICY":
		if !truthy(side.roleName) {
			return nil, t.invalid(c, pos, "Unable to get IAM role name from '%s' resource.", sideName)
		}
		id := suffix("Policy")
		add(id, "AWS::IAM::ManagedPolicy", obj(pos, "PolicyDocument", statements(), "Roles", list(pos, side.roleName)))
		switch dep, _ := stringValue(pp.Get("DependedBy")); dep {
		case "DESTINATION_EVENT_SOURCE_MAPPING":
			if src.logicalID != "" && dst.logicalID != "" {
				esms := t.eventSourceMappings(src.logicalID, dst.logicalID)
				if len(esms) == 1 {
					t.addDependsOn(esms[0], id)
				}
			}
		case "SOURCE":
			if src.logicalID != "" {
				t.addDependsOn(src.logicalID, id)
			}
		}
	case "AWS_SQS_QUEUE_POLICY":
		if !truthy(side.queueURL) {
			return nil, t.invalid(c, pos, "Unable to get SQS queue URL from '%s' resource.", sideName)
		}
		add(suffix("QueuePolicy"), "AWS::SQS::QueuePolicy", obj(pos, "PolicyDocument", statements(), "Queues", list(pos, side.queueURL)))
	case "AWS_SNS_TOPIC_POLICY":
		if !truthy(side.arn) {
			return nil, t.invalid(c, pos, "Unable to get SNS topic ARN from '%s' resource.", sideName)
		}
		add(suffix("TopicPolicy"), "AWS::SNS::TopicPolicy", obj(pos, "PolicyDocument", statements(), "Topics", list(pos, side.arn)))
	case "AWS_LAMBDA_PERMISSION":
		if !truthy(side.arn) {
			return nil, t.invalid(c, pos, "Unable to get Lambda function ARN from '%s' resource.", sideName)
		}
		for _, f := range fieldsOf(categories) {
			if !contains(permissions, f.Key) {
				continue
			}
			id := c.id + f.Key + "LambdaPermission"
			if multi {
				id += "Destination" + strconv.Itoa(index)
			}
			add(id, "AWS::Lambda::Permission", obj(pos,
				"Action", f.Value.Get("Action"),
				"FunctionName", side.arn,
				"Principal", f.Value.Get("Principal"),
				"SourceArn", f.Value.Get("SourceArn"),
				"SourceAccount", f.Value.Get("SourceAccount")))
		}
	default:
		return nil, t.invalid(c, pos, "Profile type %s is not supported", profileType)
	}
	return ids, nil
}

// originalType is a connector end's type as the user wrote it.
func (t *transformer) originalType(e *connectorEnd) string {
	if typ, ok := t.original[e.logicalID]; ok && typ != "" {
		return typ
	}
	return e.typ
}

func (t *transformer) eventSourceMappings(sourceID, functionID string) []string {
	var out []string
	for _, g := range t.generated {
		if typ, _ := stringValue(g.node.Get("Type")); typ != "AWS::Lambda::EventSourceMapping" {
			continue
		}
		props := g.node.Get("Properties")
		if logicalIDOf(props.Get("FunctionName")) == functionID && logicalIDOf(props.Get("EventSourceArn")) == sourceID {
			out = append(out, g.id)
		}
	}
	for _, r := range t.resources {
		if r.isSAM() || r.typ != "AWS::Lambda::EventSourceMapping" {
			continue
		}
		props := r.node.Get("Properties")
		if logicalIDOf(props.Get("FunctionName")) == functionID && logicalIDOf(props.Get("EventSourceArn")) == sourceID {
			out = append(out, r.id)
		}
	}
	return out
}

func (t *transformer) addDependsOn(id, dep string) {
	node := t.mutableResource(id)
	if node == nil {
		return
	}
	deps := dependsOnList(node.Get("DependsOn"))
	if !contains(deps, dep) {
		deps = append(deps, dep)
	}
	set(node, "DependsOn", strList(node.Pos, deps...))
}

func dependsOnList(n *source.Node) []string {
	if n == nil {
		return nil
	}
	if n.Kind == source.String {
		return []string{n.Value}
	}
	var out []string
	for _, it := range itemsOf(n) {
		out = append(out, it.Value)
	}
	return out
}

// replaceDependsOn makes resources that depended on a connector depend on
// what the connector generated instead.
func (t *transformer) replaceDependsOn(id string, replacement []string) {
	update := func(node *source.Node) *source.Node {
		deps := dependsOnList(node.Get("DependsOn"))
		if !contains(deps, id) {
			return nil
		}
		var out []string
		for _, d := range deps {
			if d != id {
				out = append(out, d)
			}
		}
		for _, r := range replacement {
			if !contains(out, r) {
				out = append(out, r)
			}
		}
		return strList(node.Get("DependsOn").Pos, out...)
	}
	for i := range t.generated {
		if deps := update(t.generated[i].node); deps != nil {
			t.generated[i].node = shallow(t.generated[i].node)
			set(t.generated[i].node, "DependsOn", deps)
		}
	}
	for _, r := range t.resources {
		if r.isSAM() {
			continue
		}
		if deps := update(r.node); deps != nil {
			t.own(r)
			set(r.node, "DependsOn", deps)
		}
	}
}
