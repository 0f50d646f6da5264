// Package model is Bulwark's function-centric view of a serverless
// application: each function with its execution role and policies, the
// resource-based permissions and routes that reach it, its event sources, and
// the data and network resources around it.
//
// The model is built from plain CloudFormation (SAM is expanded and CDK is
// read before it gets here), with intrinsic functions evaluated. Every entity
// keeps the Origin of what the user wrote, so a finding on a role that SAM
// generated points at the SAM function, not at the generated role.
package model

import (
	"github.com/bulwark-sec/bulwark/internal/cfn"
	"github.com/bulwark-sec/bulwark/internal/source"
)

// App is everything read from one scan.
type App struct {
	Stacks      []*Stack
	Functions   []*Function
	Roles       []*Role
	APIs        []*API
	Permissions []*Permission
	Diagnostics []*source.Error
}

// Stack is one template: a file, or a stack of a CDK assembly.
type Stack struct {
	Name      string // file path, or the CDK stack name
	Path      string // template file
	Kind      string // "cloudformation", "sam" or "cdk"
	Doc       *source.Document
	Template  *cfn.Template // the deployed form: after the SAM transform
	Eval      *cfn.Evaluator
	Resources []*Resource // included resources, in source order
	byID      map[string]*Resource
}

// Resource returns the stack's resource with the given logical ID, or nil.
func (s *Stack) Resource(id string) *Resource {
	if s == nil {
		return nil
	}
	return s.byID[id]
}

// Origin is where the user wrote the thing an entity came from.
type Origin struct {
	LogicalID string     // the resource the user wrote (the SAM function, not its generated role)
	Type      string     // its type as written, e.g. AWS::Serverless::Function
	Pos       source.Pos // the line to report
	CDKPath   string     // aws:cdk:path, for CDK stacks
	Framework string     // non-empty when a CDK helper owns it
}

// Resource is one deployed CloudFormation resource with its properties
// evaluated.
type Resource struct {
	Stack     *Stack
	LogicalID string
	Type      string
	Raw       *cfn.Resource
	Props     *source.Node // evaluated; nil when the resource has none
	Origin    Origin
}

// Prop returns the evaluated property at the given path of keys.
func (r *Resource) Prop(path ...string) *source.Node {
	if r == nil {
		return nil
	}
	n := r.Props
	for _, k := range path {
		n = n.Get(k)
	}
	return n
}

// Function is one Lambda function.
type Function struct {
	Resource    *Resource
	Name        string // the logical ID the user wrote
	Runtime     string
	Handler     string
	PackageType string // Zip or Image
	Arch        []string
	Env         []EnvVar
	KMSKey      *source.Node
	VPC         *VPCConfig
	Layers      []*source.Node
	Concurrency *source.Node // ReservedConcurrentExecutions
	DLQ         *source.Node // DeadLetterConfig.TargetArn
	OnFailure   *source.Node // EventInvokeConfig on-failure destination
	OnSuccess   *source.Node
	Tracing     string
	CodeSigning *source.Node
	InlineCode  *source.Node
	LogGroup    *Resource // explicit log group, when one is found
	RoleRef     *source.Node
	Role        *Role
	URLs        []*FunctionURL
	Permissions []*Permission
	Routes      []*Route
	Sources     []*EventSource
	Aliases     []*Resource
	Alarms      []*Resource
}

// Origin returns where the function was written.
func (f *Function) Origin() Origin { return f.Resource.Origin }

// FrameworkOwned reports whether a framework (a CDK helper) created the
// function rather than the user.
func (f *Function) FrameworkOwned() bool { return f.Resource.Origin.Framework != "" }

// EnvVar is one environment variable of a function.
type EnvVar struct {
	Name  string
	Value *source.Node // evaluated
	Raw   *source.Node // as written, before evaluation
	Pos   source.Pos   // where the name is written
}

// VPCConfig is a function's network placement.
type VPCConfig struct {
	Subnets        []*source.Node
	SecurityGroups []*source.Node
	Pos            source.Pos
}

// FunctionURL is an AWS::Lambda::Url.
type FunctionURL struct {
	Resource *Resource
	AuthType string // NONE or AWS_IAM
	Cors     *source.Node
}

// Role is an IAM role used by at least one function, or an external role
// that functions name by ARN.
type Role struct {
	Key       string    // normalised identity: "resource:<stack>/<id>" or "arn-name:<name>"
	Resource  *Resource // nil for a role defined outside the templates
	Name      string    // logical ID, or the role name of an external role
	Trust     *Policy
	Policies  []*Policy // inline, AWS::IAM::Policy and customer managed policies, in that order
	Managed   []ManagedPolicy
	Boundary  *source.Node
	Functions []*Function
}

// External reports whether the role is not defined in the scanned templates.
func (r *Role) External() bool { return r.Resource == nil }

// Policy is an IAM policy document with where it came from.
type Policy struct {
	Name     string
	Kind     string       // "inline", "policy-resource", "customer-managed", "trust", "resource"
	Document *source.Node // evaluated
	Resource *Resource    // the resource that holds the document
	Origin   Origin       // what the user wrote (a SAM Policies entry, a CDK path, ...)
}

// ManagedPolicy is an attached managed policy, by ARN.
type ManagedPolicy struct {
	ARN *source.Node
	Pos source.Pos
}

// Permission is a resource-based policy statement on a function
// (AWS::Lambda::Permission).
type Permission struct {
	Resource         *Resource
	Function         *Function // nil when the target is outside the templates
	FunctionRef      *source.Node
	Action           *source.Node
	Principal        *source.Node
	SourceArn        *source.Node
	SourceAccount    *source.Node
	PrincipalOrgID   *source.Node
	FunctionURLAuth  *source.Node
	EventSourceToken *source.Node
}

// EventSource is something that invokes a function: an event source mapping
// (a queue or stream the service polls) or a push source such as S3, SNS,
// EventBridge or an API.
type EventSource struct {
	Kind     string // "sqs", "kinesis", "dynamodb", "kafka", "mq", "s3", "sns", "events", "api", ...
	Resource *Resource
	Source   *source.Node // the ARN or reference of the source
	Async    bool         // the service invokes asynchronously (S3, SNS, EventBridge, ...)
}

// API is an API Gateway REST or HTTP API.
type API struct {
	Resource *Resource
	Kind     string // "REST", "HTTP" or "WEBSOCKET"
	Name     string // the deployed logical ID (ServerlessRestApi for SAM's implicit API); Resource.Origin says who wrote it
	Stages   []*Stage
	Routes   []*Route
	Cors     *source.Node
	Policy   *source.Node // REST API resource policy
}

// Stage is a deployment stage of an API.
type Stage struct {
	Resource        *Resource
	Name            string
	AccessLogs      *source.Node
	MethodSettings  *source.Node // REST: MethodSettings; HTTP: DefaultRouteSettings/RouteSettings
	Throttled       bool
	TracingEnabled  bool
	WebACL          *Resource // an AWS::WAFv2::WebACLAssociation pointing at the stage
	ClientCertID    *source.Node
	DataTraceLogged bool
}

// Route is one method and path of an API and what protects it.
type Route struct {
	API            *API
	Method         string // GET, POST, ANY, ...
	Path           string
	Auth           Auth
	Validator      string // REST request validator: "body", "params", "all" or ""
	HasParams      bool   // the method declares request parameters or a body model
	Function       *Function
	Pos            source.Pos // where the user wrote the route
	Origin         Origin
	APIKeyRequired bool
	Throttled      bool
}

// Auth says how a route authenticates callers.
type Auth struct {
	Type       string // NONE, AWS_IAM, COGNITO_USER_POOLS, CUSTOM (Lambda authorizer), JWT
	Authorizer string // authorizer name, when there is one
}

// Authenticated reports whether the route requires a caller identity.
func (a Auth) Authenticated() bool { return a.Type != "" && a.Type != "NONE" }
