package iamdata

import (
	"bytes"
	"compress/gzip"
	"reflect"
	"strings"
	"testing"
)

// lines joins records written with '|' for readability into the tab-separated format.
func lines(records ...string) string {
	return strings.ReplaceAll(strings.Join(records, "\n"), " | ", "\t") + "\n"
}

func TestParseActionsDecodesEveryRecordKind(t *testing.T) {
	db, err := parseActions(lines(
		"# comment",
		"source | pkg | 1.0 | MIT | 2026-01-01",
		"service | ex | Example Service",
		"resource | thing | arn:${Partition}:ex:::thing/${Name} | aws:ResourceTag/${TagKey},ex:Color",
		"condition | ex:Color | String",
		"action | ListThings | List |  | ",
		"action | TagThing | Tagging | *thing|ex:Color|aws:ResourceTag/${TagKey},other | ex:Color,aws:TagKeys",
		"service | fx | F",
		"action | Do | Permissions management |  | ",
	))
	if err != nil {
		t.Fatal(err)
	}
	tag := db.action(2)
	want := Action{
		ID: 2, Service: "ex", Name: "TagThing", Access: AccessTagging,
		ResourceTypes: []ResourceRef{
			{Name: "thing", Required: true, ConditionKeys: []string{"ex:Color", "aws:ResourceTag/${TagKey}"}},
			{Name: "other"},
		},
		ConditionKeys: []string{"ex:Color", "aws:TagKeys"},
	}
	if !reflect.DeepEqual(tag, want) {
		t.Errorf("action 2 = %+v\nwant       %+v", tag, want)
	}
	ex := db.service(0)
	if ex.Prefix != "ex" || ex.Name != "Example Service" || len(ex.Actions) != 2 {
		t.Errorf("service 0 = %+v", ex)
	}
	wantType := ResourceType{Name: "thing", ARNFormat: "arn:${Partition}:ex:::thing/${Name}", ConditionKeys: []string{"aws:ResourceTag/${TagKey}", "ex:Color"}}
	if got, _ := ex.ResourceType("thing"); !reflect.DeepEqual(got, wantType) {
		t.Errorf("resource type = %+v, want %+v", got, wantType)
	}
	if !reflect.DeepEqual(ex.ConditionKeys, []ConditionKey{{Name: "ex:Color", Type: "String"}}) {
		t.Errorf("condition keys = %+v", ex.ConditionKeys)
	}
	if fx := db.service(1); !reflect.DeepEqual(fx.Actions, []ActionID{3}) || db.action(3).Access != AccessPermissionsManagement {
		t.Errorf("service 1 = %+v", fx)
	}
}

func TestParseActionsRejectsMalformedFiles(t *testing.T) {
	tests := map[string]string{
		"actions out of order": lines("service | ex | E", "action | B | Read |  | ", "action | a | Read |  | "),
		"duplicate action":     lines("service | ex | E", "action | A | Read |  | ", "action | a | Read |  | "),
		"services out of order": lines("service | fx | F", "action | A | Read |  | ",
			"service | ex | E", "action | A | Read |  | "),
		"unknown access level":  lines("service | ex | E", "action | A | Write, Read |  | "),
		"record before service": lines("action | A | Read |  | "),
		"missing field":         lines("service | ex | E", "action | A | Read | "),
		"unknown record":        lines("service | ex | E", "verb | A"),
		"no actions":            lines("source | pkg | 1.0 | MIT | ", "service | ex | E"),
	}
	for name, text := range tests {
		if _, err := parseActions(text); err == nil {
			t.Errorf("%s: parseActions accepted %q", name, text)
		}
	}
}

func TestParsePoliciesRejectsMalformedFiles(t *testing.T) {
	tests := map[string]string{
		"out of order":   lines("policy | B | / | v1 | {}", "policy | a | / | v1 | {}"),
		"duplicate":      lines("policy | A | / | v1 | {}", "policy | a | / | v1 | {}"),
		"malformed path": lines("policy | A | service-role | v1 | {}"),
		"missing field":  lines("policy | A | / | {}"),
		"no policies":    lines("source | pkg | 1.0 | MIT"),
	}
	for name, text := range tests {
		if _, err := parsePolicies(text); err == nil {
			t.Errorf("%s: parsePolicies accepted %q", name, text)
		}
	}
}

func TestReadSourcesReadsOnlyTheHeader(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		want    []Source
		wantErr bool
	}{
		{
			name: "two sources",
			text: lines("# c", "source | a | 1 | MIT | 2026-01-01", "source | b | 2 | MIT", "policy | P | / | v1 | {}"),
			want: []Source{{"a", "1", "MIT", "2026-01-01"}, {"b", "2", "MIT", ""}},
		},
		{name: "no source", text: lines("policy | P | / | v1 | {}"), wantErr: true},
		{name: "malformed source", text: lines("source | a", "policy | P | / | v1 | {}"), wantErr: true},
		{name: "header only", text: lines("source | a | 1 | MIT"), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var gz bytes.Buffer
			zw := gzip.NewWriter(&gz)
			zw.Write([]byte(tt.text))
			zw.Close()
			got, err := readSources(gz.Bytes())
			if (err != nil) != tt.wantErr || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("readSources = %+v, %v; want %+v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestCompareFoldOrdersAsLowercasedASCII(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"GetObject", "getobject", 0},
		{"GetObject", "GetObjectAcl", -1},
		{"getobjecta", "GetObject", 1},
		{"Get_Object", "GetObject", -1}, // '_' sorts below 'o' once lowercased, as the generator sorts
		{"Z", "a", 1},
		{"", "", 0},
	}
	for _, tt := range tests {
		if got := compareFold(tt.a, tt.b); got != tt.want {
			t.Errorf("compareFold(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
