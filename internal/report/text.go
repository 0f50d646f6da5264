package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/bulwark-sec/bulwark/scan"
)

const (
	ansiReset = "\x1b[0m"
	ansiBold  = "\x1b[1m"
	ansiDim   = "\x1b[2m"
)

var severityColor = map[scan.Severity]string{
	scan.Critical: "\x1b[1;31m", scan.High: "\x1b[31m", scan.Medium: "\x1b[33m", scan.Low: "\x1b[36m", scan.Info: "\x1b[2m",
}

// writeText groups findings by file, then by function or resource, and shows
// each with the source line it points at and the fix.
func writeText(w io.Writer, res *scan.Result, opts Options) error {
	var b strings.Builder
	paint := func(code, s string) string {
		if !opts.Color {
			return s
		}
		return code + s + ansiReset
	}
	for _, e := range res.Errors {
		fmt.Fprintf(&b, "%s %s\n", paint(severityColor[scan.High], "error:"), e)
	}
	for _, e := range res.Warnings {
		fmt.Fprintf(&b, "%s %s\n", paint(ansiDim, "warning:"), e)
	}
	if len(res.Errors)+len(res.Warnings) > 0 {
		b.WriteString("\n")
	}
	section := func(title string, fs []scan.Finding) {
		if title != "" && len(fs) > 0 {
			fmt.Fprintf(&b, "%s\n\n", paint(ansiBold, title))
		}
		files, groups := byFile(fs)
		for _, file := range files {
			fmt.Fprintf(&b, "%s\n", paint(ansiBold, file))
			owner := "\x00"
			for _, f := range groups[file] {
				who := f.Function
				if who == "" {
					who = f.Resource
				}
				if who != owner {
					owner = who
					if who != "" {
						fmt.Fprintf(&b, "  %s\n", paint(ansiBold, who))
					}
				}
				sev := fmt.Sprintf("%-8s", f.Severity)
				fmt.Fprintf(&b, "    %d:%d  %s %s %s\n", f.Line, f.Column, paint(severityColor[f.Severity], sev), f.RuleID, f.Message)
				if strings.TrimSpace(f.SourceLine) != "" {
					fmt.Fprintf(&b, "      %s %s\n", paint(ansiDim, "|"), strings.TrimSpace(f.SourceLine))
				}
				if f.CDKPath != "" {
					fmt.Fprintf(&b, "      cdk path: %s\n", f.CDKPath)
				}
				if f.Suppression != nil {
					fmt.Fprintf(&b, "      suppressed (%s): %s\n", f.Suppression.Kind, f.Suppression.Reason)
				} else if f.Fix != "" {
					fmt.Fprintf(&b, "      fix: %s\n", firstSentence(f.Fix))
				}
			}
			b.WriteString("\n")
		}
	}
	section("", res.Findings)
	if len(res.Framework) > 0 {
		section("Findings on CDK framework-owned resources (not counted; --include-framework counts them):", res.Framework)
	}
	if opts.Verbose {
		section("Suppressed findings:", res.Suppressed)
	}
	b.WriteString(summaryLine(res) + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// firstSentence keeps text output short; the full remediation is in
// `bulwark explain`.
func firstSentence(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if i := strings.Index(s, ". "); i > 0 {
		return s[:i+1]
	}
	return s
}
