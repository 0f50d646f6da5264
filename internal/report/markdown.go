package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/bulwark-sec/bulwark/scan"
)

// writeMarkdown renders a pull-request comment: a summary, a table of
// findings and the fixes, short enough to read in a review.
func writeMarkdown(w io.Writer, res *scan.Result, _ Options) error {
	var b strings.Builder
	b.WriteString("## Bulwark scan\n\n")
	if len(res.Findings) == 0 {
		b.WriteString("No findings. ")
	}
	b.WriteString(summaryLine(res) + ".\n\n")
	if len(res.Findings) > 0 {
		b.WriteString("| Severity | Rule | Where | Finding |\n|---|---|---|---|\n")
		for _, f := range res.Findings {
			where := fmt.Sprintf("`%s:%d`", f.File, f.Line)
			if f.Function != "" {
				where += " " + mdEscape(f.Function)
			}
			fmt.Fprintf(&b, "| %s | [%s](%s) %s | %s | %s |\n", f.Severity, f.RuleID, HelpURI(f.RuleID), f.Rule, where, mdEscape(f.Message))
		}
		b.WriteString("\n<details><summary>How to fix</summary>\n\n")
		seen := map[string]bool{}
		for _, f := range res.Findings {
			if seen[f.RuleID] {
				continue
			}
			seen[f.RuleID] = true
			fmt.Fprintf(&b, "- **%s %s**: %s\n", f.RuleID, f.Rule, mdEscape(f.Fix))
		}
		b.WriteString("\n</details>\n")
	}
	if len(res.Errors) > 0 {
		b.WriteString("\n### Input errors\n\n")
		for _, e := range res.Errors {
			fmt.Fprintf(&b, "- `%s`\n", e.String())
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func mdEscape(s string) string {
	s = strings.ReplaceAll(s, "|", "\\|")
	return strings.ReplaceAll(s, "\n", " ")
}
