package iam

import (
	"strings"
	"sync"

	"github.com/bulwark-sec/bulwark/internal/iamdata"
)

// EscalationPath is a known way for a principal holding some permissions to
// obtain more: change its own policies, act as a more privileged role, or
// run code under another role. Every step must be granted; a step lists
// actions of which any one will do.
type EscalationPath struct {
	Name  string     // short name, for messages
	Steps [][]string // all steps are needed; within a step, any action
	How   string     // what an attacker does with it
	// PassedTo names the services the path passes a role to. An
	// iam:PassRole grant whose iam:PassedToService condition admits none of
	// them does not open the path.
	PassedTo []string
}

// EscalationPaths are the privilege escalation paths Bulwark knows; they
// are read once, on first use. They
// follow the methods published by Rhino Security Labs (2018) and later
// public research; the first step of each path is the distinctive one, whose
// grant a finding points at.
var EscalationPaths = []EscalationPath{
	{Name: "new policy version", Steps: [][]string{{"iam:CreatePolicyVersion"}},
		How: "publish a new default version of a managed policy, with any permissions"},
	{Name: "default policy version", Steps: [][]string{{"iam:SetDefaultPolicyVersion"}},
		How: "switch a managed policy to an older, broader version"},
	{Name: "attach policy", Steps: [][]string{{"iam:AttachRolePolicy", "iam:AttachUserPolicy", "iam:AttachGroupPolicy"}},
		How: "attach AdministratorAccess to a role, user or group, its own included"},
	{Name: "put inline policy", Steps: [][]string{{"iam:PutRolePolicy", "iam:PutUserPolicy", "iam:PutGroupPolicy"}},
		How: "write an inline policy granting anything to a role, user or group"},
	{Name: "permissions boundary", Steps: [][]string{{"iam:DeleteRolePermissionsBoundary", "iam:PutRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary", "iam:PutUserPermissionsBoundary"}},
		How: "remove or replace the permissions boundary that limits a role or user"},
	{Name: "user credentials", Steps: [][]string{{"iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile"}},
		How: "create access keys or a console password for another, more privileged user"},
	{Name: "join group", Steps: [][]string{{"iam:AddUserToGroup"}},
		How: "add a user to a more privileged group"},
	{Name: "trust policy", Steps: [][]string{{"iam:UpdateAssumeRolePolicy"}},
		How: "rewrite a privileged role's trust policy so that it can be assumed"},
	{Name: "replace function code", Steps: [][]string{{"lambda:UpdateFunctionCode"}},
		How: "replace the code of another function and run it with that function's role"},
	{Name: "change function configuration", Steps: [][]string{{"lambda:UpdateFunctionConfiguration"}},
		How: "add a layer or change the handler or role of another function"},
	{Name: "new function with a passed role", Steps: [][]string{{"lambda:CreateFunction"}, {"lambda:InvokeFunction", "lambda:CreateEventSourceMapping", "lambda:AddPermission"}, {"iam:PassRole"}},
		How: "create a function running as a more privileged role, then invoke or trigger it", PassedTo: []string{"lambda.amazonaws.com"}},
	{Name: "EC2 instance with a passed role", Steps: [][]string{{"ec2:RunInstances", "ec2:RequestSpotInstances"}, {"iam:PassRole"}},
		How: "start an instance with a privileged instance profile and read its credentials", PassedTo: []string{"ec2.amazonaws.com"}},
	{Name: "instance user data", Steps: [][]string{{"ec2:ModifyInstanceAttribute"}, {"ec2:StopInstances"}, {"ec2:StartInstances"}},
		How: "change an instance's user data to run commands with its role"},
	{Name: "auto scaling with a passed role", Steps: [][]string{{"autoscaling:CreateLaunchConfiguration", "ec2:CreateLaunchTemplate"}, {"autoscaling:CreateAutoScalingGroup"}, {"iam:PassRole"}},
		How: "launch instances with a privileged instance profile", PassedTo: []string{"ec2.amazonaws.com", "autoscaling.amazonaws.com"}},
	{Name: "CloudFormation stack with a passed role", Steps: [][]string{{"cloudformation:CreateStack", "cloudformation:CreateStackSet"}, {"iam:PassRole"}},
		How: "deploy a stack whose service role creates anything", PassedTo: []string{"cloudformation.amazonaws.com"}},
	{Name: "Glue development endpoint", Steps: [][]string{{"glue:CreateDevEndpoint"}, {"iam:PassRole"}},
		How: "create a Glue endpoint with a privileged role and log in to it", PassedTo: []string{"glue.amazonaws.com"}},
	{Name: "Glue endpoint takeover", Steps: [][]string{{"glue:UpdateDevEndpoint"}},
		How: "add an SSH key to an existing Glue endpoint and use its role"},
	{Name: "Glue job with a passed role", Steps: [][]string{{"glue:CreateJob", "glue:UpdateJob"}, {"glue:StartJobRun", "glue:CreateTrigger"}, {"iam:PassRole"}},
		How: "run a Glue job as a privileged role", PassedTo: []string{"glue.amazonaws.com"}},
	{Name: "Data Pipeline with a passed role", Steps: [][]string{{"datapipeline:CreatePipeline"}, {"datapipeline:PutPipelineDefinition"}, {"iam:PassRole"}},
		How: "run commands through a pipeline acting as a privileged role", PassedTo: []string{"datapipeline.amazonaws.com", "elasticmapreduce.amazonaws.com"}},
	{Name: "CodeBuild project with a passed role", Steps: [][]string{{"codebuild:CreateProject", "codebuild:UpdateProject"}, {"codebuild:StartBuild", "codebuild:StartBuildBatch"}, {"iam:PassRole"}},
		How: "run a build as a privileged service role", PassedTo: []string{"codebuild.amazonaws.com"}},
	{Name: "SageMaker notebook with a passed role", Steps: [][]string{{"sagemaker:CreateNotebookInstance"}, {"sagemaker:CreatePresignedNotebookInstanceUrl"}, {"iam:PassRole"}},
		How: "open a notebook running as a privileged role", PassedTo: []string{"sagemaker.amazonaws.com"}},
	{Name: "SageMaker notebook takeover", Steps: [][]string{{"sagemaker:CreatePresignedNotebookInstanceUrl"}},
		How: "open an existing notebook and use its role"},
	{Name: "ECS task with a passed role", Steps: [][]string{{"ecs:RegisterTaskDefinition"}, {"ecs:RunTask", "ecs:StartTask", "ecs:CreateService"}, {"iam:PassRole"}},
		How: "run a container with a privileged task role", PassedTo: []string{"ecs-tasks.amazonaws.com", "ecs.amazonaws.com"}},
	{Name: "Step Functions with a passed role", Steps: [][]string{{"states:CreateStateMachine", "states:UpdateStateMachine"}, {"states:StartExecution", "states:StartSyncExecution"}, {"iam:PassRole"}},
		How: "run a state machine as a privileged role", PassedTo: []string{"states.amazonaws.com"}},
	{Name: "run commands on instances", Steps: [][]string{{"ssm:SendCommand", "ssm:StartSession"}},
		How: "run commands on instances and use their roles"},
}

// Escalation is an escalation path a role can take, with the grant behind
// each step.
type Escalation struct {
	Path   *EscalationPath
	Grants []Grant  // one per step, in step order
	Via    []string // the action that satisfies each step
}

// Escalations returns the escalation paths the role's effective
// permissions open, on any resource and under any condition (a conditional
// grant is still a path worth closing).
func (p *Permissions) Escalations() []Escalation {
	var out []Escalation
	for i, steps := range compiledPaths() {
		esc := Escalation{Path: &EscalationPaths[i]}
		for _, step := range steps {
			g, id, ok := p.firstGrant(step, esc.Path.PassedTo)
			if !ok {
				break
			}
			esc.Grants = append(esc.Grants, g)
			esc.Via = append(esc.Via, id.String())
		}
		if len(esc.Grants) == len(steps) {
			out = append(out, esc)
		}
	}
	return out
}

// compiledPaths resolves the action names of EscalationPaths once: the
// steps of each path as action IDs. Names iamdata does not know are left
// out (a test keeps the list in step with the data).
var compiledPaths = sync.OnceValue(func() [][][]iamdata.ActionID {
	out := make([][][]iamdata.ActionID, len(EscalationPaths))
	for i, path := range EscalationPaths {
		for _, step := range path.Steps {
			var ids []iamdata.ActionID
			for _, name := range step {
				if a, ok := iamdata.Lookup(name); ok {
					ids = append(ids, a.ID)
				}
			}
			out[i] = append(out[i], ids)
		}
	}
	return out
})

// firstGrant returns the first grant that gives any of the actions; an
// iam:PassRole grant counts only when it may pass a role to one of the
// services in passedTo.
func (p *Permissions) firstGrant(ids []iamdata.ActionID, passedTo []string) (Grant, iamdata.ActionID, bool) {
	for _, g := range p.grants {
		for _, id := range ids {
			if g.Actions.Has(id) && g.Statement.MayReach(id.Action()) && (id != passRole() || mayPassTo(g.Statement, passedTo)) {
				return g, id, true
			}
		}
	}
	return Grant{}, 0, false
}

var passRole = sync.OnceValue(func() iamdata.ActionID {
	a, _ := iamdata.Lookup("iam:PassRole")
	return a.ID
})

// mayPassTo reports whether a statement's iam:PassedToService conditions,
// if any, admit one of the services. Values the template does not fix
// admit anything.
func mayPassTo(s *Statement, services []string) bool {
	if len(services) == 0 {
		return true
	}
	for _, c := range s.Conditions {
		if !strings.EqualFold(c.Key, "iam:PassedToService") || !passedToOperator(c.Operator) {
			continue
		}
		admits := false
		for _, v := range c.Values {
			for _, svc := range services {
				admits = admits || v.Symbolic || globMatch(v.Text, svc, true)
			}
		}
		if !admits {
			return false
		}
	}
	return true
}

// passedToOperator reports whether a condition operator limits the
// service to the values listed (StringEquals, StringLike and their
// IfExists and ForAnyValue forms).
func passedToOperator(op string) bool {
	op = strings.TrimPrefix(strings.TrimPrefix(op, "ForAnyValue:"), "ForAllValues:")
	op = strings.TrimSuffix(op, "IfExists")
	return op == "StringEquals" || op == "StringLike" || op == "StringEqualsIgnoreCase"
}

// GrantsOf returns the grants whose effective actions include the action.
func (p *Permissions) GrantsOf(action string) []Grant {
	a, ok := iamdata.Lookup(action)
	if !ok {
		return nil
	}
	var out []Grant
	for _, g := range p.grants {
		if g.Actions.Has(a.ID) {
			out = append(out, g)
		}
	}
	return out
}

// Admin returns the grants that give every IAM action on every resource.
func (p *Permissions) Admin() []Grant {
	all := allActions().Len()
	var out []Grant
	for _, g := range p.grants {
		if g.Statement.CoversEveryResource() && g.Actions.Len() == all {
			out = append(out, g)
		}
	}
	return out
}

// Unrestricted reports whether the statement's resources let the action
// reach every resource it can act on: Resource "*", a NotResource element,
// or an ARN pattern whose resource name part is all wildcards (such as
// "arn:aws:secretsmanager:*:*:secret:*"). Account and region parts are not
// considered: every secret of one account is still every secret.
func (s *Statement) Unrestricted(action iamdata.Action) bool {
	if s.NotResource {
		return len(s.Resources) > 0 // Allow NotResource: everything but a few
	}
	for _, r := range s.Resources {
		if r.Symbolic && !onlyPseudo(r.Text) {
			continue
		}
		text := wildcardPlaceholders(r.Text, nil)
		if coversEveryARN(text) {
			return true
		}
		for _, ref := range action.ResourceTypes {
			if rt, ok := lookupResourceType(action.Service, ref.Name); ok && matchesProbe(text, rt.ARNFormat) {
				return true
			}
		}
	}
	return false
}

func onlyPseudo(s string) bool {
	return !containsPlaceholder(wildcardPlaceholders(s, pseudoPlaceholders))
}

func lookupResourceType(service, name string) (iamdata.ResourceType, bool) {
	svc, ok := iamdata.LookupService(service)
	if !ok {
		return iamdata.ResourceType{}, false
	}
	return svc.ResourceType(name)
}

// matchesProbe reports whether an ARN pattern's service and resource parts
// match an ARN built from format with made-up names: a pattern that matches
// a name nobody chose matches every name.
func matchesProbe(pattern, format string) bool {
	pp := splitARN(pattern, true)
	fp := splitARN(format, false)
	if pp == nil || fp == nil {
		return false
	}
	probe := probeName(fp[5])
	return globMatch(pp[2], fp[2], true) && globMatch(pp[5], probe, false)
}

// probeName fills each ${Name} of an ARN format's resource part with an
// improbable value.
func probeName(format string) string {
	out := make([]byte, 0, len(format)+32)
	for {
		i := indexPlaceholder(format)
		if i < 0 {
			return string(append(out, format...))
		}
		j := i
		for j < len(format) && format[j] != '}' {
			j++
		}
		out = append(out, format[:i]...)
		out = append(out, "zq9-bulwark-probe"...)
		if j == len(format) {
			return string(out)
		}
		format = format[j+1:]
	}
}

// MayReach reports whether the statement's resources could name the
// resources the action acts on: Action "*" on an S3 bucket does not let a
// role attach IAM policies. When the action requires resources of several
// types (ssm:SendCommand needs a document and an instance), each must be
// reachable. Values the template does not fix may reach anything.
func (s *Statement) MayReach(a iamdata.Action) bool {
	if s.NotResource {
		return true
	}
	var required, optional []iamdata.ResourceRef
	for _, ref := range a.ResourceTypes {
		if ref.Required {
			required = append(required, ref)
		} else {
			optional = append(optional, ref)
		}
	}
	if len(required) > 0 {
		for _, ref := range required {
			if !s.reachesType(a.Service, &ref) {
				return false
			}
		}
		return true
	}
	if len(optional) == 0 {
		return s.reachesType(a.Service, nil)
	}
	for _, ref := range optional {
		if s.reachesType(a.Service, &ref) {
			return true
		}
	}
	return false
}

// reachesType reports whether a resource pattern of the statement could
// name a resource of the type (nil: an action that takes only "*").
func (s *Statement) reachesType(service string, ref *iamdata.ResourceRef) bool {
	for _, r := range s.Resources {
		text := wildcardPlaceholders(r.Text, nil)
		parts := splitARN(text, true)
		if text == "*" || coversEveryARN(text) || parts == nil {
			return true // "*", or a value like ${Table.Arn} that could be anything
		}
		if ref == nil {
			continue
		}
		rt, ok := lookupResourceType(service, ref.Name)
		if !ok {
			return true
		}
		if format := splitARN(rt.ARNFormat, false); format == nil || globMatch(parts[2], format[2], true) {
			return true
		}
	}
	return false
}
