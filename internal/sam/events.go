package sam

import (
	"sort"

	"github.com/bulwark-sec/bulwark/internal/source"
)

// event is one entry of a function's or state machine's Events.
type event struct {
	id        string
	typ       string
	keyPos    source.Pos   // the event's name
	pos       source.Pos   // the event's map
	node      *source.Node // the event map as written
	props     *source.Node // private copy of Properties (an empty map if absent)
	logicalID string       // prefix of the logical IDs generated for the event
}

func (e *event) prop(name string) *source.Node { return e.props.Get(name) }

// propPos returns where a property is written, or the event if it is not.
func (e *event) propPos(name string) source.Pos {
	if f, ok := e.props.Field(name); ok {
		return f.Value.Pos
	}
	return e.keyPos
}

// events parses, checks and caches a resource's Events. An event SAM would
// reject for its own sake (not a map, an unknown type, a required property
// missing or of the wrong shape) is left out with a warning, and so is an
// event an earlier pass failed on; the others keep their valid properties.
// Events that are not a map at all are reported by the resource's own
// property check.
func (t *transformer) events(r *resource) []*event {
	if r.evsParsed {
		return r.evs
	}
	r.evsParsed = true
	evs := r.props.Get("Events")
	if evs == nil || evs.Kind != source.Map {
		return nil
	}
	known := functionEventProps
	if r.typ == typeStateMachine {
		known = stateMachineEventProps
	}
	for _, f := range fieldsOf(evs) {
		without := withoutEvent(r.id, f.Key)
		if f.Value.Kind == source.Null || t.left.event(r.id, f.Key) {
			continue
		}
		if f.Value.Kind != source.Map {
			t.tolerate(t.invalid(r, f.Value.Pos, "Type of property 'Events' is invalid."), without)
			continue
		}
		ev := &event{id: f.Key, keyPos: f.KeyPos, pos: f.Value.Pos, node: f.Value, logicalID: r.id + f.Key}
		typ := f.Value.Get("Type")
		if s, ok := stringValue(typ); ok {
			ev.typ = s
		}
		specs, ok := known[ev.typ]
		if !ok {
			if typ == nil {
				t.tolerate(t.invalidEvent(r, ev, ev.keyPos, "Resource dict missing key 'Type'."), without)
			} else {
				t.tolerate(t.invalidEvent(r, ev, typ.Pos, "Event type '%s' is not supported for %s.", typ.Value, r.typ), without)
			}
			continue
		}
		props := f.Value.Get("Properties")
		switch {
		case props == nil || props.Kind == source.Null:
			ev.props = obj(f.Value.Pos)
		case props.Kind == source.Map:
			ev.props = shallow(props)
		default:
			t.tolerate(t.invalidEvent(r, ev, props.Pos, "Properties should be a map."), without)
			continue
		}
		if ev.typ == "Api" {
			// The implicit API fills RestApiId in later; checkEvent
			// requires it then.
			specs = withOptional(specs, "RestApiId")
		}
		if err := t.checkProps(eventWhere(r.id, ev.id), ev.props, specs, "event type "+ev.typ, "the event"); err != nil {
			t.tolerate(err, without)
			continue
		}
		r.evs = append(r.evs, ev)
	}
	return r.evs
}

// withOptional returns a copy of specs in which name is not required.
func withOptional(specs map[string]propSpec, name string) map[string]propSpec {
	out := make(map[string]propSpec, len(specs))
	for k, v := range specs {
		out[k] = v
	}
	spec := out[name]
	spec.required = false
	out[name] = spec
	return out
}

// checkEvent checks that an event has its required properties once the
// implicit APIs have filled theirs in; events already checked the rest.
func (t *transformer) checkEvent(r *resource, ev *event) error {
	known := functionEventProps
	if r.typ == typeStateMachine {
		known = stateMachineEventProps
	}
	return t.missingRequired(eventWhere(r.id, ev.id), ev.props, known[ev.typ])
}

// orderedEvents returns the events sorted the way SAM processes them: by
// Path when there is one (so an HTTP API's "$default" route comes first),
// otherwise by name.
func orderedEvents(evs []*event) []*event {
	out := append([]*event(nil), evs...)
	key := func(e *event) string {
		if p, ok := stringValue(e.prop("Path")); ok {
			return p
		}
		return e.id
	}
	sort.SliceStable(out, func(i, j int) bool { return key(out[i]) < key(out[j]) })
	return out
}
