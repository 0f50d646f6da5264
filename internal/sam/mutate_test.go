package sam

import (
	"fmt"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/bulwark-sec/bulwark/internal/source"
)

// TestMalformedValuesNeverPanic replaces, one at a time, every value under
// Resources and Globals of SAM's test templates with a value of another
// shape (null, a string, a number, an empty map, an empty list), and drops
// every map key in turn, and checks
// that the transform reports a problem instead of panicking.
func TestMalformedValuesNeverPanic(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: mutates every value of the SAM corpus")
	}
	replacements := []*source.Node{
		{Kind: source.Null},
		{Kind: source.String, Value: "x"},
		{Kind: source.Number, Value: "7"},
		{Kind: source.Map},
		{Kind: source.Seq},
	}
	failures := 0
	for _, in := range corpusInputs(t) {
		doc, err := source.ReadFile(in, source.Limits{})
		if err != nil {
			continue
		}
		name := strings.TrimSuffix(filepath.Base(in), ".yaml")
		var slots []*source.Node
		var collect func(n *source.Node)
		collect = func(n *source.Node) {
			slots = append(slots, n)
			for _, f := range n.Fields {
				collect(f.Value)
			}
			for _, it := range n.Items {
				collect(it)
			}
		}
		for _, section := range []string{"Resources", "Globals"} {
			if s := doc.Root.Get(section); s != nil {
				collect(s)
			}
		}
		for i, slot := range slots {
			saved := *slot
			for _, r := range replacements {
				*slot = *r
				if p := transformRecovering(doc.Root); p != "" {
					failures++
					if failures <= 20 {
						t.Errorf("%s: value %d (%s) replaced by a %s: %s", name, i, saved.Pos, r.Kind, p)
					}
				}
			}
			*slot = saved
			// And without each of its fields.
			for j := range saved.Fields {
				slot.Fields = append(append([]source.Field(nil), saved.Fields[:j]...), saved.Fields[j+1:]...)
				if p := transformRecovering(doc.Root); p != "" {
					failures++
					if failures <= 20 {
						t.Errorf("%s: value %d (%s) without %s: %s", name, i, saved.Pos, saved.Fields[j].Key, p)
					}
				}
			}
			*slot = saved
		}
	}
	if failures > 20 {
		t.Errorf("%d panics in total", failures)
	}
}

func transformRecovering(root *source.Node) (msg string) {
	defer func() {
		if p := recover(); p != nil {
			msg = fmt.Sprint(p) + "\n" + string(debug.Stack())
		}
	}()
	_, _ = Transform(root, Options{})
	return ""
}
