package rules

import "github.com/bulwark-sec/bulwark/internal/rule"

var resourcePolicyRules = []*rule.Rule{}
