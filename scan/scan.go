// Package scan is Bulwark's Go API for static scans: it loads SAM,
// CloudFormation and CDK templates, runs the rule catalog over the
// function-centric model, and returns positioned findings with
// suppressions and baselines applied.
//
//	res, err := scan.Run([]string{"template.yaml"}, scan.Options{})
//	for _, f := range res.Findings { fmt.Println(f.File, f.Line, f.RuleID, f.Message) }
package scan

import (
	"cmp"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/bulwark-sec/bulwark/internal/iam"
	"github.com/bulwark-sec/bulwark/internal/load"
	"github.com/bulwark-sec/bulwark/internal/model"
	"github.com/bulwark-sec/bulwark/internal/par"
	"github.com/bulwark-sec/bulwark/internal/rule"
	"github.com/bulwark-sec/bulwark/internal/rules"
	"github.com/bulwark-sec/bulwark/internal/source"
)

// Severity orders findings: Info < Low < Medium < High < Critical.
type Severity = rule.Severity

// The severities.
const (
	Info     = rule.Info
	Low      = rule.Low
	Medium   = rule.Medium
	High     = rule.High
	Critical = rule.Critical
)

// ParseSeverity reads a severity name such as "high".
func ParseSeverity(s string) (Severity, error) { return rule.ParseSeverity(s) }

// Options control a scan. The zero value runs every rule with no parameter
// overrides, today's date and no baseline.
type Options struct {
	Parameters       map[string]string // template parameter values (--parameter K=V)
	Rules            []string          // run only these rule IDs or names; empty means all
	SkipRules        []string          // never run these
	IncludeFramework bool              // count findings on CDK framework-owned resources like the user's own
	Now              time.Time         // today, for date-aware rules; zero means time.Now()
	Config           *Config           // .bulwark.yml; nil means none
	Baseline         *Baseline         // findings recorded here are reported as suppressed
}

// Finding is one reported problem.
type Finding struct {
	RuleID      string       `json:"ruleId"`
	Rule        string       `json:"rule"`
	Severity    Severity     `json:"-"`
	Title       string       `json:"title"`
	Message     string       `json:"message"`
	File        string       `json:"file"`
	Line        int          `json:"line"`
	Column      int          `json:"column"`
	Stack       string       `json:"stack,omitempty"`
	Resource    string       `json:"resource,omitempty"`
	Function    string       `json:"function,omitempty"`
	CDKPath     string       `json:"cdkPath,omitempty"`
	Framework   string       `json:"framework,omitempty"`
	Evidence    string       `json:"evidence,omitempty"`
	Fix         string       `json:"fix"`
	Fingerprint string       `json:"fingerprint"`
	Suppression *Suppression `json:"suppression,omitempty"`
	SourceLine  string       `json:"-"`
}

// Suppression records why a finding is not counted.
type Suppression struct {
	Kind   string `json:"kind"` // metadata, comment, config, checkov, cfn_nag, cdk_nag, baseline
	Reason string `json:"reason"`
	File   string `json:"file,omitempty"`
	Line   int    `json:"line,omitempty"`
}

// Diagnostic is a problem with the input: a file that could not be read or
// a construct that could not be understood.
type Diagnostic struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Message string `json:"message"`
}

func (d Diagnostic) String() string {
	return source.Pos{File: d.File, Line: d.Line, Column: d.Column}.String() + ": " + d.Message
}

// Result is the outcome of a scan.
type Result struct {
	Findings   []Finding    // counted findings, by file, line and rule
	Framework  []Finding    // findings on CDK framework-owned resources (not counted unless IncludeFramework)
	Suppressed []Finding    // findings a suppression or the baseline set aside
	Errors     []Diagnostic // inputs that could not be loaded
	Warnings   []Diagnostic // problems that did not stop loading
	Files      []string     // templates scanned
	Rules      []*rule.Rule // rules that ran
	App        *model.App   `json:"-"`
}

// Count returns how many counted findings are at or above min.
func (r *Result) Count(min Severity) int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity >= min {
			n++
		}
	}
	return n
}

// Run scans the templates under paths. The error is for usage problems (a
// path that does not exist, an unknown rule ID); problems with file content
// are in Result.Errors.
func Run(paths []string, opts Options) (*Result, error) {
	all := catalog()
	index := make(map[string]*rule.Rule, len(all))
	for _, r := range all {
		index[r.ID] = r
	}
	selected, err := selectRules(all, opts)
	if err != nil {
		return nil, err
	}
	params := map[string]string{}
	if opts.Config != nil {
		for k, v := range opts.Config.Parameters {
			params[k] = v
		}
	}
	for k, v := range opts.Parameters {
		params[k] = v
	}
	loaded, err := load.Paths(paths, load.Options{Parameters: params})
	if err != nil {
		return nil, err
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	res := &Result{Files: loaded.Files, Rules: selected, App: loaded.App}
	for _, e := range loaded.Errors {
		res.Errors = append(res.Errors, diagnostic(e))
	}
	for _, w := range loaded.Warnings {
		res.Warnings = append(res.Warnings, diagnostic(w))
	}

	raw, diags := runRules(selected, loaded.App, now)
	res.Errors = append(res.Errors, diags...)
	// Policy documents the IAM engine could not fully read: the rules judged
	// what they could, and the user should know what they could not.
	for _, d := range iam.For(loaded.App).Diagnostics {
		res.Warnings = append(res.Warnings, diagnostic(d))
	}

	sup := newSuppressor(loaded.App, opts.Config, now, index)
	docs := make(map[string]*source.Document, len(loaded.App.Stacks))
	for _, st := range loaded.App.Stacks {
		if st.Doc != nil {
			docs[st.Doc.Path] = st.Doc
		}
	}
	if slices.Contains(selected, rules.SuppressionWithoutReason) {
		raw = append(raw, sup.problems()...)
	}
	seen := map[string]bool{}
	for _, rf := range raw {
		f := publicFinding(rf, index, docs)
		key := f.RuleID + "\x00" + f.File + "\x00" + fmt.Sprint(f.Line) + "\x00" + f.Message
		if seen[key] {
			continue
		}
		seen[key] = true
		f.Suppression = sup.match(rf)
		if f.Suppression == nil && opts.Baseline != nil && opts.Baseline.Has(f.Fingerprint) {
			f.Suppression = &Suppression{Kind: "baseline", Reason: "recorded in the baseline"}
		}
		switch {
		case f.Suppression != nil:
			res.Suppressed = append(res.Suppressed, f)
		case f.Framework != "" && !opts.IncludeFramework:
			res.Framework = append(res.Framework, f)
		default:
			res.Findings = append(res.Findings, f)
		}
	}
	res.Warnings = append(res.Warnings, sup.warnings...)
	for _, list := range [][]Finding{res.Findings, res.Framework, res.Suppressed} {
		sortFindings(list)
	}
	return res, nil
}

// runRules runs the rules on a few goroutines. Rules only read the model,
// and results are merged in rule order, so the output does not depend on
// scheduling.
func runRules(selected []*rule.Rule, app *model.App, now time.Time) ([]rule.Finding, []Diagnostic) {
	findings := make([][]rule.Finding, len(selected))
	diags := make([]*Diagnostic, len(selected))
	par.Each(len(selected), func(i int) {
		if selected[i].Run != nil {
			findings[i], diags[i] = runRule(selected[i], app, now)
		}
	})
	var all []rule.Finding
	var errs []Diagnostic
	for i := range selected {
		all = append(all, findings[i]...)
		if diags[i] != nil {
			errs = append(errs, *diags[i])
		}
	}
	return all, errs
}

// runRule runs one rule, turning a panic into a diagnostic so that one broken
// rule never takes the scan down.
func runRule(r *rule.Rule, app *model.App, now time.Time) (out []rule.Finding, diag *Diagnostic) {
	defer func() {
		if p := recover(); p != nil {
			diag = &Diagnostic{Message: fmt.Sprintf("internal error: rule %s stopped: %v (please report this with the template)\n%s", r.ID, p, debug.Stack())}
		}
	}()
	r.Run(&rule.Pass{App: app, Rule: r, Now: now, Report: func(f rule.Finding) { out = append(out, f) }})
	return out, nil
}

// catalog returns the rules a scan can run; tests replace it.
var catalog = rules.All

func selectRules(all []*rule.Rule, opts Options) ([]*rule.Rule, error) {
	only, skip := opts.Rules, opts.SkipRules
	if opts.Config != nil {
		if len(only) == 0 {
			only = opts.Config.Rules
		}
		skip = append(slices.Clone(skip), opts.Config.SkipRules...)
	}
	matches := func(r *rule.Rule, ids []string) bool {
		return slices.ContainsFunc(ids, func(id string) bool { return strings.EqualFold(id, r.ID) || id == r.Name })
	}
	for _, id := range slices.Concat(only, skip) {
		if !slices.ContainsFunc(all, func(r *rule.Rule) bool { return matches(r, []string{id}) }) {
			return nil, fmt.Errorf("unknown rule %q (see `bulwark rules`)", id)
		}
	}
	var out []*rule.Rule
	for _, r := range all {
		if (len(only) == 0 || matches(r, only)) && !matches(r, skip) {
			out = append(out, r)
		}
	}
	return out, nil
}

func diagnostic(e *source.Error) Diagnostic {
	return Diagnostic{File: e.Pos.File, Line: e.Pos.Line, Column: e.Pos.Column, Message: e.Msg}
}

func publicFinding(rf rule.Finding, index map[string]*rule.Rule, docs map[string]*source.Document) Finding {
	r := index[rf.RuleID]
	loc := rf.Location
	f := Finding{
		RuleID: rf.RuleID, Severity: rf.Severity, Message: sentence(rf.Message),
		File: loc.Pos.File, Line: loc.Pos.Line, Column: loc.Pos.Column,
		Stack: loc.Stack, Resource: loc.Resource, Function: loc.Function, CDKPath: loc.CDKPath, Framework: loc.Framework,
		Evidence: rf.Evidence,
	}
	if r != nil {
		f.Rule, f.Title, f.Fix = r.Name, r.Title, r.Remediation
	}
	f.Fingerprint = fingerprint(f)
	if d := docs[f.File]; d != nil {
		f.SourceLine = d.Line(f.Line)
	}
	return f
}

// sentence presents a rule's message as one sentence: capital first letter,
// one final period, whoever wrote the rule.
func sentence(msg string) string {
	msg = strings.TrimSpace(msg)
	if msg == "" {
		return msg
	}
	r, size := utf8.DecodeRuneInString(msg)
	msg = string(unicode.ToUpper(r)) + msg[size:]
	if !strings.HasSuffix(msg, ".") && !strings.HasSuffix(msg, "?") && !strings.HasSuffix(msg, "!") {
		msg += "."
	}
	return msg
}

func sortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column),
			cmp.Compare(a.RuleID, b.RuleID), cmp.Compare(a.Message, b.Message),
		)
	})
}
