package secrets

import (
	"context"
	"errors"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// SecretsManagerClient is the part of *secretsmanager.Client that
// SecretsManager uses.
type SecretsManagerClient interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, optFns ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// SecretsManager fetches secrets from AWS Secrets Manager. The id is a
// secret name or ARN; the stage selects the version by staging label. The
// function's role needs secretsmanager:GetSecretValue on the secret (and
// kms:Decrypt on its key if it is a customer-managed one).
type SecretsManager struct {
	Client SecretsManagerClient
}

// Fetch implements Fetcher.
func (f SecretsManager) Fetch(ctx context.Context, id, stage string) (Version, error) {
	out, err := f.Client.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{
		SecretId:     aws.String(id),
		VersionStage: aws.String(stage),
	})
	if err != nil {
		return Version{}, err
	}
	value := out.SecretBinary
	if out.SecretString != nil {
		value = []byte(*out.SecretString)
	}
	return Version{Value: value, ID: aws.ToString(out.VersionId)}, nil
}

// ParameterStoreClient is the part of *ssm.Client that ParameterStore uses.
type ParameterStoreClient interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// ParameterStore fetches parameters from SSM Parameter Store, decrypting
// SecureString parameters. The id is the parameter name. Parameters have no
// staging labels: StageCurrent reads the latest version, and any other stage
// is used as a parameter label or version number (name:stage).
type ParameterStore struct {
	Client ParameterStoreClient
}

// Fetch implements Fetcher.
func (f ParameterStore) Fetch(ctx context.Context, id, stage string) (Version, error) {
	name := id
	if stage != StageCurrent {
		name = id + ":" + stage
	}
	out, err := f.Client.GetParameter(ctx, &ssm.GetParameterInput{
		Name:           aws.String(name),
		WithDecryption: aws.Bool(true),
	})
	if err != nil {
		return Version{}, err
	}
	if out.Parameter == nil || out.Parameter.Value == nil {
		return Version{}, errors.New("GetParameter returned no value")
	}
	return Version{
		Value: []byte(*out.Parameter.Value),
		ID:    strconv.FormatInt(out.Parameter.Version, 10),
	}, nil
}
