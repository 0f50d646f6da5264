// Package rules is Bulwark's catalog: one rule.Rule value for every practice
// in docs/practices.md that templates can show. Each file holds one section
// of the catalog (identity, exposure, secrets, network, API, data, logging,
// hardening).
package rules

import (
	"slices"
	"strings"

	"github.com/bulwark-sec/bulwark/internal/rule"
)

// All returns every rule, ordered by ID.
func All() []*rule.Rule {
	all := slices.Concat(metaRules, identityRules, resourcePolicyRules, exposureRules, secretRules, networkRules, apiRules, dataRules, loggingRules, hardeningRules)
	slices.SortFunc(all, func(a, b *rule.Rule) int { return strings.Compare(a.ID, b.ID) })
	return all
}

// ByID returns the rule with the given ID (or name), or nil.
func ByID(id string) *rule.Rule {
	for _, r := range All() {
		if strings.EqualFold(r.ID, id) || r.Name == id {
			return r
		}
	}
	return nil
}
