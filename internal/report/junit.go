package report

import (
	"encoding/xml"
	"fmt"
	"io"

	"github.com/bulwark-sec/bulwark/scan"
)

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Error     *junitFailure `xml:"error,omitempty"`
	Skipped   *junitSkipped `xml:"skipped,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

// writeJUnit renders one test suite per rule: a failing case per counted
// finding, a skipped case per suppressed one, and a passing case when the
// rule found nothing. Input errors form their own suite.
func writeJUnit(w io.Writer, res *scan.Result, _ Options) error {
	byRule := map[string][]scan.Finding{}
	for _, list := range [][]scan.Finding{res.Findings, res.Suppressed} {
		for _, f := range list {
			byRule[f.RuleID] = append(byRule[f.RuleID], f)
		}
	}
	out := junitSuites{Name: "bulwark"}
	for _, r := range res.Rules {
		s := junitSuite{Name: r.ID + " " + r.Name}
		for _, f := range byRule[r.ID] {
			c := junitCase{Name: fmt.Sprintf("%s:%d %s", f.File, f.Line, f.Resource), Classname: r.ID}
			if f.Suppression != nil {
				c.Skipped = &junitSkipped{Message: "suppressed: " + f.Suppression.Reason}
				s.Skipped++
			} else {
				c.Failure = &junitFailure{Message: f.Message, Type: f.Severity.String(),
					Text: fmt.Sprintf("%s:%d:%d %s\nfix: %s", f.File, f.Line, f.Column, f.Message, f.Fix)}
				s.Failures++
			}
			s.Cases = append(s.Cases, c)
		}
		if len(s.Cases) == 0 {
			s.Cases = append(s.Cases, junitCase{Name: "no findings", Classname: r.ID})
		}
		s.Tests = len(s.Cases)
		out.Suites = append(out.Suites, s)
		out.Tests += s.Tests
		out.Failures += s.Failures
	}
	if len(res.Errors) > 0 {
		s := junitSuite{Name: "input errors"}
		for _, e := range res.Errors {
			s.Cases = append(s.Cases, junitCase{Name: e.File, Classname: "input", Error: &junitFailure{Message: e.Message, Type: "input", Text: e.String()}})
		}
		s.Tests, s.Errors = len(s.Cases), len(s.Cases)
		out.Suites = append(out.Suites, s)
		out.Tests += s.Tests
		out.Errors += s.Errors
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
