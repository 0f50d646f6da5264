// Package rotation is the Secrets Manager rotation function for the payment
// provider's API key that the order service uses.
//
// Secrets Manager rotates a secret by creating a version labelled
// AWSPENDING and invoking the function four times with that version's ID
// (the ClientRequestToken):
//
//   - createSecret: ask the provider for a new key and store it as the
//     AWSPENDING version;
//   - setSecret: nothing to do, since the provider made the key;
//   - testSecret: check that the new key works;
//   - finishSecret: revoke the key from two rotations ago, move AWSCURRENT
//     to the new version (AWSPREVIOUS follows to the old one) and drop the
//     AWSPENDING label.
//
// Secrets Manager retries a failed step, so each one is safe to repeat: the
// provider's key creation is idempotent by the token, and every step first
// checks whether its work is done.
//
// Two keys stay valid at any time, AWSCURRENT and AWSPREVIOUS, so a function
// that cached the previous key keeps charging until its cache refreshes;
// guard/secrets' UseRotating switches at the first refusal anyway.
package rotation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/bulwark-sec/bulwark/examples/orders/payments"
	"github.com/bulwark-sec/bulwark/guard"
	"github.com/bulwark-sec/bulwark/guard/safeerr"
	"github.com/bulwark-sec/bulwark/guard/secrets"
)

// The rotation steps, as Secrets Manager names them in Event.Step.
const (
	StepCreate = "createSecret"
	StepSet    = "setSecret"
	StepTest   = "testSecret"
	StepFinish = "finishSecret"
)

// Event is what Secrets Manager sends the rotation function.
type Event struct {
	Step               string `json:"Step"`
	SecretID           string `json:"SecretId"`
	ClientRequestToken string `json:"ClientRequestToken"`
}

// SecretsManagerAPI is the part of *secretsmanager.Client the rotation uses;
// the function's role is allowed exactly these actions on the one secret.
type SecretsManagerAPI interface {
	DescribeSecret(ctx context.Context, in *secretsmanager.DescribeSecretInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error)
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
	PutSecretValue(ctx context.Context, in *secretsmanager.PutSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.PutSecretValueOutput, error)
	UpdateSecretVersionStage(ctx context.Context, in *secretsmanager.UpdateSecretVersionStageInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.UpdateSecretVersionStageOutput, error)
}

// Rotator rotates the API key secret.
type Rotator struct {
	Secrets  SecretsManagerAPI
	Provider *payments.Client
	// Logger receives one record per step. Nil means slog.Default().
	Logger *slog.Logger
}

// Handler returns the Lambda handler: Rotate behind guard/safeerr, which
// logs failures in full and recovers panics.
func (r *Rotator) Handler() guard.Handler[Event, struct{}] {
	return guard.Chain(func(ctx context.Context, ev Event) (struct{}, error) {
		return struct{}{}, r.Rotate(ctx, ev)
	}, safeerr.Recover[Event, struct{}](r.logger()))
}

// Rotate runs one rotation step.
func (r *Rotator) Rotate(ctx context.Context, ev Event) error {
	if ev.SecretID == "" || ev.ClientRequestToken == "" {
		return errors.New("rotation: event without SecretId or ClientRequestToken")
	}
	meta, err := r.Secrets.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(ev.SecretID)})
	if err != nil {
		return fmt.Errorf("rotation: describe secret: %w", err)
	}
	if !aws.ToBool(meta.RotationEnabled) {
		return errors.New("rotation: rotation is not enabled for the secret")
	}
	stages, ok := meta.VersionIdsToStages[ev.ClientRequestToken]
	if !ok {
		return fmt.Errorf("rotation: version %s of the secret has no stage for rotation", ev.ClientRequestToken)
	}
	log := r.logger().With(slog.String("step", ev.Step), slog.String("secret", ev.SecretID), slog.String("version", ev.ClientRequestToken))
	if slices.Contains(stages, secrets.StageCurrent) {
		// An earlier finishSecret got this far: only the label cleanup may
		// be left.
		log.InfoContext(ctx, "rotation: version is already current")
		return r.dropPendingLabel(ctx, ev, stages)
	}
	if !slices.Contains(stages, secrets.StagePending) {
		return fmt.Errorf("rotation: version %s is not labelled %s", ev.ClientRequestToken, secrets.StagePending)
	}

	switch ev.Step {
	case StepCreate:
		err = r.create(ctx, ev)
	case StepSet:
		// The provider created the key in createSecret; there is no
		// separate system to tell about it.
	case StepTest:
		err = r.test(ctx, ev)
	case StepFinish:
		err = r.finish(ctx, ev, meta.VersionIdsToStages)
	default:
		return fmt.Errorf("rotation: unknown step %q", ev.Step)
	}
	if err != nil {
		return fmt.Errorf("rotation: %s: %w", ev.Step, err)
	}
	log.InfoContext(ctx, "rotation: step done")
	return nil
}

// create stores a new provider key as the pending version, unless an
// earlier attempt already did.
func (r *Rotator) create(ctx context.Context, ev Event) error {
	_, err := r.key(ctx, ev.SecretID, ev.ClientRequestToken, secrets.StagePending)
	if err == nil {
		return nil // stored by an earlier attempt
	}
	var notFound *types.ResourceNotFoundException
	if !errors.As(err, &notFound) {
		return err
	}
	current, err := r.key(ctx, ev.SecretID, "", secrets.StageCurrent)
	if err != nil {
		return err
	}
	defer current.Secret.Wipe()
	// The token as idempotency key: if storing the key fails and the step
	// is retried, the provider returns the same key instead of a second one.
	created, err := r.Provider.CreateKey(ctx, current.Secret, ev.ClientRequestToken)
	if err != nil {
		return err
	}
	defer created.Secret.Wipe()
	encoded := payments.EncodeKey(created)
	defer clear(encoded)
	_, err = r.Secrets.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId:           aws.String(ev.SecretID),
		ClientRequestToken: aws.String(ev.ClientRequestToken),
		SecretString:       aws.String(string(encoded)),
		VersionStages:      []string{secrets.StagePending},
	})
	if err != nil {
		return fmt.Errorf("store new key: %w", err)
	}
	return nil
}

// test checks that the pending key authenticates as itself.
func (r *Rotator) test(ctx context.Context, ev Event) error {
	pending, err := r.key(ctx, ev.SecretID, ev.ClientRequestToken, secrets.StagePending)
	if err != nil {
		return err
	}
	defer pending.Secret.Wipe()
	id, err := r.Provider.VerifyKey(ctx, pending.Secret)
	if err != nil {
		return err
	}
	if id != pending.ID {
		return fmt.Errorf("the new key authenticates as %s, the secret says %s", id, pending.ID)
	}
	return nil
}

// finish revokes the key two rotations old and makes the pending version
// current.
func (r *Rotator) finish(ctx context.Context, ev Event, versions map[string][]string) error {
	current, previous := "", ""
	for id, stages := range versions {
		if slices.Contains(stages, secrets.StageCurrent) {
			current = id
		}
		if slices.Contains(stages, secrets.StagePrevious) {
			previous = id
		}
	}
	if current == "" {
		return errors.New("no version is labelled AWSCURRENT")
	}

	// Once AWSCURRENT moves, AWSPREVIOUS moves to today's current key, so
	// the key it labels now would be valid but unreachable: revoke it.
	if previous != "" && previous != ev.ClientRequestToken {
		if err := r.revoke(ctx, ev, previous); err != nil {
			return err
		}
	}

	if _, err := r.Secrets.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
		SecretId:            aws.String(ev.SecretID),
		VersionStage:        aws.String(secrets.StageCurrent),
		MoveToVersionId:     aws.String(ev.ClientRequestToken),
		RemoveFromVersionId: aws.String(current),
	}); err != nil {
		return fmt.Errorf("make version current: %w", err)
	}
	return r.dropPendingLabel(ctx, ev, versions[ev.ClientRequestToken])
}

// revoke revokes the provider key stored in version, authenticating with
// the pending key (which testSecret has proven).
func (r *Rotator) revoke(ctx context.Context, ev Event, version string) error {
	old, err := r.key(ctx, ev.SecretID, version, "")
	if err != nil {
		// A version that holds no key (the placeholder the stack created
		// before the first key was stored) has nothing to revoke.
		r.logger().WarnContext(ctx, "rotation: previous version holds no key to revoke",
			slog.String("secret", ev.SecretID), slog.String("version", version), slog.Any("error", err))
		return nil
	}
	defer old.Secret.Wipe()
	pending, err := r.key(ctx, ev.SecretID, ev.ClientRequestToken, secrets.StagePending)
	if err != nil {
		return err
	}
	defer pending.Secret.Wipe()
	if err := r.Provider.RevokeKey(ctx, pending.Secret, old.ID); err != nil {
		return fmt.Errorf("revoke key %s: %w", old.ID, err)
	}
	return nil
}

// dropPendingLabel removes AWSPENDING from the rotated version once it is
// current, so that no version carries the label between rotations: Secrets
// Manager takes a stray AWSPENDING for a rotation still in progress.
func (r *Rotator) dropPendingLabel(ctx context.Context, ev Event, stages []string) error {
	if !slices.Contains(stages, secrets.StagePending) {
		return nil
	}
	_, err := r.Secrets.UpdateSecretVersionStage(ctx, &secretsmanager.UpdateSecretVersionStageInput{
		SecretId:            aws.String(ev.SecretID),
		VersionStage:        aws.String(secrets.StagePending),
		RemoveFromVersionId: aws.String(ev.ClientRequestToken),
	})
	if err != nil {
		return fmt.Errorf("rotation: remove %s label: %w", secrets.StagePending, err)
	}
	return nil
}

// key reads and decodes one version of the secret, chosen by version ID,
// stage, or both.
func (r *Rotator) key(ctx context.Context, secretID, versionID, stage string) (payments.APIKey, error) {
	in := &secretsmanager.GetSecretValueInput{SecretId: aws.String(secretID)}
	which := stage
	if versionID != "" {
		in.VersionId = aws.String(versionID)
		which = "version " + versionID
	}
	if stage != "" {
		in.VersionStage = aws.String(stage)
	}
	out, err := r.Secrets.GetSecretValue(ctx, in)
	if err != nil {
		return payments.APIKey{}, fmt.Errorf("read %s of the secret: %w", which, err)
	}
	value := secrets.NewSecret([]byte(aws.ToString(out.SecretString)))
	defer value.Wipe()
	return payments.DecodeKey(value)
}

func (r *Rotator) logger() *slog.Logger {
	if r.Logger == nil {
		return slog.Default()
	}
	return r.Logger
}
