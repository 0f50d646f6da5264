package iamdata

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestExpandMatchesIAMWildcards(t *testing.T) {
	tests := []struct {
		pattern  string
		includes []string
		excludes []string
		exactly  int // when > 0, the number of matches
	}{
		{pattern: "s3:Get*", includes: []string{"s3:GetObject", "s3:GetBucketPolicy"}, excludes: []string{"s3:PutObject", "s3:ListBucket", "s3express:GetObject"}},
		{pattern: "S3:get*", includes: []string{"s3:GetObject"}, excludes: []string{"s3:PutObject"}},
		{pattern: "s3:GetObject", includes: []string{"s3:GetObject"}, exactly: 1},
		{pattern: "S3:GETOBJECT", includes: []string{"s3:GetObject"}, exactly: 1},
		{pattern: "s3:Get?bject", includes: []string{"s3:GetObject"}, exactly: 1},
		{pattern: "s3:*Object", includes: []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject"}, excludes: []string{"s3:GetObjectAcl"}},
		{pattern: "s3:*", includes: []string{"s3:GetObject", "s3:PutObject", "s3:ListAllMyBuckets"}, excludes: []string{"s3express:CreateSession", "iam:PassRole"}},
		{pattern: "*:GetObject", includes: []string{"s3:GetObject", "s3-object-lambda:GetObject"}, excludes: []string{"s3:GetObjectAcl"}},
		{pattern: "*:Get*", includes: []string{"s3:GetObject", "ssm:GetParameter", "secretsmanager:GetSecretValue"}, excludes: []string{"s3:PutObject"}},
		{pattern: "s3*:Get*", includes: []string{"s3:GetObject", "s3express:GetBucketPolicy"}, excludes: []string{"ssm:GetParameter"}},
		{pattern: "iam:*Role*Policy", includes: []string{"iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy"}, excludes: []string{"iam:PassRole"}},
		{pattern: "ssm:GetParameter*", includes: []string{"ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"}},
		{pattern: "*", includes: []string{"s3:GetObject", "iam:PassRole", "a2c:StartDeploymentJob"}},
		{pattern: "*:*", includes: []string{"s3:GetObject", "iam:PassRole"}},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			got := names(Expand(tt.pattern))
			for _, want := range tt.includes {
				if !slices.Contains(got, want) {
					t.Errorf("Expand(%q) lacks %s", tt.pattern, want)
				}
			}
			for _, unwanted := range tt.excludes {
				if slices.Contains(got, unwanted) {
					t.Errorf("Expand(%q) includes %s", tt.pattern, unwanted)
				}
			}
			if tt.exactly > 0 && len(got) != tt.exactly {
				t.Errorf("Expand(%q) = %v, want %d actions", tt.pattern, got, tt.exactly)
			}
		})
	}
}

func TestExpandMatchesNothingForUnknownOrMalformedPatterns(t *testing.T) {
	for _, pattern := range []string{"", "s3", "s3:", ":GetObject", "GetObject", "Get*", "s3:Nope*", "s3:GetObjectt", "nosuchservice:*", "nosuch*:*", "s3:Get:*", "s3:Get*:x", " s3:GetObject"} {
		if got := Expand(pattern); len(got) != 0 {
			t.Errorf("Expand(%q) = %v, want nothing", pattern, names(got))
		}
	}
}

func TestExpandAgreesWithARegexpScanOfEveryAction(t *testing.T) {
	patterns := []string{
		"s3:Get*", "s3:*Object*", "s3:?etObject", "s3:G*t*O*", "ec2:Describe*", "ec2:Describe?pcs",
		"iam:*", "iam:Get*Policy*", "*:List*", "*:*Secret*", "lambda:*Function*", "kms:Decrypt",
		"s?:*", "*3:Put*", "dynamodb:Batch*Item", "sts:Assume*", "*:Tag*", "*:??",
	}
	all := Expand("*")
	for _, pattern := range patterns {
		re := regexp.MustCompile("(?i)^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(pattern)) + "$")
		var want []ActionID
		for _, id := range all {
			if re.MatchString(id.String()) {
				want = append(want, id)
			}
		}
		if got := Expand(pattern); !slices.Equal(got, want) {
			t.Errorf("Expand(%q) = %d actions, a scan of every action finds %d", pattern, len(got), len(want))
		}
	}
}

func TestExpandOfWholeServicesAndPrefixesDoesNotAllocate(t *testing.T) {
	for _, pattern := range []string{"*", "*:*", "s3:*", "S3:Get*", "ec2:Describe*", "s3:GetObject"} {
		allocs := testing.AllocsPerRun(100, func() {
			if len(Expand(pattern)) == 0 {
				t.Fatalf("Expand(%q) matched nothing", pattern)
			}
		})
		if allocs != 0 {
			t.Errorf("Expand(%q) allocates %.1f times per call, want 0", pattern, allocs)
		}
	}
}

func TestAppendingToAnExpandResultLeavesSharedDataIntact(t *testing.T) {
	all, s3 := Expand("*"), Expand("s3:*")
	next := int(s3[len(s3)-1]) // IDs start at 1, so this indexes the action after s3's last
	want := all[next]
	grown := append(s3, 0)
	if all[next] != want || len(grown) != len(s3)+1 {
		t.Errorf("appending to Expand(\"s3:*\") overwrote the next action: %v, want %v", all[next], want)
	}
}

func TestMatchFoldHandlesStarsAndQuestionMarks(t *testing.T) {
	tests := []struct {
		pattern, name string
		want          bool
	}{
		{"GetObject", "getobject", true},
		{"GetObject", "GetObjects", false},
		{"Get*", "Get", true},
		{"*", "", true},
		{"?", "", false},
		{"?", "a", true},
		{"a*b*c", "aXXbYYc", true},
		{"a*b*c", "aXXbYYcd", false},
		{"a*b*c", "abcbc", true},
		{"*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
		{"**", "anything", true},
		{"Get*Policy", "GetBucketPolicyStatus", false},
		{"Get*Policy", "GetBucketPolicy", true},
		{"*Policy*", "PutRolePolicy", true},
		{"Describe?pcs", "DescribeVpcs", true},
	}
	for _, tt := range tests {
		if got := matchFold(tt.pattern, tt.name); got != tt.want {
			t.Errorf("matchFold(%q, %q) = %v, want %v", tt.pattern, tt.name, got, tt.want)
		}
	}
}

func names(ids []ActionID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.String()
	}
	return out
}

func BenchmarkExpand(b *testing.B) {
	for _, pattern := range []string{"*", "s3:*", "s3:Get*", "s3:GetObject", "s3:*Object", "*:Get*"} {
		b.Run(pattern, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Expand(pattern)
			}
		})
	}
}

func BenchmarkLookup(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Lookup("s3:GetObject")
	}
}

func BenchmarkParseActions(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		text, err := decompress(actionsGz)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := parseActions(text); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParsePolicies(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		text, err := decompress(managedPoliciesGz)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := parsePolicies(text); err != nil {
			b.Fatal(err)
		}
	}
}
