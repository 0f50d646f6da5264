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

// events parses and caches a resource's Events. Problems with the Events
// property itself are errors; an event with an unknown type is an error too,
// as in SAM.
func (t *transformer) events(r *resource) ([]*event, error) {
	if r.evsParsed {
		return r.evs, nil
	}
	r.evsParsed = true
	evs := r.props.Get("Events")
	if evs == nil || evs.Kind == source.Null {
		return nil, nil
	}
	if evs.Kind != source.Map {
		return nil, t.invalid(r, evs.Pos, "Type of property 'Events' is invalid.")
	}
	known := functionEventProps
	if r.typ == typeStateMachine {
		known = stateMachineEventProps
	}
	for _, f := range fieldsOf(evs) {
		if f.Value.Kind == source.Null {
			continue
		}
		if f.Value.Kind != source.Map {
			return nil, t.invalid(r, f.Value.Pos, "Type of property 'Events' is invalid.")
		}
		ev := &event{id: f.Key, keyPos: f.KeyPos, pos: f.Value.Pos, node: f.Value, logicalID: r.id + f.Key}
		typ := f.Value.Get("Type")
		if s, ok := stringValue(typ); ok {
			ev.typ = s
		}
		props := f.Value.Get("Properties")
		switch {
		case props == nil || props.Kind == source.Null:
			ev.props = obj(f.Value.Pos)
		case props.Kind == source.Map:
			ev.props = shallow(props)
		default:
			ev.props = props
		}
		if _, ok := known[ev.typ]; !ok {
			if typ == nil {
				return nil, t.invalidEvent(r, ev, ev.keyPos, "Resource dict missing key 'Type'.")
			}
			return nil, t.invalidEvent(r, ev, typ.Pos, "Event type '%s' is not supported for %s.", typ.Value, r.typ)
		}
		r.evs = append(r.evs, ev)
	}
	return r.evs, nil
}

// checkEvent validates an event's properties against the SAM spec.
func (t *transformer) checkEvent(r *resource, ev *event) error {
	if ev.props.Kind != source.Map {
		return t.invalidEvent(r, ev, ev.props.Pos, "Properties should be a map.")
	}
	known := functionEventProps
	if r.typ == typeStateMachine {
		known = stateMachineEventProps
	}
	return t.checkProps(eventWhere(r.id, ev.id), ev.props, known[ev.typ], "event type "+ev.typ)
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
