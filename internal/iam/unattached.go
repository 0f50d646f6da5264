package iam

import (
	"strings"

	"github.com/bulwark-sec/bulwark/internal/model"
	"github.com/bulwark-sec/bulwark/internal/source"
)

// iamPrincipalTypes are the IAM principals a template defines; their
// permissions are gathered before the remaining policy resources, so that a
// policy resource attached to a principal is read with it.
var iamPrincipalTypes = map[string]bool{"AWS::IAM::Role": true, "AWS::IAM::User": true, "AWS::IAM::Group": true}

var policyResourceTypes = map[string]bool{
	"AWS::IAM::Policy": true, "AWS::IAM::ManagedPolicy": true, "AWS::IAM::RolePolicy": true,
	"AWS::IAM::UserPolicy": true, "AWS::IAM::GroupPolicy": true,
}

// Unattached returns the permissions of the roles, users, groups and
// policies of the templates that no function uses, each on its own: a
// principal with every policy attached to it, a policy resource attached to
// nothing in the templates by itself. Least privilege applies to them too;
// the rules report them naming the role or policy instead of a function.
func (a *Analysis) Unattached() []*Permissions { return a.unattached }

func (a *Analysis) analyzeUnattached(app *model.App) {
	used := map[*model.Resource]bool{}
	for _, r := range app.Roles {
		if r.Resource != nil {
			used[r.Resource] = true
		}
		for _, p := range r.Policies {
			used[p.Resource] = true
		}
	}
	for _, st := range app.Stacks {
		for _, res := range st.Resources {
			if !iamPrincipalTypes[res.Type] || used[res] {
				continue
			}
			used[res] = true
			p := &Permissions{Role: &model.Role{Name: res.Origin.LogicalID, Resource: res}, Subject: res}
			p.principalPolicies(st, res, used)
			p.compute()
			a.unattached = append(a.unattached, p)
		}
		for _, res := range st.Resources {
			if !policyResourceTypes[res.Type] || used[res] {
				continue
			}
			used[res] = true
			p := &Permissions{Role: &model.Role{Name: res.Origin.LogicalID}, Subject: res}
			p.Policies = append(p.Policies, p.resourcePolicy(res))
			p.compute()
			a.unattached = append(a.unattached, p)
		}
	}
	for _, p := range a.unattached {
		a.Diagnostics = append(a.Diagnostics, p.Diagnostics...)
	}
}

// principalPolicies gathers what a role, user or group of the stack holds:
// its Policies, its ManagedPolicyArns, policy resources that name it, its
// boundary and (for a role) its trust policy.
func (p *Permissions) principalPolicies(st *model.Stack, res *model.Resource, used map[*model.Resource]bool) {
	for _, item := range listItems(res.Prop("Policies")) {
		name, _ := item.Get("PolicyName").Str()
		p.Policies = append(p.Policies, p.parsed(name, KindInline, item.Get("PolicyDocument"), res, item.Pos))
	}
	for _, arn := range listItems(res.Prop("ManagedPolicyArns")) {
		if mp := refTo(st, arn, "AWS::IAM::ManagedPolicy"); mp != nil {
			used[mp] = true
			p.Policies = append(p.Policies, p.resourcePolicy(mp))
			continue
		}
		for _, alt := range alternatives(arn) {
			if pol := awsManaged(alt.node.Value, alt.node.Pos); pol != nil {
				pol.Stack, pol.Resource = st.Name, res.Origin.LogicalID
				p.Policies = append(p.Policies, pol)
			} else {
				p.Unresolved = append(p.Unresolved, Unresolved{What: "managed policy", Value: alt.node.Value, Pos: alt.node.Pos})
			}
		}
	}
	// Policy resources that name this principal.
	key := map[string]string{"AWS::IAM::Role": "Roles", "AWS::IAM::User": "Users", "AWS::IAM::Group": "Groups"}[res.Type]
	single := map[string]string{"AWS::IAM::Role": "RoleName", "AWS::IAM::User": "UserName", "AWS::IAM::Group": "GroupName"}[res.Type]
	for _, other := range st.Resources {
		if !policyResourceTypes[other.Type] || used[other] {
			continue
		}
		targets := listItems(other.Prop(key))
		if n := other.Prop(single); n != nil {
			targets = append(targets, n)
		}
		for _, t := range targets {
			if refTo(st, t, res.Type) == res || sameName(t, res.Prop(single)) {
				used[other] = true
				p.Policies = append(p.Policies, p.resourcePolicy(other))
				break
			}
		}
	}
	if res.Type == "AWS::IAM::Role" {
		if doc := res.Prop("AssumeRolePolicyDocument"); doc != nil {
			p.Trust = p.parsed("trust policy", "trust", doc, res, doc.Pos)
		}
		p.Role.Boundary = res.Prop("PermissionsBoundary")
		p.boundary(p.Role)
	}
}

// resourcePolicy reads an AWS::IAM::Policy-like resource.
func (p *Permissions) resourcePolicy(res *model.Resource) *Policy {
	kind := KindPolicyResource
	name, _ := res.Prop("PolicyName").Str()
	if res.Type == "AWS::IAM::ManagedPolicy" {
		kind = KindCustomerManaged
		name, _ = res.Prop("ManagedPolicyName").Str()
	}
	if name == "" {
		name = res.Origin.LogicalID
	}
	return p.parsed(name, kind, res.Prop("PolicyDocument"), res, res.Origin.Pos)
}

func (p *Permissions) parsed(name, kind string, doc *source.Node, res *model.Resource, pos source.Pos) *Policy {
	d, diags := ParseDocument(doc)
	p.Diagnostics = append(p.Diagnostics, diags...)
	if !pos.IsValid() {
		pos = res.Origin.Pos
	}
	return &Policy{Name: name, Kind: kind, Pos: pos, Stack: res.Stack.Name, Resource: res.Origin.LogicalID, Document: d}
}

// listItems returns the items of a list node; a single value counts as a
// list of one.
func listItems(n *source.Node) []*source.Node {
	switch {
	case n == nil || n.Kind == source.Null:
		return nil
	case n.Kind == source.Seq:
		return n.Items
	}
	return []*source.Node{n}
}

// refTo returns the resource of the stack of type typ that n refers to.
func refTo(st *model.Stack, n *source.Node, typ string) *model.Resource {
	if n == nil {
		return nil
	}
	for _, ref := range n.Refs {
		if r := st.Resource(ref); r != nil && r.Type == typ {
			return r
		}
	}
	return nil
}

// sameName reports whether a literal name or ARN names the principal whose
// name property is name.
func sameName(n, name *source.Node) bool {
	s, ok := n.Str()
	want, ok2 := name.Str()
	if !ok || !ok2 {
		return false
	}
	if i := strings.LastIndexByte(s, '/'); i >= 0 && strings.HasPrefix(s, "arn:") {
		s = s[i+1:]
	}
	return s == want
}
