package load

import (
	"github.com/bulwark-sec/bulwark/internal/cfn"
	"github.com/bulwark-sec/bulwark/internal/model"
	"github.com/bulwark-sec/bulwark/internal/source"
)

// expandSAM runs the SAM transform on doc. INTERIM: replaced by the real
// transform before this lands.
func expandSAM(doc *source.Document, opts Options) (*cfn.Template, map[string]model.Origin, []*source.Error, []*source.Error) {
	return nil, nil, []*source.Error{{Pos: source.Pos{File: doc.Path, Line: 1, Column: 1}, Msg: "SAM transform not wired yet"}}, nil
}
