package source

import (
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonParser is a small recursive-descent JSON parser that records the line
// and column of every value, which encoding/json cannot do, and reports
// syntax errors at the exact character.
type jsonParser struct {
	src       []byte
	i         int
	line      int
	lineStart int
	file      string
	lim       Limits
	doc       *Document
	nodes     int
}

func (p *jsonParser) pos() Pos {
	// Columns count bytes: cheap on minified single-line files, and equal to
	// characters for the ASCII that templates are written in.
	return Pos{File: p.file, Line: p.line, Column: p.i - p.lineStart + 1}
}

func (p *jsonParser) errorf(format string, args ...any) error {
	return &Error{Pos: p.pos(), Msg: "invalid JSON: " + fmt.Sprintf(format, args...)}
}

func (p *jsonParser) skipSpace() {
	for p.i < len(p.src) {
		switch p.src[p.i] {
		case '\n':
			p.line++
			p.lineStart = p.i + 1
		case ' ', '\t', '\r':
		default:
			return
		}
		p.i++
	}
}

func (p *jsonParser) parseDocument() (*Node, error) {
	if len(p.src) >= 3 && string(p.src[:3]) == "\xef\xbb\xbf" {
		p.i, p.lineStart = 3, 3
	}
	n, err := p.parseValue(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.i < len(p.src) {
		return nil, p.errorf("unexpected %q after the top-level value", p.src[p.i])
	}
	return n, nil
}

func (p *jsonParser) parseValue(depth int) (*Node, error) {
	p.skipSpace()
	if depth > p.lim.MaxDepth {
		return nil, p.errorf("nesting deeper than %d levels", p.lim.MaxDepth)
	}
	p.nodes++
	if p.nodes > p.lim.MaxNodes {
		return nil, p.errorf("more than %d values", p.lim.MaxNodes)
	}
	if p.i >= len(p.src) {
		return nil, p.errorf("unexpected end of file")
	}
	pos := p.pos()
	switch c := p.src[p.i]; {
	case c == '{':
		return p.parseObject(pos, depth)
	case c == '[':
		return p.parseArray(pos, depth)
	case c == '"':
		s, err := p.parseString()
		if err != nil {
			return nil, err
		}
		return &Node{Kind: String, Value: s, Pos: pos}, nil
	case c == '-' || (c >= '0' && c <= '9'):
		return p.parseNumber(pos)
	default:
		for _, lit := range [...]struct {
			text string
			kind Kind
		}{{"true", Bool}, {"false", Bool}, {"null", Null}} {
			if len(p.src)-p.i >= len(lit.text) && string(p.src[p.i:p.i+len(lit.text)]) == lit.text {
				p.i += len(lit.text)
				return &Node{Kind: lit.kind, Value: lit.text, Pos: pos}, nil
			}
		}
		r, _ := utf8.DecodeRune(p.src[p.i:])
		return nil, p.errorf("unexpected character %q", r)
	}
}

func (p *jsonParser) parseObject(pos Pos, depth int) (*Node, error) {
	p.i++ // {
	n := &Node{Kind: Map, Pos: pos}
	var index map[string]int
	p.skipSpace()
	if p.i < len(p.src) && p.src[p.i] == '}' {
		p.i++
		return n, nil
	}
	for {
		p.skipSpace()
		if p.i >= len(p.src) || p.src[p.i] != '"' {
			return nil, p.errorf("expected a quoted key")
		}
		keyPos := p.pos()
		key, err := p.parseString()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.i >= len(p.src) || p.src[p.i] != ':' {
			return nil, p.errorf("expected ':' after key %q", key)
		}
		p.i++
		val, err := p.parseValue(depth + 1)
		if err != nil {
			return nil, err
		}
		if index == nil {
			index = make(map[string]int)
		}
		if at, dup := index[key]; dup {
			p.doc.Warnings = append(p.doc.Warnings, &Error{Pos: keyPos,
				Msg: fmt.Sprintf("duplicate key %q (first at line %d); the last value is used", key, n.Fields[at].KeyPos.Line)})
			n.Fields[at].Value = val
		} else {
			index[key] = len(n.Fields)
			n.Fields = append(n.Fields, Field{Key: key, KeyPos: keyPos, Value: val})
		}
		p.skipSpace()
		if p.i >= len(p.src) {
			return nil, p.errorf("unexpected end of file in object started at line %d", pos.Line)
		}
		switch p.src[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			return n, nil
		default:
			return nil, p.errorf("expected ',' or '}' in object")
		}
	}
}

func (p *jsonParser) parseArray(pos Pos, depth int) (*Node, error) {
	p.i++ // [
	n := &Node{Kind: Seq, Pos: pos}
	p.skipSpace()
	if p.i < len(p.src) && p.src[p.i] == ']' {
		p.i++
		return n, nil
	}
	for {
		v, err := p.parseValue(depth + 1)
		if err != nil {
			return nil, err
		}
		n.Items = append(n.Items, v)
		p.skipSpace()
		if p.i >= len(p.src) {
			return nil, p.errorf("unexpected end of file in array started at line %d", pos.Line)
		}
		switch p.src[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			return n, nil
		default:
			return nil, p.errorf("expected ',' or ']' in array")
		}
	}
}

func (p *jsonParser) parseNumber(pos Pos) (*Node, error) {
	start := p.i
	if p.src[p.i] == '-' {
		p.i++
	}
	digits := func() int {
		s := p.i
		for p.i < len(p.src) && p.src[p.i] >= '0' && p.src[p.i] <= '9' {
			p.i++
		}
		return p.i - s
	}
	if digits() == 0 {
		return nil, p.errorf("malformed number")
	}
	if p.i < len(p.src) && p.src[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return nil, p.errorf("malformed number")
		}
	}
	if p.i < len(p.src) && (p.src[p.i] == 'e' || p.src[p.i] == 'E') {
		p.i++
		if p.i < len(p.src) && (p.src[p.i] == '+' || p.src[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return nil, p.errorf("malformed number")
		}
	}
	return &Node{Kind: Number, Value: string(p.src[start:p.i]), Pos: pos}, nil
}

// parseString reads a quoted string starting at p.i. The common case, a
// string without escapes, costs one allocation.
func (p *jsonParser) parseString() (string, error) {
	p.i++ // opening quote
	start := p.i
	for p.i < len(p.src) {
		switch c := p.src[p.i]; {
		case c == '"':
			s := string(p.src[start:p.i])
			p.i++
			return s, nil
		case c == '\\':
			return p.parseEscapedString(start)
		case c < 0x20:
			return "", p.errorf("control character in string")
		}
		p.i++
	}
	return "", p.errorf("unterminated string")
}

func (p *jsonParser) parseEscapedString(start int) (string, error) {
	buf := append([]byte(nil), p.src[start:p.i]...)
	for p.i < len(p.src) {
		c := p.src[p.i]
		switch {
		case c == '"':
			p.i++
			return string(buf), nil
		case c < 0x20:
			return "", p.errorf("control character in string")
		case c != '\\':
			buf = append(buf, c)
			p.i++
			continue
		}
		if p.i+1 >= len(p.src) {
			break
		}
		esc := p.src[p.i+1]
		p.i += 2
		switch esc {
		case '"', '\\', '/':
			buf = append(buf, esc)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			r, err := p.hex4()
			if err != nil {
				return "", err
			}
			if utf16.IsSurrogate(r) && p.i+1 < len(p.src) && p.src[p.i] == '\\' && p.src[p.i+1] == 'u' {
				p.i += 2
				r2, err := p.hex4()
				if err != nil {
					return "", err
				}
				r = utf16.DecodeRune(r, r2)
			}
			buf = utf8.AppendRune(buf, r)
		default:
			p.i--
			return "", p.errorf("invalid escape \\%c", esc)
		}
	}
	return "", p.errorf("unterminated string")
}

func (p *jsonParser) hex4() (rune, error) {
	if p.i+4 > len(p.src) {
		return 0, p.errorf("short \\u escape")
	}
	v, err := strconv.ParseUint(string(p.src[p.i:p.i+4]), 16, 32)
	if err != nil {
		return 0, p.errorf("invalid \\u escape")
	}
	p.i += 4
	return rune(v), nil
}
