// Package inventory renders the model as the documented, versioned
// inventory that `bulwark inventory` prints: each function with its role and
// raw policy statements, the routes and event sources that reach it, its
// environment variable names and its network placement.
//
// The JSON form is a stable interface (see docs/inventory.md); SchemaVersion
// changes whenever a field changes meaning or disappears.
package inventory

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/bulwark-sec/bulwark/internal/cfn"
	"github.com/bulwark-sec/bulwark/internal/model"
	"github.com/bulwark-sec/bulwark/internal/source"
)

// SchemaVersion is the version of the JSON inventory format.
const SchemaVersion = 1

// Options control rendering.
type Options struct {
	ShowValues bool // print environment variable values instead of redacting them
}

// Inventory is the JSON document.
type Inventory struct {
	SchemaVersion int          `json:"schemaVersion"`
	Stacks        []Stack      `json:"stacks"`
	Functions     []Function   `json:"functions"`
	Diagnostics   []Diagnostic `json:"diagnostics,omitempty"`
}

// Stack is one loaded template.
type Stack struct {
	Name string `json:"name"`
	Path string `json:"path"`
	Kind string `json:"kind"`
}

// Location is a place in a file.
type Location struct {
	File   string `json:"file"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
}

// Function is one Lambda function.
type Function struct {
	Name                string        `json:"name"`
	Stack               string        `json:"stack"`
	Type                string        `json:"type"`
	Location            Location      `json:"location"`
	CDKPath             string        `json:"cdkPath,omitempty"`
	Framework           string        `json:"framework,omitempty"`
	Runtime             string        `json:"runtime,omitempty"`
	Handler             string        `json:"handler,omitempty"`
	PackageType         string        `json:"packageType,omitempty"`
	Architectures       []string      `json:"architectures,omitempty"`
	Role                *Role         `json:"role,omitempty"`
	Routes              []Route       `json:"routes,omitempty"`
	URLs                []URL         `json:"urls,omitempty"`
	Permissions         []Permission  `json:"permissions,omitempty"`
	EventSources        []EventSource `json:"eventSources,omitempty"`
	Environment         []EnvVar      `json:"environment,omitempty"`
	VPC                 *VPC          `json:"vpc,omitempty"`
	Tracing             string        `json:"tracing,omitempty"`
	DeadLetter          string        `json:"deadLetter,omitempty"`
	OnFailure           string        `json:"onFailure,omitempty"`
	KMSKey              string        `json:"kmsKey,omitempty"`
	Layers              []string      `json:"layers,omitempty"`
	ReservedConcurrency string        `json:"reservedConcurrency,omitempty"`
	CodeSigning         string        `json:"codeSigning,omitempty"`
	LogGroup            string        `json:"logGroup,omitempty"`
}

// Role is the function's execution role.
type Role struct {
	Name                string   `json:"name"`
	External            bool     `json:"external,omitempty"`
	SharedWith          []string `json:"sharedWith,omitempty"`
	Location            Location `json:"location"`
	Trust               []any    `json:"trust,omitempty"`
	Policies            []Policy `json:"policies,omitempty"`
	ManagedPolicies     []string `json:"managedPolicies,omitempty"`
	PermissionsBoundary string   `json:"permissionsBoundary,omitempty"`
}

// Policy is a policy document attached to the role, with its statements as
// written (after SAM policy-template expansion and intrinsic evaluation).
type Policy struct {
	Name       string   `json:"name"`
	Kind       string   `json:"kind"`
	Location   Location `json:"location"`
	Statements []any    `json:"statements"`
}

// Route is an API route that reaches the function.
type Route struct {
	API            string   `json:"api"`
	Kind           string   `json:"kind"`
	Method         string   `json:"method"`
	Path           string   `json:"path"`
	Auth           string   `json:"auth"`
	Authorizer     string   `json:"authorizer,omitempty"`
	APIKeyRequired bool     `json:"apiKeyRequired,omitempty"`
	Location       Location `json:"location"`
}

// URL is a function URL.
type URL struct {
	AuthType string   `json:"authType"`
	Location Location `json:"location"`
}

// Permission is a resource-based permission on the function.
type Permission struct {
	Principal     string   `json:"principal"`
	Action        string   `json:"action"`
	SourceArn     string   `json:"sourceArn,omitempty"`
	SourceAccount string   `json:"sourceAccount,omitempty"`
	Location      Location `json:"location"`
}

// EventSource is something that invokes the function.
type EventSource struct {
	Kind   string `json:"kind"`
	Source string `json:"source,omitempty"`
	Async  bool   `json:"async,omitempty"`
}

// EnvVar is an environment variable. Value is redacted unless ShowValues.
type EnvVar struct {
	Name     string   `json:"name"`
	Value    string   `json:"value"`
	From     []string `json:"from,omitempty"` // parameters and resources the value comes from
	Location Location `json:"location"`
}

// VPC is the function's network placement.
type VPC struct {
	Subnets        []string `json:"subnets"`
	SecurityGroups []string `json:"securityGroups"`
}

// Diagnostic is a load problem.
type Diagnostic struct {
	Location Location `json:"location"`
	Message  string   `json:"message"`
}

// Redacted replaces environment variable values unless ShowValues is set.
const Redacted = "<redacted>"

// Build renders the model.
func Build(app *model.App, opts Options) *Inventory {
	inv := &Inventory{SchemaVersion: SchemaVersion, Stacks: []Stack{}, Functions: []Function{}}
	for _, s := range app.Stacks {
		inv.Stacks = append(inv.Stacks, Stack{Name: s.Name, Path: s.Path, Kind: s.Kind})
	}
	for _, f := range app.Functions {
		inv.Functions = append(inv.Functions, function(f, opts))
	}
	for _, d := range app.Diagnostics {
		inv.Diagnostics = append(inv.Diagnostics, Diagnostic{Location: loc(d.Pos), Message: d.Msg})
	}
	return inv
}

func loc(p source.Pos) Location { return Location{File: p.File, Line: p.Line, Column: p.Column} }

func function(f *model.Function, opts Options) Function {
	o := f.Origin()
	out := Function{
		Name: f.Name, Stack: f.Resource.Stack.Name, Type: o.Type, Location: loc(o.Pos), CDKPath: o.CDKPath, Framework: o.Framework,
		Runtime: f.Runtime, Handler: f.Handler, PackageType: f.PackageType, Architectures: f.Arch,
		Tracing: f.Tracing, DeadLetter: cfn.Text(f.DLQ), OnFailure: cfn.Text(f.OnFailure), KMSKey: cfn.Text(f.KMSKey),
		ReservedConcurrency: cfn.Text(f.Concurrency), CodeSigning: cfn.Text(f.CodeSigning),
	}
	if f.LogGroup != nil {
		out.LogGroup = f.LogGroup.Origin.LogicalID
	}
	for _, l := range f.Layers {
		out.Layers = append(out.Layers, cfn.Text(l))
	}
	if f.Role != nil {
		out.Role = role(f)
	}
	for _, r := range f.Routes {
		out.Routes = append(out.Routes, Route{
			API: r.API.Resource.LogicalID, Kind: r.API.Kind, Method: r.Method, Path: r.Path,
			Auth: authName(r.Auth), Authorizer: r.Auth.Authorizer, APIKeyRequired: r.APIKeyRequired, Location: loc(r.Pos),
		})
	}
	sort.SliceStable(out.Routes, func(i, j int) bool {
		a, b := out.Routes[i], out.Routes[j]
		return a.API+" "+a.Path+" "+a.Method < b.API+" "+b.Path+" "+b.Method
	})
	for _, u := range f.URLs {
		out.URLs = append(out.URLs, URL{AuthType: u.AuthType, Location: loc(u.Resource.Origin.Pos)})
	}
	for _, p := range f.Permissions {
		out.Permissions = append(out.Permissions, Permission{
			Principal: cfn.Text(p.Principal), Action: cfn.Text(p.Action), SourceArn: cfn.Text(p.SourceArn), SourceAccount: cfn.Text(p.SourceAccount),
			Location: loc(p.Resource.Origin.Pos),
		})
	}
	for _, s := range f.Sources {
		out.EventSources = append(out.EventSources, EventSource{Kind: s.Kind, Source: cfn.Text(s.Source), Async: s.Async})
	}
	for _, e := range f.Env {
		v := EnvVar{Name: e.Name, Value: Redacted, From: e.Value.Refs, Location: loc(e.Pos)}
		if opts.ShowValues {
			v.Value = cfn.Text(e.Value)
		}
		out.Environment = append(out.Environment, v)
	}
	if f.VPC != nil {
		v := &VPC{Subnets: []string{}, SecurityGroups: []string{}}
		for _, s := range f.VPC.Subnets {
			v.Subnets = append(v.Subnets, cfn.Text(s))
		}
		for _, s := range f.VPC.SecurityGroups {
			v.SecurityGroups = append(v.SecurityGroups, cfn.Text(s))
		}
		out.VPC = v
	}
	return out
}

func authName(a model.Auth) string {
	if a.Type == "" {
		return "NONE"
	}
	return a.Type
}

func role(f *model.Function) *Role {
	r := f.Role
	out := &Role{Name: r.Name, External: r.External(), PermissionsBoundary: cfn.Text(r.Boundary)}
	if r.Resource != nil {
		out.Location = loc(r.Resource.Origin.Pos)
	}
	for _, other := range r.Functions {
		if other != f {
			out.SharedWith = append(out.SharedWith, other.Name)
		}
	}
	if r.Trust != nil {
		out.Trust = statements(r.Trust.Document)
	}
	for _, p := range r.Policies {
		out.Policies = append(out.Policies, Policy{Name: p.Name, Kind: p.Kind, Location: loc(p.Origin.Pos), Statements: statements(p.Document)})
	}
	for _, m := range r.Managed {
		out.ManagedPolicies = append(out.ManagedPolicies, cfn.Text(m.ARN))
	}
	return out
}

// statements returns a policy document's statements as plain values, a
// single statement object counting as a list of one.
func statements(doc *source.Node) []any {
	st := doc.Get("Statement")
	switch {
	case st == nil:
		return []any{}
	case st.Kind == source.Seq:
		return cfn.ToGo(st).([]any)
	}
	return []any{cfn.ToGo(st)}
}

// FunctionNames returns the function names in the inventory, sorted.
func (inv *Inventory) FunctionNames() []string {
	names := make([]string, len(inv.Functions))
	for i, f := range inv.Functions {
		names[i] = f.Name
	}
	sort.Strings(names)
	return names
}

// JSON renders the inventory as indented JSON.
func (inv *Inventory) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(inv, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// compactList joins values for text output.
func compactList(vals []string) string {
	if len(vals) == 0 {
		return "-"
	}
	return strings.Join(vals, ", ")
}

func compactJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
