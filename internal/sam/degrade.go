package sam

import (
	"errors"
	"slices"
	"strings"

	"github.com/bulwark-sec/bulwark/internal/source"
)

// SAM rejects a whole template when one resource in it is invalid. A scanner
// must not: one typo would hide every real problem in the rest of the
// template. So the transform expands what it can and turns each problem
// confined to one resource, event or property into a positioned warning, in
// SAM's words, followed by what the transform did about it:
//
//   - a property of the wrong shape (Tags written as a list) is ignored,
//     unless that would open the resource up (see undroppable);
//   - an invalid event, policy entry, connector or Globals property is left
//     out, and so is a function's code setting that cannot be read;
//   - rules SAM enforces that do not change what a function is (Runtime and
//     Handler for a Zip function, the limits of tenancy) are reported and
//     the function is analyzed as written;
//   - a problem inside a separable property (FunctionUrlConfig,
//     DeploymentPreference, an API's Domain, ...) drops that property;
//   - any other problem inside an event drops the event, and any other
//     problem with a resource leaves that resource out.
//
// The first three are handled where they are found. The last two can come to
// light half way through expanding a resource, after it has emitted
// resources or added routes to a shared API definition. Rather than undo
// that, the transform runs again with the event, property or resource left
// out from the start (see Transform); the warnings of the runs thrown away
// are kept, so what was found before the failure is still reported. Only
// problems with the template as a whole, such as Resources or Globals not
// being a map, remain errors.

// exactPasses is how many passes stop at their first failure. Each of them
// finds one thing to leave out, so a template with a few problems is
// expanded exactly as if it had been written without them. Past that
// budget, a pass records every failure it meets, so that templates with
// many problems cost a few more passes rather than one per problem; a
// failure caused only by an earlier one's half-done work may then leave out
// a little more than needed.
const exactPasses = 10

// separable lists, per SAM resource type, the properties that produce
// resources or settings of their own which the rest of the expansion does
// not depend on. A problem confined to one of them drops just that
// property. Properties that decide who may reach the resource or what it
// may do (Auth, EndpointConfiguration, Role, Policies, ...) are not listed:
// a problem there leaves the resource out rather than have it analyzed as
// something it is not.
var separable = map[string][]string{
	typeFunction: {"AutoPublishAlias", "AutoPublishCodeSha256", "CapacityProviderConfig", "DeadLetterQueue",
		"DeploymentPreference", "EventInvokeConfig", "FunctionScalingConfig", "FunctionUrlConfig", "Layers",
		"ProvisionedConcurrencyConfig", "SnapStart", "Tags", "VersionDeletionPolicy"},
	typeStateMachine: {"AutoPublishAlias", "DeploymentPreference", "Tags", "UseAliasAsEventTarget"},
	typeAPI: {"AccessLogSetting", "BinaryMediaTypes", "CacheClusterSize", "CanarySetting", "Cors", "Domain",
		"GatewayResponses", "MethodSettings", "MinimumCompressionSize", "Models", "Tags"},
	typeHTTPAPI: {"AccessLogSettings", "CorsConfiguration", "DefaultRouteSettings", "Domain", "RouteSettings",
		"StageVariables", "Tags"},
	typeWebSocketAPI: {"AccessLogSettings", "DefaultRouteSettings", "Domain", "RouteSettings", "StageVariables",
		"Tags"},
	typeSimpleTable:      {"Tags"},
	typeCapacityProvider: {"Tags"},
	typeGraphQLAPI:       {"ApiKeys", "Cache", "DomainName", "Tags"},
}

// failure is a problem met while expanding one resource or one of its
// events, which the next pass leaves out.
type failure struct {
	r    *resource
	ev   *event // the event being expanded, if any
	prop string // the separable property the problem is confined to, if any
	err  *source.Error
}

// leftOut is what earlier passes of one Transform call decided to leave
// out, with the warnings that say so. Events and properties map to the pass
// that left them out.
type leftOut struct {
	resources map[string]bool
	events    map[string]map[string]int // resource ID -> event ID -> pass
	props     map[string]map[string]int // resource ID -> property -> pass
	warnings  []*source.Error
}

func newLeftOut() *leftOut {
	return &leftOut{resources: map[string]bool{}, events: map[string]map[string]int{}, props: map[string]map[string]int{}}
}

func (l *leftOut) event(resourceID, eventID string) bool {
	_, ok := l.events[resourceID][eventID]
	return ok
}

// leaveOut records what f, met in the given pass, leaves out of the next
// one, and reports whether that is anything new (several failures of one
// pass may name the same event). A problem that recurs after an earlier
// pass left its event or property out widens to its resource.
func (l *leftOut) leaveOut(f failure, pass int) bool {
	id := f.r.id
	// add records key in m unless it is there; it reports whether the
	// failure is settled: key is new, or a duplicate from this pass.
	add := func(m map[string]map[string]int, key string) (settled, isNew bool) {
		if m[id] == nil {
			m[id] = map[string]int{}
		}
		if when, ok := m[id][key]; ok {
			return when == pass, false
		}
		m[id][key] = pass
		return true, true
	}
	if l.resources[id] {
		return false
	}
	switch {
	case f.ev != nil:
		settled, isNew := add(l.events, f.ev.id)
		if isNew {
			l.warnings = append(l.warnings, degraded(f.err, withoutEvent(id, f.ev.id)))
		}
		if settled {
			return isNew
		}
	case f.prop != "":
		settled, isNew := add(l.props, f.prop)
		if isNew {
			l.warnings = append(l.warnings, degraded(f.err, id+" is analyzed without its "+f.prop))
		}
		if settled {
			return isNew
		}
	}
	l.resources[id] = true
	l.warnings = append(l.warnings, degraded(f.err, leftOutResource(id)))
	return true
}

// The consequences name the resource: SAM's message may be about another
// one (an event failing on the API it names) or about none.

func withoutEvent(resourceID, eventID string) string {
	return resourceID + " is analyzed without its event " + eventID
}

func leftOutResource(id string) string { return "resource " + id + " is left out of the analysis" }

// degraded turns a problem SAM rejects into a warning that also says what
// the transform did instead.
func degraded(err *source.Error, consequence string) *source.Error {
	return &source.Error{Pos: err.Pos, Msg: strings.TrimRight(err.Msg, ". ") + "; " + consequence}
}

// tolerate records a problem SAM rejects as a warning, with what the
// transform did instead.
func (t *transformer) tolerate(err error, consequence string) {
	t.warnings = append(t.warnings, degraded(t.sourceError(err), consequence))
}

// isLeftOut reports whether the transform leaves r out: an earlier pass
// failed on it, or it could not be read at all.
func (t *transformer) isLeftOut(r *resource) bool { return r.unreadable || t.left.resources[r.id] }

// halted reports whether the pass should stop: in an exact pass, the first
// failure is all it needs to find.
func (t *transformer) halted() bool { return t.exact && len(t.failures) > 0 }

// separableProperty returns the separable property of r that holds the
// value at pos, or "" when the problem is not confined to one.
func separableProperty(r *resource, pos source.Pos) string {
	if !pos.IsValid() || pos == r.keyPos || (r.node != nil && pos == r.node.Pos) {
		return ""
	}
	for _, f := range fieldsOf(r.props) {
		if f.KeyPos == pos || holds(f.Value, pos) {
			if slices.Contains(separable[r.typ], f.Key) {
				return f.Key
			}
			return ""
		}
	}
	return ""
}

// holds reports whether pos is the position of n or of a value inside it.
func holds(n *source.Node, pos source.Pos) bool {
	if n == nil {
		return false
	}
	if n.Pos == pos {
		return true
	}
	for _, f := range n.Fields {
		if f.KeyPos == pos || holds(f.Value, pos) {
			return true
		}
	}
	for _, it := range n.Items {
		if holds(it, pos) {
			return true
		}
	}
	return false
}

// dropLeftOutProperties removes the properties earlier passes left out,
// once Globals have been merged in (a separable property may come from
// there).
func (t *transformer) dropLeftOutProperties() {
	for _, r := range t.resources {
		for name := range t.left.props[r.id] {
			if r.props != nil {
				r.props.Delete(name)
			}
		}
	}
}

// sourceError returns err as a positioned error, at the template's start
// when it has no position of its own.
func (t *transformer) sourceError(err error) *source.Error {
	var se *source.Error
	if errors.As(err, &se) {
		return se
	}
	return &source.Error{Pos: t.root.Pos, Msg: err.Error()}
}

// distinct drops the warnings given again by later passes.
func distinct(warnings []*source.Error) []*source.Error {
	seen := make(map[source.Error]bool, len(warnings))
	out := warnings[:0]
	for _, w := range warnings {
		if !seen[*w] {
			seen[*w] = true
			out = append(out, w)
		}
	}
	return out
}

func sortByPosition(errs []*source.Error) {
	slices.SortStableFunc(errs, func(a, b *source.Error) int {
		if a.Pos.File != b.Pos.File {
			return strings.Compare(a.Pos.File, b.Pos.File)
		}
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line - b.Pos.Line
		}
		return a.Pos.Column - b.Pos.Column
	})
}
