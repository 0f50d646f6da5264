package secrets

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// fakeExtension serves the HTTP contract of the AWS Parameters and Secrets
// Lambda Extension from memory, on 127.0.0.1.
type fakeExtension struct {
	token   string
	secrets map[string]map[string]any // secretId -> versionStage -> response
	params  map[string]map[string]any // name -> label ("" for latest) -> response
}

func newFakeExtension(t *testing.T, token string) (*fakeExtension, *httptest.Server) {
	f := &fakeExtension{
		token: token,
		secrets: map[string]map[string]any{
			"prod/db": {
				StageCurrent: map[string]any{"Name": "prod/db", "SecretString": `{"password":"current"}`, "VersionId": "v-2", "VersionStages": []string{StageCurrent}},
				StagePending: map[string]any{"Name": "prod/db", "SecretString": `{"password":"pending"}`, "VersionId": "v-3", "VersionStages": []string{StagePending}},
			},
			"prod/cert": {
				StageCurrent: map[string]any{"Name": "prod/cert", "SecretBinary": base64.StdEncoding.EncodeToString([]byte{0, 1, 2}), "VersionId": "v-1"},
			},
		},
		params: map[string]map[string]any{
			"/prod/api-key": {
				"":     map[string]any{"Name": "/prod/api-key", "Type": "SecureString", "Value": "decrypted-key", "Version": 4},
				"blue": map[string]any{"Name": "/prod/api-key", "Type": "SecureString", "Value": "blue-key", "Version": 3},
			},
		},
	}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeExtension) serve(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get(extensionHeader) != f.token {
		http.Error(w, "missing or invalid token", http.StatusUnauthorized)
		return
	}
	q := r.URL.Query()
	var body any
	switch r.URL.Path {
	case "/secretsmanager/get":
		stage := q.Get("versionStage")
		if stage == "" {
			stage = StageCurrent
		}
		body = f.secrets[q.Get("secretId")][stage]
	case "/systemsmanager/parameters/get":
		if q.Get("withDecryption") != "true" {
			http.Error(w, "this fake only serves decrypted SecureStrings", http.StatusBadRequest)
			return
		}
		if p := f.params[q.Get("name")][q.Get("label")]; p != nil {
			body = map[string]any{"Parameter": p}
		}
	default:
		http.NotFound(w, r)
		return
	}
	if body == nil {
		http.Error(w, "ResourceNotFoundException: the resource was not found", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(body)
}

func TestExtensionServesBothBackends(t *testing.T) {
	_, srv := newFakeExtension(t, "session-token")
	ext := Extension{Endpoint: srv.URL, Token: NewSecret([]byte("session-token")), Client: srv.Client()}

	tests := []struct {
		name        string
		fetcher     Fetcher
		id, stage   string
		want        string
		wantVersion string
		wantErr     string
	}{
		{name: "secret current", fetcher: ext.SecretsManager(), id: "prod/db", stage: StageCurrent, want: `{"password":"current"}`, wantVersion: "v-2"},
		{name: "secret pending", fetcher: ext.SecretsManager(), id: "prod/db", stage: StagePending, want: `{"password":"pending"}`, wantVersion: "v-3"},
		{name: "binary secret", fetcher: ext.SecretsManager(), id: "prod/cert", stage: StageCurrent, want: "\x00\x01\x02", wantVersion: "v-1"},
		{name: "missing secret", fetcher: ext.SecretsManager(), id: "nope", stage: StageCurrent, wantErr: "400 Bad Request: ResourceNotFoundException"},
		{name: "parameter decrypted", fetcher: ext.ParameterStore(), id: "/prod/api-key", stage: StageCurrent, want: "decrypted-key", wantVersion: "4"},
		{name: "parameter label", fetcher: ext.ParameterStore(), id: "/prod/api-key", stage: "blue", want: "blue-key", wantVersion: "3"},
		{name: "missing parameter", fetcher: ext.ParameterStore(), id: "/nope", stage: StageCurrent, wantErr: "ResourceNotFoundException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := tt.fetcher.Fetch(context.Background(), tt.id, tt.stage)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(v.Value) != tt.want || v.ID != tt.wantVersion {
				t.Fatalf("got %q version %q, want %q version %q", v.Value, v.ID, tt.want, tt.wantVersion)
			}
		})
	}
}

func TestExtensionAuthenticatesWithTheSessionToken(t *testing.T) {
	_, srv := newFakeExtension(t, "token-from-env")
	tests := []struct {
		name     string
		envToken string
		token    Secret
		wantErr  string
	}{
		{name: "token from AWS_SESSION_TOKEN", envToken: "token-from-env"},
		{name: "explicit token wins", envToken: "stale", token: NewSecret([]byte("token-from-env"))},
		{name: "wrong token", envToken: "wrong", wantErr: "401 Unauthorized"},
		{name: "no token at all", wantErr: "AWS_SESSION_TOKEN is not set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("AWS_SESSION_TOKEN", tt.envToken)
			ext := Extension{Endpoint: srv.URL, Token: tt.token, Client: srv.Client()}
			_, err := ext.SecretsManager().Fetch(context.Background(), "prod/db", StageCurrent)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("Fetch: %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestExtensionEndpointDefaultsToLambdaPort(t *testing.T) {
	tests := []struct {
		name, endpoint, port, want string
	}{
		{name: "default", want: "http://localhost:2773"},
		{name: "port from environment", port: "9000", want: "http://localhost:9000"},
		{name: "explicit endpoint", endpoint: "http://127.0.0.1:1234", port: "9000", want: "http://127.0.0.1:1234"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", tt.port)
			if got := (Extension{Endpoint: tt.endpoint}).endpoint(); got != tt.want {
				t.Fatalf("endpoint = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCacheOverExtensionReadsJSONFields(t *testing.T) {
	_, srv := newFakeExtension(t, "tok")
	ext := Extension{Endpoint: srv.URL, Token: NewSecret([]byte("tok")), Client: srv.Client()}
	c := NewCache(ext.SecretsManager(), Options{})
	ctx := context.Background()

	current, err := c.GetField(ctx, "prod/db", "password")
	if err != nil || current.Reveal() != "current" {
		t.Fatalf("GetField = %q, %v; want current", current.Reveal(), err)
	}
	pending, err := c.GetStage(ctx, "prod/db", StagePending)
	if err != nil || pending.VersionID() != "v-3" {
		t.Fatalf("GetStage pending = version %q, %v; want v-3", pending.VersionID(), err)
	}
}
