package sam

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"github.com/bulwark-sec/bulwark/internal/source"
)

// samdata.json is generated from AWS's aws-sam-translator package (see
// generate.go and internal/samdatagen). It holds data only: SAM's policy
// templates, its bundled managed policy names and its connector profiles.
//
//go:embed samdata.json
var samDataJSON []byte

type policyTemplate struct {
	parameters []string
	definition *source.Node
}

type samData struct {
	source          string
	templates       map[string]policyTemplate
	managedPolicies map[string]map[string]string // partition -> name -> "path/name"
	profiles        *source.Node                 // connector profiles document
}

var (
	dataOnce sync.Once
	data     *samData
	dataErr  error
)

// loadData decodes the embedded data once. A failure means the generated file
// is corrupt, which tests catch; callers report it as an internal error.
func loadData() (*samData, error) {
	dataOnce.Do(func() { data, dataErr = decodeData(samDataJSON) })
	return data, dataErr
}

func decodeData(raw []byte) (*samData, error) {
	var file struct {
		Source          string `json:"source"`
		PolicyTemplates map[string]struct {
			Parameters []string        `json:"parameters"`
			Definition json.RawMessage `json:"definition"`
		} `json:"policyTemplates"`
		ManagedPolicies   map[string][]string `json:"managedPolicies"`
		ConnectorProfiles json.RawMessage     `json:"connectorProfiles"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		return nil, fmt.Errorf("decoding embedded SAM data: %w", err)
	}
	d := &samData{
		source:          file.Source,
		templates:       make(map[string]policyTemplate, len(file.PolicyTemplates)),
		managedPolicies: make(map[string]map[string]string, len(file.ManagedPolicies)),
	}
	for name, t := range file.PolicyTemplates {
		def, err := parseDataJSON("policy template "+name, t.Definition)
		if err != nil {
			return nil, err
		}
		d.templates[name] = policyTemplate{parameters: t.Parameters, definition: def}
	}
	for partition, paths := range file.ManagedPolicies {
		byName := make(map[string]string, len(paths))
		for _, p := range paths {
			byName[p[strings.LastIndexByte(p, '/')+1:]] = p
		}
		d.managedPolicies[partition] = byName
	}
	profiles, err := parseDataJSON("connector profiles", file.ConnectorProfiles)
	if err != nil {
		return nil, err
	}
	d.profiles = profiles
	return d, nil
}

func parseDataJSON(what string, raw []byte) (*source.Node, error) {
	doc, err := source.Parse("samdata.json", raw, source.Limits{})
	if err != nil {
		return nil, fmt.Errorf("decoding embedded %s: %w", what, err)
	}
	return doc.Root, nil
}
