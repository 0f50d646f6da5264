package scan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// fingerprint identifies a finding across edits: the rule, the file, the
// resource and function it concerns, and its evidence. Line numbers are
// left out on purpose, so moving code does not resurface old findings.
func fingerprint(f Finding) string {
	h := sha256.New()
	for _, part := range []string{f.RuleID, filepath.ToSlash(filepath.Clean(f.File)), f.Resource, f.Function, f.CDKPath, normaliseEvidence(f.Evidence)} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

func normaliseEvidence(s string) string { return strings.Join(strings.Fields(strings.ToLower(s)), " ") }

// Baseline is a set of accepted findings, by fingerprint.
type Baseline struct {
	Version  int             `json:"version"`
	Findings []BaselineEntry `json:"findings"`
	index    map[string]bool
}

// BaselineEntry is one accepted finding; fields other than the fingerprint
// are for people reading the file.
type BaselineEntry struct {
	Fingerprint string `json:"fingerprint"`
	RuleID      string `json:"ruleId"`
	File        string `json:"file"`
	Resource    string `json:"resource,omitempty"`
	Message     string `json:"message"`
}

// Has reports whether the baseline holds the fingerprint.
func (b *Baseline) Has(fp string) bool {
	if b.index == nil {
		b.index = make(map[string]bool, len(b.Findings))
		for _, e := range b.Findings {
			b.index[e.Fingerprint] = true
		}
	}
	return b.index[fp]
}

// LoadBaseline reads a baseline file written by WriteBaseline.
func LoadBaseline(path string) (*Baseline, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading baseline: %w", err)
	}
	var b Baseline
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("%s: not a Bulwark baseline: %w", path, err)
	}
	if b.Version != 1 {
		return nil, fmt.Errorf("%s: baseline version %d is not supported (want 1)", path, b.Version)
	}
	return &b, nil
}

// NewBaseline records every counted and framework finding of r.
func NewBaseline(r *Result) *Baseline {
	b := &Baseline{Version: 1, Findings: []BaselineEntry{}}
	seen := map[string]bool{}
	for _, list := range [][]Finding{r.Findings, r.Framework} {
		for _, f := range list {
			if seen[f.Fingerprint] {
				continue
			}
			seen[f.Fingerprint] = true
			b.Findings = append(b.Findings, BaselineEntry{Fingerprint: f.Fingerprint, RuleID: f.RuleID, File: filepath.ToSlash(f.File), Resource: f.Resource, Message: f.Message})
		}
	}
	sort.Slice(b.Findings, func(i, j int) bool { return b.Findings[i].Fingerprint < b.Findings[j].Fingerprint })
	return b
}

// JSON renders the baseline file.
func (b *Baseline) JSON() ([]byte, error) {
	data, err := json.MarshalIndent(b, "", "  ")
	return append(data, '\n'), err
}
