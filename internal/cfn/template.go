// Package cfn reads a CloudFormation template's sections and evaluates its
// intrinsic functions: parameters (with defaults and overrides), pseudo
// parameters, conditions, mappings, Ref, GetAtt, Sub, Join, Select, Split,
// If, FindInMap and friends.
//
// Values that cannot be known from the template alone (an ImportValue, a
// parameter without a default, a resource attribute) evaluate to a
// source.Symbol node: a readable placeholder that records what it depends on.
// Nothing is guessed.
package cfn

import (
	"fmt"
	"sort"
	"strings"

	"github.com/bulwark-sec/bulwark/internal/source"
)

// Template is a parsed CloudFormation template.
type Template struct {
	Path       string
	Root       *source.Node
	Parameters map[string]*Parameter
	Conditions map[string]*source.Node
	Mappings   *source.Node
	Resources  []*Resource // in source order
	Outputs    *source.Node
	Transform  []string // e.g. AWS::Serverless-2016-10-31
	byID       map[string]*Resource
}

// Parameter is one entry of the Parameters section.
type Parameter struct {
	Name    string
	Type    string
	Default *source.Node // nil when there is none
	NoEcho  bool
	Node    *source.Node
}

// Resource is one entry of the Resources section.
type Resource struct {
	LogicalID  string
	Type       string
	Node       *source.Node // the whole resource
	Properties *source.Node // may be nil
	Metadata   *source.Node // may be nil
	Condition  string
	Pos        source.Pos // where the logical ID is written
}

// Resource returns the resource with the given logical ID, or nil.
func (t *Template) Resource(id string) *Resource { return t.byID[id] }

// IsTemplate reports whether root looks like a CloudFormation or SAM
// template: a map with a Resources map, or with the format version key.
func IsTemplate(root *source.Node) bool {
	if root == nil || root.Kind != source.Map {
		return false
	}
	if r := root.Get("Resources"); r != nil && r.Kind == source.Map {
		for _, f := range r.Fields {
			if typ, ok := f.Value.Get("Type").Str(); ok && strings.Contains(typ, "::") {
				return true
			}
		}
	}
	return root.Get("AWSTemplateFormatVersion") != nil
}

// IsSAM reports whether the template declares the SAM transform.
func (t *Template) IsSAM() bool {
	for _, tr := range t.Transform {
		if strings.HasPrefix(tr, "AWS::Serverless") {
			return true
		}
	}
	return false
}

// Parse reads the sections of a template. Structural problems that would
// make CloudFormation reject the template are returned as positioned
// warnings; the rest of the template is still read.
func Parse(path string, root *source.Node) (*Template, []*source.Error) {
	t := &Template{Path: path, Root: root, Parameters: map[string]*Parameter{}, Conditions: map[string]*source.Node{}, byID: map[string]*Resource{}}
	var warns []*source.Error
	warn := func(pos source.Pos, format string, args ...any) {
		warns = append(warns, &source.Error{Pos: pos, Msg: fmt.Sprintf(format, args...)})
	}
	if root == nil || root.Kind != source.Map {
		pos := source.Pos{File: path}
		if root != nil {
			pos = root.Pos
		}
		warn(pos, "a template must be a map at the top level")
		return t, warns
	}
	switch tr := root.Get("Transform"); {
	case tr == nil:
	case tr.Kind == source.Seq:
		for _, it := range tr.Items {
			if s, ok := it.Str(); ok {
				t.Transform = append(t.Transform, s)
			} else if name, ok := it.Get("Name").Str(); ok {
				t.Transform = append(t.Transform, name)
			}
		}
	default:
		if s, ok := tr.Str(); ok {
			t.Transform = []string{s}
		}
	}
	if ps := root.Get("Parameters"); ps != nil {
		if ps.Kind != source.Map {
			warn(ps.Pos, "Parameters must be a map")
		}
		for _, f := range ps.Fields {
			p := &Parameter{Name: f.Key, Node: f.Value, Default: f.Value.Get("Default")}
			p.Type, _ = f.Value.Get("Type").Str()
			p.NoEcho = f.Value.Get("NoEcho").Truthy()
			t.Parameters[f.Key] = p
		}
	}
	if cs := root.Get("Conditions"); cs != nil {
		for _, f := range cs.Fields {
			t.Conditions[f.Key] = f.Value
		}
	}
	t.Mappings = root.Get("Mappings")
	t.Outputs = root.Get("Outputs")
	rs := root.Get("Resources")
	if rs != nil && rs.Kind != source.Map {
		warn(rs.Pos, "Resources must be a map")
		rs = nil
	}
	if rs != nil {
		t.Resources = make([]*Resource, 0, len(rs.Fields))
	}
	for _, f := range fieldsOf(rs) {
		r := &Resource{LogicalID: f.Key, Node: f.Value, Pos: f.KeyPos}
		if f.Value.Kind != source.Map {
			warn(f.Value.Pos, "resource %s must be a map", f.Key)
			continue
		}
		typ, ok := f.Value.Get("Type").Str()
		if !ok {
			warn(f.KeyPos, "resource %s has no Type", f.Key)
		}
		r.Type = typ
		r.Properties = f.Value.Get("Properties")
		r.Metadata = f.Value.Get("Metadata")
		r.Condition, _ = f.Value.Get("Condition").Str()
		t.Resources = append(t.Resources, r)
		t.byID[f.Key] = r
	}
	return t, warns
}

func fieldsOf(n *source.Node) []source.Field {
	if n == nil || n.Kind != source.Map {
		return nil
	}
	return n.Fields
}

// ResourcesOfType returns the resources whose Type is one of types, in
// source order.
func (t *Template) ResourcesOfType(types ...string) []*Resource {
	var out []*Resource
	for _, r := range t.Resources {
		for _, typ := range types {
			if r.Type == typ {
				out = append(out, r)
				break
			}
		}
	}
	return out
}

// ParameterNames returns the parameter names in sorted order.
func (t *Template) ParameterNames() []string {
	names := make([]string, 0, len(t.Parameters))
	for n := range t.Parameters {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
