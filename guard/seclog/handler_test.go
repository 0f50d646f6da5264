package seclog_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"testing/slogtest"
	"time"

	"github.com/bulwark-sec/bulwark/guard/seclog"
)

const redacted = seclog.DefaultReplacement

// logOne logs one record through a redacting JSON handler and returns it
// decoded.
func logOne(t *testing.T, opts seclog.Options, log func(*slog.Logger)) map[string]any {
	t.Helper()
	var buf bytes.Buffer
	log(slog.New(seclog.NewHandler(slog.NewJSONHandler(&buf, nil), opts)))
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil {
		t.Fatalf("output is not one JSON record: %v\n%s", err, buf.String())
	}
	return rec
}

// at follows a dotted path of object keys and array indexes into rec.
func at(t *testing.T, rec map[string]any, path string) any {
	t.Helper()
	var cur any = rec
	for _, seg := range strings.Split(path, ".") {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[seg]
			if !ok {
				t.Fatalf("no %q in %v (path %s)", seg, c, path)
			}
			cur = v
		case []any:
			var i int
			fmt.Sscan(seg, &i)
			cur = c[i]
		default:
			t.Fatalf("cannot descend into %v at %q (path %s)", cur, seg, path)
		}
	}
	return cur
}

func TestHandlerConformsToSlogHandlerContract(t *testing.T) {
	var buf bytes.Buffer
	newHandler := func(t *testing.T) slog.Handler {
		buf.Reset()
		return seclog.NewHandler(slog.NewJSONHandler(&buf, nil), seclog.Options{})
	}
	result := func(t *testing.T) map[string]any {
		var m map[string]any
		if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	slogtest.Run(t, newHandler, result)
}

func TestHandlerRedactsSensitiveKeysWhateverTheirSpelling(t *testing.T) {
	tests := []struct {
		key       string
		sensitive bool
	}{
		{"password", true},
		{"Password", true},
		{"db_password", true},
		{"PASSWD", true},
		{"token", true},
		{"access_token", true},
		{"refreshToken", true},
		{"secret", true},
		{"client_secret", true},
		{"Authorization", true},
		{"cookie", true},
		{"Set-Cookie", true},
		{"api_key", true},
		{"X-Api-Key", true},
		{"apiKey", true},
		{"aws_access_key_id", true},
		{"private_key", true},
		{"credentials", true},
		{"session_id", true},
		{"X-Amz-Signature", true},
		{"card_number", true},
		{"email", true}, // added by Options.Keys below
		{"user", false},
		{"status", false},
		{"author", false},
		{"path", false},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			rec := logOne(t, seclog.Options{Keys: []string{"E-Mail"}}, func(l *slog.Logger) {
				l.Info("m", tt.key, "value-123")
			})
			got := at(t, rec, tt.key)
			if tt.sensitive && got != redacted {
				t.Fatalf("%s = %v, want redacted", tt.key, got)
			}
			if !tt.sensitive && got != "value-123" {
				t.Fatalf("%s = %v, want it kept", tt.key, got)
			}
		})
	}
}

type headers struct {
	Accept string `json:"accept"`
	User   string `json:"x-user"`
}

type request struct {
	Headers headers `json:"headers"`
}

func TestHandlerRedactsByPath(t *testing.T) {
	opts := seclog.Options{Paths: []string{"request.headers.x-user", "users.email"}}
	tests := []struct {
		name string
		log  func(*slog.Logger)
		hide []string // paths in the output that must be redacted
		keep []string // paths that must be untouched
	}{
		{
			name: "groups",
			log: func(l *slog.Logger) {
				l.Info("m", slog.Group("request", slog.Group("headers", "X-User", "ann", "accept", "json")), "x-user", "ann")
			},
			hide: []string{"request.headers.X-User"},
			keep: []string{"request.headers.accept", "x-user"},
		},
		{
			name: "open group then attrs",
			log: func(l *slog.Logger) {
				l.WithGroup("request").With(slog.Group("headers", "x-user", "ann")).Info("m", slog.Group("headers", "x-user", "bob", "accept", "json"))
			},
			hide: []string{"request.headers.x-user"},
			keep: []string{"request.headers.accept"},
		},
		{
			name: "map",
			log: func(l *slog.Logger) {
				l.Info("m", "request", map[string]any{"headers": map[string]string{"x-user": "ann", "accept": "json"}})
			},
			hide: []string{"request.headers.x-user"},
			keep: []string{"request.headers.accept"},
		},
		{
			name: "struct json names",
			log: func(l *slog.Logger) {
				l.Info("m", "request", request{Headers: headers{Accept: "json", User: "ann"}})
			},
			hide: []string{"request.headers.x-user"},
			keep: []string{"request.headers.accept"},
		},
		{
			name: "slice elements add no segment",
			log: func(l *slog.Logger) {
				l.Info("m", "users", []map[string]string{{"email": "a@x", "name": "a"}, {"email": "b@x", "name": "b"}})
			},
			hide: []string{"users.0.email", "users.1.email"},
			keep: []string{"users.0.name", "users.1.name"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := logOne(t, opts, tt.log)
			for _, p := range tt.hide {
				if got := at(t, rec, p); got != redacted {
					t.Errorf("%s = %v, want redacted", p, got)
				}
			}
			for _, p := range tt.keep {
				if got := at(t, rec, p); got == redacted {
					t.Errorf("%s redacted, want kept", p)
				}
			}
		})
	}
}

func TestHandlerRedactsPatternsInStringsAndMessage(t *testing.T) {
	const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"AWS access key", "key AKIAIOSFODNN7EXAMPLE in use", "key " + redacted + " in use"},
		{"AWS temporary key", "ASIAY34FZKBOKMUTVV7A", redacted},
		{"AWS secret next to its name", "aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_secret_access_key=" + redacted},
		{"JWT", "token " + jwt, "token " + redacted},
		{"bearer header", "Authorization: Bearer abc123.def-456", "Authorization: Bearer " + redacted},
		{"basic header", "basic dXNlcjpwYXNz", "basic " + redacted},
		{"URL password", "connect postgres://app:s3cr3t@db.internal:5432/orders", "connect postgres://app:" + redacted + "@db.internal:5432/orders"},
		{"PEM private key", "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----", redacted},
		{"GitHub token", "ghp_" + strings.Repeat("a1B2", 9), redacted},
		{"card number", "paid with 4111 1111 1111 1111 today", "paid with " + redacted + " today"},
		{"card number with dashes", "5500-0000-0000-0004", redacted},
		{"digits failing Luhn", "4111 1111 1111 1112", "4111 1111 1111 1112"},
		{"millisecond timestamp", "at 1700000000000", "at 1700000000000"},
		{"custom pattern", "ssn 123-45-6789", "ssn " + redacted},
		{"nothing secret", "order 42 shipped", "order 42 shipped"},
	}
	opts := seclog.Options{Patterns: []*regexp.Regexp{regexp.MustCompile(`\b\d{3}-\d{2}-\d{4}\b`)}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := logOne(t, opts, func(l *slog.Logger) {
				l.Info(tt.in, "detail", tt.in, "list", []string{tt.in}, "err", errors.New(tt.in))
			})
			for _, p := range []string{"msg", "detail", "list.0", "err"} {
				if got := at(t, rec, p); got != tt.want {
					t.Errorf("%s = %q, want %q", p, got, tt.want)
				}
			}
		})
	}
}

type LoginAttempt struct {
	User       string `json:"user"`
	Password   string `json:"password"`
	Internal   string `json:"-"`
	Empty      string `json:"empty,omitempty"`
	NoTag      string
	Headers    map[string]string `json:"headers"`
	Previous   *LoginAttempt     `json:"previous,omitempty"`
	Meta       any               `json:"meta"`
	unexported string
	Embedded
	*embeddedSecret
}

type Embedded struct {
	Region string `json:"region"`
	User   string `json:"user"` // shadowed by LoginAttempt.User
}

type embeddedSecret struct {
	APIKey string `json:"api_key"`
}

func TestHandlerWalksStructsLikeEncodingJSON(t *testing.T) {
	in := LoginAttempt{
		User: "ann", Password: "pw-1", Internal: "x", NoTag: "kept",
		Headers:        map[string]string{"Cookie": "c=1", "Accept": "json"},
		Previous:       &LoginAttempt{User: "ann", Password: "pw-0"},
		Meta:           map[string]any{"refresh_token": "rt", "n": 1},
		Embedded:       Embedded{Region: "eu-west-1", User: "shadow"},
		unexported:     "u",
		embeddedSecret: &embeddedSecret{APIKey: "k-1"},
	}
	rec := logOne(t, seclog.Options{}, func(l *slog.Logger) { l.Info("m", "attempt", in) })
	got := at(t, rec, "attempt").(map[string]any)
	want := map[string]any{
		"user": "ann", "password": redacted, "NoTag": "kept",
		"headers":  map[string]any{"Cookie": redacted, "Accept": "json"},
		"previous": map[string]any{"user": "ann", "password": redacted, "NoTag": "", "headers": nil, "meta": nil, "region": "", "api_key": nil},
		"meta":     map[string]any{"refresh_token": redacted, "n": float64(1)},
		"region":   "eu-west-1",
		"api_key":  redacted,
	}
	// A nil embedded pointer contributes nothing; json would omit it.
	delete(want["previous"].(map[string]any), "api_key")
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %v\nwant %v", got, want)
	}
}

// account hides its password by presenting itself through LogValue.
type account struct {
	ID       string
	Password string
}

func (a account) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", a.ID))
}

func TestHandlerResolvesLogValuersFirst(t *testing.T) {
	acct := account{ID: "a-1", Password: "pw-should-not-appear"}
	var buf bytes.Buffer
	l := slog.New(seclog.NewHandler(slog.NewJSONHandler(&buf, nil), seclog.Options{}))
	l.Info("m", "top", acct, "nested", map[string]any{"acct": acct}, "list", []any{acct})
	out := buf.String()
	if strings.Contains(out, "pw-should-not-appear") || strings.Contains(out, "Password") {
		t.Fatalf("LogValue was bypassed: %s", out)
	}
	if strings.Count(out, `"id":"a-1"`) != 3 {
		t.Fatalf("resolved form missing: %s", out)
	}
}

func TestHandlerResolvesErrorsAndStringersToTheirText(t *testing.T) {
	u, _ := url.Parse("https://bob:hunter2@api.example.com/v1")
	wrapped := fmt.Errorf("call failed: %w", errors.New("token eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."))
	rec := logOne(t, seclog.Options{}, func(l *slog.Logger) { l.Info("m", "url", u, "err", wrapped) })
	if got := at(t, rec, "url"); got != "https://bob:"+redacted+"@api.example.com/v1" {
		t.Errorf("url = %v", got)
	}
	if got := at(t, rec, "err"); got != "call failed: token "+redacted {
		t.Errorf("err = %v", got)
	}
}

func TestHandlerRedactsRawJSON(t *testing.T) {
	raw := json.RawMessage(`{"user":"ann","password":"pw","nested":[{"token":"t"}]}`)
	rec := logOne(t, seclog.Options{}, func(l *slog.Logger) { l.Info("m", "body", raw) })
	if at(t, rec, "body.password") != redacted || at(t, rec, "body.nested.0.token") != redacted || at(t, rec, "body.user") != "ann" {
		t.Fatalf("body = %v", at(t, rec, "body"))
	}
}

func TestHandlerLeavesCleanRecordsAsTheInnerHandlerWouldWriteThem(t *testing.T) {
	type point struct {
		X, Y int
	}
	when := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	log := func(h func(*bytes.Buffer) slog.Handler) string {
		var buf bytes.Buffer
		l := slog.New(h(&buf))
		l.Info("order shipped", "id", 42, "at", when, "took", 3*time.Second, "ok", true,
			"p", point{1, 2}, "tags", []string{"a", "b"}, "raw", json.RawMessage(`{"a":1}`),
			slog.Group("g", "k", "v"), "nil", nil, "bytes", []byte("hi"))
		return regexp.MustCompile(`"time":"[^"]*",`).ReplaceAllString(buf.String(), "")
	}
	plainOut := log(func(w *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(w, nil) })
	redactedOut := log(func(w *bytes.Buffer) slog.Handler {
		return seclog.NewHandler(slog.NewJSONHandler(w, nil), seclog.Options{})
	})
	if plainOut != redactedOut {
		t.Fatalf("clean record changed:\nplain    %s\nredacted %s", plainOut, redactedOut)
	}
}

func TestHandlerNeverMutatesCallerData(t *testing.T) {
	m := map[string]any{"password": "pw", "inner": map[string]any{"token": "t"}, "list": []any{"Bearer abc"}}
	s := &LoginAttempt{User: "ann", Password: "pw", Headers: map[string]string{"Authorization": "x"}}
	sl := []string{"AKIAIOSFODNN7EXAMPLE"}
	arr := [1]string{"AKIAIOSFODNN7EXAMPLE"}
	before := fmt.Sprintf("%#v %#v %#v %#v %#v", m, *s, s.Headers, sl, arr)

	var buf bytes.Buffer
	l := slog.New(seclog.NewHandler(slog.NewJSONHandler(&buf, nil), seclog.Options{}))
	l.Info("m", "m", m, "s", s, "sl", sl, "arr", arr)
	l.With("m", m).WithGroup("g").Info("again", "s", s)

	if after := fmt.Sprintf("%#v %#v %#v %#v %#v", m, *s, s.Headers, sl, arr); after != before {
		t.Fatalf("caller data changed:\nbefore %s\nafter  %s", before, after)
	}
	if strings.Contains(buf.String(), "AKIAIOSFODNN7EXAMPLE") || strings.Contains(buf.String(), `"pw"`) {
		t.Fatalf("secret logged: %s", buf.String())
	}
}

func TestHandlerRedactsEverythingInsideASensitiveGroup(t *testing.T) {
	rec := logOne(t, seclog.Options{Paths: []string{"req.body"}}, func(l *slog.Logger) {
		l.WithGroup("credentials").With("user", "ann").Info("m", "n", 1)
	})
	if at(t, rec, "credentials.user") != redacted || at(t, rec, "credentials.n") != redacted {
		t.Fatalf("credentials = %v", at(t, rec, "credentials"))
	}
	rec = logOne(t, seclog.Options{Paths: []string{"req.body"}}, func(l *slog.Logger) {
		l.WithGroup("req").WithGroup("body").Info("m", "anything", "x")
	})
	if at(t, rec, "req.body.anything") != redacted {
		t.Fatalf("req.body = %v", at(t, rec, "req.body"))
	}
}

type node struct {
	Name string `json:"name"`
	Next *node  `json:"next"`
}

func TestHandlerReplacesValuesNestedBeyondMaxDepth(t *testing.T) {
	deep := map[string]any{"v": "leaf"}
	for range 10 {
		deep = map[string]any{"d": deep}
	}
	rec := logOne(t, seclog.Options{MaxDepth: 4}, func(l *slog.Logger) { l.Info("m", "deep", deep) })
	if _, isMap := at(t, rec, "deep.d.d.d.d").(map[string]any); !isMap {
		t.Fatalf("value within the depth limit = %v, want it walked", at(t, rec, "deep.d.d.d.d"))
	}
	if got := at(t, rec, "deep.d.d.d.d.d"); got != redacted {
		t.Fatalf("value past the depth limit = %v, want redacted", got)
	}

	// A cycle ends at the depth limit instead of looping.
	loop := &node{Name: "a"}
	loop.Next = loop
	var buf bytes.Buffer
	slog.New(seclog.NewHandler(slog.NewJSONHandler(&buf, nil), seclog.Options{MaxDepth: 4})).Info("m", "loop", loop)
	if !strings.Contains(buf.String(), redacted) {
		t.Fatalf("cycle not cut: %s", buf.String())
	}
}

func TestHandlerUsesTheConfiguredReplacement(t *testing.T) {
	rec := logOne(t, seclog.Options{Replacement: "***"}, func(l *slog.Logger) { l.Info("Bearer abc", "token", "t") })
	if at(t, rec, "token") != "***" || at(t, rec, "msg") != "Bearer ***" {
		t.Fatalf("record = %v", rec)
	}
}

func TestHandlerEnabledFollowsTheInnerHandler(t *testing.T) {
	h := seclog.NewHandler(slog.NewJSONHandler(&bytes.Buffer{}, &slog.HandlerOptions{Level: slog.LevelWarn}), seclog.Options{})
	if h.Enabled(context.Background(), slog.LevelInfo) || !h.Enabled(context.Background(), slog.LevelError) {
		t.Fatal("Enabled does not follow the inner handler's level")
	}
}

func TestDefaultsAreCopies(t *testing.T) {
	keys := seclog.DefaultKeys()
	keys[0] = "changed"
	if seclog.DefaultKeys()[0] == "changed" {
		t.Fatal("DefaultKeys exposes the package's slice")
	}
	if len(seclog.DefaultPatterns()) == 0 {
		t.Fatal("no default patterns")
	}
}
