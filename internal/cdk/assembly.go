// Package cdk reads AWS CDK cloud assemblies, the cdk.out folder that
// `cdk synth` writes, into the CloudFormation templates they hold.
//
// Every stack of the assembly is found, including the stacks of nested
// assemblies (CDK stages) and nested stacks. Each resource is labelled with
// the CDK construct path it was synthesised from, the line of the user's
// code that created it when the assembly recorded creation stack traces, and,
// for resources that CDK's own helper constructs add behind the user's back
// (BucketDeployment, AwsCustomResource, log retention, ...), which helper
// they belong to, so that rules can tell the user's functions from CDK's.
//
// Only the JSON files of the assembly are read; asset folders with bundled
// code are neither needed nor opened, and no file outside the assembly
// folder is ever read, whatever the manifest says.
package cdk

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/bulwark-sec/bulwark/internal/source"
)

// Assembly is a loaded cloud assembly.
type Assembly struct {
	Dir     string // the folder holding manifest.json, as given to Load
	Version string // the cloud assembly schema version, such as "55.0.0"
	// Stacks lists every stack found: for each assembly, its stacks in
	// manifest order, each followed by its nested stacks, then the stacks of
	// its nested assemblies.
	Stacks []*Stack
	// Warnings are problems that did not stop loading: a stack whose
	// template is missing or malformed, a cycle, a path that leaves the
	// assembly. Each is positioned where the bad reference was written.
	Warnings []*source.Error
}

// Stack is one CloudFormation template of the assembly.
type Stack struct {
	// Name is the CloudFormation stack name for a top-level stack and the
	// construct path for a nested stack, whose deployed name CloudFormation
	// makes up.
	Name        string
	DisplayName string // the construct path of the stack, as the CDK shows it: "Prod/Edge"
	ArtifactID  string // the manifest artifact that deploys the stack (a nested stack's is its parent's)
	Environment string // "aws://account/region", with "unknown-account" and "unknown-region" when not bound

	TemplatePath string // the template file, under Assembly.Dir
	Doc          *source.Document

	Parent         *Stack // the stack holding this one, for a nested stack
	ParentResource string // logical ID of the AWS::CloudFormation::Stack in Parent

	Resources map[string]Resource // by logical ID
}

// Resource is what the assembly says about one resource of a template.
type Resource struct {
	LogicalID string
	Type      string
	// CDKPath is the construct path, e.g. "MyStack/Orders/Handler/Resource",
	// from the template's aws:cdk:path metadata or, when the app was
	// synthesised without it, from the assembly's construct metadata.
	CDKPath string
	// Framework is empty for the user's own resources and names the CDK
	// helper otherwise (one of the constants such as BucketDeployment).
	Framework string
	// Origin is the first frame of user code in the stack trace recorded
	// when the construct was created, or the zero Pos when the assembly holds
	// none. It names the file as it was when the app was synthesised.
	Origin source.Pos
	// Node is the resource's definition in the stack's template.
	Node *source.Node
}

// Load reads the cloud assembly in dir (the folder holding manifest.json).
// It fails only when the manifest itself cannot be read or is not a cloud
// assembly manifest; problems with single stacks become Warnings and the
// other stacks are still loaded.
func Load(dir string, lim source.Limits) (*Assembly, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("reading cloud assembly: %w", err)
	}
	defer root.Close()
	// root.FS refuses paths and symbolic links that lead out of dir.
	return load(root.FS(), dir, lim)
}

// IsAssembly reports whether dir holds a cloud assembly: a manifest.json
// that is a JSON object with a "version" string and an "artifacts" map.
func IsAssembly(dir string) bool {
	f, err := os.Open(filepath.Join(dir, manifestFile))
	if err != nil {
		return false
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileBytes(source.Limits{})+1))
	if err != nil {
		return false
	}
	doc, err := source.Parse(manifestFile, data, source.Limits{})
	if err != nil {
		return false
	}
	_, err = checkManifest(doc)
	return err == nil
}

const manifestFile = "manifest.json"

// Artifact types of the cloud assembly schema that the loader follows.
const (
	stackArtifact         = "aws:cloudformation:stack"
	assemblyArtifact      = "cdk:cloud-assembly"
	assetManifestArtifact = "cdk:asset-manifest"
)

// maxFileBytes is the size above which a file is refused. It matches the
// default of package source, which applies it again while parsing.
func maxFileBytes(lim source.Limits) int64 {
	if lim.MaxFileBytes > 0 {
		return lim.MaxFileBytes
	}
	return 16 << 20
}

// loader holds the state of one Load. Paths inside it are slash-separated
// and relative to the root assembly folder, as io/fs wants them.
type loader struct {
	fsys fs.FS
	dir  string
	lim  source.Limits
	asm  *Assembly
	read []readFile // every file read so far, to stop cycles and repeats
}

type readFile struct {
	rel  string
	info fs.FileInfo
}

// assemblyDir is one assembly folder: the root or a nested assembly.
type assemblyDir struct {
	rel      string // "." for the root
	manifest *source.Node
	// assets maps an asset hash to its file, from the folder's asset
	// manifests; read only when a nested stack has to be found through it.
	assets     map[string]string
	assetsRead bool
}

func load(fsys fs.FS, dir string, lim source.Limits) (*Assembly, error) {
	l := &loader{fsys: fsys, dir: dir, lim: lim, asm: &Assembly{Dir: dir}}
	doc, err := l.readDoc(manifestFile, source.Pos{})
	if err != nil {
		return nil, err
	}
	version, err := checkManifest(doc)
	if err != nil {
		return nil, err
	}
	l.asm.Version = version
	l.asm.Warnings = append(l.asm.Warnings, doc.Warnings...)
	l.loadAssembly(&assemblyDir{rel: ".", manifest: doc.Root})
	return l.asm, nil
}

// checkManifest checks that a document is a cloud assembly manifest and
// returns its version.
func checkManifest(doc *source.Document) (version string, err error) {
	root := doc.Root
	if doc.Format != source.JSON || root.Kind != source.Map {
		return "", &source.Error{Pos: root.Pos, Msg: "not a cloud assembly manifest: want a JSON object"}
	}
	version, ok := root.Get("version").Str()
	if !ok {
		return "", &source.Error{Pos: root.Pos, Msg: `not a cloud assembly manifest: no "version" string`}
	}
	artifacts := root.Get("artifacts")
	if artifacts == nil {
		return "", &source.Error{Pos: root.Pos, Msg: `not a cloud assembly manifest: no "artifacts" map`}
	}
	if artifacts.Kind != source.Map {
		return "", &source.Error{Pos: artifacts.Pos, Msg: `not a cloud assembly manifest: "artifacts" is a ` + artifacts.Kind.String() + ", not a map"}
	}
	return version, nil
}

// loadAssembly loads the stacks of one assembly folder, then its nested
// assemblies.
func (l *loader) loadAssembly(a *assemblyDir) {
	artifacts := a.manifest.Get("artifacts")
	var nested []source.Field
	for _, f := range artifacts.Fields {
		art := f.Value
		if art.Kind != source.Map {
			l.warn(art.Pos, "artifact %q is a %s, not a map; skipped", f.Key, art.Kind)
			continue
		}
		switch typ, _ := art.Get("type").Str(); typ {
		case stackArtifact:
			l.loadStackArtifact(a, f.Key, art)
		case assemblyArtifact:
			nested = append(nested, f)
		}
	}
	for _, f := range nested {
		l.loadNestedAssembly(a, f.Key, f.Value)
	}
}

func (l *loader) loadNestedAssembly(parent *assemblyDir, id string, art *source.Node) {
	dirNode := art.Get("properties").Get("directoryName")
	name, ok := dirNode.Str()
	if !ok {
		l.warn(art.Pos, "nested assembly %q has no properties.directoryName; skipped", id)
		return
	}
	rel, err := l.join(parent.rel, name, dirNode.Pos)
	if err != nil {
		l.warnErr(err)
		return
	}
	doc, err := l.readDoc(path.Join(rel, manifestFile), dirNode.Pos)
	if err != nil {
		l.warnErr(err)
		return
	}
	l.asm.Warnings = append(l.asm.Warnings, doc.Warnings...)
	if _, err := checkManifest(doc); err != nil {
		l.warnErr(err)
		return
	}
	l.loadAssembly(&assemblyDir{rel: rel, manifest: doc.Root})
}

func (l *loader) loadStackArtifact(a *assemblyDir, id string, art *source.Node) {
	props := art.Get("properties")
	tfNode := props.Get("templateFile")
	tf, ok := tfNode.Str()
	if !ok {
		l.warn(art.Pos, "stack artifact %q has no properties.templateFile; skipped", id)
		return
	}
	rel, err := l.join(a.rel, tf, tfNode.Pos)
	if err != nil {
		l.warnErr(err)
		return
	}
	doc, err := l.readDoc(rel, tfNode.Pos)
	if err != nil {
		l.warnErr(err)
		return
	}
	s := &Stack{
		Name:         id,
		DisplayName:  id,
		ArtifactID:   id,
		TemplatePath: doc.Path,
		Doc:          doc,
	}
	if name, ok := props.Get("stackName").Str(); ok {
		s.Name = name
	}
	if name, ok := art.Get("displayName").Str(); ok {
		s.DisplayName = name
	}
	s.Environment, _ = art.Get("environment").Str()
	l.addStack(a, s, l.readMetadata(a, art))
}

// addStack indexes the resources of a loaded template, records the stack and
// follows its nested stacks.
func (l *loader) addStack(a *assemblyDir, s *Stack, meta *constructMetadata) {
	resources := s.Doc.Root.Get("Resources")
	if resources != nil && resources.Kind != source.Map {
		l.warn(resources.Pos, "Resources is a %s, not a map", resources.Kind)
	}
	template := path.Base(filepath.ToSlash(s.TemplatePath))
	s.Resources = make(map[string]Resource, len(fieldsOf(resources)))
	var stackResources []Resource // in template order, for deterministic nesting
	for _, f := range fieldsOf(resources) {
		r := Resource{LogicalID: f.Key, Node: f.Value}
		r.Type, _ = f.Value.Get("Type").Str()
		r.CDKPath, _ = f.Value.Get("Metadata").Get("aws:cdk:path").Str()
		if r.CDKPath == "" {
			r.CDKPath = meta.pathOf(f.Key, template)
		}
		r.Origin = meta.origin(r.CDKPath)
		s.Resources[f.Key] = r
		if r.Type == "AWS::CloudFormation::Stack" {
			stackResources = append(stackResources, r)
		}
	}
	classify(s.Resources, meta)
	l.asm.Stacks = append(l.asm.Stacks, s)
	for _, r := range stackResources {
		l.loadNestedStack(a, s, r, meta)
	}
}

func fieldsOf(n *source.Node) []source.Field {
	if n == nil || n.Kind != source.Map {
		return nil
	}
	return n.Fields
}

// loadNestedStack follows an AWS::CloudFormation::Stack resource to the
// template the assembly holds for it. The CDK names that file in the
// resource's aws:asset:path metadata; apps synthesised without asset
// metadata are matched through the asset hash at the end of TemplateURL.
// A resource pointing at a template that is not part of the assembly (a
// plain CfnStack with an S3 URL) is left alone.
func (l *loader) loadNestedStack(a *assemblyDir, parent *Stack, r Resource, meta *constructMetadata) {
	ref := r.Node.Get("Metadata").Get("aws:asset:path")
	file, ok := ref.Str()
	if !ok {
		ref = r.Node.Get("Properties").Get("TemplateURL")
		if file, ok = l.assetFile(a, assetHash(ref)); !ok {
			return
		}
	}
	rel, err := l.join(a.rel, file, ref.Pos)
	if err != nil {
		l.warnErr(err)
		return
	}
	doc, err := l.readDoc(rel, ref.Pos)
	if err != nil {
		l.warnErr(err)
		return
	}
	name := nestedStackName(parent, r, meta, path.Base(rel))
	s := &Stack{
		Name:           name,
		DisplayName:    name,
		ArtifactID:     parent.ArtifactID,
		Environment:    parent.Environment,
		TemplatePath:   doc.Path,
		Doc:            doc,
		Parent:         parent,
		ParentResource: r.LogicalID,
	}
	l.addStack(a, s, meta)
}

// nestedStackName is the construct path of a nested stack: the path that
// the construct metadata records the template file for, or else the path of
// the AWS::CloudFormation::Stack resource without the
// "<id>.NestedStack/<id>.NestedStackResource" the CDK wraps around it.
func nestedStackName(parent *Stack, r Resource, meta *constructMetadata, template string) string {
	if p := meta.stackPathFor(template); p != "" {
		return p
	}
	if scope, res, ok := cutLast(r.CDKPath); ok {
		if outer, id, ok := cutLast(scope); ok && id == strings.TrimSuffix(res, "Resource") && strings.HasSuffix(id, ".NestedStack") {
			return outer + "/" + strings.TrimSuffix(id, ".NestedStack")
		}
	}
	return parent.Name + "/" + r.LogicalID
}

// cutLast splits a construct path before its last segment.
func cutLast(p string) (scope, last string, ok bool) {
	i := strings.LastIndexByte(p, '/')
	if i < 0 {
		return "", "", false
	}
	return p[:i], p[i+1:], true
}

// assetHash returns the asset hash that names a nested template in its
// TemplateURL, ".../<hash>.json", or "".
func assetHash(templateURL *source.Node) string {
	var last string
	var walk func(n *source.Node)
	walk = func(n *source.Node) {
		if n == nil {
			return
		}
		if n.Kind == source.String && strings.HasSuffix(n.Value, ".json") {
			last = n.Value
		}
		for _, it := range n.Items {
			walk(it)
		}
		for _, f := range n.Fields {
			walk(f.Value)
		}
	}
	walk(templateURL)
	return strings.TrimSuffix(path.Base(last), ".json")
}

// assetFile finds the file of an asset through the asset manifests of the
// assembly folder.
func (l *loader) assetFile(a *assemblyDir, hash string) (string, bool) {
	if hash == "" {
		return "", false
	}
	if !a.assetsRead {
		a.assetsRead = true
		a.assets = make(map[string]string)
		for _, f := range a.manifest.Get("artifacts").Fields {
			if typ, _ := f.Value.Get("type").Str(); typ != assetManifestArtifact {
				continue
			}
			fileNode := f.Value.Get("properties").Get("file")
			name, ok := fileNode.Str()
			if !ok {
				continue
			}
			rel, err := l.join(a.rel, name, fileNode.Pos)
			if err != nil {
				l.warnErr(err)
				continue
			}
			doc, err := l.readDoc(rel, fileNode.Pos)
			if err != nil {
				l.warnErr(err)
				continue
			}
			for _, asset := range fieldsOf(doc.Root.Get("files")) {
				if p, ok := asset.Value.Get("source").Get("path").Str(); ok {
					a.assets[asset.Key] = p
				}
			}
		}
	}
	file, ok := a.assets[hash]
	return file, ok
}

// join resolves name, as written in a file of the assembly folder dir, to a
// path relative to the root assembly, refusing any path that leaves it.
func (l *loader) join(dir, name string, ref source.Pos) (string, error) {
	if name == "" || path.IsAbs(name) || filepath.IsAbs(name) {
		return "", &source.Error{Pos: l.refPos(ref), Msg: fmt.Sprintf("%q is not a path inside the cloud assembly %s; not read", name, l.dir)}
	}
	rel := path.Join(dir, name)
	if !fs.ValidPath(rel) {
		return "", &source.Error{Pos: l.refPos(ref), Msg: fmt.Sprintf("%q leads outside the cloud assembly %s; not read", name, l.dir)}
	}
	return rel, nil
}

func (l *loader) refPos(ref source.Pos) source.Pos {
	if ref.File == "" {
		ref.File = l.dir
	}
	return ref
}

// display is the name of a file of the assembly in messages and positions.
func (l *loader) display(rel string) string {
	return filepath.Join(l.dir, filepath.FromSlash(rel))
}

// readDoc reads and parses a file of the assembly. ref is where the file was
// named, for errors; the zero Pos for the root manifest. Each file of an
// assembly is read at most once, which ends reference cycles.
func (l *loader) readDoc(rel string, ref source.Pos) (*source.Document, error) {
	name := l.display(rel)
	fail := func(format string, args ...any) error {
		if !ref.IsValid() {
			return &source.Error{Pos: source.Pos{File: name}, Msg: fmt.Sprintf(format, args...)}
		}
		return &source.Error{Pos: ref, Msg: name + ": " + fmt.Sprintf(format, args...)}
	}
	f, err := l.fsys.Open(rel)
	if err != nil {
		return nil, fail("%v", pathErrorCause(err))
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fail("%v", pathErrorCause(err))
	}
	if info.IsDir() {
		return nil, fail("is a folder, not a file")
	}
	if l.seen(rel, info) {
		return nil, fail("already read: a second reference to one file is a cycle, or a mistake; not read again")
	}
	l.read = append(l.read, readFile{rel: rel, info: info})
	limit := maxFileBytes(l.lim)
	if info.Size() > limit {
		return nil, fail("file is %d bytes, over the %d byte limit", info.Size(), limit)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fail("%v", pathErrorCause(err))
	}
	doc, err := source.Parse(name, data, l.lim)
	if err != nil {
		return nil, err
	}
	return doc, nil
}

// seen reports whether a file was read before, under the same path or,
// through a link, under another.
func (l *loader) seen(rel string, info fs.FileInfo) bool {
	for _, r := range l.read {
		if r.rel == rel || os.SameFile(r.info, info) {
			return true
		}
	}
	return false
}

// pathErrorCause drops the path from an fs error: messages name the file
// with its full path already.
func pathErrorCause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func (l *loader) warn(pos source.Pos, format string, args ...any) {
	l.asm.Warnings = append(l.asm.Warnings, &source.Error{Pos: pos, Msg: fmt.Sprintf(format, args...)})
}

func (l *loader) warnErr(err error) {
	var se *source.Error
	if errors.As(err, &se) {
		l.asm.Warnings = append(l.asm.Warnings, se)
		return
	}
	l.asm.Warnings = append(l.asm.Warnings, &source.Error{Pos: source.Pos{File: l.dir}, Msg: err.Error()})
}
