package model

import (
	"slices"
	"strings"

	"github.com/bulwark-sec/bulwark/internal/cfn"
	"github.com/bulwark-sec/bulwark/internal/par"
	"github.com/bulwark-sec/bulwark/internal/source"
)

// Input is one template ready for modelling: already in deployed form (SAM
// expanded), with the origins of generated resources.
type Input struct {
	Name      string // how to name the stack in reports: file path or CDK stack name
	Kind      string // "cloudformation", "sam" or "cdk"
	Doc       *source.Document
	Template  *cfn.Template
	Origins   map[string]Origin // by generated logical ID
	Overrides map[string]string // parameter values
}

// Build builds the model of the given templates.
func Build(inputs []Input) *App {
	app := &App{}
	roles := map[string]*Role{}
	// Evaluating each stack's resources is independent work, done in
	// parallel; linking functions, roles and APIs across stacks is not.
	stacks := make([]*Stack, len(inputs))
	par.Each(len(inputs), func(i int) { stacks[i] = newStack(inputs[i]) })
	for _, st := range stacks {
		app.Stacks = append(app.Stacks, st)
		app.Diagnostics = append(app.Diagnostics, st.Eval.Warnings...)
		b := stackBuilder{app: app, st: st, roles: roles}
		b.build()
	}
	return app
}

func newStack(in Input) *Stack {
	st := &Stack{Name: in.Name, Kind: in.Kind, Doc: in.Doc, Template: in.Template, byID: map[string]*Resource{}}
	if in.Doc != nil {
		st.Path = in.Doc.Path
	} else {
		st.Path = in.Template.Path
	}
	st.Eval = cfn.NewEvaluator(in.Template, in.Overrides)
	st.Resources = make([]*Resource, 0, len(in.Template.Resources))
	for _, r := range in.Template.Resources {
		if !st.Eval.ResourceIncluded(r) {
			continue
		}
		res := &Resource{Stack: st, LogicalID: r.LogicalID, Type: r.Type, Raw: r, Props: st.Eval.Eval(r.Properties)}
		if o, ok := in.Origins[r.LogicalID]; ok {
			res.Origin = o
		} else {
			res.Origin = Origin{LogicalID: r.LogicalID, Type: r.Type, Pos: r.Pos}
		}
		if p, ok := r.Metadata.Get("aws:cdk:path").Str(); ok && res.Origin.CDKPath == "" {
			res.Origin.CDKPath = p
		}
		st.Resources = append(st.Resources, res)
		st.byID[r.LogicalID] = res
	}
	return st
}

// stackBuilder builds the entities of one stack into the app.
type stackBuilder struct {
	app       *App
	st        *Stack
	roles     map[string]*Role
	functions map[string]*Function      // by logical ID
	ordered   []*Function               // the same, in source order
	attached  map[*Resource][]*Resource // role → policy resources naming it, built on first use
}

func (b *stackBuilder) build() {
	b.functions = map[string]*Function{}
	for _, r := range b.st.Resources {
		if r.Type == "AWS::Lambda::Function" {
			f := b.function(r)
			b.functions[r.LogicalID] = f
			b.ordered = append(b.ordered, f)
			b.app.Functions = append(b.app.Functions, f)
		}
	}
	for _, r := range b.st.Resources {
		switch r.Type {
		case "AWS::Lambda::Permission":
			b.permission(r)
		case "AWS::Lambda::Url":
			b.functionURL(r)
		case "AWS::Lambda::EventSourceMapping":
			b.eventSourceMapping(r)
		case "AWS::Lambda::EventInvokeConfig":
			b.eventInvokeConfig(r)
		case "AWS::Lambda::Alias", "AWS::Lambda::Version":
			if f := b.functionOf(r.Prop("FunctionName")); f != nil && r.Type == "AWS::Lambda::Alias" {
				f.Aliases = append(f.Aliases, r)
			}
		case "AWS::Logs::LogGroup":
			b.logGroup(r)
		case "AWS::CloudWatch::Alarm":
			b.alarm(r)
		case "AWS::SNS::Subscription":
			if p, _ := r.Prop("Protocol").Str(); p == "lambda" {
				b.pushSource("sns", r, r.Prop("TopicArn"), r.Prop("Endpoint"), true)
			}
		case "AWS::Events::Rule":
			for _, t := range items(r.Prop("Targets")) {
				b.pushSource("events", r, nil, t.Get("Arn"), true)
			}
		case "AWS::Scheduler::Schedule":
			b.pushSource("scheduler", r, nil, r.Prop("Target").Get("Arn"), true)
		case "AWS::S3::Bucket":
			for _, c := range items(r.Prop("NotificationConfiguration").Get("LambdaConfigurations")) {
				b.pushSource("s3", r, nil, c.Get("Function"), true)
			}
		}
	}
	// In source order, not map order: role.Functions and app.Roles must not
	// depend on hashing.
	for _, f := range b.ordered {
		b.attachRole(f)
	}
	b.buildAPIs()
}

func (b *stackBuilder) function(r *Resource) *Function {
	f := &Function{Resource: r, Name: r.Origin.LogicalID}
	f.Runtime, _ = r.Prop("Runtime").Str()
	f.Handler, _ = r.Prop("Handler").Str()
	f.PackageType, _ = r.Prop("PackageType").Str()
	if f.PackageType == "" {
		f.PackageType = "Zip"
	}
	for _, a := range items(r.Prop("Architectures")) {
		if s, ok := a.Str(); ok {
			f.Arch = append(f.Arch, s)
		}
	}
	raw := r.Raw.Properties.Get("Environment").Get("Variables")
	for _, v := range fields(r.Prop("Environment", "Variables")) {
		f.Env = append(f.Env, EnvVar{Name: v.Key, Value: v.Value, Raw: raw.Get(v.Key), Pos: v.KeyPos})
	}
	f.KMSKey = r.Prop("KmsKeyArn")
	if vpc := r.Prop("VpcConfig"); vpc != nil {
		f.VPC = &VPCConfig{Subnets: items(vpc.Get("SubnetIds")), SecurityGroups: items(vpc.Get("SecurityGroupIds")), Pos: vpc.Pos}
	}
	f.Layers = items(r.Prop("Layers"))
	f.Concurrency = r.Prop("ReservedConcurrentExecutions")
	f.DLQ = r.Prop("DeadLetterConfig", "TargetArn")
	f.Tracing, _ = r.Prop("TracingConfig", "Mode").Str()
	f.CodeSigning = r.Prop("CodeSigningConfigArn")
	f.InlineCode = r.Prop("Code", "ZipFile")
	f.RoleRef = r.Prop("Role")
	return f
}

// items returns the items of a list node; a single value counts as a list
// of one, and an unresolved value (a List parameter) as itself.
func items(n *source.Node) []*source.Node {
	switch {
	case n == nil || n.Kind == source.Null:
		return nil
	case n.Kind == source.Seq:
		return n.Items
	}
	return []*source.Node{n}
}

// target returns the resource of this stack that n refers to (by Ref,
// GetAtt or a Sub that names it) when its type is one of types.
func (b *stackBuilder) target(n *source.Node, types ...string) *Resource {
	if n == nil {
		return nil
	}
	for _, ref := range n.Refs {
		if r := b.st.Resource(ref); r != nil && (len(types) == 0 || slices.Contains(types, r.Type)) {
			return r
		}
	}
	return nil
}

// functionOf resolves a FunctionName / function ARN reference to a function
// of this stack, following aliases and versions.
func (b *stackBuilder) functionOf(n *source.Node) *Function {
	for depth := 0; n != nil && depth < 4; depth++ {
		r := b.target(n, "AWS::Lambda::Function", "AWS::Lambda::Alias", "AWS::Lambda::Version")
		if r == nil {
			break
		}
		if f := b.functions[r.LogicalID]; f != nil {
			return f
		}
		n = r.Prop("FunctionName")
	}
	// A literal name or ARN: match the FunctionName property.
	if s, ok := n.Str(); ok {
		name := s
		if i := strings.Index(s, ":function:"); i >= 0 {
			name, _, _ = strings.Cut(s[i+len(":function:"):], ":")
		}
		for _, f := range b.ordered {
			if fn, ok := f.Resource.Prop("FunctionName").Str(); ok && fn == name {
				return f
			}
		}
	}
	return nil
}

func (b *stackBuilder) permission(r *Resource) {
	p := &Permission{
		Resource: r, FunctionRef: r.Prop("FunctionName"), Action: r.Prop("Action"), Principal: r.Prop("Principal"),
		SourceArn: r.Prop("SourceArn"), SourceAccount: r.Prop("SourceAccount"), PrincipalOrgID: r.Prop("PrincipalOrgID"),
		FunctionURLAuth: r.Prop("FunctionUrlAuthType"), EventSourceToken: r.Prop("EventSourceToken"),
	}
	p.Function = b.functionOf(p.FunctionRef)
	b.app.Permissions = append(b.app.Permissions, p)
	if p.Function == nil {
		return
	}
	p.Function.Permissions = append(p.Function.Permissions, p)
	principal, _ := p.Principal.Str()
	if kind, async := pushServiceKind(principal); kind != "" && kind != "api" {
		p.Function.Sources = append(p.Function.Sources, &EventSource{Kind: kind, Resource: r, Source: p.SourceArn, Async: async})
	}
}

// pushServiceKind names the event source behind a service principal and
// whether that service invokes asynchronously.
func pushServiceKind(principal string) (kind string, async bool) {
	service, _, _ := strings.Cut(principal, ".amazonaws.com")
	switch service {
	case "s3", "sns", "events", "logs", "iot", "ses", "codecommit", "config", "cloudformation", "scheduler", "cognito-idp":
		return service, service != "cognito-idp"
	case "apigateway":
		return "api", false
	case "alexa-appkit", "elasticloadbalancing", "lex", "secretsmanager":
		return service, false
	}
	return "", false
}

func (b *stackBuilder) functionURL(r *Resource) {
	f := b.functionOf(r.Prop("TargetFunctionArn"))
	if f == nil {
		return
	}
	u := &FunctionURL{Resource: r, Cors: r.Prop("Cors")}
	u.AuthType, _ = r.Prop("AuthType").Str()
	f.URLs = append(f.URLs, u)
}

func (b *stackBuilder) eventSourceMapping(r *Resource) {
	f := b.functionOf(r.Prop("FunctionName"))
	if f == nil {
		return
	}
	src := r.Prop("EventSourceArn")
	kind := "stream"
	if t := b.target(src); t != nil {
		switch t.Type {
		case "AWS::SQS::Queue":
			kind = "sqs"
		case "AWS::Kinesis::Stream":
			kind = "kinesis"
		case "AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable":
			kind = "dynamodb"
		case "AWS::MSK::Cluster", "AWS::MSK::ServerlessCluster":
			kind = "kafka"
		case "AWS::AmazonMQ::Broker":
			kind = "mq"
		case "AWS::DocDB::DBCluster":
			kind = "documentdb"
		}
	} else if src != nil {
		for _, svc := range []string{"sqs", "kinesis", "dynamodb", "kafka", "mq", "rds"} {
			if strings.Contains(src.Value, ":"+svc+":") {
				kind = svc
			}
		}
	}
	if r.Prop("SelfManagedEventSource") != nil {
		kind = "kafka"
	}
	f.Sources = append(f.Sources, &EventSource{Kind: kind, Resource: r, Source: src})
}

func (b *stackBuilder) eventInvokeConfig(r *Resource) {
	f := b.functionOf(r.Prop("FunctionName"))
	if f == nil {
		return
	}
	if d := r.Prop("DestinationConfig", "OnFailure", "Destination"); d != nil {
		f.OnFailure = d
	}
	if d := r.Prop("DestinationConfig", "OnSuccess", "Destination"); d != nil {
		f.OnSuccess = d
	}
}

func (b *stackBuilder) pushSource(kind string, r *Resource, src, fnRef *source.Node, async bool) {
	f := b.functionOf(fnRef)
	if f == nil {
		return
	}
	if src == nil {
		src = &source.Node{Kind: source.Symbol, Value: "${" + r.LogicalID + "}", Refs: []string{r.LogicalID}, Pos: r.Origin.Pos}
	}
	for _, s := range f.Sources { // a Permission already recorded the same source
		if s.Kind == kind && s.Source != nil && s.Source.Value == src.Value {
			return
		}
	}
	f.Sources = append(f.Sources, &EventSource{Kind: kind, Resource: r, Source: src, Async: async})
}

func (b *stackBuilder) logGroup(r *Resource) {
	name := r.Prop("LogGroupName")
	if name == nil {
		return
	}
	rest, ok := strings.CutPrefix(name.Value, "/aws/lambda/")
	if !ok {
		return
	}
	var f *Function
	if t := b.target(name, "AWS::Lambda::Function"); t != nil {
		f = b.functions[t.LogicalID]
	} else {
		f = b.functionOf(source.NewString(rest, name.Pos))
	}
	if f != nil && f.LogGroup == nil {
		f.LogGroup = r
	}
}

func (b *stackBuilder) alarm(r *Resource) {
	dims := items(r.Prop("Dimensions"))
	for _, m := range items(r.Prop("Metrics")) {
		dims = append(dims, items(m.Get("MetricStat").Get("Metric").Get("Dimensions"))...)
	}
	seen := map[*Function]bool{}
	for _, d := range dims {
		if n, _ := d.Get("Name").Str(); n != "FunctionName" {
			continue
		}
		if f := b.functionOf(d.Get("Value")); f != nil && !seen[f] {
			seen[f] = true
			f.Alarms = append(f.Alarms, r)
		}
	}
}
