// Package report renders scan results for people and tools: text for a
// terminal, JSON (documented and versioned), SARIF 2.1.0 for code scanning,
// JUnit XML for CI test views, and Markdown for pull-request comments.
package report

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/bulwark-sec/bulwark/scan"
)

// Formats lists the supported output formats.
var Formats = []string{"text", "json", "sarif", "junit", "markdown"}

// Options control rendering.
type Options struct {
	Color   bool          // ANSI colour in text output
	FailOn  scan.Severity // the threshold, shown in summaries
	Version string        // tool version
	Verbose bool          // text: also list suppressed findings
}

// Write renders res in the named format.
func Write(w io.Writer, format string, res *scan.Result, opts Options) error {
	switch format {
	case "text":
		return writeText(w, res, opts)
	case "json":
		return writeJSON(w, res, opts)
	case "sarif":
		return writeSARIF(w, res, opts)
	case "junit":
		return writeJUnit(w, res, opts)
	case "markdown", "md":
		return writeMarkdown(w, res, opts)
	}
	return fmt.Errorf("unknown format %q (want one of %s)", format, strings.Join(Formats, ", "))
}

// HelpURI is where a rule's documentation lives.
func HelpURI(ruleID string) string {
	return "https://github.com/bulwark-sec/bulwark/blob/main/docs/rules/" + ruleID + ".md"
}

// severityCounts counts findings per severity, highest first.
func severityCounts(fs []scan.Finding) []struct {
	Severity scan.Severity
	Count    int
} {
	counts := map[scan.Severity]int{}
	for _, f := range fs {
		counts[f.Severity]++
	}
	var out []struct {
		Severity scan.Severity
		Count    int
	}
	for s := scan.Critical; ; s-- {
		if counts[s] > 0 {
			out = append(out, struct {
				Severity scan.Severity
				Count    int
			}{s, counts[s]})
		}
		if s == scan.Info {
			break
		}
	}
	return out
}

func summaryLine(res *scan.Result) string {
	var parts []string
	for _, c := range severityCounts(res.Findings) {
		parts = append(parts, fmt.Sprintf("%d %s", c.Count, c.Severity))
	}
	s := fmt.Sprintf("%d findings", len(res.Findings))
	if len(res.Findings) == 1 {
		s = "1 finding"
	}
	if len(parts) > 0 {
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	s += fmt.Sprintf(" in %d templates", len(res.Files))
	var extra []string
	if n := len(res.Suppressed); n > 0 {
		extra = append(extra, fmt.Sprintf("%d suppressed", n))
	}
	if n := len(res.Framework); n > 0 {
		extra = append(extra, fmt.Sprintf("%d on CDK framework resources not counted", n))
	}
	if n := len(res.Errors); n > 0 {
		extra = append(extra, fmt.Sprintf("%d input errors", n))
	}
	if len(extra) > 0 {
		s += "; " + strings.Join(extra, ", ")
	}
	return s
}

// byFile groups findings by file, keeping order.
func byFile(fs []scan.Finding) ([]string, map[string][]scan.Finding) {
	groups := map[string][]scan.Finding{}
	var files []string
	for _, f := range fs {
		if _, ok := groups[f.File]; !ok {
			files = append(files, f.File)
		}
		groups[f.File] = append(groups[f.File], f)
	}
	sort.Strings(files)
	return files, groups
}
