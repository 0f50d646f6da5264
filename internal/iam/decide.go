package iam

import (
	"github.com/bulwark-sec/bulwark/internal/iamdata"
)

// Decision is the answer to "may this role do this action on this resource".
type Decision uint8

const (
	// NotGranted: no statement allows the request (IAM's implicit deny).
	NotGranted Decision = iota
	// Conditional: a statement may allow the request, but only under an IAM
	// condition, an undecided template condition, or for a resource or
	// action the template does not fix; or a Deny may apply under such terms.
	Conditional
	// Allowed: a statement allows the request without conditions and no
	// Deny may apply.
	Allowed
	// Denied: a statement denies the request without conditions.
	Denied
)

var decisionNames = [...]string{"NotGranted", "Conditional", "Allowed", "Denied"}

func (d Decision) String() string {
	if int(d) < len(decisionNames) {
		return decisionNames[d]
	}
	return "Decision(?)"
}

// Answer is a decision with the statements that decide it.
type Answer struct {
	Decision Decision
	// Allows are the Allow statements that apply, or may apply.
	Allows []Applied
	// Denies are the Deny statements that apply, or may apply.
	Denies []Applied
	// Boundary, when the role has a permissions boundary, is the boundary's
	// own decision on the request.
	Boundary *Answer
	// UnknownAction is set when the action is not a known IAM action.
	UnknownAction bool
	// Unresolved lists parts of the role whose documents are unknown: a
	// NotGranted answer may then understate what the role can do.
	Unresolved []Unresolved
}

// Applied is a statement that applies to a request, and how surely.
type Applied struct {
	Policy    *Policy
	Statement *Statement
	// Resource says how the statement's resources match the request's.
	Resource Match
	// Certain is set when the statement applies without doubt: its action
	// and resource match and it has no condition.
	Certain bool
}

// Grant returns the statement as a Grant, for its position and description.
func (a Applied) Grant() Grant { return Grant{Policy: a.Policy, Statement: a.Statement} }

// Decide answers whether the role may perform action (e.g. "s3:GetObject")
// on resource (an ARN, "*" for every resource, or a symbolic value such as
// "${Table.Arn}"), and which statements decide it. Conditions are not
// evaluated: a statement with a Condition makes the answer Conditional.
func (p *Permissions) Decide(action, resource string) Answer {
	a, ok := iamdata.Lookup(action)
	if !ok {
		return Answer{Decision: NotGranted, UnknownAction: true, Unresolved: p.Unresolved}
	}
	ans := evaluate(p.Policies, a.ID, resource)
	ans.Unresolved = p.Unresolved
	if p.Boundary == nil || ans.Decision == Denied || ans.Decision == NotGranted {
		return ans
	}
	b := evaluate([]*Policy{p.Boundary}, a.ID, resource)
	ans.Boundary = &b
	switch {
	case b.Decision == Denied:
		ans.Decision = Denied
	case b.Decision == NotGranted:
		ans.Decision = NotGranted
	case b.Decision == Conditional:
		ans.Decision = Conditional
	}
	return ans
}

// evaluate applies IAM's evaluation logic for one principal's policies of
// one kind: an explicit Deny wins, then an Allow, else the implicit deny.
func evaluate(policies []*Policy, id iamdata.ActionID, resource string) Answer {
	var ans Answer
	var allowed, mayAllow, mayDeny, denied bool
	for _, pol := range policies {
		for _, s := range pol.Document.Statements {
			action := Matches
			if !s.actions.Has(id) {
				action = NoMatch
				if len(s.SymbolicActions) > 0 {
					action = MaybeMatch
				}
			}
			if action == NoMatch {
				continue
			}
			res := s.matchResources(resource)
			if res == NoMatch {
				continue
			}
			certain := action == Matches && res == Matches && !s.Conditional()
			applied := Applied{Policy: pol, Statement: s, Resource: res, Certain: certain}
			if s.Effect == Deny {
				ans.Denies = append(ans.Denies, applied)
				denied = denied || certain
				mayDeny = mayDeny || !certain
				continue
			}
			ans.Allows = append(ans.Allows, applied)
			allowed = allowed || certain
			mayAllow = mayAllow || !certain
		}
	}
	switch {
	case denied:
		ans.Decision = Denied
	case allowed && !mayDeny:
		ans.Decision = Allowed
	case allowed || mayAllow:
		ans.Decision = Conditional
	default:
		ans.Decision = NotGranted
	}
	return ans
}

// matchResources matches the statement's Resource or NotResource element
// against a requested resource. A statement with neither element matches
// nothing (an identity policy statement needs one).
func (s *Statement) matchResources(resource string) Match {
	best := NoMatch
	for _, r := range s.Resources {
		m := MatchResource(r, resource)
		if r.IfCondition != "" && m == Matches {
			m = MaybeMatch // the value may not be there
		}
		best = max(best, m)
	}
	if !s.NotResource {
		return best
	}
	if len(s.Resources) == 0 {
		return NoMatch
	}
	switch best {
	case Matches:
		return NoMatch
	case MaybeMatch:
		return MaybeMatch
	}
	return Matches
}
