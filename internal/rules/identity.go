package rules

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/bulwark-sec/bulwark/internal/iam"
	"github.com/bulwark-sec/bulwark/internal/iamdata"
	"github.com/bulwark-sec/bulwark/internal/model"
	"github.com/bulwark-sec/bulwark/internal/rule"
	"github.com/bulwark-sec/bulwark/internal/source"
)

// The identity rules (BW101–BW109) read each function's effective
// permissions from internal/iam: every policy that reaches its execution
// role, however it was attached, bounded by a permissions boundary.
var identityRules = []*rule.Rule{
	ruleAdminAccess, ruleFullServiceAccess, ruleWildcardResource, rulePrivilegeEscalation,
	ruleDataExfiltration, ruleSharedRole, ruleNotAction, ruleTrustTooBroad, ruleUnknownAction,
}

// fixedRoleExample is the fixed form most identity rules point to: one
// function, its own role, SAM policy templates scoped to one resource.
const fixedRoleExample = `Resources:
  OrdersFunction:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      Policies:                       # SAM writes a role for this function alone
        - DynamoDBReadPolicy:
            TableName: !Ref OrdersTable
        - SSMParameterReadPolicy:
            ParameterName: orders/config
`

var ruleAdminAccess = &rule.Rule{
	ID: "BW101", Name: "iam-admin-access", Severity: rule.Critical,
	Title: "function has administrator access (every action on every resource)",
	Rationale: "A function should be able to do what its code needs and nothing more; the guides ask for least " +
		"privilege first and name AdministratorAccess as the role to avoid (001, 002, 003). With `*` on `*`, " +
		"anyone who can run code in the function (an injection, a compromised dependency) owns the account. " +
		"Bulwark computes effective permissions, so administrator access is found however it is granted: an inline " +
		"statement, an AWS or customer managed policy, or several statements that add up to it.",
	Remediation: "Replace the broad grant with the actions and resources the function uses, for example SAM policy " +
		"templates or CDK grant methods; if the role must stay broad, bound it with a permissions boundary.",
	Example: fixedRoleExample,
	Where:   "T A",
	Equivalents: rule.Equivalents{
		Checkov: []string{"CKV_AWS_62", "CKV_AWS_63"},
		KICS:    []string{"953b3cdb-ce13-428a-aa12-318726506661", "f62aa827-4ade-4dc4-89e4-1433d384a368"},
		Trivy:   []string{"AVD-AWS-0057"},
		CfnNag:  []string{"W43"},
		CdkNag:  []string{"NIST.800.53.R5-IAMPolicyNoStatementsWithAdminAccess", "AwsSolutions-IAM5"},
	},
	Run: runAdminAccess,
}

func runAdminAccess(pass *rule.Pass) {
	forEachSubject(pass, func(f iamSubject, p *iam.Permissions) {
		admin := p.Admin()
		if len(admin) == 0 {
			return
		}
		g := admin[0]
		msg := fmt.Sprintf("%s may perform every action on every resource: granted at %s", f, g.Where())
		if g.Statement.Conditional() {
			msg += " (under a condition)"
		}
		iamReport(pass, f, g.Pos(), "*:*", iamRelated(admin[1:]), "%s", msg)
	})
}

var ruleFullServiceAccess = &rule.Rule{
	ID: "BW102", Name: "iam-full-service-access", Severity: rule.High,
	Title: "function role grants every action of a service (service:*, * on particular resources, or a *FullAccess / PowerUserAccess managed policy)",
	Rationale: "`s3:*` or `dynamodb:*` hands a function deletion, policy and configuration rights it never uses; the " +
		"guides ask for the exact actions instead (001 \"instead of granting full s3:* access, specify the exact " +
		"S3 actions\", 002 shows dynamodb:* as the bad example). AWS managed *FullAccess and PowerUserAccess " +
		"policies do the same for one or all services.",
	Remediation: "List the actions the function calls (s3:GetObject, dynamodb:Query, ...), or use a SAM policy template " +
		"or CDK grant method for the resource; replace *FullAccess managed policies with scoped ones.",
	Example: fixedRoleExample,
	Where:   "T A",
	Equivalents: rule.Equivalents{
		Trivy:  []string{"AVD-AWS-0057"},
		CfnNag: []string{"F3", "F4", "F5", "W44"},
		CdkNag: []string{"NIST.800.53.R5-IAMPolicyNoStatementsWithFullAccess", "AwsSolutions-IAM5", "AwsSolutions-IAM4"},
	},
	Run: runFullServiceAccess,
}

func runFullServiceAccess(pass *rule.Pass) {
	forEachSubject(pass, func(f iamSubject, p *iam.Permissions) {
		if len(p.Admin()) > 0 {
			return // BW101 says it all
		}
		reported := map[string]bool{}
		for _, pol := range p.Policies {
			if pol.Kind == iam.KindAWSManaged && isFullAccessPolicy(pol.Name) && hasEffectiveGrant(p, pol) && !reported[pol.Name] {
				reported[pol.Name] = true
				iamReport(pass, f, pol.Pos, pol.Name, nil,
					"%s has the AWS managed policy %s, which grants full access (%s)", f, pol.Name, iamPosString(pol.Pos))
			}
		}
		// service:* patterns in policies the user wrote, one finding per service.
		type hit struct {
			pattern string
			grants  []iam.Grant
		}
		var order []string
		hits := map[string]*hit{}
		for _, g := range p.Grants() {
			if g.Policy.Kind == iam.KindAWSManaged || g.Statement.NotAction {
				continue
			}
			for _, a := range g.Statement.Actions {
				if a.Symbolic {
					continue
				}
				var svc string
				if a.Text == "*" || a.Text == "*:*" {
					// Every action, on particular resources: on every resource it is BW101's.
					if g.Statement.CoversEveryResource() || g.Actions.Len() == 0 {
						continue
					}
					svc = "*"
				} else {
					service, name, ok := strings.Cut(a.Text, ":")
					if !ok || name != "*" || service == "*" || !grantsAnyOf(g, strings.ToLower(service)) {
						continue
					}
					svc = strings.ToLower(service)
				}
				if hits[svc] == nil {
					hits[svc] = &hit{pattern: a.Text}
					order = append(order, svc)
				}
				hits[svc].grants = append(hits[svc].grants, g)
			}
		}
		for _, svc := range order {
			h := hits[svc]
			g := h.grants[0]
			if svc == "*" {
				iamReport(pass, f, g.Pos(), "*", iamRelated(h.grants[1:]),
					"%s may perform every action of every service (%s) on %s: granted at %s",
					f, h.pattern, iamResourcesText(g.Statement), g.Where())
				continue
			}
			iamReport(pass, f, g.Pos(), svc+":*", iamRelated(h.grants[1:]),
				"%s may perform every %s action (%s) on %s: granted at %s",
				f, svc, h.pattern, iamResourcesText(g.Statement), g.Where())
		}
	})
}

// isFullAccessPolicy reports whether an AWS managed policy grants full
// access by its name: *FullAccess, PowerUserAccess.
func isFullAccessPolicy(name string) bool {
	n := strings.ToLower(name)
	return strings.HasSuffix(n, "fullaccess") || n == "poweruseraccess"
}

func hasEffectiveGrant(p *iam.Permissions, pol *iam.Policy) bool {
	for _, g := range p.Grants() {
		if g.Policy == pol && g.Actions.Len() > 0 {
			return true
		}
	}
	return false
}

// grantsAnyOf reports whether the grant still gives any action of the
// service after denies and the boundary.
func grantsAnyOf(g iam.Grant, service string) bool {
	svc, ok := iamdata.LookupService(service)
	if !ok {
		return false
	}
	return slices.ContainsFunc(svc.Actions, g.Actions.Has)
}

var ruleWildcardResource = &rule.Rule{
	ID: "BW103", Name: "iam-wildcard-resource", Severity: rule.Medium,
	Title: "actions that can be limited to particular resources are granted on Resource \"*\"",
	Rationale: "Most actions can name the table, bucket or queue they apply to; granting them on `*` lets the " +
		"function reach every such resource in the account. The guides ask to always specify resource ARNs and " +
		"avoid wildcards (002) and give a function access to only the bucket it needs (003). Actions AWS does " +
		"not allow to scope (such as xray:PutTraceSegments) are left out; AWS managed policies and SAM policy " +
		"templates are judged by BW101, BW102 and BW105, since their resources cannot be edited.",
	Remediation: "Name the resources: `!GetAtt Table.Arn`, `!Sub ${Bucket.Arn}/*`, or use a SAM policy template " +
		"with the resource's name.",
	Example: `      Policies:
        - Statement:
            - Effect: Allow
              Action: [dynamodb:GetItem, dynamodb:Query]
              Resource: !GetAtt OrdersTable.Arn
`,
	Where: "T A",
	Equivalents: rule.Equivalents{
		Checkov: []string{"CKV_AWS_355", "CKV_AWS_111"},
		Trivy:   []string{"AVD-AWS-0057"},
		CfnNag:  []string{"W11", "W12", "W13"},
		CdkNag:  []string{"AwsSolutions-IAM5"},
	},
	Run: runWildcardResource,
}

func runWildcardResource(pass *rule.Pass) {
	all := len(iamdata.Expand("*"))
	forEachSubject(pass, func(f iamSubject, p *iam.Permissions) {
		for _, g := range p.Grants() {
			s := g.Statement
			if g.Policy.Kind == iam.KindAWSManaged || g.Policy.Template != "" || !s.CoversEveryResource() || g.Actions.Len() == all {
				continue
			}
			var scoped []string
			for _, a := range s.Actions {
				if s.NotAction || a.Symbolic {
					continue
				}
				for _, id := range iamdata.Expand(a.Text) {
					if g.Actions.Has(id) && id.Action().SupportsResourceLevelPermissions() {
						scoped = append(scoped, a.Text)
						break
					}
				}
			}
			if len(scoped) == 0 {
				continue
			}
			iamReport(pass, f, g.Pos(), strings.Join(scoped, ","), nil,
				"%s may perform %s on every resource (Resource \"*\"), though these actions can be limited to particular resources: granted at %s",
				f, iamListOf(scoped, 6), g.Where())
		}
	})
}

var rulePrivilegeEscalation = &rule.Rule{
	ID: "BW104", Name: "iam-privilege-escalation", Severity: rule.Critical,
	Title: "function role can raise its own or another principal's privileges",
	Rationale: "Some permissions are worth every other: iam:PutRolePolicy or iam:AttachRolePolicy let a role grant " +
		"itself anything, iam:PassRole with lambda:CreateFunction runs code as a more privileged role, and " +
		"lambda:UpdateFunctionCode takes over another function and its role. A function whose code is " +
		"compromised then becomes an administrator. Least privilege (001, 002) is only as strong as the " +
		"weakest such path. Bulwark checks a documented list of known paths (internal/iam EscalationPaths) " +
		"against the function's effective permissions, across all its policies together. On roles that no function uses, AWS managed " +
		"service-role policies (path service-role/, such as AWSBatchServiceRole) are not counted: they are " +
		"AWS's design for that service, not a choice of the template.",
	Remediation: "Remove IAM write actions and code or configuration updates from function roles; if a function must " +
		"pass a role, limit iam:PassRole to that role's ARN with an iam:PassedToService condition.",
	Example: `      Policies:
        - Statement:
            - Effect: Allow
              Action: iam:PassRole
              Resource: !GetAtt WorkerRole.Arn
              Condition:
                StringEquals:
                  iam:PassedToService: states.amazonaws.com
`,
	Where: "T A",
	Equivalents: rule.Equivalents{
		Checkov: []string{"CKV_AWS_110", "CKV_AWS_109"},
		CfnNag:  []string{"F38", "F39", "F40"},
	},
	Run: runPrivilegeEscalation,
}

func runPrivilegeEscalation(pass *rule.Pass) {
	forEachSubject(pass, func(f iamSubject, p *iam.Permissions) {
		if len(p.Admin()) > 0 {
			return // BW101 says it all
		}
		// One finding per place that opens paths: one iam:* statement opens many.
		type group struct {
			lead    iam.Grant
			paths   []string
			related []iam.Grant
		}
		var order []source.Pos
		groups := map[source.Pos]*group{}
		for _, e := range p.Escalations() {
			if f.fn == nil && !slices.ContainsFunc(e.Grants, notAWSServiceRoleGrant) {
				continue
			}
			lead := e.Grants[0]
			gr := groups[lead.Pos()]
			if gr == nil {
				gr = &group{lead: lead}
				groups[lead.Pos()] = gr
				order = append(order, lead.Pos())
			}
			gr.paths = append(gr.paths, e.Path.Name+" ("+strings.Join(e.Via, " + ")+")")
			gr.related = append(gr.related, e.Grants[1:]...)
		}
		for _, pos := range order {
			gr := groups[pos]
			iamReport(pass, f, pos, strings.Join(gr.paths, "; "), iamRelated(gr.related),
				"%s can escalate privileges through %s: granted at %s", f, strings.Join(gr.paths, "; "), gr.lead.Where())
		}
	})
}

// exfiltrationActions read secrets or data; granted on every resource they
// let a compromised function read everything of their kind.
var exfiltrationActions = []string{
	"secretsmanager:GetSecretValue",
	"ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath", "ssm:GetParameterHistory",
	"kms:Decrypt",
	"s3:GetObject", "s3:GetObjectVersion",
}

var ruleDataExfiltration = &rule.Rule{
	ID: "BW105", Name: "iam-data-exfiltration", Severity: rule.High,
	Title: "function may read every secret, parameter, key or object (secretsmanager:GetSecretValue, ssm:GetParameter*, kms:Decrypt, s3:GetObject on \"*\")",
	Rationale: "Secrets Manager, Parameter Store and KMS are where the guides put credentials (002, 004); reading " +
		"them on `*` turns one compromised function into a leak of every secret, parameter and encrypted datum " +
		"in the account. The grant is found in any policy, AWS managed ones included (ReadOnlyAccess grants " +
		"s3:GetObject on everything). On roles that no function uses, AWS managed " +
		"service-role policies (path service-role/, such as AWSBatchServiceRole) are not counted: they are " +
		"AWS's design for that service, not a choice of the template.",
	Remediation: "Name the secret, parameter path, key or bucket prefix the function reads, e.g. the SAM policy " +
		"templates AWSSecretsManagerGetSecretValuePolicy, SSMParameterReadPolicy, KMSDecryptPolicy and S3ReadPolicy.",
	Example: `      Policies:
        - AWSSecretsManagerGetSecretValuePolicy:
            SecretArn: !Ref DatabaseSecret
        - SSMParameterReadPolicy:
            ParameterName: orders/*
`,
	Where: "T A",
	Equivalents: rule.Equivalents{
		Checkov: []string{"CKV_AWS_108", "CKV_AWS_107"},
	},
	Run: runDataExfiltration,
}

// notAWSServiceRoleGrant reports whether g comes from anything but an AWS
// managed policy AWS publishes for a service's own role (path service-role/,
// such as AWSBatchServiceRole or AWSGlueServiceRole). On a role no function
// uses, such a grant is AWS's design for that service, not a choice the
// template's author made or could change, so it is not reported there. A
// function role that carries one is still judged in full.
func notAWSServiceRoleGrant(g iam.Grant) bool {
	return g.Policy.Kind != iam.KindAWSManaged || !strings.Contains(g.Policy.ARN, ":policy/service-role/")
}

func runDataExfiltration(pass *rule.Pass) {
	forEachSubject(pass, func(f iamSubject, p *iam.Permissions) {
		if len(p.Admin()) > 0 {
			return
		}
		for _, g := range p.Grants() {
			if f.fn == nil && !notAWSServiceRoleGrant(g) {
				continue
			}
			var found []string
			for _, name := range exfiltrationActions {
				a, ok := iamdata.Lookup(name)
				if ok && g.Actions.Has(a.ID) && g.Statement.Unrestricted(a) {
					found = append(found, a.String())
				}
			}
			if len(found) == 0 {
				continue
			}
			iamReport(pass, f, g.Pos(), strings.Join(found, ","), nil,
				"%s may call %s on every resource of its kind: granted at %s", f, iamListOf(found, 8), g.Where())
		}
	})
}

var ruleSharedRole = &rule.Rule{
	ID: "BW106", Name: "iam-shared-role", Severity: rule.Medium,
	Title: "one execution role is used by more than one function",
	Rationale: "A shared role holds the union of what every function sharing it needs, so each function gets " +
		"the others' permissions; the guides ask for a separate role per function (000, 002, 003). Bulwark " +
		"recognises the same role however each function names it: Ref, GetAtt, a Sub-built or literal ARN, " +
		"or the role's name.",
	Remediation: "Give each function its own role: in SAM, drop Role and list Policies per function; in CloudFormation, " +
		"one AWS::IAM::Role per function with only the statements it needs.",
	Example: fixedRoleExample,
	Where:   "T A",
	Equivalents: rule.Equivalents{
		KICS: []string{"4ba74f01-aba5-4be2-83bc-be79ff1a3b92"},
	},
	Run: runSharedRole,
}

func runSharedRole(pass *rule.Pass) {
	for _, r := range pass.App.Roles {
		if len(r.Functions) < 2 {
			continue
		}
		for _, f := range r.Functions {
			var others []string
			for _, o := range r.Functions {
				if o != f {
					others = append(others, o.Name)
				}
			}
			pos := source.Pos{}
			if f.RoleRef != nil {
				pos = f.RoleRef.Pos
			}
			iamReport(pass, iamSubject{fn: f}, pos, "role:"+r.Name, nil,
				"function %s shares its execution role %s with %s", f.Name, r.Name, strings.Join(others, ", "))
		}
	}
}

var ruleNotAction = &rule.Rule{
	ID: "BW107", Name: "iam-not-action", Severity: rule.Medium,
	Title: "Allow statement with NotAction or NotResource",
	Rationale: "Allow with NotAction grants every action except a few, including every action AWS adds later; " +
		"Allow with NotResource grants on every resource but a few. Both invert least privilege (002) and are " +
		"easy to misread.",
	Remediation: "List the allowed actions and resources explicitly. To exclude something, add a Deny statement " +
		"rather than an Allow with NotAction.",
	Example: `            - Effect: Allow
              Action: [s3:GetObject, s3:PutObject]
              Resource: !Sub ${UploadsBucket.Arn}/*
`,
	Where: "T A",
	Equivalents: rule.Equivalents{
		CfnNag: []string{"W15", "W16", "W17", "W21", "W22", "W23"},
	},
	Run: runNotAction,
}

func runNotAction(pass *rule.Pass) {
	forEachSubject(pass, func(f iamSubject, p *iam.Permissions) {
		for _, pol := range p.Policies {
			if pol.Kind == iam.KindAWSManaged {
				continue // PowerUserAccess and friends: BW102
			}
			for _, s := range pol.Document.Statements {
				if s.Effect != iam.Allow || (!s.NotAction && !s.NotResource) {
					continue
				}
				var parts []string
				if s.NotAction {
					parts = append(parts, "every action except "+iamListOf(iamValueTexts(s.Actions), 6))
				}
				if s.NotResource {
					parts = append(parts, "every resource except "+iamListOf(iamValueTexts(s.Resources), 4))
				}
				element := "NotAction"
				if !s.NotAction {
					element = "NotResource"
				} else if s.NotResource {
					element = "NotAction,NotResource"
				}
				g := iam.Grant{Policy: pol, Statement: s}
				iamReport(pass, f, g.Pos(), element, nil, "%s is allowed %s (%s): granted at %s",
					f, strings.Join(parts, " on "), element, g.Where())
			}
		}
	})
}

var ruleTrustTooBroad = &rule.Rule{
	ID: "BW108", Name: "iam-trust-too-broad", Severity: rule.High,
	Title: "execution role can be assumed by principals other than Lambda, without a condition",
	Rationale: "An execution role needs to trust lambda.amazonaws.com and nothing else. A trust policy that also " +
		"admits `*`, another account, a federated identity or another service lets them take the function's " +
		"permissions without running the function (002).",
	Remediation: "Trust only the Lambda service principal; if another principal really must assume the role, add " +
		"conditions (aws:SourceArn, aws:SourceAccount, sts:ExternalId) or give it a role of its own.",
	Example: `      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: sts:AssumeRole
`,
	Where: "T A",
	Equivalents: rule.Equivalents{
		Checkov: []string{"CKV_AWS_60"},
		CfnNag:  []string{"F2", "F6", "W14"},
	},
	Run: runTrustTooBroad,
}

// executionRolePrincipals are the service principals an execution role may trust.
var executionRolePrincipals = []string{"lambda.amazonaws.com", "edgelambda.amazonaws.com"}

func runTrustTooBroad(pass *rule.Pass) {
	a := iam.For(pass.App)
	for _, r := range pass.App.Roles {
		p := a.Role(r)
		if p == nil || p.Trust == nil || len(r.Functions) == 0 {
			continue
		}
		for _, s := range p.Trust.Document.Statements {
			if s.Effect != iam.Allow || len(s.Conditions) > 0 {
				continue
			}
			var broad []string
			if s.NotPrincipal {
				broad = append(broad, "every principal except "+iamListOf(iamPrincipalTexts(s.Principals), 4))
			} else {
				for _, pr := range s.Principals {
					if pr.Type == "Service" && slices.ContainsFunc(executionRolePrincipals, func(l string) bool { return strings.EqualFold(l, pr.Value.Text) }) {
						continue
					}
					broad = append(broad, iamPrincipalText(pr))
				}
			}
			if len(broad) == 0 {
				continue
			}
			f := r.Functions[0]
			names := make([]string, len(r.Functions))
			for i, fn := range r.Functions {
				names[i] = fn.Name
			}
			iamReport(pass, iamSubject{fn: f}, s.Pos, strings.Join(broad, ","), nil,
				"execution role %s of %s can be assumed by %s without a condition (%s)",
				r.Name, strings.Join(names, ", "), strings.Join(broad, ", "), iamPosString(s.Pos))
		}
	}
}

func iamPrincipalText(pr iam.Principal) string {
	if pr.Type == "*" || pr.Value.Text == "*" {
		return "anyone (\"*\")"
	}
	return pr.Type + " " + pr.Value.Text
}

func iamPrincipalTexts(ps []iam.Principal) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = iamPrincipalText(p)
	}
	return out
}

var ruleUnknownAction = &rule.Rule{
	ID: "BW109", Name: "iam-unknown-action", Severity: rule.Low,
	Title: "policy names an action that does not exist",
	Rationale: "IAM accepts any action name and silently grants nothing for a misspelt or retired one, so the " +
		"function fails at run time and someone \"fixes\" it with a wildcard (002 asks for exact, reviewed " +
		"permissions). Names are checked against the IAM action list embedded in this build, ignoring case as " +
		"IAM does.",
	Remediation: "Correct the action name (see the Service Authorization Reference), or remove it.",
	Example: `              Action: [dynamodb:GetItem, dynamodb:Query]   # not dynamodb:GetItems
`,
	Where: "T A",
	Run:   runUnknownAction,
}

func runUnknownAction(pass *rule.Pass) {
	forEachSubject(pass, func(f iamSubject, p *iam.Permissions) {
		for _, pol := range p.Policies {
			if pol.Kind == iam.KindAWSManaged || pol.Template != "" {
				continue // written by AWS, not by the user (SAM's SQSPollerPolicy names sqs:DeleteMessageBatch)
			}
			for _, s := range pol.Document.Statements {
				for _, a := range s.UnknownActions {
					iamReport(pass, f, a.Pos, a.Text, nil,
						"%s: %s names %s, which is not an IAM action, so it grants nothing (%s)",
						f, pol.Describe(), a.Text, iamPosString(a.Pos))
				}
			}
		}
	})
}

// iamSubject is who holds a set of permissions: a function, or a role,
// user, group or policy resource of the templates that no function uses.
type iamSubject struct {
	fn  *model.Function
	res *model.Resource
}

// String names the subject for messages: "function Orders", "role Worker",
// "whoever has policy Extra".
func (s iamSubject) String() string {
	if s.fn != nil {
		return "function " + s.fn.Name
	}
	id := s.res.Origin.LogicalID
	switch s.res.Type {
	case "AWS::IAM::Role":
		return "role " + id
	case "AWS::IAM::User":
		return "user " + id
	case "AWS::IAM::Group":
		return "group " + id
	}
	return "whoever has policy " + id
}

func (s iamSubject) at(pos source.Pos) rule.Location {
	if s.fn != nil {
		return rule.AtFunction(s.fn, pos)
	}
	return rule.At(s.res, pos)
}

// forEachSubject calls fn for every function with a role, in model order,
// then for every role, user, group and policy that no function uses.
func forEachSubject(pass *rule.Pass, fn func(iamSubject, *iam.Permissions)) {
	a := iam.For(pass.App)
	for _, f := range pass.App.Functions {
		if p := a.Function(f); p != nil {
			fn(iamSubject{fn: f}, p)
		}
	}
	for _, p := range a.Unattached() {
		fn(iamSubject{res: p.Subject}, p)
	}
}

// iamReport reports a finding of the pass's rule on subj at pos.
func iamReport(pass *rule.Pass, subj iamSubject, pos source.Pos, evidence string, rel []source.Pos, format string, args ...any) {
	pass.Report(rule.Finding{
		RuleID: pass.Rule.ID, Severity: pass.Rule.Severity, Message: fmt.Sprintf(format, args...),
		Location: subj.at(pos), Evidence: evidence, Related: rel,
	})
}

func iamRelated(gs []iam.Grant) []source.Pos {
	var out []source.Pos
	for _, g := range gs {
		if p := g.Pos(); p.IsValid() && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

func iamPosString(p source.Pos) string {
	if !p.IsValid() {
		return p.File
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

func iamResourcesText(s *iam.Statement) string {
	rs := iamValueTexts(s.Resources)
	if s.NotResource {
		return "every resource except " + iamListOf(rs, 4)
	}
	if len(rs) == 0 {
		return "no resource"
	}
	return iamListOf(rs, 4)
}

func iamValueTexts(vs []iam.Value) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Text
	}
	return out
}

// listOf joins up to n items, saying how many more there are.
func iamListOf(items []string, n int) string {
	items = slices.Clone(items)
	sort.Strings(items)
	items = slices.Compact(items)
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return strings.Join(items[:n], ", ") + fmt.Sprintf(" and %d more", len(items)-n)
}
