package rules

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/bulwark-sec/bulwark/internal/load"
	"github.com/bulwark-sec/bulwark/internal/rule"
)

// The external benchmark measures Bulwark's rules against other scanners'
// labelled fixtures: KICS query tests (positive files with expected lines,
// negative files) and cfn_nag specs (templates with the logical IDs a rule
// must flag, or none). Only equivalents that mean the same thing as our rule
// count; testdata/external_exclusions.txt lists the others with the reason.

const corpusRoot = "../../../shared/corpus"

type tally struct {
	positives, hits   int
	negatives, falses int
	misses            []string
	falseHits         []string
}

// fixtureRun loads one fixture file and runs every rule over it.
type fixtureRun struct {
	findings []rule.Finding
	starts   []resourceStart // resource key lines, for mapping a line to a resource
	loaded   bool
}

type resourceStart struct {
	id   string
	line int
}

func runFixture(path string) fixtureRun {
	res, err := load.Paths([]string{path}, load.Options{})
	if err != nil || len(res.Files) == 0 {
		return fixtureRun{}
	}
	var fr fixtureRun
	fr.loaded = true
	for _, st := range res.App.Stacks {
		for _, f := range st.Doc.Root.Get("Resources").Entries() {
			fr.starts = append(fr.starts, resourceStart{f.Key, f.KeyPos.Line})
		}
	}
	sort.Slice(fr.starts, func(i, j int) bool { return fr.starts[i].line < fr.starts[j].line })
	for _, r := range All() {
		if r.Run == nil {
			continue
		}
		r.Run(&rule.Pass{App: res.App, Rule: r, Now: testNow, Report: func(f rule.Finding) { fr.findings = append(fr.findings, f) }})
	}
	return fr
}

// resourceAt returns the resource whose definition holds line, or "".
func (fr fixtureRun) resourceAt(line int) string {
	id := ""
	for _, s := range fr.starts {
		if s.line <= line {
			id = s.id
		}
	}
	return id
}

func (fr fixtureRun) flags(ruleID, resource, evidence string) bool {
	for _, f := range fr.findings {
		if f.RuleID != ruleID || !strings.Contains(f.Evidence, evidence) {
			continue
		}
		if resource == "" || f.Location.Resource == resource || fr.resourceAt(f.Location.Pos.Line) == resource {
			return true
		}
	}
	return false
}

func (fr fixtureRun) any(ruleID, evidence string) bool { return fr.flags(ruleID, "", evidence) }

// readExclusions reads testdata/external_exclusions.txt: excluded external
// IDs with their reasons, and evidence qualifiers (external ID → the
// substring a finding's evidence must hold to count for it).
func readExclusions(t *testing.T) (excluded, evidence map[string]string) {
	data, err := os.ReadFile(filepath.Join("testdata", "external_exclusions.txt"))
	if err != nil {
		t.Fatal(err)
	}
	excluded, evidence = map[string]string{}, map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if rest, ok := strings.CutPrefix(line, "evidence "); ok {
			f := strings.SplitN(rest, " ", 3)
			if len(f) < 3 {
				t.Errorf("evidence qualifier %q needs tool:ID, a substring and a reason", line)
				continue
			}
			evidence[f[0]] = f[1]
			continue
		}
		key, reason, _ := strings.Cut(line, " ")
		if strings.TrimSpace(reason) == "" {
			t.Errorf("exclusion %s gives no reason", key)
		}
		excluded[key] = reason
	}
	return excluded, evidence
}

// mapping returns, for a tool ("kics" or "cfn_nag"), the external ID → our
// rule ID, from each rule's Equivalents minus the exclusions.
func mapping(tool string, excluded map[string]string) map[string]string {
	out := map[string]string{}
	for _, r := range All() {
		ids := r.Equivalents.KICS
		if tool == "cfn_nag" {
			ids = r.Equivalents.CfnNag
		}
		for _, id := range ids {
			if _, skip := excluded[tool+":"+id]; !skip {
				out[id] = r.ID
			}
		}
	}
	return out
}

func TestExternalFixturesRecallAndFalsePositives(t *testing.T) {
	if _, err := os.Stat(corpusRoot); err != nil {
		t.Skipf("corpus not found at %s: the external benchmark needs ../shared/corpus", corpusRoot)
	}
	excluded, evidence := readExclusions(t)
	per := map[string]*tally{}
	get := func(id string) *tally {
		if per[id] == nil {
			per[id] = &tally{}
		}
		return per[id]
	}
	cache := map[string]fixtureRun{}
	run := func(path string) fixtureRun {
		if fr, ok := cache[path]; ok {
			return fr
		}
		fr := runFixture(path)
		cache[path] = fr
		return fr
	}

	// KICS CloudFormation and SAM queries.
	kics := mapping("kics", excluded)
	metas, _ := filepath.Glob(filepath.Join(corpusRoot, "kics/assets/queries/cloudFormation/*/*/metadata.json"))
	for _, meta := range metas {
		var md struct{ ID string }
		if data, err := os.ReadFile(meta); err != nil || json.Unmarshal(data, &md) != nil {
			continue
		}
		ours, ok := kics[md.ID]
		if !ok {
			continue
		}
		ev := evidence["kics:"+md.ID]
		testDir := filepath.Join(filepath.Dir(meta), "test")
		var expected []struct {
			Line     int
			FileName string
		}
		data, _ := os.ReadFile(filepath.Join(testDir, "positive_expected_result.json"))
		json.Unmarshal(data, &expected)
		tl := get(ours)
		for _, e := range expected {
			fr := run(filepath.Join(testDir, e.FileName))
			tl.positives++
			if !fr.loaded { // a positive we cannot read is a miss
				tl.misses = append(tl.misses, fmt.Sprintf("kics %s %s:%d (did not load)", filepath.Base(filepath.Dir(meta)), e.FileName, e.Line))
				continue
			}
			if fr.flags(ours, fr.resourceAt(e.Line), ev) {
				tl.hits++
			} else {
				tl.misses = append(tl.misses, fmt.Sprintf("kics %s %s:%d", filepath.Base(filepath.Dir(meta)), e.FileName, e.Line))
			}
		}
		negs, _ := filepath.Glob(filepath.Join(testDir, "negative*"))
		for _, n := range negs {
			fr := run(n)
			if !fr.loaded {
				continue
			}
			tl.negatives++
			if fr.any(ours, ev) {
				tl.falses++
				tl.falseHits = append(tl.falseHits, fmt.Sprintf("kics %s %s", filepath.Base(filepath.Dir(meta)), filepath.Base(n)))
			}
		}
	}

	// cfn_nag rule specs.
	nag := mapping("cfn_nag", excluded)
	var labels struct {
		Labels []struct {
			Template       string
			RuleID         string   `json:"rule_id"`
			Expected       []string `json:"expected_offending_logical_ids"`
			Form           string
			TemplatesBlock int `json:"templates_in_block"`
		}
	}
	if data, err := os.ReadFile(filepath.Join(corpusRoot, "cfn_nag/LABELS.json")); err == nil {
		json.Unmarshal(data, &labels)
	}
	for _, l := range labels.Labels {
		ours, ok := nag[l.RuleID]
		if !ok || l.Expected == nil || l.TemplatesBlock > 1 || strings.HasPrefix(l.Form, "aggregate") {
			continue
		}
		fr := run(filepath.Join(corpusRoot, "cfn_nag", l.Template))
		ev := evidence["cfn_nag:"+l.RuleID]
		tl := get(ours)
		if !fr.loaded { // a positive we cannot read is a miss
			tl.positives += len(l.Expected)
			for _, id := range l.Expected {
				tl.misses = append(tl.misses, "cfn_nag "+l.RuleID+" "+l.Template+" "+id+" (did not load)")
			}
			continue
		}
		if len(l.Expected) == 0 {
			tl.negatives++
			if fr.any(ours, ev) {
				tl.falses++
				tl.falseHits = append(tl.falseHits, "cfn_nag "+l.RuleID+" "+l.Template)
			}
			continue
		}
		for _, id := range l.Expected {
			tl.positives++
			if fr.flags(ours, id, ev) {
				tl.hits++
			} else {
				tl.misses = append(tl.misses, "cfn_nag "+l.RuleID+" "+l.Template+" "+id)
			}
		}
	}

	var ids []string
	var all tally
	for id, tl := range per {
		ids = append(ids, id)
		all.positives += tl.positives
		all.hits += tl.hits
		all.negatives += tl.negatives
		all.falses += tl.falses
	}
	sort.Strings(ids)
	pct := func(a, b int) float64 {
		if b == 0 {
			return 0
		}
		return 100 * float64(a) / float64(b)
	}
	var table strings.Builder
	table.WriteString("rule   recall            false positives\n")
	for _, id := range ids {
		tl := per[id]
		fmt.Fprintf(&table, "%s  %3d/%-3d %5.1f%%   %3d/%-3d %5.1f%%\n", id, tl.hits, tl.positives, pct(tl.hits, tl.positives), tl.falses, tl.negatives, pct(tl.falses, tl.negatives))
		for _, m := range tl.misses {
			fmt.Fprintf(&table, "         missed %s\n", m)
		}
		for _, f := range tl.falseHits {
			fmt.Fprintf(&table, "         false  %s\n", f)
		}
	}
	fmt.Fprintf(&table, "all    %3d/%-3d %5.1f%%   %3d/%-3d %5.1f%%\n", all.hits, all.positives, pct(all.hits, all.positives), all.falses, all.negatives, pct(all.falses, all.negatives))
	t.Log("\n" + table.String())
	if all.positives == 0 {
		t.Fatal("no mapped positives found: the mapping or the corpus layout changed")
	}
	if r := pct(all.hits, all.positives); r < 90 {
		t.Errorf("recall %.1f%% is below 90%%", r)
	}
	if f := pct(all.falses, all.negatives); f > 5 {
		t.Errorf("false-positive rate %.1f%% is above 5%%", f)
	}
}
