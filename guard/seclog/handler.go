// Package seclog keeps secrets out of logs and records security events as
// logs and CloudWatch metrics.
//
// Handler wraps any slog.Handler and redacts, before the record reaches it:
// values under sensitive keys (password, token, authorization, cookie,
// api_key, ...), values at configured attribute paths, and secrets found by
// pattern inside strings and the message (AWS access keys, JWTs, bearer
// tokens, card numbers, ...). It walks groups, maps, slices and structs
// (using their json field names), resolving slog.LogValuer values first, and
// never modifies the caller's data.
//
// Recorder logs security events (authentication failures, validation
// failures, rate limiting, denied access) with a fixed set of fields, and
// makes each one a CloudWatch Embedded Metric Format document so the events
// can be graphed and alarmed on. MetricSet builds EMF documents for other
// metrics and enforces CloudWatch's limits.
package seclog

import (
	"context"
	"encoding"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"regexp"
	"slices"
	"strings"
)

// DefaultReplacement replaces redacted values when Options.Replacement is
// empty.
const DefaultReplacement = "[REDACTED]"

// DefaultMaxDepth bounds how deep nested values are walked when
// Options.MaxDepth is zero.
const DefaultMaxDepth = 16

// Options configures NewHandler. The zero value redacts with the defaults;
// the fields add to them, never remove from them.
type Options struct {
	// Keys are sensitive key words added to DefaultKeys. They are compared
	// lower-cased with only letters and digits kept, and match any key that
	// contains them: "email" matches "user_email" and "Email-Address".
	Keys []string

	// Paths are dotted attribute paths whose values are redacted whatever
	// their key, such as "request.headers.x-forwarded-for". Each group,
	// attribute key, map key or struct field name is one segment (compared
	// like Keys, but exactly); slice elements add no segment, so
	// "users.email" reaches the email of every element of "users".
	Paths []string

	// Patterns are expressions added to DefaultPatterns. Each match inside
	// a string value or the message is replaced.
	Patterns []*regexp.Regexp

	// Replacement stands in for redacted values and matches. Empty means
	// DefaultReplacement.
	Replacement string

	// MaxDepth bounds how deep nested values are walked (each group, map,
	// slice, struct and pointer is one level); anything deeper is replaced
	// whole rather than logged unchecked. Zero means DefaultMaxDepth.
	MaxDepth int
}

// Handler is a slog.Handler that redacts records before passing them on.
type Handler struct {
	next      slog.Handler
	r         *redactor
	path      string // normalised path of the groups opened with WithGroup
	redactAll bool   // an open group is itself sensitive
}

// NewHandler returns a Handler that redacts records and passes them to
// next.
func NewHandler(next slog.Handler, opts Options) *Handler {
	return &Handler{next: next, r: newRedactor(opts)}
}

// Enabled reports whether the wrapped handler handles level.
func (h *Handler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

// Handle redacts a copy of rec and passes it on; rec itself is untouched.
func (h *Handler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, h.r.text(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(h.attr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

// WithAttrs redacts attrs once, here, rather than on every record.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	redacted := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		redacted[i] = h.attr(a)
	}
	return &Handler{next: h.next.WithAttrs(redacted), r: h.r, path: h.path, redactAll: h.redactAll}
}

// WithGroup opens a group; when its name is sensitive, or its path is one of
// Options.Paths, everything logged inside it is redacted.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	path := h.r.join(h.path, name)
	return &Handler{
		next:      h.next.WithGroup(name),
		r:         h.r,
		path:      path,
		redactAll: h.redactAll || h.r.sensitive(name, path),
	}
}

func (h *Handler) attr(a slog.Attr) slog.Attr {
	if h.redactAll && !a.Equal(slog.Attr{}) {
		return slog.String(a.Key, h.r.replacement)
	}
	return h.r.attr(a, h.path, 0)
}

// redactor holds the compiled rules. It is immutable, so handlers derived
// with WithAttrs and WithGroup share one.
type redactor struct {
	keys        []string
	paths       map[string]bool
	patterns    []pattern
	replacement string
	maxDepth    int
}

func newRedactor(opts Options) *redactor {
	r := &redactor{
		paths:       map[string]bool{},
		patterns:    slices.Clone(defaultPatterns),
		replacement: opts.Replacement,
		maxDepth:    opts.MaxDepth,
	}
	for _, k := range append(DefaultKeys(), opts.Keys...) {
		if n := normalizeKey(k); n != "" {
			r.keys = append(r.keys, n)
		}
	}
	for _, p := range opts.Paths {
		var norm string
		for _, seg := range strings.Split(p, ".") {
			norm = joinPath(norm, seg)
		}
		if norm != "" {
			r.paths[norm] = true
		}
	}
	for _, re := range opts.Patterns {
		if re != nil {
			r.patterns = append(r.patterns, pattern{re: re})
		}
	}
	if r.replacement == "" {
		r.replacement = DefaultReplacement
	}
	if r.maxDepth <= 0 {
		r.maxDepth = DefaultMaxDepth
	}
	return r
}

// join extends a path by one segment. Paths cost an allocation per value,
// so they are only tracked when Options.Paths asks for them.
func (r *redactor) join(path, segment string) string {
	if len(r.paths) == 0 {
		return ""
	}
	return joinPath(path, segment)
}

// joinPath appends a normalised segment to a normalised dotted path.
func joinPath(path, segment string) string {
	if path == "" {
		return normalizeKey(segment)
	}
	return path + "." + normalizeKey(segment)
}

// sensitive reports whether a value under key, at path, must be hidden.
func (r *redactor) sensitive(key, path string) bool {
	if r.paths[path] {
		return true
	}
	norm := normalizeKey(key)
	for _, k := range r.keys {
		if strings.Contains(norm, k) {
			return true
		}
	}
	return false
}

// text replaces every pattern match in s.
func (r *redactor) text(s string) string {
	for _, p := range r.patterns {
		s = p.replace(s, r.replacement)
	}
	return s
}

func (p pattern) replace(s, replacement string) string {
	if p.mayMatch != nil && !p.mayMatch(s) {
		return s
	}
	matches := p.re.FindAllStringSubmatchIndex(s, -1)
	if matches == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, m := range matches {
		start, end := m[0], m[1]
		if p.group > 0 && 2*p.group+1 < len(m) && m[2*p.group] >= 0 {
			start, end = m[2*p.group], m[2*p.group+1]
		}
		if p.confirm != nil && !p.confirm(s[m[0]:m[1]]) {
			continue
		}
		b.WriteString(s[last:start])
		b.WriteString(replacement)
		last = end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// attr redacts one attribute found at path (the path of its parent).
func (r *redactor) attr(a slog.Attr, path string, depth int) slog.Attr {
	if a.Key == "" && a.Value.Kind() == slog.KindGroup {
		// An empty-keyed group is inlined into its parent: no segment.
		return slog.Attr{Key: a.Key, Value: r.value(a.Value, path, depth)}
	}
	childPath := r.join(path, a.Key)
	if r.sensitive(a.Key, childPath) {
		return slog.String(a.Key, r.replacement)
	}
	return slog.Attr{Key: a.Key, Value: r.value(a.Value, childPath, depth)}
}

// value redacts a slog.Value whose own path is path.
func (r *redactor) value(v slog.Value, path string, depth int) slog.Value {
	if depth > r.maxDepth {
		return slog.StringValue(r.replacement)
	}
	v = v.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.StringValue(r.text(v.String()))
	case slog.KindGroup:
		group := v.Group()
		out := make([]slog.Attr, len(group))
		for i, a := range group {
			out[i] = r.attr(a, path, depth+1)
		}
		return slog.GroupValue(out...)
	case slog.KindAny:
		if redacted, changed := r.anyValue(v.Any(), path, depth); changed {
			return slog.AnyValue(redacted)
		}
		return v
	default:
		// Numbers, booleans, times and durations carry no text to redact.
		return v
	}
}

// anyValue redacts an arbitrary Go value. It returns x itself, and
// changed=false, when nothing needed hiding; otherwise it returns a new value
// built from plain maps, slices and strings, leaving x untouched.
func (r *redactor) anyValue(x any, path string, depth int) (any, bool) {
	if depth > r.maxDepth {
		return r.replacement, true
	}
	switch t := x.(type) {
	case nil:
		return nil, false
	case slog.LogValuer:
		// A LogValuer exists to present a safe form of its value. slog
		// resolves only top-level values; nested ones are resolved here
		// too, and the resolved form always replaces the original.
		redacted, _ := r.anyValue(plain(slog.AnyValue(t).Resolve()), path, depth+1)
		return redacted, true
	case error:
		// Handlers print errors by their message.
		return r.textOf(x, t.Error())
	case string:
		return r.textOf(x, t)
	case json.Marshaler:
		// Includes json.RawMessage: the JSON a handler would write is
		// what gets checked.
		raw, err := t.MarshalJSON()
		if err != nil {
			return x, false
		}
		if redacted, changed := r.jsonValue(raw, path, depth); changed {
			return redacted, true
		}
		return x, false
	case encoding.TextMarshaler:
		text, err := t.MarshalText()
		if err != nil {
			return x, false
		}
		return r.textOf(x, string(text))
	case fmt.Stringer:
		// A text handler prints String(), which may show more than the
		// fields do (a *url.URL prints its password).
		if redacted, changed := r.textOf(x, t.String()); changed {
			return redacted, true
		}
	}
	return r.reflectValue(reflect.ValueOf(x), path, depth)
}

// textOf returns the redacted form of s when it differs, else x.
func (r *redactor) textOf(x any, s string) (any, bool) {
	if red := r.text(s); red != s {
		return red, true
	}
	return x, false
}

// jsonValue redacts a JSON document by decoding it into plain values.
func (r *redactor) jsonValue(raw []byte, path string, depth int) (any, bool) {
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return r.textOf(nil, string(raw))
	}
	return r.anyValue(doc, path, depth)
}

// reflected redacts a value reached by reflection. Values read through
// unexported fields cannot be turned back into interfaces, so they are
// walked by reflection alone.
func (r *redactor) reflected(v reflect.Value, path string, depth int) (any, bool) {
	if v.IsValid() && v.CanInterface() {
		return r.anyValue(v.Interface(), path, depth)
	}
	return r.reflectValue(v, path, depth)
}

// reflectValue redacts by kind. Its result is always usable as a plain
// value, even for values it could not hand back as they were.
func (r *redactor) reflectValue(v reflect.Value, path string, depth int) (any, bool) {
	if depth > r.maxDepth {
		return r.replacement, true
	}
	switch v.Kind() {
	case reflect.Invalid:
		return nil, false
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return keep(v, nil), false
		}
		redacted, changed := r.reflected(v.Elem(), path, depth+1)
		if changed {
			return redacted, true
		}
		return keep(v, redacted), false
	case reflect.String:
		s := v.String()
		if red := r.text(s); red != s {
			return red, true
		}
		return keep(v, s), false
	case reflect.Map:
		return r.mapValue(v, path, depth)
	case reflect.Struct:
		return r.structValue(v, path, depth)
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			// Bytes are logged as base64 or raw bytes, not as text.
			return keep(v, nil), false
		}
		return r.sliceValue(v, path, depth)
	case reflect.Bool:
		return keep(v, v.Bool()), false
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return keep(v, v.Int()), false
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return keep(v, v.Uint()), false
	case reflect.Float32, reflect.Float64:
		return keep(v, v.Float()), false
	}
	// Channels, functions and the like: nothing a log could show.
	return keep(v, nil), false
}

// keep returns v itself when it can, else the plain stand-in.
func keep(v reflect.Value, stand any) any {
	if v.CanInterface() {
		return v.Interface()
	}
	return stand
}

func (r *redactor) mapValue(v reflect.Value, path string, depth int) (any, bool) {
	out := make(map[string]any, v.Len())
	changed := false
	iter := v.MapRange()
	for iter.Next() {
		name := keyString(iter.Key())
		childPath := r.join(path, name)
		if r.sensitive(name, childPath) {
			out[name] = r.replacement
			changed = true
			continue
		}
		redacted, c := r.reflected(iter.Value(), childPath, depth+1)
		out[name] = redacted
		changed = changed || c
	}
	if !changed && v.CanInterface() {
		return v.Interface(), false
	}
	return out, changed
}

// keyString renders a map key as encoding/json would name it.
func keyString(k reflect.Value) string {
	if k.Kind() == reflect.String {
		return k.String()
	}
	if k.CanInterface() {
		if tm, ok := k.Interface().(encoding.TextMarshaler); ok {
			if text, err := tm.MarshalText(); err == nil {
				return string(text)
			}
		}
		return fmt.Sprint(k.Interface())
	}
	switch k.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return fmt.Sprint(k.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return fmt.Sprint(k.Uint())
	}
	return k.Type().String()
}

func (r *redactor) sliceValue(v reflect.Value, path string, depth int) (any, bool) {
	out := make([]any, v.Len())
	changed := false
	for i := range v.Len() {
		redacted, c := r.reflected(v.Index(i), path, depth+1)
		out[i] = redacted
		changed = changed || c
	}
	if !changed && v.CanInterface() {
		return v.Interface(), false
	}
	return out, changed
}

// structValue walks exported fields under their json names, as
// encoding/json (and so slog's JSON handler) would present them.
func (r *redactor) structValue(v reflect.Value, path string, depth int) (any, bool) {
	out := map[string]any{}
	changed := r.structFields(v, path, depth, out)
	if !changed && v.CanInterface() {
		return v.Interface(), false
	}
	return out, changed
}

func (r *redactor) structFields(v reflect.Value, path string, depth int, out map[string]any) bool {
	changed := false
	t := v.Type()
	var embedded []reflect.Value
	for i := range t.NumField() {
		field := t.Field(i)
		name, omitEmpty, skip := jsonField(field)
		if skip {
			continue
		}
		fv := v.Field(i)
		if field.Anonymous && name == "" {
			// An embedded struct without a tag has its fields promoted,
			// even when the embedded type itself is unexported. They are
			// walked after the outer fields, which shadow them.
			if fv.Kind() == reflect.Pointer && !fv.IsNil() {
				fv = fv.Elem()
			}
			if fv.Kind() == reflect.Struct {
				embedded = append(embedded, fv)
				continue
			}
			if fv.Kind() == reflect.Pointer {
				continue // nil embedded pointer: encoding/json omits it
			}
		}
		if !field.IsExported() {
			continue
		}
		if name == "" {
			name = field.Name
		}
		if omitEmpty && fv.IsZero() {
			continue
		}
		if r.fieldInto(out, name, fv, path, depth) {
			changed = true
		}
	}
	for _, fv := range embedded {
		if r.structFields(fv, path, depth, out) {
			changed = true
		}
	}
	return changed
}

// fieldInto redacts one named field into out, unless a shallower field of
// the same name got there first.
func (r *redactor) fieldInto(out map[string]any, name string, fv reflect.Value, path string, depth int) bool {
	if _, taken := out[name]; taken {
		return false
	}
	childPath := r.join(path, name)
	if r.sensitive(name, childPath) {
		out[name] = r.replacement
		return true
	}
	redacted, changed := r.reflected(fv, childPath, depth+1)
	out[name] = redacted
	return changed
}

// jsonField reads a struct field's json tag.
func jsonField(f reflect.StructField) (name string, omitEmpty, skip bool) {
	tag, ok := f.Tag.Lookup("json")
	if !ok {
		return "", false, false
	}
	if tag == "-" {
		return "", false, true
	}
	name, opts, _ := strings.Cut(tag, ",")
	for _, o := range strings.Split(opts, ",") {
		if o == "omitempty" || o == "omitzero" {
			omitEmpty = true
		}
	}
	return name, omitEmpty, false
}

// plain turns a resolved slog.Value into the Go value a JSON encoder would
// render the same way: groups become maps.
func plain(v slog.Value) any {
	if v.Kind() != slog.KindGroup {
		return v.Any()
	}
	m := make(map[string]any, len(v.Group()))
	for _, a := range v.Group() {
		m[a.Key] = plain(a.Value.Resolve())
	}
	return m
}
