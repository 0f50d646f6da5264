package sam

import (
	"crypto/sha1"
	"encoding/hex"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/bulwark-sec/bulwark/internal/source"
)

// The transform never changes the caller's tree. Generated values are new
// nodes; values the user wrote are shared, read-only, with the output. The
// helpers below build new nodes at a given position.

func str(v string, p source.Pos) *source.Node {
	return &source.Node{Kind: source.String, Value: v, Pos: p}
}

func boolean(v bool, p source.Pos) *source.Node {
	return &source.Node{Kind: source.Bool, Value: strconv.FormatBool(v), Pos: p}
}

func number(v int, p source.Pos) *source.Node {
	return &source.Node{Kind: source.Number, Value: strconv.Itoa(v), Pos: p}
}

// obj builds a map from alternating keys and values. A nil value leaves its
// key out, the way the Python transform drops properties that are None.
func obj(p source.Pos, kv ...any) *source.Node {
	n := &source.Node{Kind: source.Map, Pos: p, Fields: make([]source.Field, 0, len(kv)/2)}
	for i := 0; i+1 < len(kv); i += 2 {
		v, _ := kv[i+1].(*source.Node)
		if v == nil {
			continue
		}
		n.Fields = append(n.Fields, source.Field{Key: kv[i].(string), KeyPos: p, Value: v})
	}
	return n
}

func list(p source.Pos, items ...*source.Node) *source.Node {
	n := &source.Node{Kind: source.Seq, Pos: p, Items: make([]*source.Node, 0, len(items))}
	for _, it := range items {
		if it != nil {
			n.Items = append(n.Items, it)
		}
	}
	return n
}

func strList(p source.Pos, vs ...string) *source.Node {
	n := &source.Node{Kind: source.Seq, Pos: p, Items: make([]*source.Node, len(vs))}
	for i, v := range vs {
		n.Items[i] = str(v, p)
	}
	return n
}

func ref(id string, p source.Pos) *source.Node { return obj(p, "Ref", str(id, p)) }

func getAtt(id, attr string, p source.Pos) *source.Node {
	return obj(p, "Fn::GetAtt", strList(p, id, attr))
}

func fnSub(s string, p source.Pos) *source.Node { return obj(p, "Fn::Sub", str(s, p)) }

// fnSubVars builds {"Fn::Sub": [s, {vars...}]} from alternating names and values.
func fnSubVars(s string, p source.Pos, vars ...any) *source.Node {
	return obj(p, "Fn::Sub", list(p, str(s, p), obj(p, vars...)))
}

func fnIf(cond string, then, els *source.Node, p source.Pos) *source.Node {
	return obj(p, "Fn::If", list(p, str(cond, p), then, els))
}

func noValue(p source.Pos) *source.Node { return ref("AWS::NoValue", p) }

// intrinsicName returns the function name when n is an intrinsic call.
func intrinsicName(n *source.Node) string {
	name, _, ok := n.Intrinsic()
	if !ok {
		return ""
	}
	return name
}

func isIntrinsic(n *source.Node) bool { _, _, ok := n.Intrinsic(); return ok }

func isNoValue(n *source.Node) bool {
	name, arg, ok := n.Intrinsic()
	return ok && name == "Ref" && arg.Kind == source.String && arg.Value == "AWS::NoValue"
}

// ifParts returns the condition and both branches of a well-formed Fn::If.
func ifParts(n *source.Node) (cond string, then, els *source.Node, ok bool) {
	name, arg, isFn := n.Intrinsic()
	if !isFn || name != "Fn::If" || arg.Kind != source.Seq || len(arg.Items) != 3 {
		return "", nil, nil, false
	}
	c, isStr := arg.Items[0].Str()
	if !isStr {
		return "", nil, nil, false
	}
	return c, arg.Items[1], arg.Items[2], true
}

// refTarget returns X for {"Ref": X}.
func refTarget(n *source.Node) (string, bool) {
	name, arg, ok := n.Intrinsic()
	if !ok || name != "Ref" || arg.Kind != source.String {
		return "", false
	}
	return arg.Value, true
}

// logicalIDOf returns the resource an intrinsic names: X for {"Ref": X} and
// {"Fn::GetAtt": [X, ...]}, the way SAM's get_logical_id_from_intrinsic does.
func logicalIDOf(n *source.Node) string {
	name, arg, ok := n.Intrinsic()
	if !ok {
		return ""
	}
	switch name {
	case "Ref":
		if arg.Kind == source.String {
			return arg.Value
		}
	case "Fn::GetAtt":
		if arg.Kind == source.Seq && len(arg.Items) > 0 && arg.Items[0].Kind == source.String {
			return arg.Items[0].Value
		}
		if arg.Kind == source.String {
			id, _, _ := strings.Cut(arg.Value, ".")
			return id
		}
	}
	return ""
}

// shorthand renders Ref and GetAtt as the ${X} / ${X.Attr} text used inside
// Fn::Sub strings.
func shorthand(n *source.Node) string {
	name, arg, _ := n.Intrinsic()
	switch name {
	case "Ref":
		return "${" + arg.Value + "}"
	case "Fn::GetAtt":
		parts := make([]string, 0, len(arg.Items))
		for _, it := range arg.Items {
			parts = append(parts, it.Value)
		}
		return "${" + strings.Join(parts, ".") + "}"
	}
	return ""
}

// withPos returns a deep copy of n with every position set to p. Data that
// SAM ships (policy templates, connector profiles) has no place in the user's
// file, so it takes the position of the construct that asked for it.
func withPos(n *source.Node, p source.Pos) *source.Node {
	if n == nil {
		return nil
	}
	c := *n
	c.Pos = p
	if n.Items != nil {
		c.Items = make([]*source.Node, len(n.Items))
		for i, it := range n.Items {
			c.Items[i] = withPos(it, p)
		}
	}
	if n.Fields != nil {
		c.Fields = make([]source.Field, len(n.Fields))
		for i, f := range n.Fields {
			c.Fields[i] = source.Field{Key: f.Key, KeyPos: p, Value: withPos(f.Value, p)}
		}
	}
	return &c
}

// shallow returns a copy of a map or list node whose fields or items can be
// changed without touching n; the values themselves stay shared.
func shallow(n *source.Node) *source.Node {
	if n == nil {
		return nil
	}
	c := *n
	if n.Fields != nil {
		c.Fields = append([]source.Field(nil), n.Fields...)
	}
	if n.Items != nil {
		c.Items = append([]*source.Node(nil), n.Items...)
	}
	return &c
}

// equal reports whether two trees hold the same data, ignoring positions and
// map key order, as Python's == on dicts does.
func equal(a, b *source.Node) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.Kind != b.Kind {
		if a.IsScalar() && b.IsScalar() && a.Kind != source.Null && b.Kind != source.Null {
			return a.Value == b.Value && (a.Kind == source.String) == (b.Kind == source.String)
		}
		return false
	}
	switch a.Kind {
	case source.Map:
		if len(a.Fields) != len(b.Fields) {
			return false
		}
		for _, f := range a.Fields {
			if !equal(f.Value, b.Get(f.Key)) {
				return false
			}
		}
		return true
	case source.Seq:
		if len(a.Items) != len(b.Items) {
			return false
		}
		for i := range a.Items {
			if !equal(a.Items[i], b.Items[i]) {
				return false
			}
		}
		return true
	case source.Null:
		return true
	}
	return a.Value == b.Value
}

// truthy follows Python's truth test for a YAML value: empty strings, maps,
// lists, false, 0 and null are false.
func truthy(n *source.Node) bool {
	if n == nil {
		return false
	}
	switch n.Kind {
	case source.Null:
		return false
	case source.Bool:
		return boolTrue(n.Value)
	case source.String:
		return n.Value != ""
	case source.Number:
		f, err := strconv.ParseFloat(n.Value, 64)
		return err != nil || f != 0
	case source.Map:
		return len(n.Fields) > 0
	case source.Seq:
		return len(n.Items) > 0
	}
	return true
}

// isTrue reports a YAML boolean true (Python `is True`).
func isTrue(n *source.Node) bool { return n != nil && n.Kind == source.Bool && boolTrue(n.Value) }

// boolTrue reads the text of a YAML or JSON boolean.
func boolTrue(v string) bool { return v == "true" || v == "True" || v == "TRUE" }

// stringValue returns the text of a string node (not numbers or booleans).
func stringValue(n *source.Node) (string, bool) {
	if n == nil || n.Kind != source.String {
		return "", false
	}
	return n.Value, true
}

func isAlnum(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

func alnumOnly(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// hashID reproduces SAM's LogicalIdGenerator: the prefix followed by the first
// ten hex digits of the SHA-1 of the data (a string as is, anything else as
// Python's json.dumps with sorted keys and no spaces).
func hashID(prefix string, data *source.Node) string { return prefix + hashOf(data, 10) }

func hashString(prefix, data string) string {
	if data == "" {
		return prefix
	}
	sum := sha1.Sum([]byte(data))
	return prefix + hex.EncodeToString(sum[:])[:10]
}

func hashOf(data *source.Node, length int) string {
	var text string
	if data != nil && data.Kind == source.String {
		text = data.Value
	} else if truthy(data) {
		var b strings.Builder
		writePyJSON(&b, data)
		text = b.String()
	}
	if text == "" {
		return ""
	}
	sum := sha1.Sum([]byte(text))
	return hex.EncodeToString(sum[:])[:length]
}

// writePyJSON writes n the way Python's json.dumps(sort_keys=True,
// separators=(",", ":")) would write the value PyYAML loaded from it.
func writePyJSON(b *strings.Builder, n *source.Node) {
	switch n.Kind {
	case source.Null:
		b.WriteString("null")
	case source.Bool:
		if boolTrue(n.Value) {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case source.Number:
		b.WriteString(pyNumber(n.Value))
	case source.String, source.Symbol:
		writePyString(b, n.Value)
	case source.Seq:
		b.WriteByte('[')
		for i, it := range n.Items {
			if i > 0 {
				b.WriteByte(',')
			}
			writePyJSON(b, it)
		}
		b.WriteByte(']')
	case source.Map:
		fields := append([]source.Field(nil), n.Fields...)
		sort.Slice(fields, func(i, j int) bool { return fields[i].Key < fields[j].Key })
		b.WriteByte('{')
		for i, f := range fields {
			if i > 0 {
				b.WriteByte(',')
			}
			writePyString(b, f.Key)
			b.WriteByte(':')
			writePyJSON(b, f.Value)
		}
		b.WriteByte('}')
	}
}

func pyNumber(v string) string {
	if i, err := strconv.ParseInt(v, 10, 64); err == nil {
		return strconv.FormatInt(i, 10)
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return v
	}
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return v
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e16 {
		return strconv.FormatFloat(f, 'f', 1, 64)
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if strings.Contains(s, "e") {
		mant, exp, _ := strings.Cut(s, "e")
		sign := exp[0]
		digits := strings.TrimLeft(exp[1:], "0")
		if len(digits) < 2 {
			digits = strings.Repeat("0", 2-len(digits)) + digits
		}
		s = mant + "e" + string(sign) + digits
	}
	return s
}

func writePyString(b *strings.Builder, s string) {
	const hexDigits = "0123456789abcdef"
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r < 0x20 || r > 0x7e:
			units := []uint16{uint16(r)}
			if r > 0xffff {
				r1, r2 := utf16.EncodeRune(r)
				units = []uint16{uint16(r1), uint16(r2)}
			}
			for _, u := range units {
				b.WriteString(`\u`)
				b.WriteByte(hexDigits[u>>12&0xf])
				b.WriteByte(hexDigits[u>>8&0xf])
				b.WriteByte(hexDigits[u>>4&0xf])
				b.WriteByte(hexDigits[u&0xf])
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}

// set is Node.Set for values that may be absent: a nil value leaves the map
// unchanged, the way SAM leaves out properties that are None.
func set(n *source.Node, key string, v *source.Node) {
	if v != nil {
		n.Set(key, v)
	}
}

// fieldsOf returns a map's fields, or none for a missing or non-map value.
func fieldsOf(n *source.Node) []source.Field {
	if n == nil || n.Kind != source.Map {
		return nil
	}
	return n.Fields
}

// itemsOf returns a list's items, or none for a missing or non-list value.
// oneOrMany returns the items of a list, or a single value as a list of one,
// as SAM accepts for properties such as an S3 event's Events.
func oneOrMany(n *source.Node) []*source.Node {
	if n != nil && n.Kind == source.Seq {
		return n.Items
	}
	return []*source.Node{n}
}

func itemsOf(n *source.Node) []*source.Node {
	if n == nil || n.Kind != source.Seq {
		return nil
	}
	return n.Items
}
