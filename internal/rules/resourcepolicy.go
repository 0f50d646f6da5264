package rules

import (
	"strings"

	"github.com/bulwark-sec/bulwark/internal/iam"
	"github.com/bulwark-sec/bulwark/internal/model"
	"github.com/bulwark-sec/bulwark/internal/rule"
	"github.com/bulwark-sec/bulwark/internal/source"
)

// The resource policy rules read who may call a function
// (AWS::Lambda::Permission, which SAM writes for every event source) and who
// may use a KMS key (its KeyPolicy).
var resourcePolicyRules = []*rule.Rule{ruleLambdaPublicInvoke, ruleLambdaConfusedDeputy, ruleLambdaPermissionBroadAction, ruleKMSWildcardPrincipal}

var ruleLambdaPublicInvoke = &rule.Rule{
	ID: "BW201", Name: "lambda-public-invoke", Severity: rule.Critical,
	Title: "anyone, in any AWS account, may invoke the function",
	Rationale: "A permission with Principal \"*\" and no SourceArn, SourceAccount or PrincipalOrgID lets every AWS " +
		"account call the function directly, around any API, authorizer or throttling in front of it. The " +
		"guides ask for resource-based policies that say exactly who may invoke (002, 004). A public Function " +
		"URL (AuthType NONE) is reported by BW203 instead.",
	Remediation: "Name the caller: a service principal with SourceArn, an account ID, or add PrincipalOrgID to " +
		"limit callers to your organization.",
	Example: `  InvokeFromPartner:
    Type: AWS::Lambda::Permission
    Properties:
      FunctionName: !Ref OrdersFunction
      Action: lambda:InvokeFunction
      Principal: "111122223333"
`,
	Where: "T A",
	Equivalents: rule.Equivalents{
		Checkov: []string{"CKV_AWS_301"},
		KICS:    []string{"1d6e16f1-5d8a-4379-bfb3-2dadd38ed5a7"},
		CfnNag:  []string{"F13"},
		CdkNag:  []string{"NIST.800.53.R5-LambdaFunctionPublicAccessProhibited"},
	},
	Run: runLambdaPublicInvoke,
}

func runLambdaPublicInvoke(pass *rule.Pass) {
	for _, p := range pass.App.Permissions {
		principal, ok := p.Principal.Str()
		if !ok || principal != "*" || propertyGiven(p.SourceArn) || propertyGiven(p.SourceAccount) || propertyGiven(p.PrincipalOrgID) {
			continue
		}
		action, _ := p.Action.Str()
		auth, _ := p.FunctionURLAuth.Str()
		if strings.EqualFold(action, "lambda:InvokeFunctionUrl") && !strings.EqualFold(auth, "AWS_IAM") {
			continue // a public Function URL: BW203
		}
		if p.Resource.Prop("InvokedViaFunctionUrl").Truthy() && !strings.EqualFold(auth, "AWS_IAM") {
			continue // the invoke permission a public Function URL also needs: BW203
		}
		permissionReport(pass, p, permissionPos(p.Principal, p.Resource), "principal:*",
			"%s lets any AWS account call %s (Principal \"*\" without SourceArn, SourceAccount or PrincipalOrgID)",
			permissionName(p), permissionInvokeTarget(p, action))
	}
}

var ruleLambdaConfusedDeputy = &rule.Rule{
	ID: "BW202", Name: "lambda-confused-deputy", Severity: rule.High,
	Title: "a service may invoke the function on behalf of any account (no SourceArn or SourceAccount)",
	Rationale: "A permission for a service principal such as s3.amazonaws.com without SourceArn or SourceAccount lets " +
		"that service invoke the function for any customer's resource, so another account's bucket or topic can " +
		"trigger it: the confused deputy problem. The guides' own example scopes the service with sourceArn (002).",
	Remediation: "Add SourceArn (the bucket, rule, topic or API that calls the function) and, for S3, SourceAccount.",
	Example: `  S3InvokePermission:
    Type: AWS::Lambda::Permission
    Properties:
      FunctionName: !Ref ResizeFunction
      Action: lambda:InvokeFunction
      Principal: s3.amazonaws.com
      SourceArn: !GetAtt UploadsBucket.Arn
      SourceAccount: !Ref AWS::AccountId
`,
	Where: "T A",
	Equivalents: rule.Equivalents{
		Checkov: []string{"CKV_AWS_364"},
		Trivy:   []string{"AVD-AWS-0067"},
	},
	Run: runLambdaConfusedDeputy,
}

func runLambdaConfusedDeputy(pass *rule.Pass) {
	for _, p := range pass.App.Permissions {
		principal, ok := p.Principal.Str()
		if !ok || !isAWSServicePrincipal(principal) {
			continue
		}
		if propertyGiven(p.SourceArn) || propertyGiven(p.SourceAccount) || propertyGiven(p.PrincipalOrgID) || propertyGiven(p.EventSourceToken) {
			continue
		}
		action, _ := p.Action.Str()
		permissionReport(pass, p, permissionPos(p.Principal, p.Resource), "principal:"+principal,
			"%s lets %s call %s for any account's resources (no SourceArn or SourceAccount)",
			permissionName(p), principal, permissionInvokeTarget(p, action))
	}
}

// isServicePrincipal reports whether a principal names an AWS service.
func isAWSServicePrincipal(p string) bool {
	p = strings.ToLower(p)
	return strings.HasSuffix(p, ".amazonaws.com") || strings.HasSuffix(p, ".amazonaws.com.cn") || strings.HasSuffix(p, ".amazon.com")
}

var ruleLambdaPermissionBroadAction = &rule.Rule{
	ID: "BW204", Name: "lambda-permission-broad-action", Severity: rule.Medium,
	Title: "function permission grants an action other than invoking it",
	Rationale: "A resource-based permission that grants lambda:* or lambda:UpdateFunctionCode lets its principal " +
		"change, reconfigure or delete the function rather than call it; callers need only " +
		"lambda:InvokeFunction (or lambda:InvokeFunctionUrl for a URL). The guides ask for resource-based " +
		"policies that allow exactly the invocation (002).",
	Remediation: "Set Action to lambda:InvokeFunction (or lambda:InvokeFunctionUrl).",
	Example: `      Action: lambda:InvokeFunction
`,
	Where: "T A",
	Equivalents: rule.Equivalents{
		KICS:   []string{"9b83114b-b2a1-4534-990d-06da015e47aa"},
		CfnNag: []string{"W24"},
	},
	Run: runLambdaPermissionBroadAction,
}

// invokeActions are the actions a function's caller needs. InvokeAsync is
// the deprecated asynchronous form of InvokeFunction.
var invokeActions = []string{"lambda:InvokeFunction", "lambda:InvokeFunctionUrl", "lambda:InvokeAsync"}

func runLambdaPermissionBroadAction(pass *rule.Pass) {
	for _, p := range pass.App.Permissions {
		action, ok := p.Action.Str()
		if !ok {
			continue
		}
		invoke := false
		for _, a := range invokeActions {
			invoke = invoke || strings.EqualFold(a, action)
		}
		if invoke {
			continue
		}
		principal := "its principal"
		if s, ok := p.Principal.Str(); ok {
			principal = s
		}
		permissionReport(pass, p, permissionPos(p.Action, p.Resource), "action:"+action,
			"%s grants %s %s on %s, which is more than invoking it", permissionName(p), principal, action, permissionTarget(p))
	}
}

var ruleKMSWildcardPrincipal = &rule.Rule{
	ID: "BW608", Name: "kms-wildcard-principal", Severity: rule.High,
	Title: "KMS key policy allows any principal without a condition",
	Rationale: "A key policy statement with Principal \"*\" (or {\"AWS\": \"*\"}) and no condition lets any AWS " +
		"principal use or manage the key, so whatever it encrypts (environment variables, secrets, tables) is " +
		"readable outside the account. The guides rely on KMS to protect secrets and environment variables " +
		"(002, 004).",
	Remediation: "Name the account root, roles or services that use the key, or restrict the statement with " +
		"conditions such as kms:CallerAccount, kms:ViaService or aws:PrincipalOrgID.",
	Example: `      KeyPolicy:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {AWS: !Sub "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}
            Action: kms:*
            Resource: "*"
`,
	Where: "T A",
	Equivalents: rule.Equivalents{
		Checkov: []string{"CKV_AWS_33"},
		KICS:    []string{"da905474-7454-43c0-b8d2-5756ab951aba"},
		CfnNag:  []string{"F76"},
	},
	Run: runKMSWildcardPrincipal,
}

func runKMSWildcardPrincipal(pass *rule.Pass) {
	for _, st := range pass.App.Stacks {
		for _, r := range st.Resources {
			if r.Type != "AWS::KMS::Key" && r.Type != "AWS::KMS::ReplicaKey" {
				continue
			}
			doc, _ := iam.ParseDocument(r.Prop("KeyPolicy"))
			for _, s := range doc.Statements {
				if s.Effect != iam.Allow || len(s.Conditions) > 0 || !admitsAnyPrincipal(s) {
					continue
				}
				pass.Report(rule.Finding{
					RuleID: pass.Rule.ID, Severity: pass.Rule.Severity, Location: rule.At(r, s.Pos), Evidence: "principal:*",
					Message: "key " + r.Origin.LogicalID + " lets any principal " + kmsStatementActions(s) +
						" without a condition (" + iamPosString(s.Pos) + ")",
				})
			}
		}
	}
}

// anyPrincipal reports whether a statement admits every principal: "*",
// {"AWS": "*"}, or a NotPrincipal element.
func admitsAnyPrincipal(s *iam.Statement) bool {
	if s.NotPrincipal {
		return true
	}
	for _, p := range s.Principals {
		if p.Type == "*" || (p.Type == "AWS" && p.Value.Text == "*") {
			return true
		}
	}
	return false
}

func kmsStatementActions(s *iam.Statement) string {
	list := iamListOf(iamValueTexts(s.Actions), 6)
	if s.NotAction {
		return "perform every action except " + list
	}
	return "perform " + list
}

// present reports whether an optional property was given a value.
func propertyGiven(n *source.Node) bool {
	return n != nil && n.Kind != source.Null
}

func permissionPos(n *source.Node, r *model.Resource) source.Pos {
	if n != nil && n.Pos.IsValid() {
		return n.Pos
	}
	return r.Origin.Pos
}

// permissionReport reports on a function permission, naming the function
// when it is one of the scanned templates.
func permissionReport(pass *rule.Pass, p *model.Permission, pos source.Pos, evidence, format string, args ...any) {
	loc := rule.At(p.Resource, pos)
	if p.Function != nil {
		loc.Function = p.Function.Name
	}
	pass.Reportf(loc, evidence, format, args...)
}

// permissionName names the permission as the user wrote it: the
// AWS::Lambda::Permission, or the SAM construct that generated it.
func permissionName(p *model.Permission) string {
	o := p.Resource.Origin
	if o.Type != "" && o.Type != p.Resource.Type {
		return "the permission generated for " + o.LogicalID
	}
	return "permission " + o.LogicalID
}

func permissionTarget(p *model.Permission) string {
	if p.Function != nil {
		return "function " + p.Function.Name
	}
	if s, ok := p.FunctionRef.Str(); ok {
		return "function " + s
	}
	if p.FunctionRef != nil {
		return "function " + p.FunctionRef.Value
	}
	return "the function"
}

func permissionInvokeTarget(p *model.Permission, action string) string {
	if action == "" {
		action = "lambda:InvokeFunction"
	}
	return permissionTarget(p) + " (" + action + ")"
}
