package sam

import (
	"sort"
	"strconv"
	"strings"

	"github.com/bulwark-sec/bulwark/internal/iamdata"
	"github.com/bulwark-sec/bulwark/internal/source"
)

// managedPolicyARN turns the name of an AWS managed policy into its ARN in
// the partition, as SAM does inside CloudFormation: first from the list of
// managed policies SAM ships (which gets service-role/ and other paths
// right), then from all AWS managed policies, which SAM finds by listing
// them in the account (internal/iamdata here). Names match exactly, as in
// SAM. It reports false for names that are not AWS managed policies; SAM
// then keeps the name as written.
func (t *transformer) managedPolicyARN(name string) (string, bool) {
	byName := t.data.managedPolicies[t.partition]
	if byName == nil {
		byName = t.data.managedPolicies["aws"]
	}
	if path, ok := byName[name]; ok {
		return t.awsPolicyARN(path), true
	}
	if strings.HasPrefix(name, "arn:") {
		return "", false
	}
	if p, ok := iamdata.ManagedPolicy(name); ok && p.Name == name {
		return t.awsPolicyARN(strings.TrimPrefix(p.Path, "/") + p.Name), true
	}
	return "", false
}

// awsPolicyARN is the ARN of an AWS managed policy given its path and name.
func (t *transformer) awsPolicyARN(pathAndName string) string {
	return "arn:" + t.partition + ":iam::aws:policy/" + pathAndName
}

type policyKind uint8

const (
	policyUnknown policyKind = iota
	policyManaged
	policyStatement
	policyTemplateEntry
)

// policyEntries returns the Policies property as a list, the way SAM reads
// it: a single value counts as a one-item list, and an empty value as none.
func policyEntries(n *source.Node) []*source.Node {
	if !truthy(n) {
		return nil
	}
	if n.Kind == source.Seq {
		return n.Items
	}
	return []*source.Node{n}
}

func (t *transformer) policyKindOf(n *source.Node, templates bool) (policyKind, error) {
	switch {
	case n.Kind == source.String:
		return policyManaged, nil
	case intrinsicName(n) == "Fn::If":
		_, then, els, ok := ifParts(n)
		if !ok {
			return policyUnknown, &source.Error{Pos: n.Pos, Msg: "Structure of the SAM template is invalid. Fn::If requires 3 arguments"}
		}
		tk, err := t.policyKindOf(then, templates)
		if err != nil {
			return policyUnknown, err
		}
		ek, err := t.policyKindOf(els, templates)
		if err != nil {
			return policyUnknown, err
		}
		switch {
		case tk == ek:
			return tk, nil
		case isNoValue(then):
			return ek, nil
		case isNoValue(els):
			return tk, nil
		}
		return policyUnknown, &source.Error{Pos: n.Pos, Msg: "Structure of the SAM template is invalid. " +
			"Different policy types within the same Fn::If statement is unsupported. " +
			"Separate different policy types into different Fn::If statements"}
	case isIntrinsic(n):
		return policyManaged, nil
	case n.Kind == source.Map && n.Get("Statement") != nil:
		return policyStatement, nil
	case templates && n.Kind == source.Map && len(n.Fields) == 1:
		if _, ok := t.data.templates[n.Fields[0].Key]; ok {
			return policyTemplateEntry, nil
		}
	}
	return policyUnknown, nil
}

// expandPolicyTemplates replaces SAM policy templates in a Policies value by
// the policy documents they stand for, as SAM's policy template plugin does
// before anything else reads the property. An entry SAM rejects (an unknown
// template, missing parameters, a malformed Fn::If) is left out of the role
// with a warning.
func (t *transformer) expandPolicyTemplates(r *resource) {
	policies := r.props.Get("Policies")
	entries := policyEntries(policies)
	if len(entries) == 0 {
		return
	}
	out := make([]*source.Node, 0, len(entries))
	changed := policies.Kind != source.Seq
	for _, e := range entries {
		expanded, err := t.expandPolicyEntry(r, e)
		if err != nil {
			t.tolerate(err, "the policy is left out of the role")
			changed = true
			continue
		}
		changed = changed || expanded != e
		out = append(out, expanded)
	}
	if changed {
		set(r.props, "Policies", &source.Node{Kind: source.Seq, Pos: policies.Pos, Items: out})
	}
}

// expandPolicyEntry returns one Policies entry with the policy templates in
// it expanded, or the entry itself when it holds none.
func (t *transformer) expandPolicyEntry(r *resource, e *source.Node) (*source.Node, error) {
	k, err := t.policyKindOf(e, true)
	if err != nil || k != policyTemplateEntry {
		return e, err
	}
	cond, then, els, ok := ifParts(e)
	if !ok {
		return t.expandTemplate(r, e)
	}
	if !isNoValue(then) {
		if then, err = t.expandTemplate(r, then); err != nil {
			return nil, err
		}
	}
	if !isNoValue(els) {
		if els, err = t.expandTemplate(r, els); err != nil {
			return nil, err
		}
	}
	return fnIf(cond, then, els, e.Pos), nil
}

// expandTemplate turns {"TemplateName": {Param: value}} into the policy
// document SAM's template defines, with each {"Ref": Param} replaced by the
// value given. The document carries the position of the template entry;
// the values keep the positions the user wrote them at.
func (t *transformer) expandTemplate(r *resource, entry *source.Node) (*source.Node, error) {
	if entry.Kind != source.Map || len(entry.Fields) != 1 {
		return nil, t.invalid(r, entry.Pos, "Policy template is not valid")
	}
	name, values := entry.Fields[0].Key, entry.Fields[0].Value
	tmpl, ok := t.data.templates[name]
	if !ok {
		return nil, t.invalid(r, entry.Pos, "Policy template '%s' does not exist", name)
	}
	if values == nil || values.Kind != source.Map {
		return nil, t.invalid(r, entry.Pos, "Must specify valid parameter values for policy template '%s'", name)
	}
	var missing []string
	for _, p := range tmpl.parameters {
		if values.Get(p) == nil {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		quoted := make([]string, len(missing))
		for i, m := range missing {
			quoted[i] = strconv.Quote(m)
		}
		return nil, t.invalid(r, entry.Pos, "Following required parameters of template '%s' don't have values: [%s]",
			name, strings.ReplaceAll(strings.Join(quoted, ", "), `"`, `'`))
	}
	return substituteTemplate(tmpl.definition, values, entry.Pos, tmpl.parameters), nil
}

func substituteTemplate(n, values *source.Node, pos source.Pos, params []string) *source.Node {
	if target, ok := refTarget(n); ok && contains(params, target) {
		if v := values.Get(target); v != nil {
			return v
		}
	}
	c := *n
	c.Pos = pos
	if n.Items != nil {
		c.Items = make([]*source.Node, len(n.Items))
		for i, it := range itemsOf(n) {
			c.Items[i] = substituteTemplate(it, values, pos, params)
		}
	}
	if n.Fields != nil {
		c.Fields = make([]source.Field, len(n.Fields))
		for i, f := range fieldsOf(n) {
			c.Fields[i] = source.Field{Key: f.Key, KeyPos: pos, Value: substituteTemplate(f.Value, values, pos, params)}
		}
	}
	return &c
}

// roleBuilder collects what goes into a generated execution role; event
// sources add to it after the function is built.
type roleBuilder struct {
	logicalID   string
	pos         source.Pos
	attrs       []source.Field
	assume      *source.Node
	managedARNs []*source.Node
	policies    []*source.Node
	path        *source.Node
	boundary    *source.Node
	tags        *source.Node
}

func (b *roleBuilder) addManaged(arn *source.Node) {
	for _, m := range b.managedARNs {
		if equal(m, arn) {
			return
		}
	}
	b.managedARNs = append(b.managedARNs, arn)
}

// addPolicyUnlessPresent adds an inline policy unless the role already has
// one with the same document, as SAM does for event source policies.
func (b *roleBuilder) addPolicyUnlessPresent(policy *source.Node) {
	doc := policy.Get("PolicyDocument")
	for _, p := range b.policies {
		if equal(p, policy) || equal(p.Get("PolicyDocument"), doc) {
			return
		}
	}
	b.policies = append(b.policies, policy)
}

func (b *roleBuilder) node() *source.Node {
	var policies *source.Node
	if len(b.policies) > 0 {
		policies = list(b.pos, b.policies...)
	}
	return resourceNode("AWS::IAM::Role", b.pos, b.attrs, obj(b.pos,
		"AssumeRolePolicyDocument", b.assume,
		"ManagedPolicyArns", &source.Node{Kind: source.Seq, Pos: b.pos, Items: b.managedARNs},
		"Policies", policies,
		"Path", b.path,
		"PermissionsBoundary", b.boundary,
		"Tags", b.tags,
	))
}

// addPolicies adds the entries of a Policies property to a role: inline
// documents become named policies, managed policy names become ARNs.
//
// An entry SAM rejects is left out of the role with a warning: the role is
// analyzed with the policies that can be read.
func (t *transformer) addPolicies(r *resource, b *roleBuilder, policies *source.Node) {
	for i, e := range policyEntries(policies) {
		k, err := t.policyKindOf(e, false)
		if err != nil {
			t.tolerate(err, "the policy is left out of the role")
			continue
		}
		switch k {
		case policyStatement:
			if cond, then, els, ok := ifParts(e); ok {
				named := func(v *source.Node) *source.Node {
					if isNoValue(v) {
						return v
					}
					return namedPolicy(b.logicalID+"Policy"+strconv.Itoa(i), v, e.Pos)
				}
				b.policies = append(b.policies, fnIf(cond, named(then), named(els), e.Pos))
				continue
			}
			b.policies = append(b.policies, namedPolicy(b.logicalID+"Policy"+strconv.Itoa(i), e, e.Pos))
		case policyManaged:
			arn := e
			if e.Kind == source.String {
				arn = t.managedNameToARN(e)
			} else if cond, then, els, ok := ifParts(e); ok {
				convert := func(v *source.Node) *source.Node {
					if v.Kind == source.String {
						return t.managedNameToARN(v)
					}
					return v
				}
				arn = fnIf(cond, convert(then), convert(els), e.Pos)
			}
			b.addManaged(arn)
		default:
			t.tolerate(t.invalid(r, e.Pos, "Policy at index %d in the 'Policies' property is not valid", i),
				"the policy is left out of the role")
		}
	}
}

func (t *transformer) managedNameToARN(n *source.Node) *source.Node {
	if arn, ok := t.managedPolicyARN(n.Value); ok {
		return str(arn, n.Pos)
	}
	return n
}

func namedPolicy(name string, doc *source.Node, pos source.Pos) *source.Node {
	return obj(pos, "PolicyName", str(name, pos), "PolicyDocument", doc)
}

// assumeRoleFor is the trust policy SAM gives a role assumed by one service.
func assumeRoleFor(service string, pos source.Pos) *source.Node {
	return obj(pos, "Version", str("2012-10-17", pos), "Statement", list(pos, obj(pos,
		"Action", strList(pos, "sts:AssumeRole"),
		"Effect", str("Allow", pos),
		"Principal", obj(pos, "Service", strList(pos, service)),
	)))
}

// statementPolicy builds {PolicyName, PolicyDocument: {Statement: [...]}}.
func statementPolicy(name string, pos source.Pos, statements ...*source.Node) *source.Node {
	return namedPolicy(name, obj(pos, "Statement", list(pos, statements...)), pos)
}

func allow(pos source.Pos, action, resource *source.Node) *source.Node {
	return obj(pos, "Action", action, "Effect", str("Allow", pos), "Resource", resource)
}

// tagList converts a Tags map to CloudFormation's [{Key, Value}] form,
// optionally after SAM's own tag.
func tagList(pos source.Pos, samKey string, tags ...*source.Node) *source.Node {
	out := &source.Node{Kind: source.Seq, Pos: pos}
	if samKey != "" {
		out.Items = append(out.Items, obj(pos, "Key", str(samKey, pos), "Value", str("SAM", pos)))
	}
	for _, m := range tags {
		if m == nil || m.Kind != source.Map {
			continue
		}
		for _, f := range fieldsOf(m) {
			out.Items = append(out.Items, obj(f.KeyPos, "Key", str(f.Key, f.KeyPos), "Value", f.Value))
		}
	}
	return out
}

// withoutReservedTag returns tags without the tag key SAM reserves for
// itself, with a warning when the user set it (SAM rejects that).
func (t *transformer) withoutReservedTag(r *resource, tags *source.Node, reserved string) *source.Node {
	f, ok := tags.Field(reserved)
	if !ok {
		return tags
	}
	t.tolerate(t.invalid(r, f.KeyPos, "%s is a reserved Tag key name and cannot be set on your resource. Please change the tag key in the input.", reserved),
		"the tag is left out")
	out := shallow(tags)
	out.Delete(reserved)
	return out
}
