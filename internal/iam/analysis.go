package iam

import (
	"runtime"
	"strconv"
	"strings"
	"sync"
	"weak"

	"github.com/bulwark-sec/bulwark/internal/iamdata"
	"github.com/bulwark-sec/bulwark/internal/model"
	"github.com/bulwark-sec/bulwark/internal/source"
)

// Policy kinds. The first three are those of model.Policy.
const (
	KindInline          = "inline"           // in the role's Policies property (SAM policy templates land here)
	KindPolicyResource  = "policy-resource"  // an AWS::IAM::Policy or AWS::IAM::RolePolicy naming the role
	KindCustomerManaged = "customer-managed" // an AWS::IAM::ManagedPolicy of the stack
	KindAWSManaged      = "aws-managed"      // attached by ARN; its document comes from iamdata
)

// Policy is one policy document that reaches a role, with where the user
// wrote it.
type Policy struct {
	Name string // the policy name, the managed policy's name, or the resource's logical ID
	Kind string // one of the Kind constants
	// Template is set when the SAM transform wrote the policy: the policy
	// template's name (e.g. "DynamoDBCrudPolicy"), or "connector <ID>" for an
	// AWS::Serverless::Connector.
	Template string
	ARN      string     // the ARN of an AWS managed policy
	Pos      source.Pos // the line the user wrote: the Policies or ManagedPolicyArns entry, or the policy resource
	Stack    string
	Resource string // the logical ID the user wrote (the SAM function, not its generated role)
	Document *Document
}

// Describe names the policy the way a user recognises it.
func (p *Policy) Describe() string {
	switch {
	case p.Template != "" && strings.HasPrefix(p.Template, "connector "):
		return "SAM " + p.Template
	case p.Template != "":
		return "SAM policy template " + p.Template
	case p.Kind == KindAWSManaged:
		return "AWS managed policy " + p.Name
	case p.Kind == KindCustomerManaged:
		return "managed policy " + p.Name
	case p.Kind == KindPolicyResource:
		return "policy " + p.Name
	case p.Name != "":
		return "inline policy " + p.Name
	}
	return "inline policy"
}

// Unresolved is a part of a role's permissions whose document cannot be
// known from the templates (a role or managed policy defined elsewhere).
// Answers about such a role may understate what it can do.
type Unresolved struct {
	What  string // e.g. "managed policy", "permissions boundary", "role"
	Value string // the ARN or name as written
	Pos   source.Pos
}

// Grant is one Allow statement of a role's policies with the actions it
// effectively grants: its own actions, less those denied without condition
// on every resource, and within the permissions boundary.
type Grant struct {
	Policy    *Policy
	Statement *Statement
	Actions   iamdata.ActionSet
}

// Pos is where the grant was written: the statement, or for an AWS managed
// policy the ManagedPolicyArns entry that attached it.
func (g Grant) Pos() source.Pos {
	if g.Policy.Kind != KindAWSManaged && g.Statement.Pos.IsValid() {
		return g.Statement.Pos
	}
	return g.Policy.Pos
}

// Where says where the grant was written, for messages:
// "template.yaml:12 (SAM policy template DynamoDBCrudPolicy)".
func (g Grant) Where() string {
	return posString(g.Pos()) + " (" + g.Policy.Describe() + ")"
}

func posString(p source.Pos) string {
	if !p.IsValid() {
		return p.File
	}
	return p.File + ":" + strconv.Itoa(p.Line)
}

// Permissions is everything known about what one execution role may do.
type Permissions struct {
	Role *model.Role
	// Subject is the role, user, group or policy resource analysed on its
	// own when no function uses it (see Analysis.Unattached); nil for the
	// roles of functions.
	Subject     *model.Resource
	Policies    []*Policy // identity-based: inline, policy resources, customer managed, then AWS managed
	Boundary    *Policy   // the permissions boundary; nil when there is none or it cannot be read
	Trust       *Policy   // the trust policy (AssumeRolePolicyDocument)
	Unresolved  []Unresolved
	Diagnostics []*source.Error

	grants []Grant
	// denied holds the actions denied without condition on every resource.
	denied iamdata.ActionSet
}

// Grants returns the role's Allow statements with their effective actions,
// in policy order. Grants whose effective actions are empty are left out.
func (p *Permissions) Grants() []Grant { return p.grants }

// Denies returns the role's Deny statements, with the policy of each.
func (p *Permissions) Denies() []Grant {
	var out []Grant
	for _, pol := range p.Policies {
		for _, s := range pol.Document.Statements {
			if s.Effect == Deny {
				out = append(out, Grant{Policy: pol, Statement: s, Actions: s.actions})
			}
		}
	}
	return out
}

// Analysis holds the permissions of every role of an app.
type Analysis struct {
	roles       map[*model.Role]*Permissions
	unattached  []*Permissions
	Diagnostics []*source.Error
}

// Function returns the permissions of the function's execution role, or
// nil when the function names no role.
func (a *Analysis) Function(f *model.Function) *Permissions {
	if f == nil || f.Role == nil {
		return nil
	}
	return a.roles[f.Role]
}

// Role returns the permissions of a role of the app, or nil.
func (a *Analysis) Role(r *model.Role) *Permissions { return a.roles[r] }

// Analyze reads the policies of every role of app.
func Analyze(app *model.App) *Analysis {
	a := &Analysis{roles: make(map[*model.Role]*Permissions, len(app.Roles))}
	for _, r := range app.Roles {
		p := analyzeRole(r)
		a.roles[r] = p
		a.Diagnostics = append(a.Diagnostics, p.Diagnostics...)
	}
	a.analyzeUnattached(app)
	return a
}

// cached analyses, one per app: every identity rule asks for the same one.
// The key is weak and the Analysis holds no reference to the App, so an
// entry goes when its App does.
var cached = struct {
	sync.Mutex
	m map[weak.Pointer[model.App]]*cacheEntry
}{m: map[weak.Pointer[model.App]]*cacheEntry{}}

type cacheEntry struct {
	once sync.Once
	a    *Analysis
}

// For returns the analysis of app, computing it on first use. It is safe
// for concurrent use: rules running in parallel share one analysis.
func For(app *model.App) *Analysis {
	key := weak.Make(app)
	cached.Lock()
	e := cached.m[key]
	if e == nil {
		e = &cacheEntry{}
		cached.m[key] = e
		runtime.AddCleanup(app, func(k weak.Pointer[model.App]) {
			cached.Lock()
			delete(cached.m, k)
			cached.Unlock()
		}, key)
	}
	cached.Unlock()
	e.once.Do(func() { e.a = Analyze(app) })
	return e.a
}

func analyzeRole(r *model.Role) *Permissions {
	p := &Permissions{Role: r}
	if r.External() {
		p.Unresolved = append(p.Unresolved, Unresolved{What: "role", Value: r.Name, Pos: rolePos(r)})
	}
	for _, mp := range r.Policies {
		p.Policies = append(p.Policies, p.templatePolicy(mp))
	}
	for _, m := range r.Managed {
		for _, alt := range alternatives(m.ARN) {
			pos := alt.node.Pos
			if !pos.IsValid() {
				pos = m.Pos
			}
			if pol := awsManaged(alt.node.Value, pos); pol != nil {
				pol.Stack, pol.Resource = roleStack(r), roleOrigin(r)
				p.Policies = append(p.Policies, pol)
				continue
			}
			p.Unresolved = append(p.Unresolved, Unresolved{What: "managed policy", Value: alt.node.Value, Pos: pos})
		}
	}
	p.boundary(r)
	if r.Trust != nil {
		p.Trust = p.templatePolicy(r.Trust)
	}
	p.compute()
	return p
}

func rolePos(r *model.Role) source.Pos {
	if len(r.Functions) > 0 && r.Functions[0].RoleRef != nil {
		return r.Functions[0].RoleRef.Pos
	}
	return source.Pos{}
}

func roleStack(r *model.Role) string {
	if r.Resource != nil {
		return r.Resource.Stack.Name
	}
	return ""
}

func roleOrigin(r *model.Role) string {
	if r.Resource != nil {
		return r.Resource.Origin.LogicalID
	}
	return r.Name
}

// templatePolicy parses a policy written in a template.
func (p *Permissions) templatePolicy(mp *model.Policy) *Policy {
	doc, diags := ParseDocument(mp.Document)
	p.Diagnostics = append(p.Diagnostics, diags...)
	pol := &Policy{Name: mp.Name, Kind: mp.Kind, Pos: mp.Origin.Pos, Resource: mp.Origin.LogicalID, Document: doc}
	if mp.Resource != nil {
		pol.Stack = mp.Resource.Stack.Name
		pol.Template = samConstruct(mp)
	}
	if !pol.Pos.IsValid() && mp.Document != nil {
		pol.Pos = mp.Document.Pos
	}
	return pol
}

// boundary reads the role's PermissionsBoundary: a customer managed policy
// of the stack or an AWS managed policy. When the boundary may be absent
// (an Fn::If with an AWS::NoValue branch), the role is treated as unbounded.
func (p *Permissions) boundary(r *model.Role) {
	n := r.Boundary
	if n == nil || n.Kind == source.Null || mayBeAbsent(n) {
		return
	}
	merged := &Policy{Kind: KindAWSManaged, Document: &Document{}}
	var names []string
	for _, alt := range alternatives(n) {
		pos := alt.node.Pos
		var pol *Policy
		if r.Resource != nil {
			for _, ref := range alt.node.Refs {
				if res := r.Resource.Stack.Resource(ref); res != nil && res.Type == "AWS::IAM::ManagedPolicy" {
					name, _ := res.Prop("ManagedPolicyName").Str()
					if name == "" {
						name = res.LogicalID
					}
					doc, diags := ParseDocument(res.Prop("PolicyDocument"))
					p.Diagnostics = append(p.Diagnostics, diags...)
					pol = &Policy{Name: name, Kind: KindCustomerManaged, Pos: pos, Document: doc}
				}
			}
		}
		if pol == nil {
			pol = awsManaged(alt.node.Value, pos)
		}
		if pol == nil {
			p.Unresolved = append(p.Unresolved, Unresolved{What: "permissions boundary", Value: alt.node.Value, Pos: pos})
			return // an unknown boundary bounds nothing we can tell
		}
		merged.Kind, merged.Pos, merged.ARN = pol.Kind, pol.Pos, pol.ARN
		names = append(names, pol.Name)
		merged.Document.Statements = append(merged.Document.Statements, pol.Document.Statements...)
	}
	if len(names) == 0 {
		return
	}
	merged.Name = strings.Join(names, " or ")
	merged.Stack, merged.Resource = roleStack(r), roleOrigin(r)
	p.Boundary = merged
}

// mayBeAbsent reports whether an undecided Fn::If may remove the value.
func mayBeAbsent(n *source.Node) bool {
	name, arg, ok := n.Intrinsic()
	if !ok || name != "Fn::If" || arg == nil || arg.Kind != source.Seq || len(arg.Items) != 3 {
		return false
	}
	for _, b := range arg.Items[1:] {
		if isNoValue(b) || mayBeAbsent(b) {
			return true
		}
	}
	return false
}

// managedDocs caches parsed AWS managed policy documents by name: many roles
// attach the same few, and AdministratorAccess or ReadOnlyAccess are large.
var managedDocs sync.Map // lower-cased name -> *Document

// awsManaged returns the AWS managed policy named by an ARN (possibly with
// ${AWS::Partition}) as attached at pos, or nil when it is not one.
func awsManaged(arn string, pos source.Pos) *Policy {
	mp, ok := iamdata.ManagedPolicy(arn)
	if !ok {
		return nil
	}
	key := strings.ToLower(mp.Name)
	doc, ok := managedDocs.Load(key)
	if !ok {
		parsed, _ := ParseDocument(source.NewString(mp.Document, source.Pos{}))
		doc, _ = managedDocs.LoadOrStore(key, parsed)
	}
	return &Policy{Name: mp.Name, Kind: KindAWSManaged, ARN: mp.ARN, Pos: pos, Document: doc.(*Document)}
}

// samConstruct names the SAM construct a generated policy came from: the
// policy template of a function's Policies entry, or a connector.
func samConstruct(mp *model.Policy) string {
	st := mp.Resource.Stack
	if st.Kind != "sam" || st.Doc == nil {
		return ""
	}
	if mp.Origin.Type == "AWS::Serverless::Connector" {
		return "connector " + mp.Origin.LogicalID
	}
	res := st.Doc.Root.Get("Resources").Get(mp.Origin.LogicalID)
	policies := res.Get("Properties").Get("Policies")
	for _, alt := range alternatives(policies) {
		entries := []*source.Node{alt.node}
		if alt.node.Kind == source.Seq {
			entries = alt.node.Items
		}
		for _, e := range entries {
			if e.Pos != mp.Origin.Pos || e.Kind != source.Map || len(e.Fields) != 1 {
				continue
			}
			if k := e.Fields[0].Key; k != "Statement" && k != "Version" && !strings.HasPrefix(k, "Fn::") {
				return k
			}
		}
	}
	return ""
}

// compute works out the effective actions of every Allow statement.
func (p *Permissions) compute() {
	for _, pol := range p.Policies {
		for _, s := range pol.Document.Statements {
			if s.Effect == Deny && !s.Conditional() && !s.NotResource && anyCoversEveryARN(s.Resources) {
				p.denied.UnionWith(&s.actions)
			}
		}
	}
	var bounded *iamdata.ActionSet
	if p.Boundary != nil {
		var set, denied iamdata.ActionSet
		for _, s := range p.Boundary.Document.Statements {
			switch {
			case s.Effect == Allow:
				set.UnionWith(&s.actions)
			case !s.Conditional() && !s.NotResource && anyCoversEveryARN(s.Resources):
				denied.UnionWith(&s.actions)
			}
		}
		set.DifferenceWith(&denied)
		bounded = &set
	}
	for _, pol := range p.Policies {
		for _, s := range pol.Document.Statements {
			if s.Effect != Allow {
				continue
			}
			g := Grant{Policy: pol, Statement: s, Actions: s.actions.Clone()}
			g.Actions.DifferenceWith(&p.denied)
			if bounded != nil {
				g.Actions.IntersectWith(bounded)
			}
			if g.Actions.Len() > 0 || len(s.SymbolicActions) > 0 {
				p.grants = append(p.grants, g)
			}
		}
	}
}

func anyCoversEveryARN(vs []Value) bool {
	for _, v := range vs {
		if !v.Symbolic && coversEveryARN(v.Text) {
			return true
		}
	}
	return false
}

// CoversEveryResource reports whether the statement's Resource element
// names every resource ("*" or an all-wildcard ARN). A NotResource element
// never does: it names exceptions.
func (s *Statement) CoversEveryResource() bool {
	return !s.NotResource && anyCoversEveryARN(s.Resources)
}

// NewPermissions returns the permissions that policies give, bounded by
// boundary when it is not nil. It evaluates policies read from anywhere
// other than a template, such as an account or a test.
func NewPermissions(policies []*Policy, boundary *Policy) *Permissions {
	p := &Permissions{Role: &model.Role{}, Policies: policies, Boundary: boundary}
	p.compute()
	return p
}
