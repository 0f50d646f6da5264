package rotation_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/bulwark-sec/bulwark/examples/orders/payments"
	"github.com/bulwark-sec/bulwark/examples/orders/payments/paymentstest"
	"github.com/bulwark-sec/bulwark/examples/orders/rotation"
	"github.com/bulwark-sec/bulwark/guard/httpclient"
	"github.com/bulwark-sec/bulwark/guard/safeerr"
	"github.com/bulwark-sec/bulwark/guard/secrets"
	"github.com/bulwark-sec/bulwark/internal/mototest"
)

func TestMain(m *testing.M) { mototest.Main(m) }

// env is a secret holding a provider key on moto_server, the provider, and
// a Rotator wired to both.
type env struct {
	sm       *secretsmanager.Client
	rotating *duringRotation
	provider *paymentstest.Server
	rotator  *rotation.Rotator
	secret   string // ARN
	version  string // the first version's ID
	initial  payments.APIKey
}

// duringRotation plays the part of Secrets Manager that moto_server leaves
// out when no Lambda function is attached to the secret (moto then labels
// an empty version AWSCURRENT at once): while a rotation is under way, the
// secret has rotation enabled and a version whose ID is the rotation token,
// labelled AWSPENDING and still without a value until createSecret stores
// one.
type duringRotation struct {
	*secretsmanager.Client
	token string // the version being rotated to; empty outside a rotation
}

func (d *duringRotation) DescribeSecret(ctx context.Context, in *secretsmanager.DescribeSecretInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	out, err := d.Client.DescribeSecret(ctx, in, optFns...)
	if err != nil || d.token == "" {
		return out, err
	}
	out.RotationEnabled = aws.Bool(true)
	if _, stored := out.VersionIdsToStages[d.token]; !stored {
		out.VersionIdsToStages[d.token] = []string{secrets.StagePending}
	}
	return out, nil
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{sm: secretsmanager.NewFromConfig(mototest.Config(t)), provider: paymentstest.NewServer()}
	e.rotating = &duringRotation{Client: e.sm}
	t.Cleanup(e.provider.Close)
	e.initial = e.provider.IssueKey()
	out, err := e.sm.CreateSecret(context.Background(), &secretsmanager.CreateSecretInput{
		Name:         aws.String(mototest.Name(t, "payment-key")),
		SecretString: aws.String(string(payments.EncodeKey(e.initial))),
	})
	if err != nil {
		t.Fatalf("create secret: %v", err)
	}
	e.secret, e.version = aws.ToString(out.ARN), aws.ToString(out.VersionId)
	e.rotator = &rotation.Rotator{
		Secrets: e.rotating,
		Provider: &payments.Client{BaseURL: e.provider.URL, HTTP: httpclient.New(httpclient.Options{
			RootCAs:             e.provider.CertPool(),
			AllowedDestinations: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")},
		})},
		Logger: slog.New(slog.DiscardHandler),
	}
	return e
}

// startRotation starts a rotation as Secrets Manager would and returns its
// token.
func (e *env) startRotation(t *testing.T) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	e.rotating.token = hex.EncodeToString(b)
	return e.rotating.token
}

// rotate runs the four steps, each twice, as Secrets Manager's retries may.
func (e *env) rotate(t *testing.T, token string) {
	t.Helper()
	for _, step := range []string{rotation.StepCreate, rotation.StepSet, rotation.StepTest, rotation.StepFinish} {
		for attempt := 1; attempt <= 2; attempt++ {
			if err := e.rotator.Rotate(context.Background(), rotation.Event{Step: step, SecretID: e.secret, ClientRequestToken: token}); err != nil {
				t.Fatalf("%s, attempt %d: %v", step, attempt, err)
			}
		}
	}
}

func (e *env) keyAt(t *testing.T, stage string) payments.APIKey {
	t.Helper()
	out, err := e.sm.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(e.secret), VersionStage: aws.String(stage)})
	if err != nil {
		t.Fatalf("read %s: %v", stage, err)
	}
	key, err := payments.DecodeKey(secrets.NewSecret([]byte(aws.ToString(out.SecretString))))
	if err != nil {
		t.Fatalf("decode %s: %v", stage, err)
	}
	return key
}

func (e *env) stagesOf(t *testing.T, version string) []string {
	t.Helper()
	out, err := e.sm.DescribeSecret(context.Background(), &secretsmanager.DescribeSecretInput{SecretId: aws.String(e.secret)})
	if err != nil {
		t.Fatalf("describe secret: %v", err)
	}
	return out.VersionIdsToStages[version]
}

func TestRotationReplacesTheKeyAndKeepsThePreviousOneValid(t *testing.T) {
	e := newEnv(t)
	token := e.startRotation(t)
	e.rotate(t, token)

	current, previous := e.keyAt(t, secrets.StageCurrent), e.keyAt(t, secrets.StagePrevious)
	if current.ID == e.initial.ID || previous.ID != e.initial.ID {
		t.Fatalf("AWSCURRENT = %s, AWSPREVIOUS = %s; want a new key, then the initial %s", current.ID, previous.ID, e.initial.ID)
	}
	if !e.provider.KeyValid(current.ID) || !e.provider.KeyValid(e.initial.ID) {
		t.Fatalf("new key valid=%v, initial key valid=%v; want both valid", e.provider.KeyValid(current.ID), e.provider.KeyValid(e.initial.ID))
	}
	if n := e.provider.KeysIssued(); n != 2 {
		t.Fatalf("provider holds %d keys, want 2: a repeated createSecret must not issue another", n)
	}
	if stages := e.stagesOf(t, token); slices.Contains(stages, secrets.StagePending) {
		t.Fatalf("rotated version still labelled %v; the next rotation could not start", stages)
	}
}

func TestSecondRotationRevokesTheKeyTwoRotationsOld(t *testing.T) {
	e := newEnv(t)
	e.rotate(t, e.startRotation(t))
	second := e.keyAt(t, secrets.StageCurrent)
	e.rotate(t, e.startRotation(t))

	third := e.keyAt(t, secrets.StageCurrent)
	if e.provider.KeyValid(e.initial.ID) {
		t.Fatal("the initial key is still valid after two rotations")
	}
	if !e.provider.KeyValid(second.ID) || !e.provider.KeyValid(third.ID) {
		t.Fatalf("previous key valid=%v, current key valid=%v; want both valid", e.provider.KeyValid(second.ID), e.provider.KeyValid(third.ID))
	}
	if got := e.keyAt(t, secrets.StagePrevious).ID; got != second.ID {
		t.Fatalf("AWSPREVIOUS = %s, want %s", got, second.ID)
	}
}

func TestRotationRefusesEventsItShouldNotAct(t *testing.T) {
	tests := []struct {
		name    string
		event   func(*testing.T, *env) rotation.Event
		wantErr string
	}{
		{
			name: "rotation not enabled",
			event: func(_ *testing.T, e *env) rotation.Event {
				return rotation.Event{Step: rotation.StepCreate, SecretID: e.secret, ClientRequestToken: e.version}
			},
			wantErr: "rotation is not enabled",
		},
		{
			name: "token that is not a version of the secret",
			event: func(t *testing.T, e *env) rotation.Event {
				e.startRotation(t)
				return rotation.Event{Step: rotation.StepCreate, SecretID: e.secret, ClientRequestToken: strings.Repeat("a", 32)}
			},
			wantErr: "has no stage for rotation",
		},
		{
			name: "unknown step",
			event: func(t *testing.T, e *env) rotation.Event {
				return rotation.Event{Step: "dropSecret", SecretID: e.secret, ClientRequestToken: e.startRotation(t)}
			},
			wantErr: "unknown step",
		},
		{
			name: "current key revoked by the provider",
			event: func(t *testing.T, e *env) rotation.Event {
				e.provider.RevokeKey(e.initial.ID)
				return rotation.Event{Step: rotation.StepCreate, SecretID: e.secret, ClientRequestToken: e.startRotation(t)}
			},
			wantErr: payments.ErrKeyRejected.Error(),
		},
		{
			name: "pending key the provider does not accept",
			event: func(t *testing.T, e *env) rotation.Event {
				token := e.startRotation(t)
				bogus := payments.APIKey{ID: "key_bogus", Secret: secrets.NewSecret([]byte("sk_test_bogus"))}
				if _, err := e.sm.PutSecretValue(context.Background(), &secretsmanager.PutSecretValueInput{
					SecretId: aws.String(e.secret), ClientRequestToken: aws.String(token),
					SecretString: aws.String(string(payments.EncodeKey(bogus))), VersionStages: []string{secrets.StagePending},
				}); err != nil {
					t.Fatal(err)
				}
				return rotation.Event{Step: rotation.StepTest, SecretID: e.secret, ClientRequestToken: token}
			},
			wantErr: payments.ErrKeyRejected.Error(),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			err := e.rotator.Rotate(context.Background(), tt.event(t, e))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
			}
			if got := e.keyAt(t, secrets.StageCurrent).ID; got != e.initial.ID {
				t.Fatalf("AWSCURRENT moved to %s after a refused step", got)
			}
		})
	}
}

func TestHandlerAnswersFailuresWithACorrelationIDOnly(t *testing.T) {
	e := newEnv(t)
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "rot-42"})
	_, err := e.rotator.Handler()(ctx, rotation.Event{Step: rotation.StepCreate, SecretID: e.secret, ClientRequestToken: e.version})

	var sanitized *safeerr.Sanitized
	if !errors.As(err, &sanitized) || sanitized.CorrelationID != "rot-42" {
		t.Fatalf("err = %v, want a safeerr.Sanitized with correlation ID rot-42", err)
	}
	if strings.Contains(err.Error(), e.secret) {
		t.Fatalf("error names the secret: %v", err)
	}
}
