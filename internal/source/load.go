package source

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Limits bound the work a single file may cause, so that hostile input (alias
// bombs, absurd nesting, huge files) ends in an error instead of exhausting
// the machine. The zero value means the defaults.
type Limits struct {
	MaxFileBytes int64 // default 16 MiB; CloudFormation itself accepts 1 MB
	MaxDepth     int   // default 512 levels of nesting
	MaxNodes     int   // default 4,000,000 values, counting alias expansions
}

func (l Limits) withDefaults() Limits {
	if l.MaxFileBytes <= 0 {
		l.MaxFileBytes = 16 << 20
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = 512
	}
	if l.MaxNodes <= 0 {
		l.MaxNodes = 4_000_000
	}
	return l
}

// Format is the syntax a document was written in.
type Format uint8

const (
	YAML Format = iota
	JSON
)

func (f Format) String() string {
	if f == JSON {
		return "json"
	}
	return "yaml"
}

// Document is one parsed file.
type Document struct {
	Path     string
	Format   Format
	Root     *Node
	Src      []byte   // the file's bytes, for showing source lines
	Warnings []*Error // problems that did not stop loading, such as duplicate keys
}

// Line returns the text of the 1-based line n, without its newline.
func (d *Document) Line(n int) string {
	return lineOf(d.Src, n)
}

func lineOf(src []byte, n int) string {
	if n < 1 {
		return ""
	}
	for i := 1; i < n; i++ {
		j := bytes.IndexByte(src, '\n')
		if j < 0 {
			return ""
		}
		src = src[j+1:]
	}
	if j := bytes.IndexByte(src, '\n'); j >= 0 {
		src = src[:j]
	}
	return strings.TrimSuffix(string(src), "\r")
}

// Error is a problem at a position in a file.
type Error struct {
	Pos Pos
	Msg string
}

func (e *Error) Error() string { return e.Pos.String() + ": " + e.Msg }

// ReadFile reads and parses the file at path.
func ReadFile(path string, lim Limits) (*Document, error) {
	data, err := ReadBytes(path, lim)
	if err != nil {
		return nil, err
	}
	return Parse(path, data, lim)
}

// ReadBytes reads the file at path, refusing files over the size limit
// before reading them.
func ReadBytes(path string, lim Limits) ([]byte, error) {
	lim = lim.withDefaults()
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if st.Size() > lim.MaxFileBytes {
		return nil, &Error{Pos: Pos{File: path}, Msg: fmt.Sprintf("file is %d bytes, over the %d byte limit for a template", st.Size(), lim.MaxFileBytes)}
	}
	data := make([]byte, st.Size())
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	return data, nil
}

// Parse parses data as JSON when its first significant character is '{' or
// '[', and as YAML otherwise. path is used only for positions.
func Parse(path string, data []byte, lim Limits) (*Document, error) {
	lim = lim.withDefaults()
	if int64(len(data)) > lim.MaxFileBytes {
		return nil, &Error{Pos: Pos{File: path}, Msg: fmt.Sprintf("file is %d bytes, over the %d byte limit for a template", len(data), lim.MaxFileBytes)}
	}
	doc := &Document{Path: path, Src: data}
	var err error
	if LooksLikeJSON(data) {
		doc.Format = JSON
		p := jsonParser{src: data, file: path, lim: lim, doc: doc, line: 1, lineStart: 0}
		doc.Root, err = p.parseDocument()
	} else {
		doc.Format = YAML
		doc.Root, err = parseYAML(path, data, lim, doc)
	}
	if err != nil {
		return nil, err
	}
	return doc, nil
}

// LooksLikeJSON reports whether data starts, after white space and a BOM,
// with '{' or '['.
func LooksLikeJSON(data []byte) bool {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	for _, c := range data {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{', '[':
			return true
		}
		return false
	}
	return false
}

var yamlErrLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func parseYAML(path string, data []byte, lim Limits, doc *Document) (*Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root yaml.Node
	if err := dec.Decode(&root); err != nil {
		if err.Error() == "EOF" {
			return &Node{Kind: Null, Pos: Pos{File: path, Line: 1, Column: 1}}, nil
		}
		return nil, yamlError(path, data, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		doc.Warnings = append(doc.Warnings, &Error{Pos: Pos{File: path, Line: extra.Line, Column: extra.Column},
			Msg: "file holds more than one YAML document; only the first is read"})
	}
	c := yamlConverter{file: path, lim: lim, doc: doc}
	return c.convert(&root, 0)
}

// yamlError turns a yaml.v3 error into a positioned Error. yaml.v3 reports
// lines but not columns, so the column is that of the line's first
// non-blank character.
func yamlError(path string, data []byte, err error) error {
	msg := err.Error()
	if m := yamlErrLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		text := lineOf(data, line)
		col := 1 + len(text) - len(strings.TrimLeft(text, " \t"))
		return &Error{Pos: Pos{File: path, Line: line, Column: col}, Msg: "invalid YAML: " + m[2]}
	}
	if te, ok := err.(*yaml.TypeError); ok {
		msg = strings.Join(te.Errors, "; ")
	}
	return &Error{Pos: Pos{File: path, Line: 1, Column: 1}, Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

type yamlConverter struct {
	file  string
	lim   Limits
	doc   *Document
	nodes int
}

func (c *yamlConverter) pos(n *yaml.Node) Pos {
	return Pos{File: c.file, Line: n.Line, Column: n.Column}
}

func (c *yamlConverter) fail(n *yaml.Node, format string, args ...any) error {
	return &Error{Pos: c.pos(n), Msg: fmt.Sprintf(format, args...)}
}

func (c *yamlConverter) convert(y *yaml.Node, depth int) (*Node, error) {
	if depth > c.lim.MaxDepth {
		return nil, c.fail(y, "nesting deeper than %d levels", c.lim.MaxDepth)
	}
	c.nodes++
	if c.nodes > c.lim.MaxNodes {
		return nil, c.fail(y, "document expands to more than %d values (alias bomb?)", c.lim.MaxNodes)
	}
	switch y.Kind {
	case yaml.DocumentNode:
		if len(y.Content) == 0 {
			return &Node{Kind: Null, Pos: c.pos(y)}, nil
		}
		return c.convert(y.Content[0], depth)
	case yaml.AliasNode:
		if y.Alias == nil {
			return nil, c.fail(y, "unknown alias %q", y.Value)
		}
		n, err := c.convert(y.Alias, depth+1)
		if err != nil {
			return nil, err
		}
		return n, nil
	}
	if fn, ok := intrinsicTag(y.Tag); ok {
		return c.convertShortForm(fn, y, depth)
	}
	return c.convertPlain(y, depth)
}

// intrinsicTag maps a CloudFormation short-form tag to the long-form key.
func intrinsicTag(tag string) (string, bool) {
	if len(tag) < 2 || tag[0] != '!' || tag[1] == '!' {
		return "", false
	}
	name := tag[1:]
	switch name {
	case "Ref", "Condition":
		return name, true
	}
	return "Fn::" + name, true
}

func (c *yamlConverter) convertShortForm(fn string, y *yaml.Node, depth int) (*Node, error) {
	pos := c.pos(y)
	inner := *y
	inner.Tag = ""
	if y.Kind == yaml.ScalarNode {
		inner.Tag = "!!str"
	}
	arg, err := c.convertPlain(&inner, depth+1)
	if err != nil {
		return nil, err
	}
	if fn == "Fn::GetAtt" && arg.Kind == String {
		// !GetAtt Resource.Attribute.With.Dots: only the first dot separates.
		res, attr, found := strings.Cut(arg.Value, ".")
		if !found {
			return nil, &Error{Pos: pos, Msg: fmt.Sprintf("!GetAtt %q: want Resource.Attribute", arg.Value)}
		}
		arg = &Node{Kind: Seq, Pos: arg.Pos, Items: []*Node{
			{Kind: String, Value: res, Pos: arg.Pos},
			{Kind: String, Value: attr, Pos: arg.Pos},
		}}
	}
	return &Node{Kind: Map, Pos: pos, Fields: []Field{{Key: fn, KeyPos: pos, Value: arg}}}, nil
}

func (c *yamlConverter) convertPlain(y *yaml.Node, depth int) (*Node, error) {
	pos := c.pos(y)
	switch y.Kind {
	case yaml.ScalarNode:
		n := &Node{Value: y.Value, Pos: pos}
		switch y.ShortTag() {
		case "!!null":
			n.Kind = Null
		case "!!bool":
			n.Kind = Bool
		case "!!int", "!!float":
			n.Kind = Number
		default:
			n.Kind = String
		}
		return n, nil
	case yaml.SequenceNode:
		n := &Node{Kind: Seq, Pos: pos, Items: make([]*Node, 0, len(y.Content))}
		for _, item := range y.Content {
			v, err := c.convert(item, depth+1)
			if err != nil {
				return nil, err
			}
			n.Items = append(n.Items, v)
		}
		return n, nil
	case yaml.MappingNode:
		return c.convertMap(y, depth)
	case yaml.AliasNode, yaml.DocumentNode:
		return c.convert(y, depth)
	}
	return nil, c.fail(y, "unsupported YAML node")
}

func (c *yamlConverter) convertMap(y *yaml.Node, depth int) (*Node, error) {
	n := &Node{Kind: Map, Pos: c.pos(y), Fields: make([]Field, 0, len(y.Content)/2)}
	var index map[string]int // built only for large maps
	find := func(key string) int {
		if index != nil {
			if i, ok := index[key]; ok {
				return i
			}
			return -1
		}
		for i := range n.Fields {
			if n.Fields[i].Key == key {
				return i
			}
		}
		return -1
	}
	add := func(f Field, merged bool) {
		if i := find(f.Key); i >= 0 {
			if merged {
				return // explicit keys win over merged ones
			}
			c.doc.Warnings = append(c.doc.Warnings, &Error{Pos: f.KeyPos,
				Msg: fmt.Sprintf("duplicate key %q (first at line %d); the last value is used", f.Key, n.Fields[i].KeyPos.Line)})
			n.Fields[i].Value = f.Value
			return
		}
		n.Fields = append(n.Fields, f)
		if index != nil {
			index[f.Key] = len(n.Fields) - 1
		} else if len(n.Fields) > 16 {
			index = make(map[string]int, len(y.Content)/2)
			for i, f := range n.Fields {
				index[f.Key] = i
			}
		}
	}
	var merges []*Node
	for i := 0; i+1 < len(y.Content); i += 2 {
		k, v := y.Content[i], y.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			m, err := c.convert(v, depth+1)
			if err != nil {
				return nil, err
			}
			merges = append(merges, m)
			continue
		}
		if k.Kind != yaml.ScalarNode {
			return nil, c.fail(k, "map keys must be plain strings")
		}
		val, err := c.convert(v, depth+1)
		if err != nil {
			return nil, err
		}
		add(Field{Key: k.Value, KeyPos: c.pos(k), Value: val}, false)
	}
	for _, m := range merges {
		var sources []*Node
		switch m.Kind {
		case Map:
			sources = []*Node{m}
		case Seq:
			sources = m.Items
		}
		for _, s := range sources {
			if s.Kind != Map {
				return nil, &Error{Pos: s.Pos, Msg: "merge key << needs a map or a list of maps"}
			}
			for _, f := range s.Fields {
				add(f, true)
			}
		}
	}
	return n, nil
}
