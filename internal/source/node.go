// Package source reads template files into document trees whose every value
// remembers the file, line and column it was written at.
//
// YAML and JSON both load into the same Node tree. CloudFormation short-form
// tags (!Ref, !GetAtt, !Sub, ...) are rewritten to their long JSON form
// ({"Ref": ...}, {"Fn::GetAtt": [...]}) so that later stages see one shape.
package source

import (
	"fmt"
	"strconv"
)

// Pos is a place in a source file. Line and Column are 1-based; the zero Pos
// means "no position known".
type Pos struct {
	File   string
	Line   int
	Column int
}

// IsValid reports whether p names a real place.
func (p Pos) IsValid() bool { return p.Line > 0 }

func (p Pos) String() string {
	switch {
	case p.File == "":
		return fmt.Sprintf("%d:%d", p.Line, p.Column)
	case !p.IsValid():
		return p.File
	}
	return p.File + ":" + strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Column)
}

// Kind says what a Node holds.
type Kind uint8

const (
	Null Kind = iota
	Bool
	Number
	String
	Seq
	Map
	// Symbol is a value that cannot be known from the template alone, such as
	// a parameter without a default or an attribute of another resource. Its
	// Value is a readable rendering like "${MyTable.Arn}"; Refs names the
	// parameters, resources and pseudo parameters it depends on.
	Symbol
)

var kindNames = [...]string{"null", "boolean", "number", "string", "list", "map", "unresolved value"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Node is one value of a document. Scalars keep their text in Value; lists
// keep Items; maps keep Fields in source order.
type Node struct {
	Kind   Kind
	Value  string
	Items  []*Node
	Fields []Field
	Refs   []string // for Symbol: what the value depends on
	Pos    Pos
}

// Field is one key of a map with its value.
type Field struct {
	Key    string
	KeyPos Pos
	Value  *Node
}

// Get returns the value of key in a map node, or nil. A nil receiver is an
// empty map, so lookups chain: n.Get("Properties").Get("Role").
func (n *Node) Get(key string) *Node {
	if n == nil || n.Kind != Map {
		return nil
	}
	for i := range n.Fields {
		if n.Fields[i].Key == key {
			return n.Fields[i].Value
		}
	}
	return nil
}

// Field returns the field named key and whether it exists.
func (n *Node) Field(key string) (Field, bool) {
	if n == nil || n.Kind != Map {
		return Field{}, false
	}
	for _, f := range n.Fields {
		if f.Key == key {
			return f, true
		}
	}
	return Field{}, false
}

// IsScalar reports whether n is a string, number, boolean or null.
func (n *Node) IsScalar() bool {
	return n != nil && n.Kind <= String
}

// Str returns the text of a scalar and whether n is one. Numbers and booleans
// count: CloudFormation treats every scalar as text.
func (n *Node) Str() (string, bool) {
	if n == nil || n.Kind == Null || !n.IsScalar() {
		return "", false
	}
	return n.Value, true
}

// Truthy reports whether n is the boolean true, written as a YAML/JSON
// boolean or as the string "true" (CloudFormation accepts both).
func (n *Node) Truthy() bool {
	if n == nil || (n.Kind != Bool && n.Kind != String) {
		return false
	}
	b, err := strconv.ParseBool(n.Value)
	return err == nil && b
}

// Intrinsic reports whether n is a CloudFormation intrinsic function call,
// a single-key map whose key is "Ref", "Condition" or starts with "Fn::",
// and returns the function name and its argument.
func (n *Node) Intrinsic() (name string, arg *Node, ok bool) {
	if n == nil || n.Kind != Map || len(n.Fields) != 1 {
		return "", nil, false
	}
	k := n.Fields[0].Key
	if k == "Ref" || k == "Condition" || (len(k) > 4 && k[:4] == "Fn::") {
		return k, n.Fields[0].Value, true
	}
	return "", nil, false
}

// Keys returns the keys of a map node in source order.
func (n *Node) Keys() []string {
	if n == nil || n.Kind != Map {
		return nil
	}
	keys := make([]string, len(n.Fields))
	for i, f := range n.Fields {
		keys[i] = f.Key
	}
	return keys
}

// NewString returns a string node at pos.
func NewString(s string, pos Pos) *Node { return &Node{Kind: String, Value: s, Pos: pos} }

// NewMap returns a map node at pos with the given fields.
func NewMap(pos Pos, fields ...Field) *Node { return &Node{Kind: Map, Fields: fields, Pos: pos} }

// NewSeq returns a list node at pos with the given items.
func NewSeq(pos Pos, items ...*Node) *Node { return &Node{Kind: Seq, Items: items, Pos: pos} }

// Set replaces the value of key in a map node, or appends the key.
func (n *Node) Set(key string, v *Node) {
	for i := range n.Fields {
		if n.Fields[i].Key == key {
			n.Fields[i].Value = v
			return
		}
	}
	n.Fields = append(n.Fields, Field{Key: key, KeyPos: v.Pos, Value: v})
}

// Delete removes key from a map node.
func (n *Node) Delete(key string) {
	for i := range n.Fields {
		if n.Fields[i].Key == key {
			n.Fields = append(n.Fields[:i:i], n.Fields[i+1:]...)
			return
		}
	}
}

// Clone returns a deep copy of n. Positions are kept, so a copy still points
// at what the user wrote.
func (n *Node) Clone() *Node {
	if n == nil {
		return nil
	}
	c := *n
	if n.Items != nil {
		c.Items = make([]*Node, len(n.Items))
		for i, it := range n.Items {
			c.Items[i] = it.Clone()
		}
	}
	if n.Fields != nil {
		c.Fields = make([]Field, len(n.Fields))
		for i, f := range n.Fields {
			c.Fields[i] = Field{Key: f.Key, KeyPos: f.KeyPos, Value: f.Value.Clone()}
		}
	}
	if n.Refs != nil {
		c.Refs = append([]string(nil), n.Refs...)
	}
	return &c
}

// List returns the items of a list node, and nil for anything else
// (including a nil node), so callers can range without checks.
func (n *Node) List() []*Node {
	if n == nil || n.Kind != Seq {
		return nil
	}
	return n.Items
}

// Entries returns the fields of a map node, and nil for anything else
// (including a nil node).
func (n *Node) Entries() []Field {
	if n == nil || n.Kind != Map {
		return nil
	}
	return n.Fields
}
