// Package sam expands AWS SAM templates (Transform: AWS::Serverless-2016-10-31)
// into the plain CloudFormation that AWS's own SAM transform deploys, without
// network access, so that scanners see what actually runs: the implicit
// execution roles and their policies, the implicit REST and HTTP APIs with
// each route's authorization, the Lambda permissions every event source
// needs, event source mappings, function URLs, aliases and connectors.
//
// Every generated value keeps the position of the SAM construct that caused
// it (a Policies entry, an event's Path, a FunctionUrlConfig), and Result
// records which SAM resource each generated resource came from, so findings
// point at the line the user wrote.
//
// Intrinsic functions are kept as they are, the way the real transform
// leaves them for CloudFormation; parameters are resolved only where SAM
// resolves them itself (AutoPublishAlias, API Auth, tracing and a few more).
package sam

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/bulwark-sec/bulwark/internal/source"
)

// The SAM resource types.
const (
	typeFunction         = "AWS::Serverless::Function"
	typeAPI              = "AWS::Serverless::Api"
	typeHTTPAPI          = "AWS::Serverless::HttpApi"
	typeWebSocketAPI     = "AWS::Serverless::WebSocketApi"
	typeStateMachine     = "AWS::Serverless::StateMachine"
	typeSimpleTable      = "AWS::Serverless::SimpleTable"
	typeLayerVersion     = "AWS::Serverless::LayerVersion"
	typeApplication      = "AWS::Serverless::Application"
	typeConnector        = "AWS::Serverless::Connector"
	typeCapacityProvider = "AWS::Serverless::CapacityProvider"
	typeGraphQLAPI       = "AWS::Serverless::GraphQLApi"
)

// TransformName is the Transform value that marks a SAM template.
const TransformName = "AWS::Serverless-2016-10-31"

// Options tune a transform. The zero value works: the "aws" partition and
// the parameter defaults the template declares.
type Options struct {
	// Parameters override template parameter defaults, as parameter values
	// passed at deploy time would. Pseudo parameters such as "AWS::Region"
	// may be given too; SAM resolves them in the few places it resolves
	// parameters.
	Parameters map[string]string
	// Partition is the AWS partition ("aws", "aws-cn", "aws-us-gov") used in
	// the ARNs SAM writes out literally. Default "aws".
	Partition string
}

// Result is an expanded template.
type Result struct {
	// Template is plain CloudFormation: no Transform, no Globals, no
	// AWS::Serverless::* resources. Unchanged parts share nodes with the
	// input; treat it as read-only.
	Template *source.Node
	// Origins maps each resource that the transform generated or rewrote to
	// the SAM construct it came from.
	Origins map[string]Origin
	// Warnings are problems SAM tolerates or that the offline transform
	// could not follow, such as unknown properties or nested applications,
	// and problems SAM rejects the template for but that are confined to
	// one resource, event or property: each gives SAM's message and what the
	// transform did instead (ignored a value, left out an event or a
	// resource). Sorted by position.
	Warnings []*source.Error
}

// Origin names the SAM resource a generated resource came from and the
// position of the construct (the resource, an event, a property) that made it.
type Origin struct {
	LogicalID string
	Type      string
	Pos       source.Pos
}

// Transform expands the SAM resources in root. It does not modify root.
//
// A problem confined to one resource, one of its events or one of its
// properties does not stop the transform, though SAM would reject the
// template for it: the transform expands what it can, leaves out what it
// cannot, and says which in a warning that starts with SAM's message. Only
// problems that leave nothing sound to expand (Resources or Globals not a
// map) come back as the error: a *source.Error for a single problem, or
// errors.Join of several (use errors.As to reach the first). Templates with
// no SAM resources come back unchanged.
func Transform(root *source.Node, opts Options) (*Result, error) {
	if root == nil || root.Kind != source.Map {
		pos := source.Pos{}
		if root != nil {
			pos = root.Pos
		}
		return nil, &source.Error{Pos: pos, Msg: "template must be a map"}
	}
	d, err := loadData()
	if err != nil {
		return nil, fmt.Errorf("sam transform: %w", err)
	}
	if root.Get("Globals") == nil && !IsSAM(root) {
		return &Result{Template: root, Origins: map[string]Origin{}}, nil
	}
	// A pass that fails on a resource or an event is thrown away, and the
	// next one leaves out what failed; each pass leaves out something more,
	// so the loop ends. The warnings of the passes thrown away are kept:
	// those about what was then left out are not given again.
	left := newLeftOut()
	var warnings []*source.Error
	for pass := 0; ; pass++ {
		t := newTransformer(root, opts, d, left)
		t.exact = pass < exactPasses
		t.run()
		if len(t.errs) > 0 {
			return nil, t.joinedErrors()
		}
		warnings = append(warnings, t.warnings...)
		if len(t.failures) == 0 {
			warnings = distinct(append(warnings, left.warnings...))
			sortByPosition(warnings)
			return &Result{Template: t.assemble(), Origins: t.origins, Warnings: warnings}, nil
		}
		progressed := false
		for _, f := range t.failures {
			if left.leaveOut(f, pass) {
				progressed = true
				if t.exact {
					break
				}
			}
		}
		if !progressed {
			for _, f := range t.failures {
				t.errs = append(t.errs, f.err)
			}
			return nil, t.joinedErrors()
		}
	}
}

// IsSAM reports whether root declares the SAM transform or holds SAM resources.
func IsSAM(root *source.Node) bool {
	if root == nil || root.Kind != source.Map {
		return false
	}
	if declaresTransform(root.Get("Transform")) {
		return true
	}
	for _, f := range fieldsOf(root.Get("Resources")) {
		if typ, _ := f.Value.Get("Type").Str(); strings.HasPrefix(typ, "AWS::Serverless::") {
			return true
		}
	}
	return false
}

func declaresTransform(n *source.Node) bool {
	if s, ok := stringValue(n); ok {
		return s == TransformName
	}
	if n != nil && n.Kind == source.Seq {
		for _, it := range itemsOf(n) {
			if s, ok := stringValue(it); ok && s == TransformName {
				return true
			}
		}
	}
	return false
}

// resource is one entry of the Resources section while the transform works
// on it.
type resource struct {
	id     string
	keyPos source.Pos   // where the logical ID is written
	node   *source.Node // the resource map; private once owned is set
	typ    string
	owned  bool

	// SAM resources only.
	props   *source.Node // working Properties: a private map (after Globals)
	managed bool         // SAM builds this API's definition (__MANAGE_SWAGGER)
	body    *source.Node // private copy of an API's DefinitionBody while SAM edits it
	implied bool         // created by the transform (implicit APIs, embedded connectors)
	parent  *resource    // for resources SAM creates itself: the user's resource they come from

	evs       []*event
	evsParsed bool

	unreadable bool // SAM resource whose Properties or Condition cannot be read: left out
}

func (r *resource) isSAM() bool { return strings.HasPrefix(r.typ, "AWS::Serverless::") }

// attr returns a resource attribute (Condition, DependsOn, ...).
func (r *resource) attr(name string) *source.Node { return r.node.Get(name) }

func (r *resource) condition() string {
	s, _ := stringValue(r.attr("Condition"))
	return s
}

type outResource struct {
	id   string
	node *source.Node
}

type transformer struct {
	opts      Options
	partition string
	data      *samData
	root      *source.Node

	params     map[string]*source.Node
	resources  []*resource
	byID       map[string]*resource
	original   map[string]string // logical ID -> type, before the transform
	conditions *source.Node      // private copy of Conditions once the transform adds one

	generated []outResource
	genIndex  map[string]int
	origins   map[string]Origin
	warnings  []*source.Error
	errs      []*source.Error

	// Leniency (see degrade.go): what earlier passes left out, and this
	// pass's failures on the resource and event being expanded.
	left     *leftOut
	exact    bool
	failures []failure
	cur      *resource
	curEv    *event

	sharedPlan  *sharedUsagePlan
	deployments *deploymentPreferences
	changedIDs  map[string]string            // LayerVersion ID -> hashed ID
	derivedRefs map[string]map[string]string // SAM ID -> "Alias" -> generated ID

	// validBodies holds the API documents whose paths have been checked.
	// Paths the transform adds are maps by construction, so each document
	// needs checking once, not once per event (which was quadratic).
	validBodies map[*source.Node]bool
}

func newTransformer(root *source.Node, opts Options, d *samData, left *leftOut) *transformer {
	t := &transformer{
		left:        left,
		opts:        opts,
		partition:   opts.Partition,
		data:        d,
		root:        root,
		byID:        map[string]*resource{},
		original:    map[string]string{},
		genIndex:    map[string]int{},
		origins:     map[string]Origin{},
		changedIDs:  map[string]string{},
		derivedRefs: map[string]map[string]string{},
	}
	if t.partition == "" {
		t.partition = "aws"
	}
	return t
}

// run performs the transform in SAM's order: validation, the template-wide
// plugins (implicit APIs, Globals, policy templates), embedded connectors,
// then each SAM resource (functions, state machines, APIs, the rest,
// connectors last), deployment preferences and the final reference rewrite.
// It skips what earlier passes left out, and records in t.failures what
// fails in this one.
func (t *transformer) run() {
	if !t.loadResources() {
		return
	}
	t.warnOtherTransforms()
	t.loadParameters()
	t.addDefaultDefinitionBodies()
	t.addImplicitAPIs()
	if t.halted() || !t.applyGlobals() {
		return
	}
	t.dropLeftOutProperties()
	t.expandEmbeddedConnectors()

	order := func(typ string) int {
		switch typ {
		case typeFunction:
			return 0
		case typeStateMachine:
			return 1
		case typeAPI, typeHTTPAPI, typeWebSocketAPI:
			return 2
		case typeConnector:
			return 4
		}
		return 3
	}
	var sam []*resource
	for _, r := range t.resources {
		if r.isSAM() {
			sam = append(sam, r)
		}
	}
	sort.SliceStable(sam, func(i, j int) bool { return order(sam[i].typ) < order(sam[j].typ) })
	for _, r := range sam {
		if t.isLeftOut(r) {
			continue
		}
		t.cur, t.curEv = r, nil
		if err := t.transformResource(r); err != nil {
			t.fail(err)
		}
		t.cur, t.curEv = nil, nil
		if t.halted() {
			return
		}
	}
	t.finishDeploymentPreferences()
}

func (t *transformer) transformResource(r *resource) error {
	switch r.typ {
	case typeFunction:
		return t.transformFunction(r)
	case typeStateMachine:
		return t.transformStateMachine(r)
	case typeAPI:
		return t.transformAPI(r)
	case typeHTTPAPI:
		return t.transformHTTPAPI(r)
	case typeWebSocketAPI:
		return t.transformWebSocketAPI(r)
	case typeSimpleTable:
		return t.transformSimpleTable(r)
	case typeLayerVersion:
		return t.transformLayerVersion(r)
	case typeApplication:
		return t.transformApplication(r)
	case typeConnector:
		return t.transformConnector(r)
	case typeCapacityProvider:
		return t.transformCapacityProvider(r)
	case typeGraphQLAPI:
		return t.transformGraphQLAPI(r)
	}
	t.emit(r, r.id, r.node.Clone(), r.keyPos)
	return nil
}

// warnOtherTransforms notes transforms other than SAM's: CloudFormation
// would run them too, but the offline transform does not.
func (t *transformer) warnOtherTransforms() {
	n := t.root.Get("Transform")
	items := []*source.Node{n}
	if n != nil && n.Kind == source.Seq {
		items = n.Items
	}
	for _, it := range items {
		if s, ok := stringValue(it); ok && s != TransformName {
			t.warn(it.Pos, "transform %s is not applied by the offline SAM transform; what it generates is not analyzed", s)
		}
	}
}

// loadResources reads the Resources section and checks the structure SAM
// requires before it does anything else.
func (t *transformer) loadResources() bool {
	res := t.root.Get("Resources")
	if res == nil || res.Kind != source.Map || len(res.Fields) == 0 {
		pos := t.root.Pos
		if res != nil {
			pos = res.Pos
		}
		t.errs = append(t.errs, &source.Error{Pos: pos, Msg: "'Resources' section is required"})
		return false
	}
	t.resources = make([]*resource, 0, len(res.Fields)+2)
	for _, f := range fieldsOf(res) {
		if f.Value.Kind != source.Map {
			t.tolerate(&source.Error{Pos: f.Value.Pos,
				Msg: "All 'Resources' must be Objects. If you're using YAML, this may be an indentation issue."},
				leftOutResource(f.Key))
			continue
		}
		typ, _ := stringValue(f.Value.Get("Type"))
		r := &resource{id: f.Key, keyPos: f.KeyPos, node: f.Value, typ: typ}
		t.resources = append(t.resources, r)
		t.byID[f.Key] = r
		t.original[f.Key] = typ
	}
	for _, r := range t.resources {
		if !r.isSAM() {
			continue
		}
		props := r.node.Get("Properties")
		if props == nil || props.Kind == source.Null {
			props = obj(r.node.Pos)
		}
		switch c := r.attr("Condition"); {
		case c != nil && c.Kind != source.String:
			t.tolerate(&source.Error{Pos: c.Pos,
				Msg: "Structure of the SAM template is invalid. Every Condition member must be a string."},
				leftOutResource(r.id))
			r.unreadable = true
		case props.Kind != source.Map:
			t.tolerate(t.invalid(r, props.Pos, "Attribute 'Properties' should be a map."), leftOutResource(r.id))
			r.unreadable = true
		}
		if r.unreadable {
			// Other resources may still name it (an event's RestApiId);
			// they see a resource with no properties.
			props = obj(r.node.Pos)
		}
		r.props = shallow(props)
		if _, known := resourceProps[r.typ]; !known {
			t.warn(r.keyPos, "resource %s has type %s, which this transform does not know; passed through unchanged", r.id, r.typ)
		}
	}
	return true
}

// own gives the transform a private copy of a resource it must change (an S3
// bucket that gets a notification, a user pool that gets a trigger).
func (t *transformer) own(r *resource) {
	if r.owned {
		return
	}
	r.node = r.node.Clone()
	r.owned = true
	if r.props != nil {
		r.props = r.props.Clone()
	}
}

// emit adds a generated resource to the output and records where it came from.
func (t *transformer) emit(from *resource, id string, node *source.Node, pos source.Pos) {
	if prev, ok := t.original[id]; ok && id != from.id && !mayReplace(node, prev) {
		typ, _ := stringValue(node.Get("Type"))
		t.fail(t.errorAt(pos, "Transforming resource with id [%s] attempts to create a new resource with id [%s] and type \"%s\". A resource with that id already exists within this template. Please use a different id for that resource.", from.id, id, typ))
		return
	}
	if i, ok := t.genIndex[id]; ok {
		t.generated[i].node = node
	} else {
		t.genIndex[id] = len(t.generated)
		t.generated = append(t.generated, outResource{id: id, node: node})
	}
	owner := from
	if from.parent != nil {
		owner = from.parent
	}
	t.origins[id] = Origin{LogicalID: owner.id, Type: owner.typ, Pos: pos}
}

// mayReplace lists the generated types that may take over an existing
// logical ID: the SAM resource's own, or a resource SAM edits in place.
func mayReplace(node *source.Node, prevType string) bool {
	typ, _ := stringValue(node.Get("Type"))
	switch typ {
	case "AWS::Lambda::Function":
		return prevType == typeFunction
	case "AWS::Lambda::LayerVersion":
		return prevType == typeLayerVersion
	case "AWS::Lambda::CapacityProvider":
		return prevType == typeCapacityProvider
	case "AWS::ApiGateway::RestApi":
		return prevType == typeAPI
	case "AWS::ApiGatewayV2::Api":
		return prevType == typeHTTPAPI || prevType == typeWebSocketAPI
	case "AWS::DynamoDB::Table":
		return prevType == typeSimpleTable
	case "AWS::CloudFormation::Stack":
		return prevType == typeApplication
	case "AWS::StepFunctions::StateMachine":
		return prevType == typeStateMachine
	case "AWS::AppSync::GraphQLApi":
		return prevType == typeGraphQLAPI
	case "AWS::S3::Bucket", "AWS::SNS::Topic", "AWS::Cognito::UserPool", "AWS::ApiGateway::DomainName",
		"AWS::ApiGateway::BasePathMapping", "AWS::ApiGateway::DomainNameV2", "AWS::ApiGateway::BasePathMappingV2":
		return prevType == typ
	}
	return false
}

// resourceNode builds a CloudFormation resource: Type, the attributes and
// Properties, in the order SAM writes them.
func resourceNode(typ string, pos source.Pos, attrs []source.Field, props *source.Node) *source.Node {
	n := &source.Node{Kind: source.Map, Pos: pos, Fields: make([]source.Field, 0, len(attrs)+2)}
	n.Fields = append(n.Fields, source.Field{Key: "Type", KeyPos: pos, Value: str(typ, pos)})
	n.Fields = append(n.Fields, attrs...)
	if props == nil {
		props = obj(pos)
	}
	n.Fields = append(n.Fields, source.Field{Key: "Properties", KeyPos: pos, Value: props})
	return n
}

// passthroughAttrs returns the attributes SAM copies from a SAM resource to
// the resources it generates (Condition, DeletionPolicy, UpdateReplacePolicy).
func passthroughAttrs(r *resource) []source.Field {
	var out []source.Field
	for _, f := range r.node.Fields {
		switch f.Key {
		case "Condition", "DeletionPolicy", "UpdateReplacePolicy":
			out = append(out, f)
		}
	}
	return out
}

// mainAttrs returns the attributes the main generated resource keeps:
// DependsOn and all supported resource attributes.
func mainAttrs(r *resource) []source.Field {
	var out []source.Field
	for _, f := range r.node.Fields {
		switch f.Key {
		case "DependsOn", "DeletionPolicy", "UpdatePolicy", "Condition", "UpdateReplacePolicy", "Metadata":
			out = append(out, f)
		}
	}
	return out
}

func withAttr(attrs []source.Field, key string, v *source.Node) []source.Field {
	out := make([]source.Field, 0, len(attrs)+1)
	for _, f := range attrs {
		if f.Key != key {
			out = append(out, f)
		}
	}
	return append(out, source.Field{Key: key, KeyPos: v.Pos, Value: v})
}

func hasAttr(attrs []source.Field, key string) bool {
	for _, f := range attrs {
		if f.Key == key {
			return true
		}
	}
	return false
}

// addCondition adds a template condition, copying the Conditions section
// the first time.
func (t *transformer) addCondition(name string, def *source.Node) {
	if t.conditions == nil {
		existing := t.root.Get("Conditions")
		if existing != nil && existing.Kind == source.Map {
			t.conditions = shallow(existing)
		} else {
			t.conditions = obj(def.Pos)
		}
	}
	set(t.conditions, name, def)
}

func (t *transformer) removeCondition(name string) {
	if t.conditions != nil {
		t.conditions.Delete(name)
	}
}

func (t *transformer) conditionsSection() *source.Node {
	if t.conditions != nil {
		return t.conditions
	}
	return t.root.Get("Conditions")
}

// assemble builds the output template: every top-level section except
// Transform and Globals, with the Resources the transform produced.
func (t *transformer) assemble() *source.Node {
	resources := &source.Node{Kind: source.Map, Pos: t.root.Get("Resources").Pos,
		Fields: make([]source.Field, 0, len(t.resources)+len(t.generated))}
	for _, r := range t.resources {
		if r.isSAM() {
			continue
		}
		if _, replaced := t.genIndex[r.id]; replaced {
			continue
		}
		resources.Fields = append(resources.Fields, source.Field{Key: r.id, KeyPos: r.keyPos, Value: r.node})
	}
	for _, g := range t.generated {
		keyPos := g.node.Pos
		if r, ok := t.byID[g.id]; ok && !r.implied {
			keyPos = r.keyPos
		}
		resources.Fields = append(resources.Fields, source.Field{Key: g.id, KeyPos: keyPos, Value: g.node})
	}
	out := &source.Node{Kind: source.Map, Pos: t.root.Pos}
	wroteConditions := false
	for _, f := range t.root.Fields {
		switch f.Key {
		case "Transform", "Globals":
			continue
		case "Resources":
			f.Value = resources
		case "Conditions":
			f.Value = t.conditionsSection()
			wroteConditions = true
		}
		out.Fields = append(out.Fields, f)
	}
	if !wroteConditions && t.conditions != nil && len(t.conditions.Fields) > 0 {
		out.Fields = append(out.Fields, source.Field{Key: "Conditions", KeyPos: t.conditions.Pos, Value: t.conditions})
	}
	t.rewriteReferences(out)
	return out
}

func (t *transformer) warn(pos source.Pos, format string, args ...any) {
	t.warnings = append(t.warnings, &source.Error{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

func (t *transformer) errorAt(pos source.Pos, format string, args ...any) *source.Error {
	return &source.Error{Pos: pos, Msg: fmt.Sprintf(format, args...)}
}

// invalid reports a problem with a SAM resource in SAM's words.
func (t *transformer) invalid(r *resource, pos source.Pos, format string, args ...any) *source.Error {
	if !pos.IsValid() {
		pos = r.keyPos
	}
	return &source.Error{Pos: pos, Msg: resourceWhere(r.id) + fmt.Sprintf(format, args...)}
}

// invalidEvent reports a problem with one event of a SAM resource.
func (t *transformer) invalidEvent(r *resource, ev *event, pos source.Pos, format string, args ...any) *source.Error {
	if !pos.IsValid() {
		pos = ev.pos
	}
	return &source.Error{Pos: pos, Msg: eventWhere(r.id, ev.id) + fmt.Sprintf(format, args...)}
}

// fail records a problem. While a resource is being expanded it is a
// failure of that resource (or of the event being expanded), which the
// next pass leaves out; otherwise it is an error for the whole template.
func (t *transformer) fail(err error) {
	if err == nil {
		return
	}
	se := t.sourceError(err)
	if t.cur == nil {
		t.errs = append(t.errs, se)
		return
	}
	f := failure{r: t.cur, ev: t.curEv, err: se}
	if f.ev == nil {
		f.prop = separableProperty(t.cur, se.Pos)
	}
	t.failures = append(t.failures, f)
}

func (t *transformer) joinedErrors() error {
	sortByPosition(t.errs)
	if len(t.errs) == 1 {
		return t.errs[0]
	}
	errs := make([]error, len(t.errs))
	for i, e := range t.errs {
		errs[i] = e
	}
	return errors.Join(errs...)
}
