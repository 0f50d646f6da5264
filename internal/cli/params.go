package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/bulwark-sec/bulwark/internal/source"
)

// readParameterFile reads template parameter values from the files users
// already have: the CloudFormation CLI's JSON list
// ([{"ParameterKey": K, "ParameterValue": V}]), a template configuration
// ({"Parameters": {K: V}}), or a SAM config (samconfig.toml / .yaml) with
// parameter_overrides.
func readParameterFile(path string) (map[string]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading parameter file: %w", err)
	}
	if strings.HasSuffix(path, ".toml") {
		return samconfigTOML(path, string(data))
	}
	var list []struct{ ParameterKey, ParameterValue string }
	if json.Unmarshal(data, &list) == nil && len(list) > 0 {
		out := map[string]string{}
		for _, p := range list {
			out[p.ParameterKey] = p.ParameterValue
		}
		return out, nil
	}
	doc, err := source.Parse(path, data, source.Limits{})
	if err != nil {
		return nil, err
	}
	if ps := doc.Root.Get("Parameters"); ps != nil && ps.Kind == source.Map {
		out := map[string]string{}
		for _, f := range ps.Fields {
			out[f.Key], _ = f.Value.Str()
		}
		return out, nil
	}
	if po := findKey(doc.Root, "parameter_overrides", 0); po != nil {
		return overrides(po)
	}
	return nil, fmt.Errorf("%s: no parameters found (want a CloudFormation parameters list, {\"Parameters\": {...}}, or a SAM config with parameter_overrides)", path)
}

func findKey(n *source.Node, key string, depth int) *source.Node {
	if n == nil || depth > 8 {
		return nil
	}
	if v := n.Get(key); v != nil {
		return v
	}
	for _, f := range n.Fields {
		if v := findKey(f.Value, key, depth+1); v != nil {
			return v
		}
	}
	return nil
}

func overrides(n *source.Node) (map[string]string, error) {
	if s, ok := n.Str(); ok {
		return parseOverrides(s), nil
	}
	out := map[string]string{}
	for _, it := range n.List() {
		s, _ := it.Str()
		for k, v := range parseOverrides(s) {
			out[k] = v
		}
	}
	return out, nil
}

var overridePattern = regexp.MustCompile(`([A-Za-z0-9]+)=("(?:[^"\\]|\\.)*"|'[^']*'|\S+)`)

// parseOverrides reads SAM's "K1=V1 K2=\"value with spaces\"" form.
func parseOverrides(s string) map[string]string {
	out := map[string]string{}
	for _, m := range overridePattern.FindAllStringSubmatch(s, -1) {
		v := m[2]
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') {
			v = strings.ReplaceAll(v[1:len(v)-1], `\"`, `"`)
		}
		out[m[1]] = v
	}
	return out
}

var tomlOverrides = regexp.MustCompile(`(?m)^\s*parameter_overrides\s*=\s*(.+)$`)

func samconfigTOML(path, text string) (map[string]string, error) {
	m := tomlOverrides.FindStringSubmatch(text)
	if m == nil {
		return nil, fmt.Errorf("%s: no parameter_overrides found", path)
	}
	v := strings.TrimSpace(m[1])
	switch {
	case strings.HasPrefix(v, "["):
		var list []string
		if err := json.Unmarshal([]byte(v), &list); err != nil {
			return nil, fmt.Errorf("%s: parameter_overrides: %w", path, err)
		}
		return overrides(&source.Node{Kind: source.Seq, Items: stringNodes(list)})
	case strings.HasPrefix(v, `"`):
		var s string
		if err := json.Unmarshal([]byte(v), &s); err != nil {
			return nil, fmt.Errorf("%s: parameter_overrides: %w", path, err)
		}
		return parseOverrides(s), nil
	case strings.HasPrefix(v, "'"):
		return parseOverrides(strings.Trim(v, "'")), nil
	}
	return nil, fmt.Errorf("%s: parameter_overrides must be a string or a list of strings", path)
}

func stringNodes(list []string) []*source.Node {
	out := make([]*source.Node, len(list))
	for i, s := range list {
		out[i] = &source.Node{Kind: source.String, Value: s}
	}
	return out
}
