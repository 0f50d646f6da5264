package sam

import (
	"regexp"
	"strings"

	"github.com/bulwark-sec/bulwark/internal/source"
)

// loadParameters collects the values SAM resolves parameter references
// with: each parameter's Default, overridden by Options.Parameters, plus the
// partition.
func (t *transformer) loadParameters() {
	t.params = map[string]*source.Node{}
	for _, f := range fieldsOf(t.root.Get("Parameters")) {
		if f.Value.Kind != source.Map {
			continue
		}
		if def := f.Value.Get("Default"); def != nil {
			t.params[f.Key] = def
		}
	}
	for name, v := range t.opts.Parameters {
		t.params[name] = str(v, source.Pos{})
	}
	if _, ok := t.params["AWS::Partition"]; !ok {
		t.params["AWS::Partition"] = str(t.partition, source.Pos{})
	}
}

// subVariable matches the ${Name} references SAM substitutes in Fn::Sub.
var subVariable = regexp.MustCompile(`\$\{([A-Za-z0-9.]+|AWS::[A-Z][A-Za-z]*)\}`)

// resolveParams returns n with references to parameters replaced by their
// values: {"Ref": P} becomes the value and ${P} inside Fn::Sub strings is
// substituted, as SAM's resolve_parameter_refs does. Nothing else is
// evaluated. Unchanged subtrees are shared; n itself is never modified.
func (t *transformer) resolveParams(n *source.Node) (*source.Node, error) {
	if n == nil || len(t.params) == 0 {
		return n, nil
	}
	switch n.Kind {
	case source.Map:
		if name, arg, ok := n.Intrinsic(); ok {
			switch name {
			case "Ref":
				if arg.Kind == source.String {
					if v, ok := t.params[arg.Value]; ok {
						return v, nil
					}
				}
				return n, nil
			case "Fn::Sub":
				return t.resolveSub(n, arg)
			}
		}
		var out *source.Node
		for i, f := range fieldsOf(n) {
			v, err := t.resolveParams(f.Value)
			if err != nil {
				return nil, err
			}
			if v != f.Value {
				if out == nil {
					out = shallow(n)
				}
				out.Fields[i].Value = v
			}
		}
		if out != nil {
			return out, nil
		}
	case source.Seq:
		var out *source.Node
		for i, it := range itemsOf(n) {
			v, err := t.resolveParams(it)
			if err != nil {
				return nil, err
			}
			if v != it {
				if out == nil {
					out = shallow(n)
				}
				out.Items[i] = v
			}
		}
		if out != nil {
			return out, nil
		}
	}
	return n, nil
}

func (t *transformer) resolveSub(n, arg *source.Node) (*source.Node, error) {
	var text *source.Node
	switch {
	case arg.Kind == source.String:
		text = arg
	case arg.Kind == source.Seq && len(arg.Items) > 0 && arg.Items[0].Kind == source.String:
		text = arg.Items[0]
	default:
		return n, nil
	}
	replaced, err := t.substitute(text)
	if err != nil || replaced == text {
		return n, err
	}
	if arg.Kind == source.String {
		return obj(n.Pos, "Fn::Sub", replaced), nil
	}
	items := shallow(arg)
	items.Items[0] = replaced
	return obj(n.Pos, "Fn::Sub", items), nil
}

func (t *transformer) substitute(text *source.Node) (*source.Node, error) {
	if !strings.Contains(text.Value, "${") {
		return text, nil
	}
	out := text.Value
	changed := false
	for _, m := range subVariable.FindAllStringSubmatch(text.Value, -1) {
		v, ok := t.params[m[1]]
		if !ok {
			continue
		}
		s, isString := stringValue(v)
		if !isString {
			return nil, &source.Error{Pos: text.Pos,
				Msg: "Invalid Fn::Sub variable value for " + m[1] + ". Fn::Sub expects all variables to be strings."}
		}
		out = strings.Replace(out, m[0], s, 1)
		changed = true
	}
	if !changed {
		return text, nil
	}
	return str(out, text.Pos), nil
}

// resolvedString resolves parameter references in n and returns the text
// when the result is a plain string.
func (t *transformer) resolvedString(n *source.Node) (string, bool) {
	v, err := t.resolveParams(n)
	if err != nil {
		return "", false
	}
	return stringValue(v)
}
