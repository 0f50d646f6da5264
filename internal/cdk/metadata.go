package cdk

import (
	"strconv"
	"strings"

	"github.com/bulwark-sec/bulwark/internal/source"
)

// constructMetadata is what an assembly records about the constructs of one
// stack artifact and its nested stacks: a map from construct path ("/MyStack/
// Orders/Resource") to a list of typed entries. Older CDK versions keep it in
// the manifest under the artifact's "metadata"; newer ones write it to the
// file named by the artifact's "additionalMetadataFile". Both are read.
type constructMetadata struct {
	byPath      map[string]*constructInfo // by construct path without the leading "/"
	byLogicalID map[string][]string       // construct paths by the logical ID they synthesise to
}

// constructInfo is the part of one construct's metadata entries the loader
// uses.
type constructInfo struct {
	logicalID    string     // from "aws:cdk:logicalId"
	templateFile string     // from "aws:cdk:templateFile", on stacks and nested stacks
	origin       source.Pos // first user frame of the creation stack trace
	cdkHandler   bool       // CDK marked the construct as the handler of one of its own custom resources
}

// Metadata entry types, as the cloud assembly schema names them.
const (
	logicalIDEntry     = "aws:cdk:logicalId"
	creationStackEntry = "aws:cdk:creationStack"
	templateFileEntry  = "aws:cdk:templateFile"
	// CDK adds entries of this prefix (-singleton, -customResourceProvider,
	// -runtime-family, -logGroup, ...) to the constructs of the handlers it
	// generates for its own custom resources, and only to those.
	cdkHandlerEntryPrefix = "aws:cdk:is-custom-resource-handler-"
)

// readMetadata collects the construct metadata of a stack artifact. A
// metadata file that cannot be read costs the resources their origins and
// fallback paths, not the stack, so it is a warning.
func (l *loader) readMetadata(a *assemblyDir, art *source.Node) *constructMetadata {
	m := &constructMetadata{byPath: make(map[string]*constructInfo), byLogicalID: make(map[string][]string)}
	m.add(art.Get("metadata"))
	fileNode := art.Get("additionalMetadataFile")
	if name, ok := fileNode.Str(); ok {
		rel, err := l.join(a.rel, name, fileNode.Pos)
		if err != nil {
			l.warnErr(err)
			return m
		}
		doc, err := l.readDoc(rel, fileNode.Pos)
		if err != nil {
			l.warnErr(err)
			return m
		}
		m.add(doc.Root)
	}
	return m
}

func (m *constructMetadata) add(byPath *source.Node) {
	for _, f := range fieldsOf(byPath) {
		p := strings.TrimPrefix(f.Key, "/")
		info := m.byPath[p]
		if info == nil {
			info = &constructInfo{}
			m.byPath[p] = info
		}
		var traced source.Pos // from a "trace" kept beside an entry, when no creation stack says better
		for _, e := range f.Value.Items {
			typ, _ := e.Get("type").Str()
			switch {
			case typ == logicalIDEntry:
				if id, ok := e.Get("data").Str(); ok && info.logicalID == "" {
					info.logicalID = id
					m.byLogicalID[id] = append(m.byLogicalID[id], p)
				}
				if !traced.IsValid() {
					traced = firstUserFrame(e.Get("trace"))
				}
			case typ == creationStackEntry:
				if !info.origin.IsValid() {
					info.origin = firstUserFrame(e.Get("data"))
				}
			case typ == templateFileEntry:
				info.templateFile, _ = e.Get("data").Str()
			case strings.HasPrefix(typ, cdkHandlerEntryPrefix):
				info.cdkHandler = true
			}
		}
		if !info.origin.IsValid() {
			info.origin = traced
		}
	}
}

// origin returns where the user's code created the construct at cdkPath.
func (m *constructMetadata) origin(cdkPath string) source.Pos {
	if info := m.byPath[cdkPath]; info != nil {
		return info.origin
	}
	return source.Pos{}
}

// pathOf finds the construct path of a resource whose template carries no
// aws:cdk:path, from the logical ID entries. Nested stacks reuse logical IDs
// (a construct "Orders" in a stack and in its nested stack both synthesise to
// the same ID), so when several constructs claim the ID, the one whose
// nearest enclosing stack writes the given template wins.
func (m *constructMetadata) pathOf(logicalID, template string) string {
	paths := m.byLogicalID[logicalID]
	switch {
	case len(paths) == 1:
		return paths[0]
	case len(paths) == 0:
		return ""
	}
	for _, p := range paths {
		if m.templateOf(p) == template {
			return p
		}
	}
	return ""
}

// templateOf returns the template file of the nearest construct above p that
// records one: the stack or nested stack p belongs to.
func (m *constructMetadata) templateOf(p string) string {
	for {
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			return ""
		}
		p = p[:i]
		if info := m.byPath[p]; info != nil && info.templateFile != "" {
			return info.templateFile
		}
	}
}

// stackPathFor returns the construct path of the stack that writes
// template, or "".
func (m *constructMetadata) stackPathFor(template string) string {
	var found string
	for p, info := range m.byPath {
		if info.templateFile == template && (found == "" || p < found) {
			found = p // the least, should a broken assembly record the file twice
		}
	}
	return found
}

// handlerScope reports whether CDK marked the construct at p, or one above
// it, as the handler of one of its own custom resources.
func (m *constructMetadata) handlerScope(p string) bool {
	for p != "" {
		if info := m.byPath[p]; info != nil && info.cdkHandler {
			return true
		}
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			return false
		}
		p = p[:i]
	}
	return false
}

// firstUserFrame returns the position of the first frame of a recorded stack
// trace that lies in the user's code: not in node_modules, Python packages
// or the runtime's internals. Traces come in two shapes: older CDK versions
// record raw V8 frames ("new Function (/app/node_modules/aws-cdk-lib/...:1:8036)"),
// newer ones keep only the user's frames and summarise the rest
// ("...new Function2 in aws-cdk-lib..."). Apps in other languages run through
// jsii, which appends the host language's frames ("<module> (/app/app.py:12)").
func firstUserFrame(trace *source.Node) source.Pos {
	if trace == nil {
		return source.Pos{}
	}
	for _, item := range trace.Items {
		frame, ok := item.Str()
		if !ok {
			continue
		}
		if pos, ok := parseFrame(frame); ok && isUserFile(pos.File) {
			return pos
		}
	}
	return source.Pos{}
}

// parseFrame reads the location of one stack frame written as
// "function (file:line:column)", "function (file:line)" or "file:line:column",
// optionally after "at ".
func parseFrame(frame string) (source.Pos, bool) {
	s := strings.TrimPrefix(strings.TrimSpace(frame), "at ")
	if strings.HasPrefix(s, "...") {
		return source.Pos{}, false // "...aws-cdk-lib...": frames the CDK left out
	}
	if strings.HasSuffix(s, ")") {
		if i := strings.Index(s, " ("); i >= 0 {
			s = s[i+2 : len(s)-1]
		}
	}
	s = strings.TrimPrefix(s, "file://")
	file, last, ok := cutNumber(s)
	if !ok {
		return source.Pos{}, false
	}
	pos := source.Pos{File: file, Line: last}
	if f, line, ok := cutNumber(file); ok {
		pos = source.Pos{File: f, Line: line, Column: last}
	}
	if pos.File == "" || pos.Line < 1 {
		return source.Pos{}, false
	}
	return pos, true
}

// cutNumber splits "text:123" into "text" and 123.
func cutNumber(s string) (string, int, bool) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return "", 0, false
	}
	n, err := strconv.Atoi(s[i+1:])
	if err != nil || n < 0 {
		return "", 0, false
	}
	return s[:i], n, true
}

// isUserFile reports whether a file of a stack frame belongs to the app
// rather than to a library or a runtime.
func isUserFile(file string) bool {
	if strings.HasPrefix(file, "node:") || strings.HasPrefix(file, "internal/") || strings.HasPrefix(file, "<") {
		return false
	}
	slashed := "/" + strings.ReplaceAll(file, `\`, "/") + "/"
	for _, dir := range [...]string{"/node_modules/", "/site-packages/", "/dist-packages/"} {
		if strings.Contains(slashed, dir) {
			return false
		}
	}
	return true
}
