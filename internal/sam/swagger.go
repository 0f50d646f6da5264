package sam

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/bulwark-sec/bulwark/internal/source"
)

// editor changes an API definition (Swagger 2 or OpenAPI 3) that the
// transform owns, the way SAM's SwaggerEditor and OpenApiEditor do. Paths
// and methods may be wrapped in Fn::If; every operation applies to both
// branches.
type editor struct {
	t   *transformer
	doc *source.Node
}

const (
	xIntegration = "x-amazon-apigateway-integration"
	xAnyMethod   = "x-amazon-apigateway-any-method"
)

func swaggerSkeleton(p source.Pos) *source.Node {
	return obj(p, "swagger", str("2.0", p), "info", obj(p, "version", str("1.0", p), "title", ref("AWS::StackName", p)),
		"paths", obj(p))
}

func openAPISkeleton(p source.Pos) *source.Node {
	return obj(p, "openapi", str("3.0.1", p), "info", obj(p, "version", str("1.0", p), "title", ref("AWS::StackName", p)),
		"paths", obj(p))
}

// isSwagger reports whether n is a definition SAM's SwaggerEditor accepts.
func isSwagger(n *source.Node) bool {
	if n == nil || n.Kind != source.Map || n.Get("paths") == nil || n.Get("paths").Kind != source.Map {
		return false
	}
	if truthy(n.Get("swagger")) {
		return true
	}
	if v := n.Get("openapi"); truthy(v) {
		text, _ := v.Str()
		return openAPI3.MatchString(text)
	}
	return false
}

// isOpenAPI reports whether n is a definition SAM's OpenApiEditor accepts.
func isOpenAPI(n *source.Node) bool {
	if n == nil || n.Kind != source.Map || n.Get("paths") == nil || n.Get("paths").Kind != source.Map {
		return false
	}
	v := n.Get("openapi")
	if !truthy(v) {
		return false
	}
	text, _ := v.Str()
	return openAPI3.MatchString(text)
}

func normalizeMethod(m string) string {
	m = strings.ToLower(m)
	if m == "any" {
		return xAnyMethod
	}
	return m
}

func invalidDoc(pos source.Pos, format string, args ...any) *source.Error {
	return &source.Error{Pos: pos, Msg: "Structure of the SAM template is invalid. " + fmt.Sprintf(format, args...)}
}

// branches returns the values of n: both branches of an Fn::If (without
// AWS::NoValue), or n itself.
func branches(n *source.Node) ([]*source.Node, error) {
	if n != nil && n.Kind == source.Map {
		if f, ok := n.Field("Fn::If"); ok {
			if f.Value.Kind != source.Seq {
				return nil, invalidDoc(f.Value.Pos, "Value of Fn::If must be a list.")
			}
			var out []*source.Node
			for _, it := range f.Value.Items[min(1, len(f.Value.Items)):] {
				if !isNoValue(it) {
					out = append(out, it)
				}
			}
			return out, nil
		}
	}
	return []*source.Node{n}, nil
}

func (e *editor) paths() *source.Node { return e.doc.Get("paths") }

func pathItemError(path string, pos source.Pos) *source.Error {
	return invalidDoc(pos, "Value of '%s' path must be a dictionary according to Swagger spec.", path)
}

func methodError(method, path string, pos source.Pos) *source.Error {
	return invalidDoc(pos, "Definition of method '%s' for path '%s' should be a map.", method, path)
}

// validatePaths checks that every path item is a map, as SAM's SwaggerEditor
// does when it opens a definition.
func (e *editor) validatePaths() error {
	for _, f := range e.paths().Fields {
		items, err := branches(f.Value)
		if err != nil {
			return err
		}
		for _, it := range items {
			if it == nil || it.Kind != source.Map {
				return pathItemError(f.Key, f.Value.Pos)
			}
		}
	}
	return nil
}

func (e *editor) hasPath(path, method string) bool {
	item := e.paths().Get(path)
	if item == nil {
		return false
	}
	if method == "" {
		return true
	}
	method = normalizeMethod(method)
	items, err := branches(item)
	if err != nil {
		return false
	}
	for _, it := range items {
		if it == nil || it.Kind != source.Map || it.Get(method) == nil {
			return false
		}
	}
	return true
}

// hasIntegration reports whether the path and method already carry an API
// Gateway integration (in every branch of a conditional).
func (e *editor) hasIntegration(path, method string) (bool, error) {
	method = normalizeMethod(method)
	if !e.hasPath(path, method) {
		return false, nil
	}
	items, _ := branches(e.paths().Get(path))
	for _, it := range items {
		def := it.Get(method)
		if def == nil || def.Kind != source.Map {
			return false, nil
		}
		defs, err := branches(def)
		if err != nil {
			return false, err
		}
		found := false
		for _, d := range defs {
			if d == nil || d.Kind != source.Map {
				return false, methodError(method, path, def.Pos)
			}
			if truthy(d.Get(xIntegration)) {
				found = true
			}
		}
		if !found {
			return false, nil
		}
	}
	return true, nil
}

// addPath adds an empty operation for the path and method unless present.
func (e *editor) addPath(path, method string, pos source.Pos) error {
	method = normalizeMethod(method)
	paths := e.paths()
	item := paths.Get(path)
	if item == nil {
		item = obj(pos)
		paths.Fields = append(paths.Fields, source.Field{Key: path, KeyPos: pos, Value: item})
	}
	if item.Kind != source.Map {
		return pathItemError(path, item.Pos)
	}
	items, err := branches(item)
	if err != nil {
		return err
	}
	for _, it := range items {
		if it == nil || it.Kind != source.Map {
			return pathItemError(path, item.Pos)
		}
		if it.Get(method) == nil {
			it.Fields = append(it.Fields, source.Field{Key: method, KeyPos: pos, Value: obj(pos)})
		}
	}
	return nil
}

// operations returns the operation maps for a path and method across
// conditional branches; withIntegration keeps only those with an API
// Gateway integration.
func (e *editor) operations(path, method string, withIntegration bool) ([]*source.Node, error) {
	method = normalizeMethod(method)
	item := e.paths().Get(path)
	items, err := branches(item)
	if err != nil {
		return nil, err
	}
	var out []*source.Node
	for _, it := range items {
		if it == nil || it.Kind != source.Map {
			return nil, pathItemError(path, posOf(item))
		}
		def := it.Get(method)
		defs, err := branches(def)
		if err != nil {
			return nil, err
		}
		for _, d := range defs {
			if d == nil || d.Kind != source.Map {
				return nil, methodError(method, path, posOf(def))
			}
			if withIntegration && !truthy(d.Get(xIntegration)) {
				continue
			}
			out = append(out, d)
		}
	}
	return out, nil
}

func posOf(n *source.Node) source.Pos {
	if n == nil {
		return source.Pos{}
	}
	return n.Pos
}

type methodOp struct {
	name string
	def  *source.Node
}

// allOperations returns every operation of a path that has an integration,
// with normalized method names, skipping the non-operation fields.
func (e *editor) allOperations(path string, openAPI bool) ([]methodOp, error) {
	item := e.paths().Get(path)
	items, err := branches(item)
	if err != nil {
		return nil, err
	}
	var out []methodOp
	for _, it := range items {
		if it == nil || it.Kind != source.Map {
			return nil, pathItemError(path, posOf(item))
		}
		for _, f := range fieldsOf(it) {
			if !openAPI && (f.Key == "summary" || f.Key == "description" || f.Key == "parameters") {
				continue
			}
			defs, err := branches(f.Value)
			if err != nil {
				return nil, err
			}
			for _, d := range defs {
				if d == nil || d.Kind != source.Map {
					return nil, methodError(f.Key, path, f.Value.Pos)
				}
				if !truthy(d.Get(xIntegration)) {
					continue
				}
				out = append(out, methodOp{name: normalizeMethod(f.Key), def: d})
			}
		}
	}
	return out, nil
}

// pathForPermission turns an API path into the form API Gateway uses in
// execute-api ARNs: path parameters become "*".
var restPathParam = regexp.MustCompile(`\{([a-zA-Z0-9._-]+|[a-zA-Z0-9._-]+\+|proxy\+)\}`)
var httpPathParam = regexp.MustCompile(`\{([a-zA-Z0-9._-]+|proxy\+)\}`)

func restPermissionPath(path string) string { return restPathParam.ReplaceAllString(path, "*") }
func httpPermissionPath(path string) string { return httpPathParam.ReplaceAllString(path, "*") }

// security returns an operation's security list, checking its shape.
func operationSecurity(op *source.Node, path, method string) ([]*source.Node, error) {
	sec := op.Get("security")
	if sec == nil {
		return nil, nil
	}
	if sec.Kind != source.Seq {
		return nil, invalidDoc(sec.Pos, "Type of security for path %s method %s must be a list", path, method)
	}
	return sec.Items, nil
}
