package secrets

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestSecretNeverPrintsItsValue(t *testing.T) {
	const value = "s3cret-Value"
	s := NewSecret([]byte(value))
	type exported struct{ Password Secret }
	type unexported struct{ password Secret }

	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("login", "password", s, slog.Group("db", "pw", s))
	var textLogged bytes.Buffer
	slog.New(slog.NewTextHandler(&textLogged, nil)).Info("login", "password", s)

	jsonOf := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("json.Marshal: %v", err)
		}
		return string(b)
	}
	text, err := s.MarshalText()
	if err != nil {
		t.Fatal(err)
	}

	renderings := map[string]string{
		"%v":                  fmt.Sprintf("%v", s),
		"%+v":                 fmt.Sprintf("%+v", s),
		"%#v":                 fmt.Sprintf("%#v", s),
		"%s":                  fmt.Sprintf("%s", s),
		"%q":                  fmt.Sprintf("%q", s),
		"%x":                  fmt.Sprintf("%x", s),
		"%X":                  fmt.Sprintf("% X", s),
		"%d":                  fmt.Sprintf("%d", s),
		"%10.3s":              fmt.Sprintf("%10.3s", s),
		"Sprint":              fmt.Sprint(s),
		"Println":             fmt.Sprintln(s, &s),
		"String":              s.String(),
		"error wrap":          fmt.Errorf("bad %v", s).Error(),
		"exported field %+v":  fmt.Sprintf("%+v", exported{s}),
		"exported field %#v":  fmt.Sprintf("%#v", exported{s}),
		"unexported field %v": fmt.Sprintf("%v", unexported{s}),
		"unexported %+v":      fmt.Sprintf("%+v", unexported{s}),
		"unexported %#v":      fmt.Sprintf("%#v", unexported{s}),
		"unexported %s":       sprintfUnchecked("%s", unexported{s}),
		"unexported %x":       sprintfUnchecked("%x", unexported{s}),
		"%p":                  sprintfUnchecked("%p", s),
		"pointer to struct":   fmt.Sprintf("%+v", &unexported{s}),
		"slice":               fmt.Sprintf("%v", []Secret{s}),
		"map":                 fmt.Sprintf("%v", map[string]Secret{"k": s}),
		"json":                jsonOf(s),
		"json field":          jsonOf(exported{s}),
		"json map":            jsonOf(map[string]Secret{"k": s}),
		"MarshalText":         string(text),
		"slog json":           logged.String(),
		"slog text":           textLogged.String(),
	}
	leaks := []string{
		value,
		fmt.Sprintf("%x", value),
		fmt.Sprintf("%X", value),
		fmt.Sprintf("%v", []byte(value)), // [115 51 99 ...]
		strings.Trim(fmt.Sprintf("%v", []byte(value)), "[]"),
		value[:3],
	}
	for name, got := range renderings {
		for _, leak := range leaks {
			if strings.Contains(got, leak) {
				t.Errorf("%s rendered %q, which contains %q", name, got, leak)
			}
		}
	}
	for _, name := range []string{"%v", "%#v", "%q", "%d", "String", "MarshalText"} {
		if renderings[name] != Redacted {
			t.Errorf("%s rendered %q, want %q", name, renderings[name], Redacted)
		}
	}
	if renderings["json"] != `"`+Redacted+`"` {
		t.Errorf("json rendered %s, want the JSON string %q", renderings["json"], Redacted)
	}
}

// sprintfUnchecked formats with verbs that vet rightly rejects for a struct,
// because someone will use them anyway and the value must not leak then.
func sprintfUnchecked(format string, arg any) string {
	return fmt.Sprintf(format, arg)
}

func TestSecretGivesItsValueWhenAskedByName(t *testing.T) {
	original := []byte("hunter2")
	s := NewSecret(original)
	original[0] = 'X' // NewSecret copied it

	if got := s.Reveal(); got != "hunter2" {
		t.Fatalf("Reveal = %q, want hunter2", got)
	}
	if got := string(s.Bytes()); got != "hunter2" {
		t.Fatalf("Bytes = %q, want hunter2", got)
	}
	if s.Len() != 7 {
		t.Fatalf("Len = %d, want 7", s.Len())
	}
	var zero Secret
	if zero.Reveal() != "" || zero.Bytes() != nil || zero.Len() != 0 {
		t.Fatal("the zero Secret is not empty")
	}
	zero.Wipe() // must not panic
}

func TestWipeZeroesEveryCopy(t *testing.T) {
	s := NewSecret([]byte("hunter2"))
	kept := s.Bytes()
	copyOfS := s
	copyOfS.Wipe()
	if !bytes.Equal(kept, make([]byte, 7)) || !bytes.Equal(s.Bytes(), make([]byte, 7)) {
		t.Fatalf("after Wipe the bytes are %q, want zeros", kept)
	}
}

func TestEqualComparesTheValue(t *testing.T) {
	s := NewSecret([]byte("token-123"))
	tests := []struct {
		other []byte
		want  bool
	}{
		{[]byte("token-123"), true},
		{[]byte("token-124"), false},
		{[]byte("token-12"), false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := s.Equal(tt.other); got != tt.want {
			t.Errorf("Equal(%q) = %v, want %v", tt.other, got, tt.want)
		}
	}
}

func TestFieldReadsJSONObjects(t *testing.T) {
	tests := []struct {
		name        string
		value       string
		field       string
		want        string
		wantErr     string
		notFoundErr bool
	}{
		{name: "string field is unquoted", value: `{"username":"app","password":"p\"w"}`, field: "password", want: `p"w`},
		{name: "number field keeps JSON text", value: `{"port":5432}`, field: "port", want: "5432"},
		{name: "object field keeps JSON text", value: `{"tls":{"ca":"x"}}`, field: "tls", want: `{"ca":"x"}`},
		{name: "missing field", value: `{"a":"b"}`, field: "password", notFoundErr: true},
		{name: "not JSON", value: `hunter2`, field: "password", wantErr: "not a JSON object"},
		{name: "JSON but not an object", value: `["a"]`, field: "password", wantErr: "not a JSON object"},
		{name: "JSON null", value: `null`, field: "password", wantErr: "not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewSecret([]byte(tt.value)).Field(tt.field)
			switch {
			case tt.notFoundErr:
				if !errors.Is(err, ErrFieldNotFound) {
					t.Fatalf("err = %v, want ErrFieldNotFound", err)
				}
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "'h'") {
					t.Fatalf("error %q quotes the secret", err)
				}
			case err != nil:
				t.Fatalf("Field: %v", err)
			case got.Reveal() != tt.want:
				t.Fatalf("Field = %q, want %q", got.Reveal(), tt.want)
			}
		})
	}
}
