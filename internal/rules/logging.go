package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/bulwark-sec/bulwark/internal/model"
	"github.com/bulwark-sec/bulwark/internal/rule"
	"github.com/bulwark-sec/bulwark/internal/source"
)

// Logging, monitoring and audit (7xx) as templates show them: function log
// groups, tracing, alarms, and the CloudTrail trails a template defines.
// Whether the account has a trail at all (BW703) and GuardDuty (BW707) are
// account facts that only `bulwark audit` can see.

// LogsNoRetention is BW701.
var LogsNoRetention = &rule.Rule{
	ID:       "BW701",
	Name:     "logs-no-retention",
	Severity: rule.Low,
	Title:    "a function's log group keeps logs forever",
	Rationale: "Practice BW701, from guide 002: function logs hold request data, identifiers and sometimes secrets " +
		"that slipped through. Kept forever they widen what a leak of the log group exposes and cost more every " +
		"month; guide 002 sets a retention period on every function log group. A function without a log group in its " +
		"template gets one from Lambda on first run, and that group never expires.",
	Remediation: "Declare the function's log group in the template with RetentionInDays: an AWS::Logs::LogGroup named " +
		"/aws/lambda/<function name>, or one that the function names in LoggingConfig.LogGroup. In CDK set logGroup " +
		"(or logRetention) on the function.",
	Example: `Resources:
  Orders:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.13
      Handler: app.handler
      LoggingConfig:
        LogGroup: !Ref OrdersLogs
  OrdersLogs:
    Type: AWS::Logs::LogGroup
    Properties:
      RetentionInDays: 90`,
	Where: "T A",
	Equivalents: rule.Equivalents{
		Checkov: []string{"CKV_AWS_66"},
		CfnNag:  []string{"W86"},
	},
	Run: runLogsNoRetention,
}

func runLogsNoRetention(pass *rule.Pass) {
	retained := logRetentionTargets(pass.App)
	reported := map[*model.Resource]bool{}
	for _, f := range pass.App.Functions {
		group, explicit := functionLogGroup(f)
		switch {
		case group != nil:
			if reported[group] || len(possibleValues(group.Prop("RetentionInDays"))) > 0 || retained[f] {
				continue
			}
			reported[group] = true
			loc := rule.At(group, source.Pos{})
			loc.Function = f.Name
			pass.Reportf(loc, group.Origin.LogicalID,
				"Log group %s of %s has no RetentionInDays, so its logs are kept forever. Set "+
					"RetentionInDays (for example 30 or 90).", group.Origin.LogicalID, logGroupUsers(pass.App, group, f))
		case explicit:
			// LoggingConfig names a log group defined outside the templates:
			// its retention cannot be seen here.
		case !retained[f]:
			pass.Reportf(rule.AtFunction(f, source.Pos{}), "no log group",
				"Function %s has no log group in the template: Lambda creates %s on the first run, and that group "+
					"never expires. Declare an AWS::Logs::LogGroup for the function with RetentionInDays (or set "+
					"LoggingConfig.LogGroup).", f.Name, defaultLogGroup(f))
		}
	}
}

// functionLogGroup returns the log group the function writes to when the
// templates define it, and whether the function names its log group
// explicitly (LoggingConfig.LogGroup), defined here or not.
func functionLogGroup(f *model.Function) (group *model.Resource, explicit bool) {
	name := f.Resource.Prop("LoggingConfig", "LogGroup")
	if name == nil {
		if f.LogGroup != nil {
			return f.LogGroup, false
		}
		return logGroupNamedLike(f), false
	}
	st := f.Resource.Stack
	for _, ref := range name.Refs {
		if r := st.Resource(ref); r != nil && r.Type == "AWS::Logs::LogGroup" {
			return r, true
		}
	}
	if s, ok := name.Str(); ok {
		for _, r := range st.Resources {
			if n, _ := r.Prop("LogGroupName").Str(); r.Type == "AWS::Logs::LogGroup" && n == s {
				return r, true
			}
		}
	}
	return nil, true
}

// logGroupNamedLike finds the log group named /aws/lambda/ followed by the
// function's FunctionName when both are written the same way with values
// the template does not fix, such as !Sub ${AWS::StackName}-orders.
func logGroupNamedLike(f *model.Function) *model.Resource {
	fn := f.Resource.Prop("FunctionName")
	if fn == nil || fn.Kind != source.Symbol {
		return nil
	}
	for _, r := range f.Resource.Stack.Resources {
		if n := r.Prop("LogGroupName"); r.Type == "AWS::Logs::LogGroup" && n != nil && n.Value == "/aws/lambda/"+fn.Value {
			return r
		}
	}
	return nil
}

// logRetentionTargets returns the functions whose default log group a CDK
// log retention custom resource (Custom::LogRetention, which CDK's
// logRetention property makes) sets a retention on.
func logRetentionTargets(app *model.App) map[*model.Function]bool {
	out := map[*model.Function]bool{}
	for _, st := range app.Stacks {
		for _, r := range st.Resources {
			if r.Type != "Custom::LogRetention" || r.Prop("RetentionInDays") == nil {
				continue
			}
			name := r.Prop("LogGroupName")
			if name == nil {
				continue
			}
			for _, f := range app.Functions {
				if f.Resource.Stack == st && slices.Contains(name.Refs, f.Resource.LogicalID) {
					out[f] = true
				}
			}
		}
	}
	return out
}

// logGroupUsers names the functions that write to group, for messages.
func logGroupUsers(app *model.App, group *model.Resource, first *model.Function) string {
	names := []string{first.Name}
	for _, f := range app.Functions {
		if g, _ := functionLogGroup(f); g == group && f != first {
			names = append(names, f.Name)
		}
	}
	if len(names) == 1 {
		return "function " + names[0]
	}
	return "functions " + strings.Join(names, ", ")
}

// defaultLogGroup names the log group Lambda creates for f.
func defaultLogGroup(f *model.Function) string {
	if n, ok := f.Resource.Prop("FunctionName").Str(); ok && n != "" {
		return "/aws/lambda/" + n
	}
	return "its /aws/lambda/<function name> log group"
}

// LambdaNoTracing is BW702.
var LambdaNoTracing = &rule.Rule{
	ID:       "BW702",
	Name:     "lambda-no-tracing",
	Severity: rule.Low,
	Title:    "a function does not record X-Ray traces",
	Rationale: "Practice BW702, from guide 002: active tracing records each invocation's path through API Gateway, " +
		"the function and the AWS services it calls. It is how an incident responder follows one suspicious request " +
		"across the application and spots calls that should not happen.",
	Remediation: "Set TracingConfig Mode: Active on the function (SAM: Tracing: Active, for all functions in " +
		"Globals.Function). The execution role needs xray:PutTraceSegments and xray:PutTelemetryRecords (SAM adds them).",
	Example: `Globals:
  Function:
    Tracing: Active`,
	Where: "T A",
	Equivalents: rule.Equivalents{
		Checkov: []string{"CKV_AWS_50"},
		KICS:    []string{"9488c451-074e-4cd3-aee3-7db6104f542c", "dc1ab429-1481-4540-9b1d-280e3f15f1f8"},
		Trivy:   []string{"AVD-AWS-0066"},
	},
	Run: runLambdaNoTracing,
}

func runLambdaNoTracing(pass *rule.Pass) {
	for _, f := range pass.App.Functions {
		cfg := f.Resource.Prop("TracingConfig")
		modes, known := tracingModes(cfg)
		if !known || slices.ContainsFunc(modes, func(m string) bool { return strings.EqualFold(m, "Active") }) {
			continue // a parameter decides, or some outcome traces
		}
		if len(modes) == 0 {
			pass.Reportf(rule.AtFunction(f, source.Pos{}), "no tracing",
				"Function %s does not trace with X-Ray: there is no record of the path each request takes. Set "+
					"TracingConfig Mode: Active (SAM: Tracing: Active).", f.Name)
			continue
		}
		pos := writtenAt(f.Resource.Props, "TracingConfig")
		if c := cfg.Get("Mode"); c != nil {
			pos = firstPos(writtenAt(cfg, "Mode"), pos)
		}
		pass.Reportf(rule.AtFunction(f, pos), "tracing "+strings.Join(modes, "/"),
			"Function %s has tracing mode %s, so it records no X-Ray traces of its own. Set TracingConfig Mode: "+
				"Active (SAM: Tracing: Active).", f.Name, strings.Join(modes, " or "))
	}
}

// tracingModes returns the tracing modes a TracingConfig may set (Lambda's
// default, PassThrough, when it sets none), or false when a parameter
// decides.
func tracingModes(cfg *source.Node) ([]string, bool) {
	var modes []string
	for _, c := range possibleValues(cfg) {
		if c.Kind != source.Map {
			return nil, false
		}
		mode := c.Get("Mode")
		if len(possibleValues(mode)) == 0 {
			modes = append(modes, "PassThrough")
			continue
		}
		values, known := possibleStrings(mode)
		if !known {
			return nil, false
		}
		modes = append(modes, values...)
	}
	return slices.Compact(modes), true
}

// CloudTrailWeak is BW704.
var CloudTrailWeak = &rule.Rule{
	ID:       "BW704",
	Name:     "cloudtrail-weak",
	Severity: rule.Medium,
	Title:    "a CloudTrail trail lacks KMS encryption, log file validation or multi-region coverage",
	Rationale: "Practice BW704, from guides 002 and 004: the trail is the audit record of who changed and invoked " +
		"functions. Guide 004 asks to protect it with a KMS key, since trail data is sensitive; log file validation " +
		"shows whether an intruder edited or deleted log files to hide; guide 002 asks for CloudTrail in all regions, " +
		"so activity in a region nobody watches is still recorded.",
	Remediation: "Set KMSKeyId to a customer managed key whose policy lets CloudTrail encrypt, " +
		"EnableLogFileValidation: true and IsMultiRegionTrail: true on the trail.",
	Example: `Resources:
  Trail:
    Type: AWS::CloudTrail::Trail
    Properties:
      IsLogging: true
      S3BucketName: !Ref TrailBucket
      KMSKeyId: !Ref TrailKey
      EnableLogFileValidation: true
      IsMultiRegionTrail: true
      IncludeGlobalServiceEvents: true`,
	Where: "T A",
	Equivalents: rule.Equivalents{
		Checkov: []string{"CKV_AWS_35", "CKV_AWS_36", "CKV_AWS_67"},
		KICS:    []string{"050a9ba8-d1cb-4c61-a5e8-8805a70d3b85"},
		Trivy:   []string{"AVD-AWS-0014", "AVD-AWS-0015", "AVD-AWS-0016"},
	},
	Run: runCloudTrailWeak,
}

// hasNonEmptyValue reports whether n may take a value other than nothing or
// the empty string: an empty KMSKeyId encrypts nothing.
func hasNonEmptyValue(n *source.Node) bool {
	for _, v := range possibleValues(n) {
		if s, ok := v.Str(); !ok || s != "" {
			return true
		}
	}
	return false
}

func runCloudTrailWeak(pass *rule.Pass) {
	for _, trail := range trails(pass.App) {
		name := trail.Origin.LogicalID
		if !hasNonEmptyValue(trail.Prop("KMSKeyId")) {
			pass.Reportf(rule.At(trail, source.Pos{}), "KMSKeyId",
				"Trail %s does not encrypt its log files with a KMS key: anyone who can read the bucket reads the "+
					"audit record. Set KMSKeyId to a customer managed key.", name)
		}
		if !mayBeTrue(trail.Prop("EnableLogFileValidation")) {
			pass.Reportf(rule.At(trail, writtenAt(trail.Props, "EnableLogFileValidation")), "EnableLogFileValidation",
				"Trail %s does not validate its log files: edits or deletions made to hide activity go unnoticed. "+
					"Set EnableLogFileValidation: true.", name)
		}
		if !mayBeTrue(trail.Prop("IsMultiRegionTrail")) {
			pass.Reportf(rule.At(trail, writtenAt(trail.Props, "IsMultiRegionTrail")), "IsMultiRegionTrail",
				"Trail %s records one region only: activity in other regions is not audited. Set "+
					"IsMultiRegionTrail: true.", name)
		}
	}
}

// CloudTrailNoLambdaDataEvents is BW705.
var CloudTrailNoLambdaDataEvents = &rule.Rule{
	ID:       "BW705",
	Name:     "cloudtrail-no-lambda-data-events",
	Severity: rule.Medium,
	Title:    "no trail in the templates records Lambda Invoke data events",
	Rationale: "Practice BW705, from guide 004: management events show who changed a function, not who ran it. " +
		"Only Lambda data events record each Invoke call with its caller, which is what shows a function being " +
		"called by an identity or from a place that should not call it.",
	Remediation: "Add an event selector for Lambda data events to a trail: EventSelectors with DataResources Type " +
		"AWS::Lambda::Function (Values: arn:aws:lambda for all functions, or the functions' ARNs), or " +
		"AdvancedEventSelectors with eventCategory Data and resources.type AWS::Lambda::Function.",
	Example: `Resources:
  Trail:
    Type: AWS::CloudTrail::Trail
    Properties:
      IsLogging: true
      S3BucketName: !Ref TrailBucket
      IsMultiRegionTrail: true
      EventSelectors:
        - IncludeManagementEvents: true
          ReadWriteType: All
          DataResources:
            - Type: AWS::Lambda::Function
              Values: [arn:aws:lambda]`,
	Where: "T A",
	Run:   runCloudTrailNoLambdaDataEvents,
}

// runCloudTrailNoLambdaDataEvents reports once, at the first trail, when the
// templates define trails and none records Lambda data events. Templates
// without any trail are left alone: trails are usually account
// infrastructure, and whether the account records data events is an
// account fact for `bulwark audit` (BW703).
func runCloudTrailNoLambdaDataEvents(pass *rule.Pass) {
	all := trails(pass.App)
	if len(all) == 0 || slices.ContainsFunc(all, recordsLambdaDataEvents) {
		return
	}
	first := all[0]
	names := make([]string, len(all))
	var related []source.Pos
	for i, t := range all {
		names[i] = t.Origin.LogicalID
		if i > 0 {
			related = append(related, t.Origin.Pos)
		}
	}
	subject := "Trail " + names[0] + " does"
	if len(all) > 1 {
		subject = "None of the trails " + strings.Join(names, ", ") + " does"
	}
	pass.Report(rule.Finding{
		RuleID: pass.Rule.ID, Severity: pass.Rule.Severity, Location: rule.At(first, source.Pos{}),
		Evidence: first.Origin.LogicalID, Related: related,
		Message: fmt.Sprintf("%s not record Lambda data events: there is no record of who invoked which function. Add "+
			"an event selector with DataResources Type AWS::Lambda::Function (or an advanced selector on "+
			"resources.type AWS::Lambda::Function).", subject),
	})
}

// recordsLambdaDataEvents reports whether a trail's basic or advanced event
// selectors include Lambda function data events. A selector whose content
// a parameter decides counts as recording them.
func recordsLambdaDataEvents(trail *model.Resource) bool {
	for _, sel := range possibleValues(trail.Prop("EventSelectors")) {
		for _, s := range itemsOf(sel) {
			for _, dr := range itemsOf(s.Get("DataResources")) {
				if matchesOrUnknown(dr.Get("Type"), "AWS::Lambda::Function") {
					return true
				}
			}
		}
	}
	for _, sel := range possibleValues(trail.Prop("AdvancedEventSelectors")) {
		for _, s := range itemsOf(sel) {
			for _, fs := range itemsOf(s.Get("FieldSelectors")) {
				field, _ := fs.Get("Field").Str()
				if field != "resources.type" {
					continue
				}
				for _, v := range itemsOf(fs.Get("Equals")) {
					if matchesOrUnknown(v, "AWS::Lambda::Function") {
						return true
					}
				}
			}
		}
	}
	return false
}

// matchesOrUnknown reports whether n may be want: it is, or a parameter
// decides.
func matchesOrUnknown(n *source.Node, want string) bool {
	values, known := possibleStrings(n)
	return !known || slices.Contains(values, want)
}

// itemsOf returns the items of a list, a single value as a list of one,
// and nothing for an absent value.
func itemsOf(n *source.Node) []*source.Node {
	var out []*source.Node
	for _, v := range possibleValues(n) {
		if v.Kind == source.Seq {
			for _, it := range v.Items {
				out = append(out, possibleValues(it)...)
			}
			continue
		}
		out = append(out, v)
	}
	return out
}

// mayBeTrue reports whether a boolean property is, or may be, true: set to
// true in some outcome, or decided by a parameter without a known value.
func mayBeTrue(n *source.Node) bool {
	for _, v := range possibleValues(n) {
		if v.Truthy() || v.Kind == source.Symbol {
			return true
		}
	}
	return false
}

// trails returns the CloudTrail trails of every scanned stack, in order.
func trails(app *model.App) []*model.Resource {
	var out []*model.Resource
	for _, st := range app.Stacks {
		for _, r := range st.Resources {
			if r.Type == "AWS::CloudTrail::Trail" {
				out = append(out, r)
			}
		}
	}
	return out
}

// LambdaNoAlarms is BW706.
var LambdaNoAlarms = &rule.Rule{
	ID:       "BW706",
	Name:     "lambda-no-alarms",
	Severity: rule.Low,
	Title:    "no CloudWatch alarm watches a function's errors or throttles",
	Rationale: "Practice BW706, asked for by guides 000, 002 and 003: a rise in errors or throttles is often the " +
		"first visible sign of an attack (fuzzing, a flood, a denial of wallet) or of a broken dependency. Guide 003 " +
		"names throttling and error metrics as the ones to monitor; guide 002 asks for alarms on security events.",
	Remediation: "Add an AWS::CloudWatch::Alarm on the AWS/Lambda Errors metric, and one on Throttles, with the " +
		"function's FunctionName dimension and an action that notifies someone (an SNS topic).",
	Example: `Resources:
  OrdersErrors:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Namespace: AWS/Lambda
      MetricName: Errors
      Dimensions:
        - Name: FunctionName
          Value: !Ref Orders
      Statistic: Sum
      Period: 300
      EvaluationPeriods: 1
      Threshold: 1
      ComparisonOperator: GreaterThanOrEqualToThreshold
      AlarmActions: [!Ref OpsTopic]`,
	Where: "T A",
	Run:   runLambdaNoAlarms,
}

func runLambdaNoAlarms(pass *rule.Pass) {
	if accountWideLambdaAlarm(pass.App) {
		return
	}
	for _, f := range pass.App.Functions {
		if slices.ContainsFunc(f.Alarms, alarmsOnErrorsOrThrottles) {
			continue
		}
		pass.Reportf(rule.AtFunction(f, source.Pos{}), "no alarm",
			"No CloudWatch alarm watches the Errors or Throttles metric of function %s: a flood, a fuzzing attempt "+
				"or a failing dependency goes unnoticed. Add AWS::CloudWatch::Alarm resources on AWS/Lambda Errors and "+
				"Throttles with the FunctionName dimension.", f.Name)
	}
}

// alarmsOnErrorsOrThrottles reports whether an alarm watches the Errors or
// Throttles metric, directly or in one of its metric queries.
func alarmsOnErrorsOrThrottles(alarm *model.Resource) bool {
	names := []*source.Node{alarm.Prop("MetricName")}
	for _, m := range itemsOf(alarm.Prop("Metrics")) {
		names = append(names, m.Get("MetricStat").Get("Metric").Get("MetricName"))
	}
	for _, n := range names {
		values, _ := possibleStrings(n)
		if slices.Contains(values, "Errors") || slices.Contains(values, "Throttles") {
			return true
		}
	}
	return false
}

// accountWideLambdaAlarm reports whether some alarm watches the errors or
// throttles of all functions at once: the AWS/Lambda metric without a
// FunctionName dimension, which aggregates every function of the region.
func accountWideLambdaAlarm(app *model.App) bool {
	for _, st := range app.Stacks {
		for _, r := range st.Resources {
			if r.Type != "AWS::CloudWatch::Alarm" || r.Prop("Dimensions") != nil {
				continue
			}
			if ns, _ := r.Prop("Namespace").Str(); ns == "AWS/Lambda" && alarmsOnErrorsOrThrottles(r) {
				return true
			}
		}
	}
	return false
}

var loggingRules = []*rule.Rule{LogsNoRetention, LambdaNoTracing, CloudTrailWeak, CloudTrailNoLambdaDataEvents, LambdaNoAlarms}
