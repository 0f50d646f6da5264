package iamdata

import (
	"fmt"
	"iter"
	"sort"
	"strings"
	"sync"
)

// Policy is an AWS managed policy as it stands in its default version.
type Policy struct {
	Name      string // e.g. "AWSLambdaBasicExecutionRole"
	Path      string // e.g. "/service-role/"; "/" for most policies
	ARN       string // in the aws partition, e.g. "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
	VersionID string // the default version, e.g. "v3"
	Document  string // the default version's policy document, compact JSON
}

// ManagedPolicy finds an AWS managed policy by any of the ways templates
// name one, ignoring the case of the name as IAM does:
//
//   - its name: "AdministratorAccess";
//   - its path and name, as the CDK takes it: "service-role/AWSLambdaBasicExecutionRole";
//   - its ARN in any partition, including CloudFormation's pseudo parameter:
//     "arn:aws:iam::aws:policy/ReadOnlyAccess",
//     "arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess",
//     "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole".
//
// When a path is given it must be the policy's own: no policy has the ARN
// "arn:aws:iam::aws:policy/AWSLambdaBasicExecutionRole".
func ManagedPolicy(nameOrARN string) (Policy, bool) {
	path, name := "", nameOrARN
	if rest, ok := strings.CutPrefix(nameOrARN, "arn:"); ok {
		var valid bool
		if path, name, valid = splitPolicyARN(rest); !valid {
			return Policy{}, false
		}
	} else if i := strings.LastIndexByte(nameOrARN, '/'); i >= 0 {
		path, name = "/"+strings.TrimPrefix(nameOrARN[:i+1], "/"), nameOrARN[i+1:]
	}

	policies := loadPolicies()
	i, found := sort.Find(len(policies), func(i int) int { return compareFold(name, policies[i].Name) })
	if !found || (path != "" && path != policies[i].Path) {
		return Policy{}, false
	}
	return policies[i], true
}

// splitPolicyARN splits the part of an AWS managed policy ARN after "arn:"
// into the policy's path and name. The partition may be any single ARN
// field or a "${...}" substitution, which itself contains colons.
func splitPolicyARN(rest string) (path, name string, ok bool) {
	var partitionEnd int
	if strings.HasPrefix(rest, "${") {
		partitionEnd = strings.IndexByte(rest, '}') + 1
	} else {
		partitionEnd = strings.IndexByte(rest, ':')
	}
	if partitionEnd <= 0 {
		return "", "", false
	}
	pathAndName, ok := strings.CutPrefix(rest[partitionEnd:], ":iam::aws:policy/")
	if !ok {
		return "", "", false
	}
	i := strings.LastIndexByte(pathAndName, '/')
	return "/" + pathAndName[:i+1], pathAndName[i+1:], true
}

// ManagedPolicies yields every AWS managed policy, sorted by name ignoring case.
func ManagedPolicies() iter.Seq[Policy] {
	return func(yield func(Policy) bool) {
		for _, p := range loadPolicies() {
			if !yield(p) {
				return
			}
		}
	}
}

var loadPolicies = sync.OnceValue(func() []Policy {
	text, err := decompress(managedPoliciesGz)
	if err == nil {
		var policies []Policy
		if policies, err = parsePolicies(text); err == nil {
			return policies
		}
	}
	// Generated and embedded at build time, and loaded by the tests.
	panic(fmt.Sprintf("iamdata: embedded managed policies file: %v", err))
})

// awsPolicyARNPrefix begins every AWS managed policy ARN in the aws partition.
const awsPolicyARNPrefix = "arn:aws:iam::aws:policy"

func parsePolicies(text string) ([]Policy, error) {
	policies := make([]Policy, 0, strings.Count(text, "\npolicy\t"))
	for line, fields := range records(text) {
		switch {
		case fields[0] == "source":
			// Read by Versions.
		case fields[0] == "policy" && len(fields) == 5:
			p := Policy{Name: fields[1], Path: fields[2], VersionID: fields[3], Document: fields[4]}
			if n := len(policies); n > 0 && compareFold(policies[n-1].Name, p.Name) >= 0 {
				return nil, recordError(line, fields, "policies out of order")
			}
			if !strings.HasPrefix(p.Path, "/") || !strings.HasSuffix(p.Path, "/") {
				return nil, recordError(line, fields, fmt.Sprintf("malformed path %q", p.Path))
			}
			p.ARN = awsPolicyARNPrefix + p.Path + p.Name
			policies = append(policies, p)
		default:
			return nil, recordError(line, fields, fmt.Sprintf("unknown record or wrong field count %d", len(fields)))
		}
	}
	if len(policies) == 0 {
		return nil, fmt.Errorf("no policies")
	}
	return policies, nil
}
