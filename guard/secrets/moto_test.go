package secrets

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/bulwark-sec/bulwark/internal/mototest"
)

func TestMain(m *testing.M) { mototest.Main(m) }

func newMotoSecret(t *testing.T, client *secretsmanager.Client, value string) (name, versionID string) {
	t.Helper()
	name = mototest.Name(t, "secret")
	out, err := client.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{
		Name: aws.String(name), SecretString: aws.String(value),
	})
	if err != nil {
		t.Fatalf("create secret: %v", err)
	}
	return name, aws.ToString(out.VersionId)
}

func TestSecretsManagerFollowsRotationStagesOnMoto(t *testing.T) {
	client := secretsmanager.NewFromConfig(mototest.Config(t))
	ctx := context.Background()
	name, firstVersion := newMotoSecret(t, client, `{"username":"app","password":"first"}`)
	cache := NewCache(SecretsManager{Client: client}, Options{})

	expect := func(what string, s Secret, err error, wantValue, wantVersion string) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if s.Reveal() != wantValue || s.VersionID() != wantVersion {
			t.Fatalf("%s = %q version %q, want %q version %q", what, s.Reveal(), s.VersionID(), wantValue, wantVersion)
		}
	}
	password, err := cache.GetField(ctx, name, "password")
	expect("password before rotation", password, err, "first", firstVersion)

	// A plain PutSecretValue rotates in one step. The cache still holds the
	// first value; UseRotating finds the one the database now accepts.
	put, err := client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId: aws.String(name), SecretString: aws.String(`{"username":"app","password":"second"}`),
	})
	if err != nil {
		t.Fatalf("put second value: %v", err)
	}
	secondVersion := aws.ToString(put.VersionId)
	var accepted []string
	err = cache.UseRotating(ctx, name, func(s Secret) error {
		p, err := s.Field("password")
		if err != nil {
			return err
		}
		accepted = append(accepted, p.Reveal())
		if p.Reveal() != "second" {
			return errRejectedByDatabase
		}
		return nil
	})
	if err != nil || strings.Join(accepted, ",") != "first,second" {
		t.Fatalf("UseRotating tried %v, %v; want first then second", accepted, err)
	}
	s, err := cache.Previous(ctx, name)
	expect("previous stage after one-step rotation", s, err, `{"username":"app","password":"first"}`, firstVersion)

	// A staged rotation: the new value is first staged as AWSPENDING...
	pending, err := client.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId:      aws.String(name),
		SecretString:  aws.String(`{"username":"app","password":"third"}`),
		VersionStages: []string{StagePending},
	})
	if err != nil {
		t.Fatalf("stage pending value: %v", err)
	}
	thirdVersion := aws.ToString(pending.VersionId)
	s, err = cache.GetStage(ctx, name, StagePending)
	expect("pending stage", s, err, `{"username":"app","password":"third"}`, thirdVersion)
	password, err = cache.GetField(ctx, name, "password")
	expect("cached password during rotation", password, err, "second", secondVersion)

	// ...then AWSCURRENT moves to it.
	if _, err := client.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
		SecretId:            aws.String(name),
		VersionStage:        aws.String(StageCurrent),
		MoveToVersionId:     aws.String(thirdVersion),
		RemoveFromVersionId: aws.String(secondVersion),
	}); err != nil {
		t.Fatalf("promote pending version: %v", err)
	}
	s, err = cache.Get(ctx, name)
	expect("cached value before refresh", s, err, `{"username":"app","password":"second"}`, secondVersion)
	s, err = cache.Refresh(ctx, name)
	expect("value after refresh", s, err, `{"username":"app","password":"third"}`, thirdVersion)
	password, err = cache.GetField(ctx, name, "password")
	expect("password after refresh", password, err, "third", thirdVersion)
	s, err = cache.Previous(ctx, name)
	expect("previous stage after staged rotation", s, err, `{"username":"app","password":"second"}`, secondVersion)
}

var errRejectedByDatabase = errors.New("password authentication failed")

func TestSecretsManagerMissingSecretIsAnErrorOnMoto(t *testing.T) {
	client := secretsmanager.NewFromConfig(mototest.Config(t))
	cache := NewCache(SecretsManager{Client: client}, Options{})
	if _, err := cache.Get(context.Background(), mototest.Name(t, "absent")); err == nil {
		t.Fatal("Get of a secret that does not exist succeeded")
	}
}

func TestParameterStoreDecryptsSecureStringsOnMoto(t *testing.T) {
	client := ssm.NewFromConfig(mototest.Config(t))
	ctx := context.Background()
	name := "/" + mototest.Name(t, "param")
	put := func(value string) {
		if _, err := client.PutParameter(ctx, &ssm.PutParameterInput{
			Name: aws.String(name), Value: aws.String(value), Type: ssmtypes.ParameterTypeSecureString, Overwrite: aws.Bool(true),
		}); err != nil {
			t.Fatalf("put parameter: %v", err)
		}
	}
	put("key-one")
	if _, err := client.LabelParameterVersion(ctx, &ssm.LabelParameterVersionInput{
		Name: aws.String(name), ParameterVersion: aws.Int64(1), Labels: []string{"blue"},
	}); err != nil {
		t.Fatalf("label parameter: %v", err)
	}
	put("key-two")

	cache := NewCache(ParameterStore{Client: client}, Options{})
	tests := []struct {
		stage, want, wantVersion string
	}{
		{stage: "", want: "key-two", wantVersion: "2"},
		{stage: "blue", want: "key-one", wantVersion: "1"},
		{stage: "1", want: "key-one", wantVersion: "1"},
	}
	for _, tt := range tests {
		s, err := cache.GetStage(ctx, name, tt.stage)
		if err != nil {
			t.Fatalf("GetStage(%q): %v", tt.stage, err)
		}
		if s.Reveal() != tt.want || s.VersionID() != tt.wantVersion {
			t.Fatalf("GetStage(%q) = %q version %q, want %q version %q", tt.stage, s.Reveal(), s.VersionID(), tt.want, tt.wantVersion)
		}
	}
}

func TestConcurrentFirstReadsMakeOneBackendCallOnMoto(t *testing.T) {
	client := secretsmanager.NewFromConfig(mototest.Config(t))
	name, _ := newMotoSecret(t, client, "shared-value")

	var calls atomic.Int64
	real := SecretsManager{Client: client}
	counting := FetcherFunc(func(ctx context.Context, id, stage string) (Version, error) {
		calls.Add(1)
		return real.Fetch(ctx, id, stage)
	})
	cache := NewCache(counting, Options{})

	const readers = 100
	start := make(chan struct{})
	var wg sync.WaitGroup
	values := make([]string, readers)
	errs := make([]error, readers)
	for i := range readers {
		wg.Go(func() {
			<-start
			s, err := cache.Get(context.Background(), name)
			values[i], errs[i] = s.Reveal(), err
		})
	}
	close(start)
	wg.Wait()

	for i := range readers {
		if errs[i] != nil || values[i] != "shared-value" {
			t.Fatalf("reader %d got %q, %v", i, values[i], errs[i])
		}
	}
	if got := calls.Load(); got != 1 {
		t.Fatalf("backend calls = %d, want exactly 1", got)
	}
}
