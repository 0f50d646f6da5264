package mototest

import (
	"context"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

func TestMain(m *testing.M) { Main(m) }

func TestConfigReachesMoto(t *testing.T) {
	client := secretsmanager.NewFromConfig(Config(t))
	name := Name(t, "probe")
	ctx := context.Background()
	if _, err := client.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String(name), SecretString: aws.String("v"),
	}); err != nil {
		t.Fatalf("create secret on moto: %v", err)
	}
	out, err := client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(name)})
	if err != nil {
		t.Fatalf("read secret back from moto: %v", err)
	}
	if got := aws.ToString(out.SecretString); got != "v" {
		t.Fatalf("secret value = %q, want v", got)
	}
}

func TestAtomicConfigReachesMotoThroughItsProxy(t *testing.T) {
	cfg := AtomicConfig(t)
	if aws.ToString(cfg.BaseEndpoint) == Endpoint(t) {
		t.Fatal("AtomicConfig points at moto directly, not at a proxy")
	}
	client := secretsmanager.NewFromConfig(cfg)
	if _, err := client.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{
		Name: aws.String(Name(t, "atomic")), SecretString: aws.String("v"),
	}); err != nil {
		t.Fatalf("create secret through the proxy: %v", err)
	}
}

func TestNameIsUniqueAndAcceptedByAWS(t *testing.T) {
	valid := regexp.MustCompile(`^[A-Za-z0-9-]{1,64}$`)
	tests := []struct {
		prefix string
	}{
		{"table"},
		{"weird prefix/with#chars"},
		{strings.Repeat("long", 40)},
	}
	for _, tt := range tests {
		t.Run(tt.prefix, func(t *testing.T) {
			a, b := Name(t, tt.prefix), Name(t, tt.prefix)
			if a == b {
				t.Fatalf("two calls gave the same name %q", a)
			}
			for _, n := range []string{a, b} {
				if !valid.MatchString(n) {
					t.Fatalf("name %q is not 1-64 letters, digits and dashes", n)
				}
			}
		})
	}
}

// recordingTB stands in for a test so that Endpoint's skip or failure can be
// observed instead of ending the real test.
type recordingTB struct {
	testing.TB
	skipped, failed bool
	message         string
}

func (r *recordingTB) Helper() {}

func (r *recordingTB) Skip(args ...any) {
	r.skipped, r.message = true, strings.TrimSpace(strings.Join(toStrings(args), " "))
	runtime.Goexit()
}

func (r *recordingTB) Fatal(args ...any) {
	r.failed, r.message = true, strings.TrimSpace(strings.Join(toStrings(args), " "))
	runtime.Goexit()
}

func toStrings(args []any) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i], _ = a.(string)
	}
	return out
}

func TestEndpointWithoutMotoSkipsUnlessRequired(t *testing.T) {
	tests := []struct {
		name        string
		require     string
		wantSkipped bool
		wantFailed  bool
	}{
		{name: "optional", require: "", wantSkipped: true},
		{name: "required", require: "1", wantFailed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(EndpointEnv, "")
			t.Setenv(RequireEnv, tt.require)
			t.Setenv("PATH", t.TempDir())

			rec := &recordingTB{TB: t}
			var wg sync.WaitGroup
			wg.Go(func() { Endpoint(rec) })
			wg.Wait()

			if rec.skipped != tt.wantSkipped || rec.failed != tt.wantFailed {
				t.Fatalf("skipped=%v failed=%v, want skipped=%v failed=%v", rec.skipped, rec.failed, tt.wantSkipped, tt.wantFailed)
			}
			if rec.message != missingMessage {
				t.Fatalf("message = %q, want %q", rec.message, missingMessage)
			}
		})
	}
}

func TestEndpointPrefersEnvironment(t *testing.T) {
	t.Setenv(EndpointEnv, "http://127.0.0.1:4566/")
	if got := Endpoint(t); got != "http://127.0.0.1:4566" {
		t.Fatalf("Endpoint = %q, want the environment's endpoint without trailing slash", got)
	}
}
