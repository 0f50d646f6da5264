// Package rule defines what a Bulwark check is and what it reports.
//
// A Rule is a plain value, in the spirit of golang.org/x/tools/go/analysis:
// an ID, its documentation, and a Run function that inspects the model and
// reports Findings with positions. Rules never print; drivers decide output,
// suppressions and exit codes.
package rule

import (
	"fmt"
	"strings"
	"time"

	"github.com/bulwark-sec/bulwark/internal/model"
	"github.com/bulwark-sec/bulwark/internal/source"
)

// Severity orders findings by how urgently they need attention.
type Severity uint8

const (
	Info Severity = iota
	Low
	Medium
	High
	Critical
)

var severityNames = [...]string{"info", "low", "medium", "high", "critical"}

func (s Severity) String() string {
	if int(s) < len(severityNames) {
		return severityNames[s]
	}
	return fmt.Sprintf("severity(%d)", s)
}

// ParseSeverity reads a severity name, case-insensitively.
func ParseSeverity(s string) (Severity, error) {
	for i, n := range severityNames {
		if strings.EqualFold(s, n) {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (want one of %s)", s, strings.Join(severityNames[:], ", "))
}

// Equivalents are the IDs of checks in other scanners that look for the same
// problem. They let Bulwark honour those scanners' suppressions and let users
// compare results.
type Equivalents struct {
	Checkov []string
	KICS    []string // query IDs (UUIDs)
	Trivy   []string
	CfnNag  []string
	CdkNag  []string
}

// Rule is one check of the practice catalog (docs/practices.md).
type Rule struct {
	ID          string   // stable, e.g. BW101
	Name        string   // stable slug, e.g. iam-admin-access
	Severity    Severity // default severity
	Title       string   // one line: what is wrong
	Rationale   string   // why it matters: the practice and the guides (seeds) that ask for it
	Remediation string   // how to fix it, in prose
	Example     string   // the fixed form, as SAM/CloudFormation YAML
	Where       string   // inputs that can show it, as in the catalog: "T A"
	Equivalents Equivalents
	Run         func(*Pass)
}

// Pass is one rule's view of a scan: the model and a way to report.
type Pass struct {
	App    *model.App
	Rule   *Rule
	Now    time.Time // the scan's notion of today, for date-aware rules (fixed by --now)
	Report func(Finding)
}

// Reportf reports a finding of the pass's rule at pos, with the rule's
// default severity. Evidence is a short, position-free description of what
// was found (an action name, a variable name): together with the rule and
// the resource it fingerprints the finding for baselines.
func (p *Pass) Reportf(at Location, evidence, format string, args ...any) {
	p.Report(Finding{
		RuleID: p.Rule.ID, Severity: p.Rule.Severity, Message: fmt.Sprintf(format, args...),
		Location: at, Evidence: evidence,
	})
}

// Location says where a finding is: the line the user wrote and the entity
// it concerns.
type Location struct {
	Pos       source.Pos
	Stack     string // stack name (file path or CDK stack)
	Resource  string // logical ID as the user wrote it (the SAM function, not its generated role)
	Function  string // the function concerned, when there is one
	CDKPath   string
	Framework string // set when a CDK helper owns the resource
}

// At returns the location of a model resource, pointing at pos when it is
// known and at the resource otherwise.
func At(r *model.Resource, pos source.Pos) Location {
	l := Location{Stack: r.Stack.Name, Resource: r.Origin.LogicalID, Pos: r.Origin.Pos, CDKPath: r.Origin.CDKPath, Framework: r.Origin.Framework}
	if pos.IsValid() {
		l.Pos = pos
	}
	return l
}

// AtFunction returns the location of a function, pointing at pos when known.
func AtFunction(f *model.Function, pos source.Pos) Location {
	l := At(f.Resource, pos)
	l.Function = f.Name
	return l
}

// Finding is one reported problem.
type Finding struct {
	RuleID   string
	Severity Severity
	Message  string
	Location Location
	Evidence string
	Related  []source.Pos // other places that explain the finding
}
