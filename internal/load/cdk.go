package load

import (
	"github.com/bulwark-sec/bulwark/internal/cdk"
	"github.com/bulwark-sec/bulwark/internal/model"
	"github.com/bulwark-sec/bulwark/internal/source"
)

// isAssembly reports whether dir is a CDK cloud assembly (a cdk.out).
func isAssembly(dir string) bool { return cdk.IsAssembly(dir) }

// loadAssembly reads every stack of a CDK cloud assembly. Each resource's
// origin carries its construct path and, for CDK's own helpers, which helper
// owns it, so rules and reports can treat framework code apart.
func loadAssembly(dir string, opts Options) ([]loadedInput, []*source.Error, []*source.Error) {
	asm, err := cdk.Load(dir, opts.Limits)
	if err != nil {
		return nil, []*source.Error{asSourceError(dir, err)}, nil
	}
	warns := append([]*source.Error(nil), asm.Warnings...)
	var errs []*source.Error
	var out []loadedInput
	for _, st := range asm.Stacks {
		if st.Doc == nil {
			continue
		}
		warns = append(warns, st.Doc.Warnings...)
		name := st.DisplayName
		if name == "" {
			name = st.Name
		}
		in, e, w := templateInput(st.Doc, name, opts)
		errs = append(errs, e...)
		warns = append(warns, w...)
		if in == nil {
			continue
		}
		if in.Kind == "cloudformation" {
			in.Kind = "cdk"
		}
		if in.Origins == nil {
			in.Origins = map[string]model.Origin{}
		}
		for id, r := range st.Resources {
			o, ok := in.Origins[id]
			if !ok {
				o = model.Origin{LogicalID: id, Type: r.Type}
				if tr := in.Template.Resource(id); tr != nil {
					o.Pos = tr.Pos
				}
			}
			o.CDKPath, o.Framework = r.CDKPath, r.Framework
			in.Origins[id] = o
		}
		out = append(out, loadedInput{input: *in})
	}
	return out, errs, warns
}
