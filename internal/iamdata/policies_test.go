package iamdata

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestManagedPolicyFindsPoliciesByNamePathOrARN(t *testing.T) {
	tests := []struct {
		input    string
		wantName string // "" when nothing should be found
	}{
		{"AdministratorAccess", "AdministratorAccess"},
		{"administratoraccess", "AdministratorAccess"},
		{"arn:aws:iam::aws:policy/AdministratorAccess", "AdministratorAccess"},
		{"arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess", "ReadOnlyAccess"},
		{"arn:aws-cn:iam::aws:policy/ReadOnlyAccess", "ReadOnlyAccess"},
		{"arn:${AWS::Partition}:iam::aws:policy/PowerUserAccess", "PowerUserAccess"},
		{"AWSLambdaBasicExecutionRole", "AWSLambdaBasicExecutionRole"},
		{"service-role/AWSLambdaBasicExecutionRole", "AWSLambdaBasicExecutionRole"},
		{"/service-role/AWSLambdaBasicExecutionRole", "AWSLambdaBasicExecutionRole"},
		{"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole", "AWSLambdaBasicExecutionRole"},
		{"arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole", "AWSLambdaVPCAccessExecutionRole"},

		// The path is part of the ARN: a wrong one names no policy.
		{"arn:aws:iam::aws:policy/AWSLambdaBasicExecutionRole", ""},
		{"job-function/AWSLambdaBasicExecutionRole", ""},
		{"service-role/AdministratorAccess", ""},
		// Customer managed policies, other resources and malformed ARNs.
		{"arn:aws:iam::123456789012:policy/AdministratorAccess", ""},
		{"arn:aws:iam::aws:role/AdministratorAccess", ""},
		{"arn::iam::aws:policy/AdministratorAccess", ""},
		{"arn:${AWS::Partition:iam::aws:policy/AdministratorAccess", ""},
		{"arn:aws:iam::aws:policy/", ""},
		{"NoSuchPolicy", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.input, func(t *testing.T) {
			p, ok := ManagedPolicy(tt.input)
			if ok != (tt.wantName != "") || p.Name != tt.wantName {
				t.Errorf("ManagedPolicy(%q) = %q, %v; want %q", tt.input, p.Name, ok, tt.wantName)
			}
		})
	}
}

func TestManagedPolicyCarriesARNPathAndVersion(t *testing.T) {
	p, ok := ManagedPolicy("AWSLambdaBasicExecutionRole")
	if !ok {
		t.Fatal("AWSLambdaBasicExecutionRole not found")
	}
	if p.Path != "/service-role/" || p.ARN != "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole" {
		t.Errorf("path %q, ARN %q", p.Path, p.ARN)
	}
	if !strings.HasPrefix(p.VersionID, "v") {
		t.Errorf("VersionID = %q, want vN", p.VersionID)
	}
	if !strings.Contains(p.Document, `"logs:CreateLogGroup"`) {
		t.Errorf("AWSLambdaBasicExecutionRole does not grant logs:CreateLogGroup: %s", p.Document)
	}
}

// statement is the part of a policy statement these tests read.
type statement struct {
	Effect    string
	Action    stringOrList
	NotAction stringOrList
	Resource  stringOrList
	Condition json.RawMessage
}

type stringOrList []string

func (s *stringOrList) UnmarshalJSON(raw []byte) error {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		*s = []string{one}
		return nil
	}
	return json.Unmarshal(raw, (*[]string)(s))
}

func statements(t *testing.T, p Policy) []statement {
	t.Helper()
	var doc struct {
		Version   string
		Statement json.RawMessage
	}
	if err := json.Unmarshal([]byte(p.Document), &doc); err != nil {
		t.Fatalf("%s: document: %v", p.Name, err)
	}
	var list []statement
	if err := json.Unmarshal(doc.Statement, &list); err != nil {
		var one statement
		if err := json.Unmarshal(doc.Statement, &one); err != nil {
			t.Fatalf("%s: Statement: %v", p.Name, err)
		}
		list = []statement{one}
	}
	return list
}

func TestAdministratorAccessAllowsEveryActionOnEveryResource(t *testing.T) {
	p, ok := ManagedPolicy("AdministratorAccess")
	if !ok {
		t.Fatal("AdministratorAccess not found")
	}
	got := statements(t, p)
	want := []statement{{Effect: "Allow", Action: stringOrList{"*"}, Resource: stringOrList{"*"}}}
	if len(got) != 1 || got[0].Effect != "Allow" || !slices.Equal(got[0].Action, want[0].Action) ||
		!slices.Equal(got[0].Resource, want[0].Resource) || got[0].NotAction != nil || got[0].Condition != nil {
		t.Errorf("AdministratorAccess statements = %+v, want %+v", got, want)
	}
}

// readOnlyAccessWriteActions are the actions the pinned data rates above Read
// although ReadOnlyAccess grants them, unconditionally, through its patterns
// ("athena:Get*" takes in athena:GetSessionEndpoint). They are facts of the
// data, pinned so that a data update that adds one is noticed.
var readOnlyAccessWriteActions = []string{
	"athena:GetSessionEndpoint",
	"backup:ListIndexedRecoveryPointsForSearch",
	"billing:GetResourcePolicy",
	"cognito-idp:GetTokensFromRefreshToken",
	"iot:GetConnection",
	"iot:ListSubscriptions",
	"ssm-sap:GetResourcePermission",
}

func TestReadOnlyAccessGrantsOnlyListAndReadActions(t *testing.T) {
	p, ok := ManagedPolicy("arn:aws:iam::aws:policy/ReadOnlyAccess")
	if !ok {
		t.Fatal("ReadOnlyAccess not found")
	}
	var granted, conditional ActionSet
	for _, st := range statements(t, p) {
		if st.Effect != "Allow" || st.NotAction != nil {
			t.Fatalf("ReadOnlyAccess has a statement this test does not model: %+v", st)
		}
		for _, pattern := range st.Action {
			if st.Condition != nil {
				conditional.Add(Expand(pattern)...)
			} else {
				granted.Add(Expand(pattern)...)
			}
		}
	}
	// A Write action that the policy only grants for read-only sessions.
	if want := NewActionSet(mustID(t, "s3express:CreateSession")); !conditional.Equal(&want) {
		t.Errorf("ReadOnlyAccess grants %v under conditions, want only s3express:CreateSession", names(slices.Collect(conditional.All())))
	}
	if granted.Len() < 5000 {
		t.Fatalf("ReadOnlyAccess grants %d actions, want the read side of every service (over 5000)", granted.Len())
	}
	var aboveRead []string
	for id := range granted.All() {
		if level := id.Access(); level != AccessList && level != AccessRead {
			aboveRead = append(aboveRead, id.String())
		}
	}
	if !slices.Equal(aboveRead, readOnlyAccessWriteActions) {
		t.Errorf("ReadOnlyAccess grants these actions above Read: %v, want exactly the known %v", aboveRead, readOnlyAccessWriteActions)
	}
	if granted.Has(mustID(t, "s3:PutObject")) || granted.Has(mustID(t, "iam:PassRole")) {
		t.Error("ReadOnlyAccess grants s3:PutObject or iam:PassRole")
	}
}

func TestEveryManagedPolicyHasAParsableDocument(t *testing.T) {
	count := 0
	for p := range ManagedPolicies() {
		count++
		if st := statements(t, p); len(st) == 0 {
			t.Errorf("%s has no statement", p.Name)
		}
		if found, ok := ManagedPolicy(p.ARN); !ok || found.Name != p.Name {
			t.Errorf("ManagedPolicy(%q) does not find %s", p.ARN, p.Name)
		}
	}
	if count < 1000 {
		t.Errorf("ManagedPolicies yielded %d policies, want every AWS managed policy (over 1000)", count)
	}
}
