package scan

import (
	"bytes"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/bulwark-sec/bulwark/internal/model"
	"github.com/bulwark-sec/bulwark/internal/rule"
	"github.com/bulwark-sec/bulwark/internal/rules"
	"github.com/bulwark-sec/bulwark/internal/source"
)

// suppressor decides whether a finding is suppressed. Sources, in order:
// the resource's Metadata (bulwark, checkov, cfn_nag, cdk_nag), a
// `# bulwark:ignore` comment, and .bulwark.yml ignore entries.
//
// A suppression must give a reason. One without is not honoured, and is
// itself reported (BW000) at the place it is written, so that silencing a
// finding always leaves a record of why.
type suppressor struct {
	app      *model.App
	cfg      *Config
	now      time.Time
	comments map[string]map[int]ignoreComment // file → line → comment
	missing  []rule.Finding
	flagged  map[source.Pos]bool
	warnings []Diagnostic
	rules    map[string]*rule.Rule
	stacks   map[string]*model.Stack // by name
}

type ignoreComment struct {
	ids    []string
	reason string
	pos    source.Pos
}

func newSuppressor(app *model.App, cfg *Config, now time.Time, index map[string]*rule.Rule) *suppressor {
	s := &suppressor{app: app, cfg: cfg, now: now, rules: index, comments: map[string]map[int]ignoreComment{}, flagged: map[source.Pos]bool{}}
	s.stacks = make(map[string]*model.Stack, len(app.Stacks))
	for _, st := range app.Stacks {
		s.stacks[st.Name] = st
	}
	s.auditSuppressions()
	if cfg != nil {
		for _, ig := range cfg.Ignore {
			if !ig.Expires.IsZero() && now.After(ig.Expires.Time) {
				s.warnings = append(s.warnings, Diagnostic{File: cfg.Path, Line: ig.line,
					Message: fmt.Sprintf("ignore entry for %s expired on %s and is no longer applied", strings.Join(ig.Rules, ","), ig.Expires.Format("2006-01-02"))})
			}
		}
	}
	return s
}

func (s *suppressor) problems() []rule.Finding { return s.missing }

// auditSuppressions reports every suppression written without a reason,
// whether or not a finding needs it today: the record matters when one does.
func (s *suppressor) auditSuppressions() {
	for _, st := range s.app.Stacks {
		for _, line := range sortedLines(s.fileComments(st)) {
			c := s.comments[st.Doc.Path][line]
			if c.reason == "" {
				s.needsReason(c.pos, st.Name, strings.Join(c.ids, ","))
			}
		}
		if st.Doc == nil {
			continue
		}
		for _, res := range st.Doc.Root.Get("Resources").Entries() {
			md := res.Value.Get("Metadata")
			for _, src := range metadataSources {
				for _, entry := range md.Get(src.key).Get(src.list).List() {
					id, _ := entry.Get("id").Str()
					if reason, _ := entry.Get(src.reason).Str(); strings.TrimSpace(reason) != "" || !s.mapsToRule(src.ids, id) {
						continue
					}
					s.needsReason(entry.Pos, st.Name, id+" ("+src.key+" on "+res.Key+")")
				}
			}
		}
	}
	if s.cfg != nil {
		for _, ig := range s.cfg.Ignore {
			if strings.TrimSpace(ig.Reason) == "" {
				s.needsReason(source.Pos{File: s.cfg.Path, Line: ig.line, Column: 1}, "", strings.Join(ig.Rules, ",")+" (.bulwark.yml)")
			}
		}
	}
}

// mapsToRule reports whether a suppression ID written for Bulwark (ids ==
// nil) or for another tool names one of the scan's rules.
func (s *suppressor) mapsToRule(ids func(rule.Equivalents) []string, id string) bool {
	for _, r := range s.rules {
		if ids == nil && (strings.EqualFold(id, r.ID) || id == r.Name) {
			return true
		}
		if ids != nil && slices.Contains(ids(r.Equivalents), id) {
			return true
		}
	}
	return false
}

func sortedLines(m map[int]ignoreComment) []int {
	lines := make([]int, 0, len(m))
	for l := range m {
		lines = append(lines, l)
	}
	slices.Sort(lines)
	return lines
}

// needsReason records a suppression without a reason, once per place.
func (s *suppressor) needsReason(pos source.Pos, stack, what string) {
	if s.flagged[pos] {
		return
	}
	s.flagged[pos] = true
	s.missing = append(s.missing, rule.Finding{
		RuleID: rules.SuppressionWithoutReason.ID, Severity: rules.SuppressionWithoutReason.Severity,
		Message:  fmt.Sprintf("suppression of %s gives no reason, so it is not applied; add why the finding is acceptable", what),
		Location: rule.Location{Pos: pos, Stack: stack}, Evidence: what,
	})
}

func (s *suppressor) match(f rule.Finding) *Suppression {
	r := s.rules[f.RuleID]
	if r == nil {
		return nil
	}
	st := s.stack(f.Location.Stack)
	if sup := s.fromMetadata(r, st, f); sup != nil {
		return sup
	}
	if sup := s.fromComments(r, st, f); sup != nil {
		return sup
	}
	return s.fromConfig(r, f)
}

func (s *suppressor) stack(name string) *model.Stack { return s.stacks[name] }

// metadata returns the Metadata the user wrote on the finding's resource:
// on the original (SAM) resource when there is one, else the deployed one.
func metadata(st *model.Stack, logicalID string) *source.Node {
	if st == nil || logicalID == "" {
		return nil
	}
	if st.Doc != nil {
		if md := st.Doc.Root.Get("Resources").Get(logicalID).Get("Metadata"); md != nil {
			return md
		}
	}
	if r := st.Template.Resource(logicalID); r != nil {
		return r.Metadata
	}
	return nil
}

// metadataSources are the suppression lists other tools write in Metadata,
// honoured through each rule's Equivalents.
var metadataSources = []struct {
	kind, key, list, reason string
	ids                     func(rule.Equivalents) []string
}{
	{"metadata", "bulwark", "skip", "reason", nil},
	{"checkov", "checkov", "skip", "comment", func(e rule.Equivalents) []string { return e.Checkov }},
	{"cfn_nag", "cfn_nag", "rules_to_suppress", "reason", func(e rule.Equivalents) []string { return e.CfnNag }},
	{"cdk_nag", "cdk_nag", "rules_to_suppress", "reason", func(e rule.Equivalents) []string { return e.CdkNag }},
}

func (s *suppressor) fromMetadata(r *rule.Rule, st *model.Stack, f rule.Finding) *Suppression {
	md := metadata(st, f.Location.Resource)
	if md == nil {
		return nil
	}
	for _, src := range metadataSources {
		for _, entry := range md.Get(src.key).Get(src.list).List() {
			id, _ := entry.Get("id").Str()
			var applies bool
			if src.ids == nil {
				applies = strings.EqualFold(id, r.ID) || id == r.Name
			} else {
				applies = slices.Contains(src.ids(r.Equivalents), id)
			}
			if !applies {
				continue
			}
			reason, _ := entry.Get(src.reason).Str()
			if strings.TrimSpace(reason) == "" {
				continue // reported by auditSuppressions
			}
			return &Suppression{Kind: src.kind, Reason: reason, File: entry.Pos.File, Line: entry.Pos.Line}
		}
	}
	return nil
}

var ignorePattern = regexp.MustCompile(`#\s*bulwark:ignore\s+([A-Za-z0-9_,-]+)(.*)$`)

// fileComments parses the `# bulwark:ignore` comments of a file once.
func (s *suppressor) fileComments(st *model.Stack) map[int]ignoreComment {
	if st == nil || st.Doc == nil {
		return nil
	}
	path := st.Doc.Path
	if c, ok := s.comments[path]; ok {
		return c
	}
	out := map[int]ignoreComment{}
	if st.Doc.Format == source.YAML && bytes.Contains(st.Doc.Src, []byte("bulwark:ignore")) {
		for i, line := range strings.Split(string(st.Doc.Src), "\n") {
			m := ignorePattern.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			col := strings.Index(line, "#") + 1
			out[i+1] = ignoreComment{ids: strings.Split(m[1], ","), reason: strings.TrimSpace(m[2]), pos: source.Pos{File: path, Line: i + 1, Column: col}}
		}
	}
	s.comments[path] = out
	return out
}

// fromComments honours a `# bulwark:ignore ID reason` comment at the end of
// the finding's line or on the line above it, or the same on the line where
// the resource's logical ID is written.
func (s *suppressor) fromComments(r *rule.Rule, st *model.Stack, f rule.Finding) *Suppression {
	comments := s.fileComments(st)
	if len(comments) == 0 {
		return nil
	}
	lines := []int{f.Location.Pos.Line, f.Location.Pos.Line - 1}
	if st.Doc != nil && f.Location.Resource != "" {
		if fld, ok := st.Doc.Root.Get("Resources").Field(f.Location.Resource); ok && fld.KeyPos.File == f.Location.Pos.File {
			lines = append(lines, fld.KeyPos.Line, fld.KeyPos.Line-1)
		}
	}
	for _, ln := range lines {
		c, ok := comments[ln]
		if !ok || !slices.ContainsFunc(c.ids, func(id string) bool { return strings.EqualFold(id, r.ID) || id == r.Name }) {
			continue
		}
		if c.reason == "" {
			continue // reported by auditSuppressions
		}
		return &Suppression{Kind: "comment", Reason: c.reason, File: c.pos.File, Line: c.pos.Line}
	}
	return nil
}

func (s *suppressor) fromConfig(r *rule.Rule, f rule.Finding) *Suppression {
	if s.cfg == nil {
		return nil
	}
	for _, ig := range s.cfg.Ignore {
		if !slices.ContainsFunc(ig.Rules, func(id string) bool { return strings.EqualFold(id, r.ID) || id == r.Name }) {
			continue
		}
		if ig.Resource != "" && ig.Resource != f.Location.Resource && ig.Resource != f.Location.Function {
			continue
		}
		if ig.Path != "" && !s.cfg.matchPath(ig.Path, f.Location.Pos.File) {
			continue
		}
		if !ig.Expires.IsZero() && s.now.After(ig.Expires.Time) {
			continue
		}
		if strings.TrimSpace(ig.Reason) == "" {
			continue // reported by auditSuppressions
		}
		return &Suppression{Kind: "config", Reason: ig.Reason, File: s.cfg.Path, Line: ig.line}
	}
	return nil
}

// matchPath matches file against a glob written relative to the config
// file's folder. "**" matches any number of folders.
func (c *Config) matchPath(glob, file string) bool {
	abs, err := filepath.Abs(file)
	if err != nil {
		return false
	}
	rel, err := filepath.Rel(c.Dir, abs)
	if err != nil {
		return false
	}
	return globMatch(strings.Split(filepath.ToSlash(glob), "/"), strings.Split(filepath.ToSlash(rel), "/"))
}

func globMatch(pattern, parts []string) bool {
	for len(pattern) > 0 {
		if pattern[0] == "**" {
			for i := 0; i <= len(parts); i++ {
				if globMatch(pattern[1:], parts[i:]) {
					return true
				}
			}
			return false
		}
		if len(parts) == 0 {
			return false
		}
		if ok, _ := filepath.Match(pattern[0], parts[0]); !ok {
			return false
		}
		pattern, parts = pattern[1:], parts[1:]
	}
	return len(parts) == 0
}
