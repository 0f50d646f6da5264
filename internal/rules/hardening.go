package rules

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/bulwark-sec/bulwark/internal/rule"
	"github.com/bulwark-sec/bulwark/internal/runtimes"
	"github.com/bulwark-sec/bulwark/internal/source"
)

// Function hardening (8xx): the settings of a function itself that limit
// what an attacker or a flood can do with it, and how long it stays
// patched.

// RuntimeDeprecated is BW801.
var RuntimeDeprecated = &rule.Rule{
	ID:       "BW801",
	Name:     "runtime-deprecated",
	Severity: rule.High,
	Title:    "a function runs on a deprecated Lambda runtime",
	Rationale: "Practice BW801, from guide 002: AWS patches the runtime (language, libraries, operating system) only " +
		"while it is supported. After its deprecation date a runtime gets no more security fixes, and Lambda later " +
		"blocks creating and then updating functions on it, which can stop an urgent fix from deploying. Bulwark " +
		"warns (low) from 90 days before the date, from the lifecycle table it embeds; runtimes it does not list are " +
		"not judged.",
	Remediation: "Move the function to a supported runtime of the same language (the finding names AWS's suggested " +
		"successor), test it, and deploy before the update block date. Container image functions have no managed " +
		"runtime: keep their base image current instead.",
	Example: `Resources:
  Orders:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.13
      Handler: app.handler`,
	Where: "T A",
	// cdk-nag's AwsSolutions-L1 asks for the latest runtime, which is
	// stricter than "not deprecated", so it is not an equivalent.
	Equivalents: rule.Equivalents{
		Checkov: []string{"CKV_AWS_363"},
	},
	Run: runRuntimeDeprecated,
}

func runRuntimeDeprecated(pass *rule.Pass) {
	for _, f := range pass.App.Functions {
		if strings.EqualFold(f.PackageType, "Image") {
			continue // no managed runtime
		}
		runtime := f.Resource.Prop("Runtime")
		values, _ := possibleStrings(runtime)
		worst := runtimes.Status{}
		for _, id := range values {
			if s := runtimes.StatusAt(id, pass.Now); s.State > worst.State {
				worst = s
			}
		}
		loc := rule.AtFunction(f, writtenAt(f.Resource.Props, "Runtime"))
		id := worst.Runtime.ID
		switch worst.State {
		case runtimes.Deprecated:
			pass.Reportf(loc, id, "Function %s runs on %s, deprecated since %s: it no longer receives security "+
				"patches%s.%s", f.Name, id, day(worst.Date), blocks(worst), successor(worst))
		case runtimes.DeprecatingSoon:
			days := int(worst.Date.Sub(pass.Now).Hours()/24 + 0.999)
			pass.Report(rule.Finding{
				RuleID: pass.Rule.ID, Severity: rule.Low, Location: loc, Evidence: id,
				Message: fmt.Sprintf("Function %s runs on %s, which AWS deprecates on %s (in %d days): after that it "+
					"gets no security patches.%s", f.Name, id, day(worst.Date), days, successor(worst)),
			})
		}
	}
}

func day(t time.Time) string { return t.Format(time.DateOnly) }

// blocks says which deployments Lambda already refuses on the runtime.
func blocks(s runtimes.Status) string {
	switch {
	case s.UpdateBlocked:
		return ", and Lambda no longer accepts updates to functions on it"
	case s.CreateBlocked:
		return fmt.Sprintf(", Lambda no longer creates functions on it, and blocks updates from %s", day(s.Runtime.UpdateBlocked))
	case !s.Runtime.UpdateBlocked.IsZero():
		return fmt.Sprintf(", and Lambda blocks updates from %s", day(s.Runtime.UpdateBlocked))
	}
	return ""
}

func successor(s runtimes.Status) string {
	if s.Runtime.Successor == "" {
		return " Move to a supported runtime."
	}
	return " Move to " + s.Runtime.Successor + " (or another supported runtime)."
}

// NoReservedConcurrency is BW802.
var NoReservedConcurrency = &rule.Rule{
	ID:       "BW802",
	Name:     "no-reserved-concurrency",
	Severity: rule.Low,
	Title:    "a function has no reserved concurrency",
	Rationale: "Practice BW802, from guides 003 and 004: without a concurrency limit a flood of events scales a " +
		"function until it takes the whole account's concurrency, throttling every other function (a denial of " +
		"service) and running up cost (a denial of wallet). Guide 004 describes exhausting Lambda concurrency through " +
		"an unauthenticated API; reserved concurrency caps the function and also guarantees it capacity.",
	Remediation: "Set ReservedConcurrentExecutions to the highest concurrency the function and its downstream " +
		"resources should ever run at (SAM: ReservedConcurrentExecutions on the function).",
	Example: `Resources:
  Orders:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.13
      Handler: app.handler
      ReservedConcurrentExecutions: 50`,
	Where: "T A",
	Equivalents: rule.Equivalents{
		Checkov: []string{"CKV_AWS_115"},
		CfnNag:  []string{"W92"},
	},
	Run: runNoReservedConcurrency,
}

func runNoReservedConcurrency(pass *rule.Pass) {
	for _, f := range pass.App.Functions {
		if len(possibleValues(f.Concurrency)) > 0 {
			continue
		}
		pass.Reportf(rule.AtFunction(f, source.Pos{}), "ReservedConcurrentExecutions",
			"Function %s has no reserved concurrency: a flood of events can scale it until it takes the account's "+
				"whole concurrency and runs up cost. Set ReservedConcurrentExecutions.", f.Name)
	}
}

// NoDeadLetter is BW803.
var NoDeadLetter = &rule.Rule{
	ID:       "BW803",
	Name:     "no-dead-letter",
	Severity: rule.Low,
	Title:    "an asynchronously invoked function has no dead-letter queue or on-failure destination",
	Rationale: "Practice BW803, from guide 002: when an asynchronous invocation (S3, SNS, EventBridge, schedules) " +
		"fails its retries, Lambda drops the event unless a dead-letter queue or an on-failure destination keeps it. " +
		"Lost events hide failures, including those an attacker causes on purpose, and leave no evidence to replay " +
		"or investigate.",
	Remediation: "Give the function an on-failure destination (AWS::Lambda::EventInvokeConfig " +
		"DestinationConfig.OnFailure, SAM EventInvokeConfig) or a DeadLetterConfig with an SQS queue or SNS topic " +
		"(SAM DeadLetterQueue), and alarm on its depth.",
	Example: `Resources:
  Thumbnails:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.13
      Handler: app.handler
      EventInvokeConfig:
        MaximumRetryAttempts: 2
        DestinationConfig:
          OnFailure:
            Type: SQS
            Destination: !GetAtt FailedEvents.Arn
      Events:
        Upload:
          Type: S3
          Properties:
            Bucket: !Ref Uploads
            Events: s3:ObjectCreated:*`,
	Where: "T A",
	Equivalents: rule.Equivalents{
		Checkov: []string{"CKV_AWS_116"},
		KICS:    []string{"c2eae442-d3ba-4cb1-84ca-1db4f80eae3d", "cb2f612b-ed42-4ff5-9fb9-255c73d39a18"},
	},
	Run: runNoDeadLetter,
}

func runNoDeadLetter(pass *rule.Pass) {
	for _, f := range pass.App.Functions {
		if len(possibleValues(f.DLQ)) > 0 || len(possibleValues(f.OnFailure)) > 0 {
			continue
		}
		var kinds []string
		for _, s := range f.Sources {
			if s.Async && !slices.Contains(kinds, s.Kind) {
				kinds = append(kinds, s.Kind)
			}
		}
		if len(kinds) == 0 {
			continue
		}
		slices.Sort(kinds)
		pass.Reportf(rule.AtFunction(f, source.Pos{}), strings.Join(kinds, ","),
			"Function %s is invoked asynchronously (%s) but has no dead-letter queue or on-failure destination: "+
				"events that fail their retries are dropped without a trace. Add an EventInvokeConfig OnFailure "+
				"destination or a DeadLetterConfig.", f.Name, asyncSourceNames(kinds))
	}
}

var asyncSourceLabels = map[string]string{
	"s3": "S3", "sns": "SNS", "events": "EventBridge", "scheduler": "EventBridge Scheduler", "logs": "CloudWatch Logs",
	"iot": "IoT", "ses": "SES", "codecommit": "CodeCommit", "config": "AWS Config", "cloudformation": "CloudFormation",
}

func asyncSourceNames(kinds []string) string {
	names := make([]string, len(kinds))
	for i, k := range kinds {
		if l, ok := asyncSourceLabels[k]; ok {
			names[i] = l
		} else {
			names[i] = k
		}
	}
	return strings.Join(names, ", ")
}

// NoCodeSigning is BW804.
var NoCodeSigning = &rule.Rule{
	ID:       "BW804",
	Name:     "no-code-signing",
	Severity: rule.Low,
	Title:    "a function does not require signed code",
	Rationale: "Practice BW804, from guide 001: a code signing configuration makes Lambda refuse (Enforce) or flag " +
		"(Warn) code packages that a trusted AWS Signer profile did not sign, so stolen deployment credentials or a " +
		"tampered build artifact cannot silently replace the function's code.",
	Remediation: "Create an AWS::Lambda::CodeSigningConfig that allows your AWS Signer profiles with " +
		"UntrustedArtifactOnDeployment: Enforce, sign the packages in the pipeline, and set CodeSigningConfigArn on " +
		"the function. Container image functions are out of scope: Lambda does not sign images.",
	Example: `Resources:
  Signing:
    Type: AWS::Lambda::CodeSigningConfig
    Properties:
      AllowedPublishers:
        SigningProfileVersionArns: [!Ref SigningProfileVersionArn]
      CodeSigningPolicies:
        UntrustedArtifactOnDeployment: Enforce
  Orders:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.13
      Handler: app.handler
      CodeSigningConfigArn: !Ref Signing`,
	Where: "T A",
	Equivalents: rule.Equivalents{
		Checkov: []string{"CKV_AWS_272"},
	},
	Run: runNoCodeSigning,
}

func runNoCodeSigning(pass *rule.Pass) {
	for _, f := range pass.App.Functions {
		if strings.EqualFold(f.PackageType, "Image") || len(possibleValues(f.CodeSigning)) > 0 {
			continue
		}
		pass.Reportf(rule.AtFunction(f, source.Pos{}), "CodeSigningConfigArn",
			"Function %s accepts unsigned code: whoever can deploy can replace it without a trusted signature. Set "+
				"CodeSigningConfigArn to a code signing config that enforces your signing profiles.", f.Name)
	}
}

var hardeningRules = []*rule.Rule{RuntimeDeprecated, NoReservedConcurrency, NoDeadLetter, NoCodeSigning}
