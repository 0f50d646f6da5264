package report

import (
	"encoding/json"
	"io"

	"github.com/bulwark-sec/bulwark/scan"
)

// JSONSchemaVersion is the version of the JSON report format
// (docs/report-json.md). It changes when a field changes meaning or goes.
const JSONSchemaVersion = 1

type jsonReport struct {
	SchemaVersion int               `json:"schemaVersion"`
	Tool          jsonTool          `json:"tool"`
	Summary       jsonSummary       `json:"summary"`
	Findings      []jsonFinding     `json:"findings"`
	Framework     []jsonFinding     `json:"frameworkFindings"`
	Suppressed    []jsonFinding     `json:"suppressed"`
	Errors        []scan.Diagnostic `json:"errors"`
	Warnings      []scan.Diagnostic `json:"warnings"`
	Files         []string          `json:"files"`
}

type jsonTool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type jsonSummary struct {
	Findings   int            `json:"findings"`
	BySeverity map[string]int `json:"bySeverity"`
	Framework  int            `json:"frameworkFindings"`
	Suppressed int            `json:"suppressed"`
	Errors     int            `json:"errors"`
	FailOn     string         `json:"failOn"`
}

type jsonFinding struct {
	scan.Finding
	Severity string `json:"severity"`
	HelpURI  string `json:"helpUri"`
}

func jsonFindings(fs []scan.Finding) []jsonFinding {
	out := make([]jsonFinding, len(fs))
	for i, f := range fs {
		out[i] = jsonFinding{Finding: f, Severity: f.Severity.String(), HelpURI: HelpURI(f.RuleID)}
	}
	return out
}

func writeJSON(w io.Writer, res *scan.Result, opts Options) error {
	rep := jsonReport{
		SchemaVersion: JSONSchemaVersion,
		Tool:          jsonTool{Name: "bulwark", Version: opts.Version},
		Findings:      jsonFindings(res.Findings),
		Framework:     jsonFindings(res.Framework),
		Suppressed:    jsonFindings(res.Suppressed),
		Errors:        nonNil(res.Errors),
		Warnings:      nonNil(res.Warnings),
		Files:         res.Files,
		Summary: jsonSummary{
			Findings: len(res.Findings), BySeverity: map[string]int{}, Framework: len(res.Framework),
			Suppressed: len(res.Suppressed), Errors: len(res.Errors), FailOn: opts.FailOn.String(),
		},
	}
	if rep.Files == nil {
		rep.Files = []string{}
	}
	for _, f := range res.Findings {
		rep.Summary.BySeverity[f.Severity.String()]++
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

func nonNil(d []scan.Diagnostic) []scan.Diagnostic {
	if d == nil {
		return []scan.Diagnostic{}
	}
	return d
}
