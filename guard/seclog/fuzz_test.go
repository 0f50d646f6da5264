package seclog_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/bulwark-sec/bulwark/guard/seclog"
)

type fuzzCarrier struct {
	Name  string         `json:"name"`
	Extra map[string]any `json:"extra"`
}

// placements put value under key in different shapes a caller might log.
var placements = []func(l *slog.Logger, key, value string){
	func(l *slog.Logger, key, value string) { l.Info("m", key, value) },
	func(l *slog.Logger, key, value string) {
		l.Info("m", slog.Group("outer", slog.Group("inner", key, value)))
	},
	func(l *slog.Logger, key, value string) { l.With(key, value).Info("m") },
	func(l *slog.Logger, key, value string) {
		l.Info("m", "data", map[string]any{"a": map[string]string{key: value}})
	},
	func(l *slog.Logger, key, value string) {
		l.Info("m", "list", []map[string]string{{"ok": "1"}, {key: value}})
	},
	func(l *slog.Logger, key, value string) {
		l.Info("m", "carrier", fuzzCarrier{Name: "n", Extra: map[string]any{key: []any{value}}})
	},
	func(l *slog.Logger, key, value string) {
		l.Info("m", "raw", json.RawMessage(mustJSON(map[string]any{"x": map[string]string{key: value}})))
	},
	func(l *slog.Logger, key, value string) { l.WithGroup(key).Info("m", "v", value) },
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func FuzzRedactionHidesValuesUnderSensitiveKeys(f *testing.F) {
	f.Add("hunter2-password", "", "", uint8(0), uint8(0))
	f.Add("tok_9f8e7d6c5b4a", "x-", "-v2", uint8(1), uint8(3))
	f.Add(`quote"and\back`, "My", "Header", uint8(5), uint8(9))
	f.Add("ünïcødé-secret", "__", "", uint8(7), uint8(4))
	keys := seclog.DefaultKeys()
	f.Fuzz(func(t *testing.T, secret, prefix, suffix string, keyIndex, placement uint8) {
		if len(secret) < 6 {
			t.Skip("short values collide with ordinary output")
		}
		key := prefix + keys[int(keyIndex)%len(keys)] + suffix
		place := placements[int(placement)%len(placements)]

		render := func(value string) string {
			var buf bytes.Buffer
			inner := slog.NewJSONHandler(&buf, &slog.HandlerOptions{ReplaceAttr: withoutTime})
			place(slog.New(seclog.NewHandler(inner, seclog.Options{})), key, value)
			return buf.String()
		}
		escaped := strings.Trim(string(mustJSON(secret)), `"`)
		// If the secret's text shows up even when it is not logged (it is
		// part of the key, or of fixed output), the check below is moot.
		if baseline := render("\x00placeholder"); strings.Contains(baseline, escaped) || strings.Contains(baseline, secret) {
			t.Skip("the secret's text occurs in output that does not carry it")
		}
		out := render(secret)
		if strings.Contains(out, escaped) || strings.Contains(out, secret) {
			t.Fatalf("secret under key %q leaked:\n%s", key, out)
		}
	})
}
