package rules

import "github.com/bulwark-sec/bulwark/internal/rule"

// SuppressionWithoutReason is reported by the scan driver, not by a Run
// function: it is the one rule about the scan's own configuration.
var SuppressionWithoutReason = &rule.Rule{
	ID:       "BW000",
	Name:     "suppression-without-reason",
	Severity: rule.Low,
	Title:    "A suppression gives no reason, so it is not applied",
	Rationale: "A silenced finding is a decision someone took; without the reason, the next reader cannot tell " +
		"an accepted risk from a forgotten one. Bulwark applies a suppression only when it says why.",
	Remediation: "Add a reason to the suppression: the text after the rule ID in a `# bulwark:ignore` comment, " +
		"`reason` in Metadata bulwark skip entries and .bulwark.yml ignore entries, `comment` for Checkov, " +
		"`reason` for cfn_nag and cdk-nag.",
	Example: `Resources:
  PublicWebhook:
    Type: AWS::Serverless::Function
    Metadata:
      bulwark:
        skip:
          - id: BW203
            reason: Public webhook for the payment provider; requests are verified by HMAC signature in the handler.
    Properties:
      FunctionUrlConfig:
        AuthType: NONE`,
	Where: "T",
}

var metaRules = []*rule.Rule{SuppressionWithoutReason}
