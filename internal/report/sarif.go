package report

import (
	"encoding/json"
	"io"
	"path/filepath"
	"strings"

	"github.com/bulwark-sec/bulwark/internal/rule"
	"github.com/bulwark-sec/bulwark/scan"
)

// SARIF 2.1.0 (OASIS), the format code-scanning services ingest. Only the
// parts Bulwark fills are modelled.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations"`
	Results     []sarifResult     `json:"results"`
	ColumnKind  string            `json:"columnKind"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	ShortDescription     sarifText      `json:"shortDescription"`
	FullDescription      sarifText      `json:"fullDescription"`
	Help                 sarifHelp      `json:"help"`
	HelpURI              string         `json:"helpUri"`
	DefaultConfiguration sarifConfig    `json:"defaultConfiguration"`
	Properties           map[string]any `json:"properties"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifHelp struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown"`
}

type sarifConfig struct {
	Level string `json:"level"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations,omitempty"`
}

type sarifResult struct {
	RuleID              string             `json:"ruleId"`
	RuleIndex           int                `json:"ruleIndex"`
	Level               string             `json:"level"`
	Message             sarifText          `json:"message"`
	Locations           []sarifLocation    `json:"locations"`
	PartialFingerprints map[string]string  `json:"partialFingerprints"`
	Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
	Properties          map[string]any     `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical  `json:"physicalLocation"`
	LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

type sarifLogical struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName,omitempty"`
	Kind               string `json:"kind"`
}

type sarifSuppression struct {
	Kind          string `json:"kind"`
	Justification string `json:"justification"`
}

func sarifLevel(s scan.Severity) string {
	switch {
	case s >= scan.High:
		return "error"
	case s == scan.Medium:
		return "warning"
	}
	return "note"
}

// securitySeverity is the CVSS-like score code-scanning services use to
// rank security results.
func securitySeverity(s scan.Severity) string {
	return [...]string{"1.0", "3.0", "5.5", "8.0", "9.5"}[s]
}

func writeSARIF(w io.Writer, res *scan.Result, opts Options) error {
	run := sarifRun{
		Tool:        sarifTool{Driver: sarifDriver{Name: "Bulwark", Version: opts.Version, InformationURI: "https://github.com/bulwark-sec/bulwark", Rules: []sarifRule{}}},
		Invocations: []sarifInvocation{{ExecutionSuccessful: len(res.Errors) == 0}},
		Results:     []sarifResult{},
		ColumnKind:  "unicodeCodePoints",
	}
	index := map[string]int{}
	for _, r := range res.Rules {
		index[r.ID] = len(run.Tool.Driver.Rules)
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRuleOf(r))
	}
	add := func(f scan.Finding) {
		i, ok := index[f.RuleID]
		if !ok { // a driver-reported rule (BW000) not in the selection
			i = len(run.Tool.Driver.Rules)
			index[f.RuleID] = i
			run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{ID: f.RuleID, Name: f.Rule,
				ShortDescription: sarifText{f.Title}, FullDescription: sarifText{f.Title}, Help: sarifHelp{f.Fix, f.Fix},
				HelpURI: HelpURI(f.RuleID), DefaultConfiguration: sarifConfig{sarifLevel(f.Severity)}, Properties: map[string]any{}})
		}
		r := sarifResult{
			RuleID: f.RuleID, RuleIndex: i, Level: sarifLevel(f.Severity), Message: sarifText{f.Message},
			Locations:           []sarifLocation{location(f)},
			PartialFingerprints: map[string]string{"bulwark/v1": f.Fingerprint},
			Properties:          map[string]any{"severity": f.Severity.String()},
		}
		if f.Framework != "" {
			r.Properties["framework"] = f.Framework
		}
		if s := f.Suppression; s != nil {
			kind := "external"
			if s.Kind == "comment" || s.Kind == "metadata" || s.Kind == "checkov" || s.Kind == "cfn_nag" || s.Kind == "cdk_nag" {
				kind = "inSource"
			}
			r.Suppressions = []sarifSuppression{{Kind: kind, Justification: s.Reason}}
		}
		run.Results = append(run.Results, r)
	}
	for _, list := range [][]scan.Finding{res.Findings, res.Framework, res.Suppressed} {
		for _, f := range list {
			add(f)
		}
	}
	for _, e := range res.Errors {
		n := sarifNotification{Level: "error", Message: sarifText{e.Message}}
		if e.File != "" {
			n.Locations = []sarifLocation{{PhysicalLocation: physical(e.File, e.Line, e.Column)}}
		}
		run.Invocations[0].ToolExecutionNotifications = append(run.Invocations[0].ToolExecutionNotifications, n)
	}
	log := sarifLog{Schema: "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json", Version: "2.1.0", Runs: []sarifRun{run}}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(log)
}

func sarifRuleOf(r *rule.Rule) sarifRule {
	md := "**" + r.Title + "**\n\n" + r.Rationale + "\n\n**Fix:** " + r.Remediation
	if r.Example != "" {
		md += "\n\n```yaml\n" + r.Example + "\n```"
	}
	return sarifRule{
		ID: r.ID, Name: r.Name,
		ShortDescription:     sarifText{r.Title},
		FullDescription:      sarifText{r.Rationale},
		Help:                 sarifHelp{Text: r.Remediation, Markdown: md},
		HelpURI:              HelpURI(r.ID),
		DefaultConfiguration: sarifConfig{Level: sarifLevel(r.Severity)},
		Properties: map[string]any{
			"security-severity": securitySeverity(r.Severity),
			"tags":              []string{"security", "serverless", "lambda"},
			"precision":         "high",
		},
	}
}

func location(f scan.Finding) sarifLocation {
	l := sarifLocation{PhysicalLocation: physical(f.File, f.Line, f.Column)}
	if f.Resource != "" {
		l.LogicalLocations = []sarifLogical{{Name: f.Resource, FullyQualifiedName: strings.TrimPrefix(f.Stack+"/"+f.Resource, "/"), Kind: "resource"}}
	}
	return l
}

func physical(file string, line, col int) sarifPhysical {
	p := sarifPhysical{ArtifactLocation: sarifArtifact{URI: filepath.ToSlash(file)}}
	if line > 0 {
		p.Region = &sarifRegion{StartLine: line, StartColumn: col}
	}
	return p
}
