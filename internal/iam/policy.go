// Package iam evaluates the IAM policies that govern Lambda functions: what
// each function's execution role may do, on which resources, and which
// statement of which policy granted it.
//
// It reads every policy that reaches a role in the scanned templates (inline
// policies, AWS::IAM::Policy and customer managed policies, AWS managed
// policies by their embedded documents, SAM policy templates and connectors
// as the SAM transform expands them, and a permissions boundary), keeps the
// position of every statement, action and resource the user wrote, and
// answers two kinds of questions:
//
//   - may function F perform action A on resource R, and why (Permissions.Decide);
//   - what can function F do at all, grouped by service and access level
//     (Report, the view behind `bulwark iam`).
//
// Values the template cannot fix (a table ARN built with !GetAtt, a
// parameter without a default) stay symbolic: they match conservatively and
// are reported as unknown rather than guessed.
package iam

import (
	"fmt"
	"strings"

	"github.com/bulwark-sec/bulwark/internal/iamdata"
	"github.com/bulwark-sec/bulwark/internal/source"
)

// Effect is the Effect of a statement.
type Effect uint8

const (
	Allow Effect = iota
	Deny
)

func (e Effect) String() string {
	if e == Deny {
		return "Deny"
	}
	return "Allow"
}

// Value is one string the policy names (an action, a resource, a principal,
// a condition value) with where it was written. A Symbolic value is one the
// template cannot fix; Text is then a readable rendering such as
// "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${Table}"
// and Refs names what it depends on.
type Value struct {
	Text     string
	Pos      source.Pos
	Symbolic bool
	Refs     []string
	// IfCondition names the template condition (Fn::If) the value depends
	// on, when the template cannot decide it. Both branches are kept.
	IfCondition string
}

func (v Value) String() string { return v.Text }

// Principal is one entry of a Principal or NotPrincipal element.
type Principal struct {
	Type  string // "*" for the bare wildcard, else "AWS", "Service", "Federated" or "CanonicalUser"
	Value Value
}

// Condition is one key test of a statement's Condition element.
type Condition struct {
	Operator string // e.g. "StringEquals", "ArnLike", "ForAnyValue:StringLike"
	Key      string // e.g. "aws:SourceArn"
	Values   []Value
	Pos      source.Pos
}

// Statement is one parsed policy statement.
type Statement struct {
	Sid    string
	Effect Effect
	// Actions holds the Action element, or the NotAction element when
	// NotAction is set; likewise Resources and NotResource.
	Actions     []Value
	NotAction   bool
	Resources   []Value
	NotResource bool
	// Principals holds the Principal element (or NotPrincipal when
	// NotPrincipal is set). HasPrincipal tells an absent element from an
	// empty one.
	Principals   []Principal
	NotPrincipal bool
	HasPrincipal bool
	Conditions   []Condition
	Pos          source.Pos
	// IfCondition names the template condition (Fn::If) under which the
	// statement, or its effect, exists at all.
	IfCondition string

	actions iamdata.ActionSet // the actions the statement applies to, NotAction already complemented
	// UnknownActions are literal action patterns that match no known action.
	UnknownActions []Value
	// SymbolicActions are action values the template does not fix.
	SymbolicActions []Value
}

// Conditional reports whether the statement applies only under a
// condition: an IAM Condition element or an undecided template condition.
func (s *Statement) Conditional() bool { return len(s.Conditions) > 0 || s.IfCondition != "" }

// Applies reports whether the statement's Action (or NotAction) element
// covers the action.
func (s *Statement) Applies(id iamdata.ActionID) bool { return s.actions.Has(id) }

// ActionSet returns the actions the statement applies to. The set is
// shared: do not modify it.
func (s *Statement) ActionSet() *iamdata.ActionSet { return &s.actions }

// HasCondition reports whether the statement tests key (case-insensitively,
// as IAM compares condition keys) under any operator.
func (s *Statement) HasCondition(key string) bool {
	for _, c := range s.Conditions {
		if strings.EqualFold(c.Key, key) {
			return true
		}
	}
	return false
}

// Document is a parsed policy document.
type Document struct {
	Version    string
	Statements []*Statement
}

// ParseDocument parses an evaluated policy document. It accepts every legal
// form (a Statement object or list, string or list values, all Principal
// shapes) and a document given as a JSON string. Problems come back as
// positioned diagnostics; parsing goes on with what can be read.
func ParseDocument(n *source.Node) (*Document, []*source.Error) {
	p := parser{}
	doc := p.document(n)
	return doc, p.diags
}

type parser struct {
	diags []*source.Error
}

func (p *parser) errorf(pos source.Pos, format string, args ...any) {
	p.diags = append(p.diags, &source.Error{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

// alternative is one possible value of a node that may be an undecided
// Fn::If.
type alternative struct {
	node *source.Node
	cond string
}

// alternatives returns the values n may take: n itself, or both branches
// of an undecided Fn::If (recursively), without AWS::NoValue.
func alternatives(n *source.Node) []alternative {
	return appendAlternatives(nil, n, "", 0)
}

func appendAlternatives(out []alternative, n *source.Node, cond string, depth int) []alternative {
	if n == nil || isNoValue(n) {
		return out
	}
	name, arg, ok := n.Intrinsic()
	if ok && name == "Fn::If" && arg != nil && arg.Kind == source.Seq && len(arg.Items) == 3 && depth < 16 {
		c, _ := arg.Items[0].Str()
		if cond != "" {
			c = cond + "," + c
		}
		out = appendAlternatives(out, arg.Items[1], c, depth+1)
		return appendAlternatives(out, arg.Items[2], c, depth+1)
	}
	return append(out, alternative{node: n, cond: cond})
}

func isNoValue(n *source.Node) bool {
	if n.Kind == source.Null && n.Value == "AWS::NoValue" {
		return true
	}
	name, arg, ok := n.Intrinsic()
	if !ok || name != "Ref" {
		return false
	}
	s, _ := arg.Str()
	return s == "AWS::NoValue"
}

func (p *parser) document(n *source.Node) *Document {
	doc := &Document{}
	if n == nil {
		return doc
	}
	if n.Kind == source.String {
		parsed, err := source.Parse(n.Pos.File, []byte(n.Value), source.Limits{MaxFileBytes: 1 << 20})
		if err != nil || parsed.Root == nil || parsed.Root.Kind != source.Map {
			p.errorf(n.Pos, "policy document is a string that is not a JSON object")
			return doc
		}
		n = reposition(parsed.Root, n.Pos)
	}
	if n.Kind == source.Symbol {
		p.errorf(n.Pos, "policy document %s cannot be read from the template", n.Value)
		return doc
	}
	if n.Kind != source.Map {
		p.errorf(n.Pos, "policy document must be an object, not a %s", n.Kind)
		return doc
	}
	for _, f := range n.Fields {
		switch f.Key {
		case "Version":
			doc.Version, _ = f.Value.Str()
		case "Id":
		case "Statement":
			for _, alt := range alternatives(f.Value) {
				if alt.node.Kind == source.Seq {
					for _, item := range alt.node.Items {
						for _, st := range alternatives(item) {
							p.statement(doc, st.node, joinCond(alt.cond, st.cond))
						}
					}
				} else {
					p.statement(doc, alt.node, alt.cond)
				}
			}
		default:
			p.errorf(f.KeyPos, "unknown policy element %q", f.Key)
		}
	}
	if _, ok := n.Field("Statement"); !ok {
		p.errorf(n.Pos, "policy document has no Statement")
	}
	return doc
}

func joinCond(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "," + b
}

// reposition moves every node of a document parsed from a string to pos:
// the user wrote the string there, not at line 1 of some other file.
func reposition(n *source.Node, pos source.Pos) *source.Node {
	if n == nil {
		return nil
	}
	n.Pos = pos
	for _, it := range n.Items {
		reposition(it, pos)
	}
	for i := range n.Fields {
		n.Fields[i].KeyPos = pos
		reposition(n.Fields[i].Value, pos)
	}
	return n
}

func (p *parser) statement(doc *Document, n *source.Node, cond string) {
	if n.Kind != source.Map {
		p.errorf(n.Pos, "statement must be an object, not a %s", n.Kind)
		return
	}
	st := &Statement{Pos: n.Pos, IfCondition: cond}
	var hasAction, hasResource, hasEffect bool
	for _, f := range n.Fields {
		switch f.Key {
		case "Sid":
			st.Sid, _ = f.Value.Str()
		case "Effect":
			hasEffect = true
			p.effect(st, f.Value)
		case "Action", "NotAction":
			if hasAction {
				p.errorf(f.KeyPos, "statement has both Action and NotAction")
			}
			hasAction = true
			st.NotAction = f.Key == "NotAction"
			st.Actions = p.strings(f.Value, f.Key)
		case "Resource", "NotResource":
			if hasResource {
				p.errorf(f.KeyPos, "statement has both Resource and NotResource")
			}
			hasResource = true
			st.NotResource = f.Key == "NotResource"
			st.Resources = p.strings(f.Value, f.Key)
		case "Principal", "NotPrincipal":
			if st.HasPrincipal {
				p.errorf(f.KeyPos, "statement has both Principal and NotPrincipal")
			}
			st.HasPrincipal = true
			st.NotPrincipal = f.Key == "NotPrincipal"
			st.Principals = p.principals(f.Value)
		case "Condition":
			st.Conditions = p.conditions(f.Value)
		default:
			p.errorf(f.KeyPos, "unknown statement element %q", f.Key)
		}
	}
	if !hasEffect {
		p.errorf(n.Pos, "statement has no Effect")
		return
	}
	if !hasAction {
		p.errorf(n.Pos, "statement has no Action or NotAction")
	}
	for _, a := range st.Actions {
		if a.IfCondition != "" {
			// An action that only an undecided Fn::If puts there makes the
			// whole statement depend on that condition.
			st.IfCondition = joinCond(st.IfCondition, a.IfCondition)
			break
		}
	}
	p.expandActions(st)
	doc.Statements = append(doc.Statements, st)
}

// effect reads Effect. An undecided Fn::If between Allow and Deny is read
// as Allow under that template condition: for what a function may do, the
// Allow branch is the one that matters, and a Deny that may not exist
// cannot be relied on.
func (p *parser) effect(st *Statement, n *source.Node) {
	st.Effect = Deny
	for _, alt := range alternatives(n) {
		s, ok := alt.node.Str()
		switch {
		case !ok:
			p.errorf(alt.node.Pos, "Effect must be Allow or Deny, not %s", describe(alt.node))
		case s == "Allow":
			st.Effect = Allow
			if alt.cond != "" {
				st.IfCondition = joinCond(st.IfCondition, alt.cond)
			}
		case s == "Deny":
		default:
			p.errorf(alt.node.Pos, "Effect must be Allow or Deny, not %q", s)
		}
	}
}

func describe(n *source.Node) string {
	if n.Kind == source.Symbol {
		return n.Value
	}
	return "a " + n.Kind.String()
}

// strings reads an element that holds a string or a list of strings.
func (p *parser) strings(n *source.Node, element string) []Value {
	var out []Value
	for _, alt := range alternatives(n) {
		if alt.node.Kind == source.Seq {
			for _, item := range alt.node.Items {
				for _, v := range alternatives(item) {
					out = p.appendValue(out, v.node, joinCond(alt.cond, v.cond), element)
				}
			}
			continue
		}
		out = p.appendValue(out, alt.node, alt.cond, element)
	}
	return out
}

func (p *parser) appendValue(out []Value, n *source.Node, cond, element string) []Value {
	switch {
	case n.Kind == source.Symbol:
		return append(out, Value{Text: n.Value, Pos: n.Pos, Symbolic: true, Refs: n.Refs, IfCondition: cond})
	case n.Kind == source.Seq && len(n.Refs) > 0:
		// A List parameter spread where one value belongs: its items.
		for _, it := range n.Items {
			out = p.appendValue(out, it, cond, element)
		}
		return out
	case n.IsScalar() && n.Kind != source.Null:
		return append(out, Value{Text: n.Value, Pos: n.Pos, Refs: n.Refs, IfCondition: cond})
	}
	if _, _, ok := n.Intrinsic(); ok {
		return append(out, Value{Text: "${?}", Pos: n.Pos, Symbolic: true, IfCondition: cond})
	}
	p.errorf(n.Pos, "%s must hold strings, not a %s", element, n.Kind)
	return out
}

var principalTypes = []string{"AWS", "Service", "Federated", "CanonicalUser"}

func (p *parser) principals(n *source.Node) []Principal {
	var out []Principal
	for _, alt := range alternatives(n) {
		m := alt.node
		if s, ok := m.Str(); ok {
			if s != "*" {
				p.errorf(m.Pos, "Principal must be \"*\" or an object, not %q", s)
				continue
			}
			out = append(out, Principal{Type: "*", Value: Value{Text: "*", Pos: m.Pos, IfCondition: alt.cond}})
			continue
		}
		if m.Kind != source.Map {
			p.errorf(m.Pos, "Principal must be \"*\" or an object, not %s", describe(m))
			continue
		}
		for _, f := range m.Fields {
			typ := ""
			for _, t := range principalTypes {
				if f.Key == t {
					typ = t
				}
			}
			if typ == "" {
				p.errorf(f.KeyPos, "unknown principal type %q", f.Key)
				continue
			}
			for _, v := range p.strings(f.Value, "Principal "+typ) {
				v.IfCondition = joinCond(alt.cond, v.IfCondition)
				out = append(out, Principal{Type: typ, Value: v})
			}
		}
	}
	return out
}

func (p *parser) conditions(n *source.Node) []Condition {
	var out []Condition
	for _, alt := range alternatives(n) {
		if alt.node.Kind != source.Map {
			p.errorf(alt.node.Pos, "Condition must be an object, not %s", describe(alt.node))
			continue
		}
		for _, op := range alt.node.Fields {
			if op.Value == nil || op.Value.Kind != source.Map {
				p.errorf(op.KeyPos, "condition operator %s must map keys to values", op.Key)
				continue
			}
			for _, k := range op.Value.Fields {
				out = append(out, Condition{Operator: op.Key, Key: k.Key, Values: p.strings(k.Value, "condition "+k.Key), Pos: k.KeyPos})
			}
		}
	}
	return out
}

// expandActions computes the statement's action set through iamdata and
// records the patterns that match nothing.
func (p *parser) expandActions(st *Statement) {
	var set iamdata.ActionSet
	for _, a := range st.Actions {
		if a.Symbolic {
			st.SymbolicActions = append(st.SymbolicActions, a)
			continue
		}
		if !validActionSyntax(a.Text) {
			p.errorf(a.Pos, "action %q is not of the form service:name", a.Text)
			st.UnknownActions = append(st.UnknownActions, a)
			continue
		}
		if a.Text == "*" || a.Text == "*:*" {
			all := allActions()
			set.UnionWith(all)
			continue
		}
		ids := iamdata.Expand(a.Text)
		if len(ids) == 0 {
			st.UnknownActions = append(st.UnknownActions, a)
			continue
		}
		set.Add(ids...)
	}
	if st.NotAction {
		complement := allActions().Clone()
		complement.DifferenceWith(&set)
		set = complement
	}
	st.actions = set
}

func validActionSyntax(s string) bool {
	if s == "*" {
		return true
	}
	service, name, ok := strings.Cut(s, ":")
	return ok && service != "" && name != "" && !strings.ContainsAny(s, " \t\n")
}
