package cfn

import (
	"regexp"
	"strings"
)

// DynamicRef is a CloudFormation dynamic reference,
// {{resolve:service:reference}}, whose value CloudFormation fetches at deploy
// time instead of storing it in the template.
type DynamicRef struct {
	Service   string // ssm, ssm-secure or secretsmanager
	Reference string // everything after the service name
}

// Secure reports whether the referenced value is stored encrypted:
// a SecureString parameter or a Secrets Manager secret.
func (d DynamicRef) Secure() bool { return d.Service == "ssm-secure" || d.Service == "secretsmanager" }

var dynamicRefPattern = regexp.MustCompile(`\{\{resolve:(ssm|ssm-secure|secretsmanager):([^}]*)\}\}`)

// DynamicRefs returns the dynamic references in s, in order.
func DynamicRefs(s string) []DynamicRef {
	if !strings.Contains(s, "{{resolve:") {
		return nil
	}
	var out []DynamicRef
	for _, m := range dynamicRefPattern.FindAllStringSubmatch(s, -1) {
		out = append(out, DynamicRef{Service: m[1], Reference: m[2]})
	}
	return out
}
