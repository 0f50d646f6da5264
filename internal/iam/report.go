package iam

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/bulwark-sec/bulwark/internal/iamdata"
	"github.com/bulwark-sec/bulwark/internal/model"
)

// SchemaVersion names the JSON layout of View. It changes only when a
// field changes meaning or goes away; new fields may appear within a version.
const SchemaVersion = "bulwark.iam/v1"

// ReportOptions select what Report shows. The zero value shows every function.
type ReportOptions struct {
	Function string // only the function with this logical ID
}

// View is the blast radius of each function: what its execution role lets
// it do, grouped by service and access level, and where each permission
// was granted. Its JSON form (View.JSON) is documented in docs/iam.md.
type View struct {
	Schema    string         `json:"schema"`
	Functions []FunctionView `json:"functions"`
	Warnings  []string       `json:"warnings,omitempty"` // policy documents that could not be fully read
}

// FunctionView is one function's permissions.
type FunctionView struct {
	Name           string   `json:"name"`
	Stack          string   `json:"stack"`
	Position       string   `json:"position"` // file:line of the function
	Role           string   `json:"role,omitempty"`
	SharedWith     []string `json:"sharedWith,omitempty"` // other functions with the same role
	FrameworkOwned bool     `json:"frameworkOwned,omitempty"`
	Boundary       string   `json:"boundary,omitempty"`
	TrustedBy      []string `json:"trustedBy,omitempty"` // principals the role's trust policy admits
	// EveryAction lists grants that cover every IAM action: administrator
	// access. They are not repeated under Services.
	EveryAction []GrantView       `json:"everyAction,omitempty"`
	Services    []ServiceView     `json:"services"`
	Denies      []DenyView        `json:"denies,omitempty"`
	Unresolved  []UnresolvedView  `json:"unresolved,omitempty"`
	Unknown     []UnknownGrantRef `json:"unknownActions,omitempty"` // action names no service defines
}

// ServiceView is what a function may do in one service.
type ServiceView struct {
	Service string      `json:"service"` // prefix, e.g. "s3"
	Name    string      `json:"name"`    // e.g. "Amazon S3"
	Levels  []LevelView `json:"levels"`
}

// LevelView is one access level ("List", "Read", "Write",
// "Permissions management", "Tagging") of a service.
type LevelView struct {
	Level  string        `json:"level"`
	Groups []ActionGroup `json:"groups"`
}

// ActionGroup is a set of actions granted by the same statements.
type ActionGroup struct {
	// AllActions is set when the group holds every action of the service
	// at this level; Actions is then omitted.
	AllActions bool        `json:"allActions,omitempty"`
	Count      int         `json:"count"`
	Actions    []string    `json:"actions,omitempty"`
	Grants     []GrantView `json:"grants"`
}

// GrantView is one statement that grants a group's actions.
type GrantView struct {
	Resources   []string `json:"resources"`
	NotResource bool     `json:"notResource,omitempty"`
	Conditional bool     `json:"conditional,omitempty"` // under an IAM or template condition
	Position    string   `json:"position"`              // file:line the user wrote
	Policy      string   `json:"policy"`                // e.g. "SAM policy template DynamoDBCrudPolicy"
	Kind        string   `json:"kind"`                  // inline, policy-resource, customer-managed, aws-managed
	Template    string   `json:"template,omitempty"`    // the SAM policy template or connector
}

// DenyView is a Deny statement that narrows the grants.
type DenyView struct {
	Actions     []string `json:"actions"` // as written
	NotAction   bool     `json:"notAction,omitempty"`
	Resources   []string `json:"resources"`
	NotResource bool     `json:"notResource,omitempty"`
	Conditional bool     `json:"conditional,omitempty"`
	Position    string   `json:"position"`
	Policy      string   `json:"policy"`
}

// UnresolvedView is a policy or role whose document the templates do not hold.
type UnresolvedView struct {
	What     string `json:"what"`
	Value    string `json:"value"`
	Position string `json:"position,omitempty"`
}

// UnknownGrantRef is an action pattern that names no known action.
type UnknownGrantRef struct {
	Action   string `json:"action"`
	Position string `json:"position"`
}

// Report builds the blast-radius view of app's functions.
func Report(app *model.App, opts ReportOptions) *View {
	a := For(app)
	v := &View{Schema: SchemaVersion, Functions: []FunctionView{}}
	for _, f := range app.Functions {
		if opts.Function != "" && f.Name != opts.Function {
			continue
		}
		v.Functions = append(v.Functions, functionView(f, a.Function(f)))
	}
	for _, d := range a.Diagnostics {
		v.Warnings = append(v.Warnings, d.Error())
	}
	return v
}

func functionView(f *model.Function, p *Permissions) FunctionView {
	fv := FunctionView{
		Name: f.Name, Stack: f.Resource.Stack.Name, Position: posString(f.Origin().Pos),
		FrameworkOwned: f.FrameworkOwned(), Services: []ServiceView{},
	}
	if p == nil {
		return fv
	}
	fv.Role = p.Role.Name
	for _, other := range p.Role.Functions {
		if other != f {
			fv.SharedWith = append(fv.SharedWith, other.Name)
		}
	}
	if p.Boundary != nil {
		fv.Boundary = p.Boundary.Name
	}
	if p.Trust != nil {
		for _, s := range p.Trust.Document.Statements {
			if s.Effect != Allow {
				continue
			}
			for _, pr := range s.Principals {
				text := pr.Value.Text
				if pr.Type != "*" {
					text = pr.Type + ":" + text
				}
				if s.NotPrincipal {
					text = "NOT " + text
				}
				if !slices.Contains(fv.TrustedBy, text) {
					fv.TrustedBy = append(fv.TrustedBy, text)
				}
			}
		}
	}
	all := allActions().Len()
	var partial []Grant
	for _, g := range p.Grants() {
		if g.Actions.Len() == all {
			fv.EveryAction = append(fv.EveryAction, grantView(g))
			continue
		}
		partial = append(partial, g)
	}
	fv.Services = serviceViews(partial)
	for _, d := range p.Denies() {
		s := d.Statement
		fv.Denies = append(fv.Denies, DenyView{
			Actions: texts(s.Actions), NotAction: s.NotAction, Resources: texts(s.Resources), NotResource: s.NotResource,
			Conditional: s.Conditional(), Position: posString(d.Pos()), Policy: d.Policy.Describe(),
		})
	}
	for _, u := range p.Unresolved {
		fv.Unresolved = append(fv.Unresolved, UnresolvedView{What: u.What, Value: u.Value, Position: posString(u.Pos)})
	}
	for _, pol := range p.Policies {
		if pol.Kind == KindAWSManaged {
			continue
		}
		for _, s := range pol.Document.Statements {
			for _, u := range s.UnknownActions {
				fv.Unknown = append(fv.Unknown, UnknownGrantRef{Action: u.Text, Position: posString(u.Pos)})
			}
		}
	}
	return fv
}

func texts(vs []Value) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Text
	}
	return out
}

func grantView(g Grant) GrantView {
	s := g.Statement
	return GrantView{
		Resources: texts(s.Resources), NotResource: s.NotResource, Conditional: s.Conditional(),
		Position: posString(g.Pos()), Policy: g.Policy.Describe(), Kind: g.Policy.Kind, Template: g.Policy.Template,
	}
}

// levelCounts holds, per service prefix, how many actions it has at each
// access level, to tell when a group holds all of them.
var levelCounts = sync.OnceValue(func() map[string][6]int {
	out := map[string][6]int{}
	for _, s := range iamdata.Services() {
		var c [6]int
		for _, id := range s.Actions {
			c[id.Access()]++
		}
		out[s.Prefix] = c
	}
	return out
})

// serviceViews groups the actions of grants by service, then access level,
// then the set of grants that give them.
func serviceViews(grants []Grant) []ServiceView {
	if len(grants) == 0 {
		return []ServiceView{}
	}
	// Which grants give each action, as a signature string of grant indexes.
	type entry struct {
		id  iamdata.ActionID
		sig string
	}
	sigs := map[iamdata.ActionID][]int{}
	for i, g := range grants {
		for id := range g.Actions.All() {
			sigs[id] = append(sigs[id], i)
		}
	}
	entries := make([]entry, 0, len(sigs))
	for id, gs := range sigs {
		entries = append(entries, entry{id: id, sig: sigKey(gs)})
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].id < entries[j].id })

	counts := levelCounts()
	var out []ServiceView
	groupIndex := map[string]int{} // service|level|sig -> index in the level's groups
	for _, e := range entries {
		prefix := e.id.Service()
		if len(out) == 0 || out[len(out)-1].Service != prefix {
			svc, _ := iamdata.LookupService(prefix)
			out = append(out, ServiceView{Service: prefix, Name: svc.Name})
		}
		sv := &out[len(out)-1]
		level := e.id.Access().String()
		li := slices.IndexFunc(sv.Levels, func(l LevelView) bool { return l.Level == level })
		if li < 0 {
			sv.Levels = append(sv.Levels, LevelView{Level: level})
			li = len(sv.Levels) - 1
		}
		lv := &sv.Levels[li]
		key := prefix + "|" + level + "|" + e.sig
		gi, ok := groupIndex[key]
		if !ok {
			var gv []GrantView
			for _, i := range sigs[e.id] {
				gv = append(gv, grantView(grants[i]))
			}
			lv.Groups = append(lv.Groups, ActionGroup{Grants: gv})
			gi = len(lv.Groups) - 1
			groupIndex[key] = gi
		}
		g := &lv.Groups[gi]
		g.Count++
		g.Actions = append(g.Actions, e.id.String())
	}
	for i := range out {
		c := counts[out[i].Service]
		sort.SliceStable(out[i].Levels, func(a, b int) bool {
			return levelOrder(out[i].Levels[a].Level) < levelOrder(out[i].Levels[b].Level)
		})
		for j := range out[i].Levels {
			lv := &out[i].Levels[j]
			for k := range lv.Groups {
				g := &lv.Groups[k]
				if g.Count == c[levelOf(lv.Level)] {
					g.AllActions, g.Actions = true, nil
				}
			}
		}
	}
	return out
}

func sigKey(gs []int) string {
	var b strings.Builder
	for _, i := range gs {
		b.WriteString(strconv.Itoa(i))
		b.WriteByte(',')
	}
	return b.String()
}

func levelOf(name string) iamdata.AccessLevel {
	for l := iamdata.AccessList; l <= iamdata.AccessTagging; l++ {
		if l.String() == name {
			return l
		}
	}
	return iamdata.AccessUnknown
}

func levelOrder(name string) int { return int(levelOf(name)) }

// JSON returns the view as indented JSON, in the SchemaVersion layout.
func (v *View) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding IAM view: %w", err)
	}
	return append(b, '\n'), nil
}

// maxListed bounds how many action names one text line lists.
const maxListed = 8

// WriteText writes the view for a terminal: per function, per service and
// access level, the actions, the resources and where they were granted.
func (v *View) WriteText(w io.Writer) error {
	tw := &textWriter{w: w}
	if len(v.Functions) == 0 {
		tw.printf("no functions found\n")
	}
	for i, f := range v.Functions {
		if i > 0 {
			tw.printf("\n")
		}
		writeFunction(tw, f)
	}
	if len(v.Warnings) > 0 {
		tw.printf("\nwarnings:\n")
		for _, w := range v.Warnings {
			tw.printf("  %s\n", w)
		}
	}
	return tw.err
}

type textWriter struct {
	w   io.Writer
	err error
}

func (t *textWriter) printf(format string, args ...any) {
	if t.err == nil {
		_, t.err = fmt.Fprintf(t.w, format, args...)
	}
}

func writeFunction(tw *textWriter, f FunctionView) {
	tw.printf("%s  (%s)\n", f.Name, f.Position)
	switch {
	case f.Role == "":
		tw.printf("  no execution role\n")
		return
	case len(f.SharedWith) > 0:
		tw.printf("  role %s, shared with %s\n", f.Role, strings.Join(f.SharedWith, ", "))
	default:
		tw.printf("  role %s\n", f.Role)
	}
	if f.Boundary != "" {
		tw.printf("  permissions boundary %s\n", f.Boundary)
	}
	if f.FrameworkOwned {
		tw.printf("  created by a CDK helper\n")
	}
	if len(f.TrustedBy) > 0 {
		tw.printf("  assumable by %s\n", strings.Join(f.TrustedBy, ", "))
	}
	for _, g := range f.EveryAction {
		tw.printf("  EVERY ACTION of every service %s%s\n", onResources(g), grantedAt(g))
	}
	if len(f.Services) == 0 && len(f.EveryAction) == 0 {
		tw.printf("  no permissions\n")
	}
	for _, s := range f.Services {
		tw.printf("  %s (%s)\n", s.Service, s.Name)
		if grants, n, ok := wholeService(s); ok {
			tw.printf("    all %d actions\n", n)
			for _, gr := range grants {
				tw.printf("      %s%s\n", onResources(gr), grantedAt(gr))
			}
			continue
		}
		for _, l := range s.Levels {
			for _, g := range l.Groups {
				what := "all " + l.Level + " actions"
				if !g.AllActions {
					what = l.Level + ": " + listActions(g.Actions, s.Service)
				}
				tw.printf("    %s\n", what)
				for _, gr := range g.Grants {
					tw.printf("      %s%s\n", onResources(gr), grantedAt(gr))
				}
			}
		}
	}
	for _, d := range f.Denies {
		cond := ""
		if d.Conditional {
			cond = " under a condition"
		}
		not := ""
		if d.NotAction {
			not = "all but "
		}
		tw.printf("  denied%s: %s%s on %s  %s (%s)\n", cond, not, strings.Join(d.Actions, ", "), resourceList(d.Resources, d.NotResource), d.Position, d.Policy)
	}
	for _, u := range f.Unresolved {
		tw.printf("  unknown: %s %s (%s): its permissions are not in the templates\n", u.What, u.Value, u.Position)
	}
	for _, u := range f.Unknown {
		tw.printf("  no such action: %s (%s)\n", u.Action, u.Position)
	}
}

// wholeService reports whether the same grants give every action of the
// service at every level, and how many actions that is.
func wholeService(s ServiceView) ([]GrantView, int, bool) {
	if len(s.Levels) == 0 {
		return nil, 0, false
	}
	first := s.Levels[0].Groups[0].Grants
	n := 0
	for _, l := range s.Levels {
		if len(l.Groups) != 1 || !l.Groups[0].AllActions || !slices.EqualFunc(l.Groups[0].Grants, first, sameGrant) {
			return nil, 0, false
		}
		n += l.Groups[0].Count
	}
	counts := levelCounts()[s.Service]
	total := 0
	for _, c := range counts {
		total += c
	}
	return first, n, n == total
}

func sameGrant(a, b GrantView) bool {
	return a.Position == b.Position && a.Policy == b.Policy && slices.Equal(a.Resources, b.Resources) &&
		a.NotResource == b.NotResource && a.Conditional == b.Conditional
}

func onResources(g GrantView) string {
	s := "on " + resourceList(g.Resources, g.NotResource)
	if g.Conditional {
		s += " (under a condition)"
	}
	return s
}

func resourceList(rs []string, not bool) string {
	if len(rs) == 0 {
		return "no resource"
	}
	s := strings.Join(rs, ", ")
	if not {
		return "every resource except " + s
	}
	return s
}

func grantedAt(g GrantView) string {
	return "  " + g.Position + " (" + g.Policy + ")"
}

func listActions(actions []string, service string) string {
	names := make([]string, 0, min(len(actions), maxListed))
	for _, a := range actions[:min(len(actions), maxListed)] {
		names = append(names, strings.TrimPrefix(a, service+":"))
	}
	s := strings.Join(names, ", ")
	if len(actions) > maxListed {
		s += fmt.Sprintf(" and %d more", len(actions)-maxListed)
	}
	return s
}
