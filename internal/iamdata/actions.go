package iamdata

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// AccessLevel is the access level AWS assigns an action in the Service
// Authorization Reference.
type AccessLevel uint8

// The access levels, in the order AWS lists them. Actions AWS marks as both
// permissions management (or tagging) and write carry the more specific level.
const (
	AccessUnknown AccessLevel = iota // the zero value; no known action has it
	AccessList
	AccessRead
	AccessWrite
	AccessPermissionsManagement
	AccessTagging
)

var accessLevelNames = [...]string{
	AccessUnknown:               "Unknown",
	AccessList:                  "List",
	AccessRead:                  "Read",
	AccessWrite:                 "Write",
	AccessPermissionsManagement: "Permissions management",
	AccessTagging:               "Tagging",
}

// String returns AWS's wording for the level, e.g. "Permissions management".
func (l AccessLevel) String() string {
	if int(l) < len(accessLevelNames) {
		return accessLevelNames[l]
	}
	return fmt.Sprintf("AccessLevel(%d)", uint8(l))
}

func parseAccessLevel(s string) (AccessLevel, bool) {
	for level, name := range accessLevelNames {
		if name == s && AccessLevel(level) != AccessUnknown {
			return AccessLevel(level), true
		}
	}
	return AccessUnknown, false
}

// ActionID is a compact handle for one IAM action, valid for the data
// embedded in this build. IDs start at 1, so the zero ActionID names no
// action; they follow the order of Services, then action names, so one
// service's actions have consecutive IDs.
type ActionID uint32

// Valid reports whether id names an action.
func (id ActionID) Valid() bool {
	return id != 0 && int(id) <= len(loadActions().actions)
}

// Action returns the full record of the action. It returns the zero Action
// for an invalid id.
func (id ActionID) Action() Action {
	db := loadActions()
	if !id.Valid() {
		return Action{}
	}
	return db.action(id)
}

// Service returns the action's service prefix, e.g. "s3".
func (id ActionID) Service() string {
	if !id.Valid() {
		return ""
	}
	db := loadActions()
	return db.services[db.actions[id-1].service].prefix
}

// Name returns the action's name without its service, as AWS spells it,
// e.g. "GetObject".
func (id ActionID) Name() string {
	if !id.Valid() {
		return ""
	}
	return loadActions().actions[id-1].name
}

// Access returns the action's access level.
func (id ActionID) Access() AccessLevel {
	if !id.Valid() {
		return AccessUnknown
	}
	return loadActions().actions[id-1].access
}

// String returns the action as written in a policy, e.g. "s3:GetObject".
func (id ActionID) String() string {
	if !id.Valid() {
		return fmt.Sprintf("ActionID(%d)", uint32(id))
	}
	return id.Service() + ":" + id.Name()
}

// Action is everything known about one IAM action.
type Action struct {
	ID      ActionID
	Service string // service prefix, e.g. "s3"
	Name    string // as AWS spells it, e.g. "GetObject"
	Access  AccessLevel
	// ResourceTypes lists the resource types whose ARNs a statement may name
	// for this action. Empty means the action does not support resource-level
	// permissions: only Resource "*" applies to it.
	ResourceTypes []ResourceRef
	// ConditionKeys lists the service-specific and global keys AWS documents
	// for the action itself (keys tied to one resource type are in ResourceTypes).
	ConditionKeys []string
}

// String returns the action as written in a policy, e.g. "s3:GetObject".
func (a Action) String() string { return a.Service + ":" + a.Name }

// SupportsResourceLevelPermissions reports whether a policy can restrict the
// action to particular resources, i.e. whether Resource "*" is avoidable.
func (a Action) SupportsResourceLevelPermissions() bool { return len(a.ResourceTypes) > 0 }

// ResourceRef is one resource type an action can be scoped to.
type ResourceRef struct {
	Name string // resource type name within the action's service, e.g. "object"
	// Required marks a resource type that the action always acts on: a
	// statement granting the action must cover a resource of this type.
	Required      bool
	ConditionKeys []string // keys that apply when the action acts on this type
}

// ResourceType describes one resource type of a service.
type ResourceType struct {
	Name string // e.g. "object"
	// ARNFormat is AWS's ARN template, e.g.
	// "arn:${Partition}:s3:::${BucketName}/${ObjectName}".
	ARNFormat     string
	ConditionKeys []string
}

// ConditionKey is one condition key a service defines. Names may be
// templates, e.g. "aws:ResourceTag/${TagKey}" or "s3:ExistingObjectTag/<key>".
type ConditionKey struct {
	Name string
	Type string // AWS's value type: "String", "ArrayOfString", "ARN", "Bool", "Numeric", "Date", ...
}

// Service is one AWS service and what it defines in IAM.
type Service struct {
	Prefix        string // e.g. "s3"
	Name          string // e.g. "Amazon S3"
	Actions       []ActionID
	ResourceTypes []ResourceType // sorted by name
	ConditionKeys []ConditionKey // sorted by lowercased name
}

// ResourceType returns the service's resource type with the given name.
func (s Service) ResourceType(name string) (ResourceType, bool) {
	i, found := sort.Find(len(s.ResourceTypes), func(i int) int { return strings.Compare(name, s.ResourceTypes[i].Name) })
	if !found {
		return ResourceType{}, false
	}
	return s.ResourceTypes[i], true
}

// Services returns every service, sorted by prefix.
func Services() []Service {
	db := loadActions()
	services := make([]Service, len(db.services))
	for i := range db.services {
		services[i] = db.service(i)
	}
	return services
}

// LookupService returns the service with the given prefix, ignoring case.
func LookupService(prefix string) (Service, bool) {
	db := loadActions()
	i, ok := db.findService(prefix)
	if !ok {
		return Service{}, false
	}
	return db.service(i), true
}

// Lookup returns the action named "service:Name", ignoring case as IAM does.
// Wildcards are not expanded (see Expand): "s3:Get*" is not an action.
func Lookup(action string) (Action, bool) {
	db := loadActions()
	prefix, name, ok := strings.Cut(action, ":")
	if !ok {
		return Action{}, false
	}
	s, ok := db.findService(prefix)
	if !ok {
		return Action{}, false
	}
	id, ok := db.findAction(s, name)
	if !ok {
		return Action{}, false
	}
	return db.action(id), true
}

// actionDB holds the decoded actions file.
type actionDB struct {
	services []serviceRecord // sorted by lowercased prefix
	actions  []actionRecord  // actions[id-1]; grouped by service, sorted by lowercased name
	ids      []ActionID      // ids[i] == ActionID(i+1): Expand returns windows of it
}

type serviceRecord struct {
	prefix, name  string
	first, end    int // the service's actions are actions[first:end]
	resourceTypes []ResourceType
	conditionKeys []ConditionKey
}

type actionRecord struct {
	name          string
	service       int // index into services
	access        AccessLevel
	resourceTypes []ResourceRef
	conditionKeys []string
}

var loadActions = sync.OnceValue(func() *actionDB {
	text, err := decompress(actionsGz)
	if err == nil {
		var db *actionDB
		if db, err = parseActions(text); err == nil {
			return db
		}
	}
	// The file is generated and embedded at build time, and the tests load
	// it, so this is a broken build rather than a condition to handle.
	panic(fmt.Sprintf("iamdata: embedded actions file: %v", err))
})

// parseActions decodes the actions file and checks the sort order that
// lookups rely on.
func parseActions(text string) (*actionDB, error) {
	// Sized up front: appending 22,000 records one by one would copy them
	// several times over.
	db := &actionDB{actions: make([]actionRecord, 0, strings.Count(text, "\naction\t"))}
	for line, fields := range records(text) {
		current := len(db.services) - 1
		switch kind := fields[0]; {
		case kind == "source":
			// Read by Versions.
		case kind == "service" && len(fields) == 3:
			if current >= 0 && compareFold(db.services[current].prefix, fields[1]) >= 0 {
				return nil, recordError(line, fields, "services out of order")
			}
			db.services = append(db.services, serviceRecord{
				prefix: fields[1], name: fields[2], first: len(db.actions), end: len(db.actions),
			})
		case current < 0:
			return nil, recordError(line, fields, "record before the first service")
		case kind == "resource" && len(fields) == 4:
			s := &db.services[current]
			s.resourceTypes = append(s.resourceTypes, ResourceType{Name: fields[1], ARNFormat: fields[2], ConditionKeys: list(fields[3])})
		case kind == "condition" && len(fields) == 3:
			s := &db.services[current]
			s.conditionKeys = append(s.conditionKeys, ConditionKey{Name: fields[1], Type: fields[2]})
		case kind == "action" && len(fields) == 5:
			s := &db.services[current]
			if s.end > s.first && compareFold(db.actions[s.end-1].name, fields[1]) >= 0 {
				return nil, recordError(line, fields, "actions out of order")
			}
			access, ok := parseAccessLevel(fields[2])
			if !ok {
				return nil, recordError(line, fields, fmt.Sprintf("unknown access level %q", fields[2]))
			}
			db.actions = append(db.actions, actionRecord{
				name:          fields[1],
				service:       current,
				access:        access,
				resourceTypes: parseResourceRefs(fields[3]),
				conditionKeys: list(fields[4]),
			})
			s.end = len(db.actions)
		default:
			return nil, recordError(line, fields, fmt.Sprintf("unknown record or wrong field count %d", len(fields)))
		}
	}
	if len(db.actions) == 0 {
		return nil, fmt.Errorf("no actions")
	}
	db.ids = make([]ActionID, len(db.actions))
	for i := range db.ids {
		db.ids[i] = ActionID(i + 1)
	}
	return db, nil
}

// parseResourceRefs decodes "*object|key1,accesspointobject".
func parseResourceRefs(field string) []ResourceRef {
	items := list(field)
	if items == nil {
		return nil
	}
	refs := make([]ResourceRef, len(items))
	for i, item := range items {
		name, keys, _ := strings.Cut(item, "|")
		refs[i].Name, refs[i].Required = strings.CutPrefix(name, "*")
		if keys != "" {
			refs[i].ConditionKeys = strings.Split(keys, "|")
		}
	}
	return refs
}

func (db *actionDB) service(i int) Service {
	s := &db.services[i]
	return Service{
		Prefix:        s.prefix,
		Name:          s.name,
		Actions:       db.window(s.first, s.end),
		ResourceTypes: s.resourceTypes,
		ConditionKeys: s.conditionKeys,
	}
}

func (db *actionDB) action(id ActionID) Action {
	a := &db.actions[id-1]
	return Action{
		ID:            id,
		Service:       db.services[a.service].prefix,
		Name:          a.name,
		Access:        a.access,
		ResourceTypes: a.resourceTypes,
		ConditionKeys: a.conditionKeys,
	}
}

// window returns the IDs of actions[first:end] without allocating. Its
// capacity is cut to its length so that a caller's append copies instead of
// overwriting the neighbouring IDs.
func (db *actionDB) window(first, end int) []ActionID {
	return db.ids[first:end:end]
}

// findService returns the index of the service with the prefix, ignoring case.
func (db *actionDB) findService(prefix string) (int, bool) {
	return sort.Find(len(db.services), func(i int) int { return compareFold(prefix, db.services[i].prefix) })
}

// findAction returns the ID of the service's action with the name, ignoring case.
func (db *actionDB) findAction(service int, name string) (ActionID, bool) {
	s := &db.services[service]
	i, found := sort.Find(s.end-s.first, func(i int) int { return compareFold(name, db.actions[s.first+i].name) })
	if !found {
		return 0, false
	}
	return ActionID(s.first + i + 1), true
}
