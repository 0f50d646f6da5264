package rules

import "github.com/bulwark-sec/bulwark/internal/rule"

var dataRules = []*rule.Rule{}
