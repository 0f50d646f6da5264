package sam

import (
	"regexp"
	"strings"

	"github.com/bulwark-sec/bulwark/internal/source"
)

// rewriteReferences applies the two reference rewrites SAM performs on the
// finished template: references to resources whose logical ID the transform
// changed (layer versions) follow the new ID, and references to derived
// resources ("MyFunction.Alias", "MyApi.Stage") become references to the
// generated resource. Only the paths that change are copied.
func (t *transformer) rewriteReferences(out *source.Node) {
	if len(t.changedIDs) == 0 && len(t.derivedRefs) == 0 {
		return
	}
	for i, f := range fieldsOf(out) {
		if v := t.rewrite(f.Value, 0); v != f.Value {
			out.Fields[i].Value = v
		}
	}
	if len(t.changedIDs) > 0 {
		t.rewriteDependsOn(out.Get("Resources"))
	}
}

const maxRewriteDepth = 1000

func (t *transformer) rewrite(n *source.Node, depth int) *source.Node {
	if n == nil || depth > maxRewriteDepth {
		return n
	}
	switch n.Kind {
	case source.Map:
		if name, arg, ok := n.Intrinsic(); ok {
			switch name {
			case "Ref":
				if v := t.rewriteRef(arg); v != nil {
					return obj(n.Pos, "Ref", str(*v, arg.Pos))
				}
			case "Fn::GetAtt":
				if v := t.rewriteGetAtt(arg); v != nil {
					return obj(n.Pos, "Fn::GetAtt", v)
				}
			case "Fn::Sub":
				base := arg
				if v := t.rewriteSub(arg); v != nil {
					base = v
				}
				if base = t.rewriteList(base, depth); base != arg {
					return obj(n.Pos, "Fn::Sub", base)
				}
			}
		}
		var out *source.Node
		for i, f := range fieldsOf(n) {
			if v := t.rewrite(f.Value, depth+1); v != f.Value {
				if out == nil {
					out = shallow(n)
				}
				out.Fields[i].Value = v
			}
		}
		if out != nil {
			return out
		}
	case source.Seq:
		return t.rewriteList(n, depth)
	}
	return n
}

func (t *transformer) rewriteList(n *source.Node, depth int) *source.Node {
	if n.Kind != source.Seq {
		return n
	}
	var out *source.Node
	for i, it := range itemsOf(n) {
		if v := t.rewrite(it, depth+1); v != it {
			if out == nil {
				out = shallow(n)
			}
			out.Items[i] = v
		}
	}
	if out != nil {
		return out
	}
	return n
}

// derived resolves "LogicalId.Property" to the generated resource's ID.
func (t *transformer) derived(logicalID, property string) (string, bool) {
	id, ok := t.derivedRefs[logicalID][property]
	return id, ok
}

func (t *transformer) rewriteRef(arg *source.Node) *string {
	s, ok := stringValue(arg)
	if !ok {
		return nil
	}
	if id, prop, found := strings.Cut(s, "."); found && id != "" && prop != "" {
		if v, ok := t.derived(id, prop); ok {
			return &v
		}
		return nil
	}
	if v, ok := t.changedIDs[s]; ok {
		return &v
	}
	return nil
}

func (t *transformer) rewriteGetAtt(arg *source.Node) *source.Node {
	if arg.Kind != source.Seq || len(arg.Items) < 2 {
		return nil
	}
	parts := make([]string, 0, len(arg.Items))
	for _, it := range itemsOf(arg) {
		s, ok := stringValue(it)
		if !ok {
			return nil
		}
		parts = append(parts, s)
	}
	splits := strings.Split(strings.Join(parts, "."), ".")
	if v, ok := t.derived(splits[0], splits[1]); ok {
		return strList(arg.Pos, append([]string{v}, splits[2:]...)...)
	}
	if v, ok := t.changedIDs[splits[0]]; ok {
		return strList(arg.Pos, append([]string{v}, splits[1:]...)...)
	}
	return nil
}

var subRef = regexp.MustCompile(`\$\{([A-Za-z0-9.]+|AWS::[A-Z][A-Za-z]*)\}`)

// rewriteSub rewrites ${X.Alias} and ${ChangedId} inside Fn::Sub strings and
// returns the new argument, or nil when nothing changes.
func (t *transformer) rewriteSub(arg *source.Node) *source.Node {
	var text *source.Node
	switch {
	case arg.Kind == source.String:
		text = arg
	case arg.Kind == source.Seq && len(arg.Items) > 0 && arg.Items[0].Kind == source.String:
		text = arg.Items[0]
	default:
		return nil
	}
	changed := false
	replaced := subRef.ReplaceAllStringFunc(text.Value, func(m string) string {
		inner := m[2 : len(m)-1]
		parts := strings.Split(inner, ".")
		if len(parts) >= 2 {
			if v, ok := t.derived(parts[0], parts[1]); ok {
				changed = true
				return "${" + strings.Replace(inner, parts[0]+"."+parts[1], v, 1) + "}"
			}
		}
		if v, ok := t.changedIDs[parts[0]]; ok {
			changed = true
			return "${" + strings.Replace(inner, parts[0], v, 1) + "}"
		}
		return m
	})
	if !changed {
		return nil
	}
	if arg.Kind == source.String {
		return str(replaced, text.Pos)
	}
	out := shallow(arg)
	out.Items[0] = str(replaced, text.Pos)
	return out
}

func (t *transformer) rewriteDependsOn(resources *source.Node) {
	for i, f := range fieldsOf(resources) {
		deps := f.Value.Get("DependsOn")
		if deps == nil {
			continue
		}
		var out *source.Node
		switch deps.Kind {
		case source.String:
			if v, ok := t.changedIDs[deps.Value]; ok {
				out = str(v, deps.Pos)
			}
		case source.Seq:
			for j, d := range itemsOf(deps) {
				if v, ok := t.changedIDs[d.Value]; ok {
					if out == nil {
						out = shallow(deps)
					}
					out.Items[j] = str(v, d.Pos)
				}
			}
		}
		if out != nil {
			node := shallow(f.Value)
			set(node, "DependsOn", out)
			resources.Fields[i].Value = node
		}
	}
}
