package load

import (
	"sort"
	"strings"

	"github.com/bulwark-sec/bulwark/internal/cfn"
	"github.com/bulwark-sec/bulwark/internal/model"
	"github.com/bulwark-sec/bulwark/internal/par"
	"github.com/bulwark-sec/bulwark/internal/source"
)

// Options control loading. The zero value loads with default limits and no
// parameter overrides.
type Options struct {
	Parameters map[string]string // parameter values, as from --parameter K=V
	Limits     source.Limits
}

// Result is what loading found.
type Result struct {
	App      *model.App
	Files    []string        // template files loaded, in order
	Errors   []*source.Error // inputs that could not be loaded, positioned
	Warnings []*source.Error // problems that did not stop loading
}

// Paths loads every template under paths. The returned error is for usage
// problems (a path that does not exist); problems with a file's content are
// in Result.Errors and never stop the other files.
func Paths(paths []string, opts Options) (*Result, error) {
	targets, problems, err := discover(paths, isAssembly)
	if err != nil {
		return nil, err
	}
	res := &Result{Errors: problems}
	loaded := make([][]loadedInput, len(targets))
	errs := make([][]*source.Error, len(targets))
	warns := make([][]*source.Error, len(targets))

	// Parse and expand in parallel; the model is then built in input order, so
	// the output does not depend on scheduling.
	par.Each(len(targets), func(i int) {
		loaded[i], errs[i], warns[i] = loadTarget(targets[i], opts)
	})

	var inputs []model.Input
	for i := range targets {
		res.Errors = append(res.Errors, errs[i]...)
		res.Warnings = append(res.Warnings, warns[i]...)
		for _, l := range loaded[i] {
			inputs = append(inputs, l.input)
			res.Files = append(res.Files, l.input.Doc.Path)
		}
	}
	res.App = model.Build(inputs)
	res.Warnings = append(res.Warnings, res.App.Diagnostics...)
	sortErrors(res.Errors)
	sortErrors(res.Warnings)
	return res, nil
}

type loadedInput struct {
	input model.Input
}

func loadTarget(t target, opts Options) ([]loadedInput, []*source.Error, []*source.Error) {
	if t.assembly {
		return loadAssembly(t.path, opts)
	}
	data, err := source.ReadBytes(t.path, opts.Limits)
	if err != nil {
		if t.explicit {
			return nil, []*source.Error{asSourceError(t.path, err)}, nil
		}
		if se, ok := err.(*source.Error); ok { // over the size limit: say so
			return nil, []*source.Error{se}, nil
		}
		return nil, nil, []*source.Error{asSourceError(t.path, err)}
	}
	if !t.explicit && !mayBeTemplate(data) {
		return nil, nil, nil
	}
	doc, err := source.Parse(t.path, data, opts.Limits)
	if err != nil {
		return nil, []*source.Error{asSourceError(t.path, err)}, nil
	}
	warns := doc.Warnings
	if !cfn.IsTemplate(doc.Root) {
		if t.explicit {
			return nil, []*source.Error{{Pos: source.Pos{File: t.path, Line: 1, Column: 1},
				Msg: "not a CloudFormation or SAM template (no Resources with typed resources)"}}, warns
		}
		return nil, nil, warns // a YAML or JSON file that is something else
	}
	in, errs, w := templateInput(doc, doc.Path, opts)
	warns = append(warns, w...)
	if in == nil {
		return nil, errs, warns
	}
	return []loadedInput{{input: *in}}, errs, warns
}

// templateInput reads one parsed template into a model input, expanding SAM
// when the template declares the transform.
func templateInput(doc *source.Document, name string, opts Options) (*model.Input, []*source.Error, []*source.Error) {
	tmpl, warns := cfn.Parse(doc.Path, doc.Root)
	in := &model.Input{Name: name, Kind: "cloudformation", Doc: doc, Template: tmpl, Overrides: opts.Parameters}
	sam := tmpl.IsSAM()
	if !sam {
		if r := firstServerlessResource(tmpl); r != nil {
			// Unmistakably SAM; expand it, as the user intends, and say what
			// CloudFormation itself would need.
			sam = true
			warns = append(warns, &source.Error{Pos: r.Pos, Msg: "template uses " + r.Type +
				" but does not declare Transform: AWS::Serverless-2016-10-31; CloudFormation will reject it as written"})
		}
	}
	if sam {
		expanded, origins, errs, w := expandSAM(doc, opts)
		warns = append(warns, w...)
		if expanded == nil {
			return nil, errs, warns
		}
		in.Kind = "sam"
		in.Template = expanded
		in.Origins = origins
	}
	return in, nil, warns
}

func firstServerlessResource(t *cfn.Template) *cfn.Resource {
	for _, r := range t.Resources {
		if strings.HasPrefix(r.Type, "AWS::Serverless::") {
			return r
		}
	}
	return nil
}

func asSourceError(path string, err error) *source.Error {
	if se, ok := err.(*source.Error); ok {
		return se
	}
	return &source.Error{Pos: source.Pos{File: path}, Msg: err.Error()}
}

func sortErrors(errs []*source.Error) {
	sort.SliceStable(errs, func(i, j int) bool {
		a, b := errs[i].Pos, errs[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Column < b.Column
	})
}
