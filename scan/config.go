package scan

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"gopkg.in/yaml.v3"
)

// ConfigFileName is the project configuration Bulwark looks for, from the
// scanned path upward.
const ConfigFileName = ".bulwark.yml"

// Config is a .bulwark.yml file. Command-line flags win over it.
type Config struct {
	Path             string            `yaml:"-"`
	Dir              string            `yaml:"-"`
	FailOn           string            `yaml:"fail-on"`
	Rules            []string          `yaml:"rules"`
	SkipRules        []string          `yaml:"skip-rules"`
	IncludeFramework bool              `yaml:"include-framework"`
	Parameters       map[string]string `yaml:"parameters"`
	Baseline         string            `yaml:"baseline"`
	Ignore           []Ignore          `yaml:"ignore"`
}

// Ignore suppresses findings of some rules, optionally only under a path
// glob or on one resource, until an optional expiry date.
type Ignore struct {
	Rules    []string
	Path     string
	Resource string
	Reason   string
	Expires  Date
	line     int
}

// UnmarshalYAML accepts `rule: BW203` or `rules: [BW203, BW501]` and keeps
// the entry's line for messages.
func (ig *Ignore) UnmarshalYAML(n *yaml.Node) error {
	var raw struct {
		Rule     string   `yaml:"rule"`
		Rules    []string `yaml:"rules"`
		Path     string   `yaml:"path"`
		Resource string   `yaml:"resource"`
		Reason   string   `yaml:"reason"`
		Expires  Date     `yaml:"expires"`
	}
	if err := n.Decode(&raw); err != nil {
		return err
	}
	*ig = Ignore{Rules: raw.Rules, Path: raw.Path, Resource: raw.Resource, Reason: raw.Reason, Expires: raw.Expires, line: n.Line}
	if raw.Rule != "" {
		ig.Rules = append(ig.Rules, raw.Rule)
	}
	if len(ig.Rules) == 0 {
		return fmt.Errorf("line %d: an ignore entry needs `rule` or `rules`", n.Line)
	}
	return nil
}

// Date is a calendar date written as YYYY-MM-DD. It ends at the end of
// that day (UTC).
type Date struct{ time.Time }

// UnmarshalYAML parses YYYY-MM-DD.
func (d *Date) UnmarshalYAML(n *yaml.Node) error {
	t, err := time.Parse("2006-01-02", n.Value)
	if err != nil {
		return fmt.Errorf("line %d: expires must be a date like 2027-01-31", n.Line)
	}
	d.Time = t.Add(24*time.Hour - time.Nanosecond)
	return nil
}

// FindConfig looks for .bulwark.yml in start's folder and its parents. It
// returns "" when there is none.
func FindConfig(start string) (string, error) {
	abs, err := filepath.Abs(start)
	if err != nil {
		return "", err
	}
	if st, err := os.Stat(abs); err == nil && !st.IsDir() {
		abs = filepath.Dir(abs)
	}
	for dir := abs; ; dir = filepath.Dir(dir) {
		p := filepath.Join(dir, ConfigFileName)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		if filepath.Dir(dir) == dir {
			return "", nil
		}
	}
}

// LoadConfig reads a .bulwark.yml. Unknown keys are errors, so typos do not
// silently disable a setting.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	cfg := &Config{Path: path}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) { // an empty file is a valid config
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	cfg.Dir = filepath.Dir(abs)
	if cfg.FailOn != "" {
		if _, err := ParseSeverity(cfg.FailOn); err != nil {
			return nil, fmt.Errorf("%s: fail-on: %w", path, err)
		}
	}
	return cfg, nil
}
