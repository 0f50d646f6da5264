// Package load turns the paths a user names into a model: it finds the
// templates under them, parses them, expands SAM, reads CDK assemblies and
// builds the function-centric model. One bad file never stops the others.
package load

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/bulwark-sec/bulwark/internal/source"
)

// skipDirs are folders that hold build output or dependencies, never the
// templates a user writes.
var skipDirs = map[string]bool{
	".git": true, "node_modules": true, ".aws-sam": true, ".serverless": true, ".terraform": true,
	".venv": true, "__pycache__": true, ".idea": true, ".vscode": true,
}

// candidateExt are file name endings that may hold a template. Content
// decides; the ending only spares reading source code and images.
var candidateExt = map[string]bool{".yaml": true, ".yml": true, ".json": true, ".template": true, ".cfn": true, "": true}

// target is one thing to load: a template file or a CDK assembly folder.
type target struct {
	path     string
	explicit bool // named by the user, not found by walking
	assembly bool
}

// discover expands paths into targets in a stable order. A path that does
// not exist is a usage error.
func discover(paths []string, isAssembly func(string) bool) ([]target, []*source.Error, error) {
	var out []target
	var problems []*source.Error
	seen := map[string]bool{}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, nil, fmt.Errorf("cannot read %s: %w", p, errors.Unwrap(err))
		}
		if !st.IsDir() {
			out = append(out, target{path: p, explicit: true})
			continue
		}
		w := walker{isAssembly: isAssembly, visited: seen}
		w.walk(p)
		out = append(out, w.found...)
		problems = append(problems, w.problems...)
	}
	return out, problems, nil
}

type walker struct {
	isAssembly func(string) bool
	visited    map[string]bool // real paths of folders already walked: symlink loops end here
	found      []target
	problems   []*source.Error
}

func (w *walker) walk(dir string) {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		w.problems = append(w.problems, &source.Error{Pos: source.Pos{File: dir}, Msg: "cannot resolve folder: " + err.Error()})
		return
	}
	if w.visited[real] {
		return
	}
	w.visited[real] = true
	if w.isAssembly != nil && w.isAssembly(dir) {
		w.found = append(w.found, target{path: dir, assembly: true})
		return
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		w.problems = append(w.problems, &source.Error{Pos: source.Pos{File: dir}, Msg: "cannot read folder: " + err.Error()})
		return
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	for _, e := range entries {
		path := filepath.Join(dir, e.Name())
		mode := e.Type()
		if mode&fs.ModeSymlink != 0 {
			st, err := os.Stat(path)
			if err != nil {
				continue // dangling link
			}
			mode = st.Mode().Type()
		}
		switch {
		case mode.IsDir():
			if !skipDirs[e.Name()] {
				w.walk(path)
			}
		case mode.IsRegular():
			// Content decides (loadTarget sniffs the bytes it reads anyway);
			// the name only spares reading source code and images.
			if candidateExt[strings.ToLower(filepath.Ext(e.Name()))] {
				w.found = append(w.found, target{path: path})
			}
		}
	}
}

// templateMarkers are strings every CloudFormation or SAM template holds.
var templateMarkers = [][]byte{[]byte("Resources"), []byte("AWSTemplateFormatVersion")}

// mayBeTemplate reports whether a file's bytes could be a CloudFormation or
// SAM template, so that package.json and friends are not parsed.
func mayBeTemplate(data []byte) bool {
	if bytes.IndexByte(data[:min(len(data), 8<<10)], 0) >= 0 {
		return false // binary
	}
	for _, m := range templateMarkers {
		if bytes.Contains(data, m) {
			return true
		}
	}
	return false
}
