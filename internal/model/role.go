package model

import (
	"strings"

	"github.com/bulwark-sec/bulwark/internal/source"
)

// attachRole finds or creates the Role that f executes as. The same role is
// recognised however it is referenced (Ref, GetAtt, a Sub-built ARN, a
// literal ARN or name), so a role shared by several functions becomes one
// Role with several Functions.
func (b *stackBuilder) attachRole(f *Function) {
	if lg := b.target(f.Resource.Prop("LoggingConfig", "LogGroup"), "AWS::Logs::LogGroup"); lg != nil && f.LogGroup == nil {
		f.LogGroup = lg
	}
	ref := f.RoleRef
	if ref == nil {
		return
	}
	res := b.target(ref, "AWS::IAM::Role")
	if res == nil {
		res = b.roleByName(ref)
	}
	var key, name string
	switch {
	case res != nil:
		key, name = "resource:"+b.st.Name+"/"+res.LogicalID, res.Origin.LogicalID
		if rn, ok := res.Prop("RoleName").Str(); ok {
			key = "name:" + rn
		}
	case ref.Kind == source.String || (ref.Kind == source.Symbol && literalRoleName(ref.Value) != ""):
		name = roleNameFromARN(ref.Value)
		key = "name:" + name
	default:
		// A parameter or an import: the same expression names the same role.
		name = ref.Value
		key = "expr:" + b.st.Name + "/" + ref.Value
	}
	role := b.roles[key]
	if role == nil {
		role = &Role{Key: key, Name: name}
		if res != nil {
			b.fillRole(role, res)
		}
		b.roles[key] = role
		b.app.Roles = append(b.app.Roles, role)
	} else if role.Resource == nil && res != nil {
		b.fillRole(role, res)
	}
	role.Functions = append(role.Functions, f)
	f.Role = role
}

// roleByName matches a role ARN or name against the RoleName of the stack's
// roles. The ARN may be literal or built with Sub around a literal name
// ("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/app-role").
func (b *stackBuilder) roleByName(ref *source.Node) *Resource {
	if ref == nil || (ref.Kind != source.String && ref.Kind != source.Symbol) {
		return nil
	}
	name := roleNameFromARN(ref.Value)
	if name == "" || strings.Contains(name, "${") {
		return nil
	}
	for _, r := range b.st.Resources {
		if r.Type != "AWS::IAM::Role" {
			continue
		}
		if rn, ok := r.Prop("RoleName").Str(); ok && rn == name {
			return r
		}
	}
	return nil
}

// literalRoleName returns the role name of an ARN whose name part is
// literal even if other parts are not, or "".
func literalRoleName(arn string) string {
	if !strings.Contains(arn, ":role/") {
		return ""
	}
	if name := roleNameFromARN(arn); !strings.Contains(name, "${") {
		return name
	}
	return ""
}

// roleNameFromARN returns the role name of arn:aws:iam::123:role/path/name,
// or s itself when it is not an ARN.
func roleNameFromARN(s string) string {
	if i := strings.Index(s, ":role/"); i >= 0 {
		s = s[i+len(":role/"):]
		if j := strings.LastIndexByte(s, '/'); j >= 0 {
			s = s[j+1:]
		}
	}
	return s
}

func (b *stackBuilder) fillRole(role *Role, res *Resource) {
	role.Resource = res
	role.Name = res.Origin.LogicalID
	if doc := res.Prop("AssumeRolePolicyDocument"); doc != nil {
		role.Trust = &Policy{Name: "trust policy", Kind: "trust", Document: doc, Resource: res, Origin: originAt(res, doc.Pos)}
	}
	for _, p := range items(res.Prop("Policies")) {
		name, _ := p.Get("PolicyName").Str()
		doc := p.Get("PolicyDocument")
		role.Policies = append(role.Policies, &Policy{Name: name, Kind: "inline", Document: doc, Resource: res, Origin: originAt(res, p.Pos)})
	}
	for _, arn := range items(res.Prop("ManagedPolicyArns")) {
		if mp := b.target(arn, "AWS::IAM::ManagedPolicy"); mp != nil {
			role.Policies = append(role.Policies, customerManaged(mp))
			continue
		}
		role.Managed = append(role.Managed, ManagedPolicy{ARN: arn, Pos: arn.Pos})
	}
	role.Boundary = res.Prop("PermissionsBoundary")
	// Policies that name the role from the other side.
	for _, r := range b.policiesNaming(res) {
		if r.Type == "AWS::IAM::ManagedPolicy" {
			role.Policies = append(role.Policies, customerManaged(r))
		} else {
			name, _ := r.Prop("PolicyName").Str()
			role.Policies = append(role.Policies, &Policy{Name: name, Kind: "policy-resource", Document: r.Prop("PolicyDocument"), Resource: r, Origin: r.Origin})
		}
	}
}

// policiesNaming returns the AWS::IAM::Policy, ManagedPolicy and RolePolicy
// resources that attach themselves to role, in source order. The index is
// built once per stack, so a stack with many roles stays linear.
func (b *stackBuilder) policiesNaming(role *Resource) []*Resource {
	if b.attached == nil {
		b.attached = map[*Resource][]*Resource{}
		roleNames := map[string]*Resource{}
		for _, r := range b.st.Resources {
			if r.Type == "AWS::IAM::Role" {
				if n, ok := r.Prop("RoleName").Str(); ok {
					roleNames[n] = r
				}
			}
		}
		for _, r := range b.st.Resources {
			if r.Type != "AWS::IAM::Policy" && r.Type != "AWS::IAM::ManagedPolicy" && r.Type != "AWS::IAM::RolePolicy" {
				continue
			}
			targets := items(r.Prop("Roles"))
			if r.Type == "AWS::IAM::RolePolicy" {
				targets = []*source.Node{r.Prop("RoleName")}
			}
			seen := map[*Resource]bool{}
			for _, t := range targets {
				target := b.target(t, "AWS::IAM::Role")
				if target == nil {
					if s, ok := t.Str(); ok {
						target = roleNames[s]
					}
				}
				if target != nil && !seen[target] {
					seen[target] = true
					b.attached[target] = append(b.attached[target], r)
				}
			}
		}
	}
	return b.attached[role]
}

func customerManaged(r *Resource) *Policy {
	name, _ := r.Prop("ManagedPolicyName").Str()
	if name == "" {
		name = r.LogicalID
	}
	return &Policy{Name: name, Kind: "customer-managed", Document: r.Prop("PolicyDocument"), Resource: r, Origin: r.Origin}
}

// originAt is the resource's origin, pointing at pos when pos is known: a
// generated role's statements carry the position of the SAM Policies entry
// they came from.
func originAt(r *Resource, pos source.Pos) Origin {
	o := r.Origin
	if pos.IsValid() {
		o.Pos = pos
	}
	return o
}
