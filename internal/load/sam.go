package load

import (
	"errors"

	"github.com/bulwark-sec/bulwark/internal/cfn"
	"github.com/bulwark-sec/bulwark/internal/model"
	"github.com/bulwark-sec/bulwark/internal/sam"
	"github.com/bulwark-sec/bulwark/internal/source"
)

// expandSAM runs the offline SAM transform on doc and reads the result as a
// plain CloudFormation template. Resources SAM generated keep the origin of
// the SAM construct they came from, so findings point at what the user wrote.
// Templates SAM would reject come back as positioned errors.
func expandSAM(doc *source.Document, opts Options) (*cfn.Template, map[string]model.Origin, []*source.Error, []*source.Error) {
	res, err := sam.Transform(doc.Root, sam.Options{Parameters: opts.Parameters})
	if err != nil {
		return nil, nil, samErrors(doc.Path, err), nil
	}
	tmpl, warns := cfn.Parse(doc.Path, res.Template)
	warns = append(res.Warnings, warns...)
	origins := make(map[string]model.Origin, len(res.Origins))
	for id, o := range res.Origins {
		origins[id] = model.Origin{LogicalID: o.LogicalID, Type: o.Type, Pos: o.Pos}
	}
	return tmpl, origins, nil, warns
}

// samErrors flattens the transform's error (one *source.Error, or several
// joined) into positioned errors.
func samErrors(path string, err error) []*source.Error {
	var out []*source.Error
	var walk func(error)
	walk = func(err error) {
		if joined, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range joined.Unwrap() {
				walk(e)
			}
			return
		}
		var se *source.Error
		if errors.As(err, &se) {
			out = append(out, se)
			return
		}
		out = append(out, &source.Error{Pos: source.Pos{File: path, Line: 1, Column: 1}, Msg: err.Error()})
	}
	walk(err)
	return out
}
