package cfn

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/bulwark-sec/bulwark/internal/source"
)

// Truth is the value of a condition: known true, known false, or unknown
// because it depends on a value the template does not fix.
type Truth uint8

const (
	Unknown Truth = iota
	True
	False
)

func truthOf(b bool) Truth {
	if b {
		return True
	}
	return False
}

// PseudoParameters are the AWS::* names that Ref accepts.
var PseudoParameters = []string{
	"AWS::AccountId", "AWS::NotificationARNs", "AWS::NoValue", "AWS::Partition",
	"AWS::Region", "AWS::StackId", "AWS::StackName", "AWS::URLSuffix",
}

// maxSteps bounds the work of one evaluator, so that no template, however
// contrived, makes evaluation run away.
const maxSteps = 20_000_000

// noValue is the result of Ref AWS::NoValue: the property is removed.
var noValue = &source.Node{Kind: source.Null, Value: "AWS::NoValue"}

// Evaluator evaluates intrinsic functions against one template. Its zero
// value is not usable; call NewEvaluator.
type Evaluator struct {
	t         *Template
	overrides map[string]string
	conds     map[string]Truth
	busy      map[string]bool
	steps     int
	Warnings  []*source.Error
}

// NewEvaluator returns an evaluator for t. overrides set parameter values
// (and, optionally, pseudo parameters such as AWS::Region) as on the
// command line; they win over parameter defaults.
func NewEvaluator(t *Template, overrides map[string]string) *Evaluator {
	return &Evaluator{t: t, overrides: overrides, conds: map[string]Truth{}, busy: map[string]bool{}}
}

func (e *Evaluator) warn(pos source.Pos, format string, args ...any) {
	e.Warnings = append(e.Warnings, &source.Error{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

// Eval returns n with every intrinsic function it can resolve replaced by its
// value. Subtrees without intrinsics are returned as they are, not copied. A
// value that is removed by AWS::NoValue evaluates to nil.
func (e *Evaluator) Eval(n *source.Node) *source.Node {
	v := e.eval(n)
	if v == noValue {
		return nil
	}
	return v
}

func (e *Evaluator) eval(n *source.Node) *source.Node {
	if n == nil {
		return nil
	}
	e.steps++
	if e.steps > maxSteps {
		if e.steps == maxSteps+1 {
			e.warn(n.Pos, "evaluation stopped after %d steps; the rest stays unresolved", maxSteps)
		}
		return symbol("${?}", n.Pos)
	}
	switch n.Kind {
	case source.Map:
		if name, arg, ok := n.Intrinsic(); ok {
			return e.call(name, arg, n)
		}
		var out *source.Node
		for i, f := range n.Fields {
			v := e.eval(f.Value)
			if v == f.Value && out == nil {
				continue
			}
			if out == nil {
				out = &source.Node{Kind: source.Map, Pos: n.Pos, Fields: make([]source.Field, i, len(n.Fields))}
				copy(out.Fields, n.Fields[:i])
			}
			if v != noValue {
				out.Fields = append(out.Fields, source.Field{Key: f.Key, KeyPos: f.KeyPos, Value: v})
			}
		}
		if out == nil {
			return n
		}
		return out
	case source.Seq:
		var out *source.Node
		for i, it := range n.Items {
			v := e.eval(it)
			if v == it && out == nil {
				continue
			}
			if out == nil {
				out = &source.Node{Kind: source.Seq, Pos: n.Pos, Items: make([]*source.Node, i, len(n.Items))}
				copy(out.Items, n.Items[:i])
			}
			if v != noValue {
				out.Items = append(out.Items, v)
			}
		}
		if out == nil {
			return n
		}
		return out
	}
	return n
}

func symbol(expr string, pos source.Pos, refs ...string) *source.Node {
	return &source.Node{Kind: source.Symbol, Value: expr, Pos: pos, Refs: refs}
}

func (e *Evaluator) call(name string, arg, n *source.Node) *source.Node {
	switch name {
	case "Ref":
		s, ok := e.eval(arg).Str()
		if !ok {
			e.warn(n.Pos, "Ref needs a name")
			return symbol("${?}", n.Pos)
		}
		return e.Ref(s, n.Pos)
	case "Fn::GetAtt":
		return e.getAtt(arg, n.Pos)
	case "Fn::Sub":
		return e.sub(arg, n.Pos)
	case "Fn::Join":
		return e.join(arg, n.Pos)
	case "Fn::Select":
		return e.selectFn(arg, n.Pos)
	case "Fn::Split":
		return e.split(arg, n.Pos)
	case "Fn::If":
		return e.ifFn(arg, n.Pos)
	case "Fn::FindInMap":
		return e.findInMap(arg, n.Pos)
	case "Fn::Base64":
		// The value before encoding is what analysis wants (inline code,
		// user data), so Base64 evaluates to its argument.
		return e.eval(arg)
	case "Fn::ImportValue":
		v := e.eval(arg)
		if s, ok := v.Str(); ok {
			return symbol("${Import:"+s+"}", n.Pos)
		}
		return symbol("${Import:"+v.Value+"}", n.Pos, v.Refs...)
	case "Fn::GetAZs":
		return symbol("${AWS::AZs}", n.Pos, "AWS::Region")
	case "Fn::Cidr":
		return symbol("${Cidr}", n.Pos)
	case "Fn::Length":
		if v := e.eval(arg); v != nil && v.Kind == source.Seq {
			return &source.Node{Kind: source.Number, Value: strconv.Itoa(len(v.Items)), Pos: n.Pos}
		}
		return symbol("${Length}", n.Pos)
	case "Fn::ToJsonString":
		v := e.eval(arg)
		if hasSymbol(v) {
			return symbol("${ToJsonString}", n.Pos, collectRefs(v)...)
		}
		b, _ := json.Marshal(ToGo(v))
		return &source.Node{Kind: source.String, Value: string(b), Pos: n.Pos}
	case "Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not", "Condition":
		switch e.truth(n, 0) {
		case True:
			return &source.Node{Kind: source.Bool, Value: "true", Pos: n.Pos}
		case False:
			return &source.Node{Kind: source.Bool, Value: "false", Pos: n.Pos}
		}
		return symbol("${"+name+"}", n.Pos)
	case "Fn::Transform", "Fn::ForEach":
		return symbol("${"+name+"}", n.Pos)
	}
	// Not an intrinsic CloudFormation knows: an ordinary one-key map.
	v := e.eval(arg)
	if v == arg {
		return n
	}
	return &source.Node{Kind: source.Map, Pos: n.Pos, Fields: []source.Field{{Key: name, KeyPos: n.Fields[0].KeyPos, Value: v}}}
}

// Ref resolves a Ref to name as written at pos.
func (e *Evaluator) Ref(name string, pos source.Pos) *source.Node {
	if name == "AWS::NoValue" {
		return noValue
	}
	if v, ok := e.overrides[name]; ok {
		if p := e.t.Parameters[name]; p != nil && isListType(p.Type) {
			return splitList(v, pos, name)
		}
		return &source.Node{Kind: source.String, Value: v, Pos: pos, Refs: []string{name}}
	}
	if strings.HasPrefix(name, "AWS::") {
		if !slices.Contains(PseudoParameters, name) {
			e.warn(pos, "Ref to unknown pseudo parameter %s", name)
		}
		return symbol("${"+name+"}", pos, name)
	}
	if p := e.t.Parameters[name]; p != nil {
		if s, ok := p.Default.Str(); ok {
			if isListType(p.Type) {
				return splitList(s, pos, name)
			}
			return &source.Node{Kind: source.String, Value: s, Pos: pos, Refs: []string{name}}
		}
		if p.Default != nil && p.Default.Kind == source.Seq && isListType(p.Type) {
			out := &source.Node{Kind: source.Seq, Pos: pos, Refs: []string{name}}
			for _, it := range p.Default.Items {
				s, _ := it.Str()
				out.Items = append(out.Items, &source.Node{Kind: source.String, Value: s, Pos: pos, Refs: []string{name}})
			}
			return out
		}
		return symbol("${"+name+"}", pos, name)
	}
	if e.t.Resource(name) == nil {
		e.warn(pos, "Ref to %s, which is neither a parameter nor a resource", name)
	}
	return symbol("${"+name+"}", pos, name)
}

func isListType(typ string) bool {
	return strings.HasPrefix(typ, "List<") || typ == "CommaDelimitedList" || strings.HasPrefix(typ, "AWS::SSM::Parameter::Value<List<")
}

func splitList(s string, pos source.Pos, ref string) *source.Node {
	out := &source.Node{Kind: source.Seq, Pos: pos, Refs: []string{ref}}
	if s == "" {
		return out
	}
	for _, part := range strings.Split(s, ",") {
		out.Items = append(out.Items, &source.Node{Kind: source.String, Value: strings.TrimSpace(part), Pos: pos, Refs: []string{ref}})
	}
	return out
}

func (e *Evaluator) getAtt(arg *source.Node, pos source.Pos) *source.Node {
	var res, attr string
	switch {
	case arg == nil:
	case arg.Kind == source.Seq && len(arg.Items) == 2:
		res, _ = e.eval(arg.Items[0]).Str()
		attr, _ = e.eval(arg.Items[1]).Str()
	case arg.Kind == source.String:
		res, attr, _ = strings.Cut(arg.Value, ".")
	}
	if res == "" || attr == "" {
		e.warn(pos, "Fn::GetAtt needs [Resource, Attribute]")
		return symbol("${?}", pos)
	}
	if e.t.Resource(res) == nil {
		e.warn(pos, "Fn::GetAtt names %s, which is not a resource of this template", res)
	}
	return symbol("${"+res+"."+attr+"}", pos, res)
}

func (e *Evaluator) sub(arg *source.Node, pos source.Pos) *source.Node {
	var tmpl string
	var vars map[string]*source.Node
	switch {
	case arg == nil:
	case arg.Kind == source.String:
		tmpl = arg.Value
	case arg.Kind == source.Seq && len(arg.Items) == 2:
		s, ok := arg.Items[0].Str()
		if !ok {
			e.warn(pos, "Fn::Sub: the first item must be a string")
			return symbol("${?}", pos)
		}
		tmpl = s
		if m := arg.Items[1]; m.Kind == source.Map {
			vars = make(map[string]*source.Node, len(m.Fields))
			for _, f := range m.Fields {
				vars[f.Key] = e.eval(f.Value)
			}
		}
	default:
		e.warn(pos, "Fn::Sub needs a string or [string, {variables}]")
		return symbol("${?}", pos)
	}
	var b strings.Builder
	var refs []string
	unknown := false
	for {
		i := strings.Index(tmpl, "${")
		if i < 0 {
			b.WriteString(tmpl)
			break
		}
		b.WriteString(tmpl[:i])
		rest := tmpl[i+2:]
		j := strings.IndexByte(rest, '}')
		if j < 0 {
			e.warn(pos, "Fn::Sub: unclosed ${ in %q", tmpl)
			b.WriteString(tmpl[i:])
			break
		}
		name := rest[:j]
		tmpl = rest[j+1:]
		if strings.HasPrefix(name, "!") {
			b.WriteString("${" + name[1:] + "}")
			continue
		}
		var v *source.Node
		if vv, ok := vars[name]; ok {
			v = vv
		} else if res, attr, dotted := strings.Cut(name, "."); dotted && !strings.HasPrefix(name, "AWS::") {
			v = e.getAtt(&source.Node{Kind: source.Seq, Items: []*source.Node{
				{Kind: source.String, Value: res}, {Kind: source.String, Value: attr}}}, pos)
		} else {
			v = e.Ref(name, pos)
		}
		refs = append(refs, v.Refs...)
		switch {
		case v == noValue:
		case v.Kind == source.Symbol:
			unknown = true
			b.WriteString(v.Value)
		case v.Kind == source.Seq:
			unknown = true // a list where Sub wants a string; CloudFormation rejects it
			e.warn(pos, "Fn::Sub: ${%s} is a list", name)
			b.WriteString("${" + name + "}")
		default:
			s, _ := v.Str()
			b.WriteString(s)
		}
	}
	refs = dedup(refs)
	if unknown {
		return symbol(b.String(), pos, refs...)
	}
	return &source.Node{Kind: source.String, Value: b.String(), Pos: pos, Refs: refs}
}

func (e *Evaluator) join(arg *source.Node, pos source.Pos) *source.Node {
	if arg == nil || arg.Kind != source.Seq || len(arg.Items) != 2 {
		e.warn(pos, "Fn::Join needs [delimiter, [values]]")
		return symbol("${?}", pos)
	}
	delim, _ := e.eval(arg.Items[0]).Str()
	list := e.eval(arg.Items[1])
	if list == nil || list.Kind == source.Symbol {
		if list == nil {
			return symbol("${?}", pos)
		}
		return symbol(list.Value, pos, list.Refs...)
	}
	if list.Kind != source.Seq {
		e.warn(pos, "Fn::Join: the second item must be a list")
		return symbol("${?}", pos)
	}
	parts := make([]string, 0, len(list.Items))
	var refs []string
	unknown := false
	for _, it := range list.Items {
		refs = append(refs, it.Refs...)
		switch it.Kind {
		case source.Symbol:
			unknown = true
			parts = append(parts, it.Value)
		case source.Seq, source.Map:
			unknown = true
			parts = append(parts, "${?}")
		default:
			s, _ := it.Str()
			parts = append(parts, s)
		}
	}
	refs = dedup(refs)
	if unknown {
		return symbol(strings.Join(parts, delim), pos, refs...)
	}
	return &source.Node{Kind: source.String, Value: strings.Join(parts, delim), Pos: pos, Refs: refs}
}

func (e *Evaluator) selectFn(arg *source.Node, pos source.Pos) *source.Node {
	if arg == nil || arg.Kind != source.Seq || len(arg.Items) != 2 {
		e.warn(pos, "Fn::Select needs [index, [values]]")
		return symbol("${?}", pos)
	}
	idxNode := e.eval(arg.Items[0])
	list := e.eval(arg.Items[1])
	s, ok := idxNode.Str()
	idx, err := strconv.Atoi(s)
	if !ok || err != nil || list == nil || list.Kind != source.Seq {
		refs := dedup(append(append([]string(nil), idxNode.Refs...), listRefs(list)...))
		return symbol("${Select}", pos, refs...)
	}
	if idx < 0 || idx >= len(list.Items) {
		e.warn(pos, "Fn::Select: index %d is out of range for %d values", idx, len(list.Items))
		return symbol("${?}", pos)
	}
	return list.Items[idx]
}

func listRefs(n *source.Node) []string {
	if n == nil {
		return nil
	}
	return n.Refs
}

func (e *Evaluator) split(arg *source.Node, pos source.Pos) *source.Node {
	if arg == nil || arg.Kind != source.Seq || len(arg.Items) != 2 {
		e.warn(pos, "Fn::Split needs [delimiter, string]")
		return symbol("${?}", pos)
	}
	delim, ok1 := e.eval(arg.Items[0]).Str()
	v := e.eval(arg.Items[1])
	s, ok2 := v.Str()
	if !ok1 || !ok2 || delim == "" {
		return symbol("${Split}", pos, listRefs(v)...)
	}
	out := &source.Node{Kind: source.Seq, Pos: pos, Refs: v.Refs}
	for _, part := range strings.Split(s, delim) {
		out.Items = append(out.Items, &source.Node{Kind: source.String, Value: part, Pos: pos, Refs: v.Refs})
	}
	return out
}

func (e *Evaluator) ifFn(arg *source.Node, pos source.Pos) *source.Node {
	if arg == nil || arg.Kind != source.Seq || len(arg.Items) != 3 {
		e.warn(pos, "Fn::If needs [condition, value if true, value if false]")
		return symbol("${?}", pos)
	}
	name, _ := arg.Items[0].Str()
	switch e.Condition(name, arg.Items[0].Pos) {
	case True:
		return e.eval(arg.Items[1])
	case False:
		return e.eval(arg.Items[2])
	}
	// Unknown: keep both evaluated branches, so that analyses can consider
	// either outcome instead of one being guessed.
	branch := func(n *source.Node) *source.Node {
		if v := e.eval(n); v != noValue {
			return v
		}
		return &source.Node{Kind: source.Map, Pos: n.Pos, Fields: []source.Field{{Key: "Ref", KeyPos: n.Pos, Value: source.NewString("AWS::NoValue", n.Pos)}}}
	}
	return &source.Node{Kind: source.Map, Pos: pos, Fields: []source.Field{{Key: "Fn::If", KeyPos: pos, Value: &source.Node{
		Kind: source.Seq, Pos: arg.Pos, Items: []*source.Node{arg.Items[0], branch(arg.Items[1]), branch(arg.Items[2])},
	}}}}
}

func (e *Evaluator) findInMap(arg *source.Node, pos source.Pos) *source.Node {
	if arg == nil || arg.Kind != source.Seq || len(arg.Items) < 3 {
		e.warn(pos, "Fn::FindInMap needs [map, top-level key, second-level key]")
		return symbol("${?}", pos)
	}
	keys := make([]string, 3)
	var refs []string
	for i := range keys {
		v := e.eval(arg.Items[i])
		s, ok := v.Str()
		if !ok {
			return symbol("${FindInMap}", pos, listRefs(v)...)
		}
		keys[i] = s
		refs = append(refs, v.Refs...)
	}
	v := e.t.Mappings.Get(keys[0]).Get(keys[1]).Get(keys[2])
	if v == nil {
		if len(arg.Items) == 4 {
			if d := arg.Items[3].Get("DefaultValue"); d != nil {
				return e.eval(d)
			}
		}
		e.warn(pos, "Fn::FindInMap: no value at %s/%s/%s", keys[0], keys[1], keys[2])
		return symbol("${FindInMap}", pos)
	}
	if len(refs) == 0 {
		return v
	}
	c := *v
	c.Refs = dedup(append(refs, v.Refs...))
	return &c
}

// Condition evaluates the named condition of the template as written at pos.
func (e *Evaluator) Condition(name string, pos source.Pos) Truth {
	if t, ok := e.conds[name]; ok {
		return t
	}
	def, ok := e.t.Conditions[name]
	if !ok {
		e.warn(pos, "condition %s is not defined", name)
		return Unknown
	}
	if e.busy[name] {
		e.warn(pos, "condition %s depends on itself", name)
		return Unknown
	}
	e.busy[name] = true
	t := e.truth(def, 0)
	delete(e.busy, name)
	e.conds[name] = t
	return t
}

func (e *Evaluator) truth(n *source.Node, depth int) Truth {
	if n == nil || depth > 100 {
		return Unknown
	}
	if n.Kind == source.Bool || n.Kind == source.String {
		if b, err := strconv.ParseBool(n.Value); err == nil {
			return truthOf(b)
		}
		return Unknown
	}
	name, arg, ok := n.Intrinsic()
	if !ok {
		return Unknown
	}
	items := func() []*source.Node {
		if arg != nil && arg.Kind == source.Seq {
			return arg.Items
		}
		return nil
	}
	switch name {
	case "Condition":
		s, _ := arg.Str()
		return e.Condition(s, n.Pos)
	case "Fn::Equals":
		it := items()
		if len(it) != 2 {
			e.warn(n.Pos, "Fn::Equals needs two values")
			return Unknown
		}
		a, b := e.eval(it[0]), e.eval(it[1])
		if hasSymbol(a) || hasSymbol(b) || a == nil || b == nil {
			return Unknown
		}
		return truthOf(canonical(a) == canonical(b))
	case "Fn::Not":
		it := items()
		if len(it) != 1 {
			return Unknown
		}
		switch e.truth(it[0], depth+1) {
		case True:
			return False
		case False:
			return True
		}
		return Unknown
	case "Fn::And", "Fn::Or":
		result := truthOf(name == "Fn::And")
		for _, it := range items() {
			switch t := e.truth(it, depth+1); {
			case t == Unknown:
				result = Unknown
			case name == "Fn::And" && t == False, name == "Fn::Or" && t == True:
				return t
			}
		}
		return result
	}
	return truthOf(e.eval(n).Truthy())
}

// ResourceIncluded reports whether r is deployed: its Condition is not known
// to be false.
func (e *Evaluator) ResourceIncluded(r *Resource) bool {
	return r.Condition == "" || e.Condition(r.Condition, r.Pos) != False
}

func canonical(n *source.Node) string {
	if s, ok := n.Str(); ok {
		return s
	}
	b, _ := json.Marshal(ToGo(n))
	return string(b)
}

func hasSymbol(n *source.Node) bool {
	if n == nil {
		return false
	}
	switch n.Kind {
	case source.Symbol:
		return true
	case source.Seq:
		return slices.ContainsFunc(n.Items, hasSymbol)
	case source.Map:
		if _, _, ok := n.Intrinsic(); ok {
			return true
		}
		for _, f := range n.Fields {
			if hasSymbol(f.Value) {
				return true
			}
		}
	}
	return false
}

func collectRefs(n *source.Node) []string {
	var refs []string
	var walk func(*source.Node)
	walk = func(n *source.Node) {
		if n == nil {
			return
		}
		refs = append(refs, n.Refs...)
		for _, it := range n.Items {
			walk(it)
		}
		for _, f := range n.Fields {
			walk(f.Value)
		}
	}
	walk(n)
	return dedup(refs)
}

func dedup(s []string) []string {
	if len(s) < 2 {
		return s
	}
	out := s[:0:0]
	for _, v := range s {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// Text renders a value as one string: scalars and unresolved values as their
// text (a placeholder such as "${Table.Arn}"), lists and maps as compact JSON.
func Text(n *source.Node) string {
	if n == nil {
		return ""
	}
	if n.IsScalar() || n.Kind == source.Symbol {
		return n.Value
	}
	b, _ := json.Marshal(ToGo(n))
	return string(b)
}

// ToGo converts a node to plain Go values (map[string]any, []any, string,
// bool, float64, nil). Symbols become their placeholder text.
func ToGo(n *source.Node) any {
	if n == nil {
		return nil
	}
	switch n.Kind {
	case source.Null:
		return nil
	case source.Bool:
		return n.Value == "true"
	case source.Number:
		if f, err := strconv.ParseFloat(n.Value, 64); err == nil {
			return f
		}
		return n.Value
	case source.Seq:
		out := make([]any, len(n.Items))
		for i, it := range n.Items {
			out[i] = ToGo(it)
		}
		return out
	case source.Map:
		out := make(map[string]any, len(n.Fields))
		for _, f := range n.Fields {
			out[f.Key] = ToGo(f.Value)
		}
		return out
	}
	return n.Value
}
