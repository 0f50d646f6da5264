package secrets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
)

// Extension reaches the AWS Parameters and Secrets Lambda Extension, a
// Lambda layer that serves Secrets Manager and Parameter Store values over
// HTTP on localhost and caches them itself. The zero value talks to the
// extension the way Lambda runs it.
type Extension struct {
	// Endpoint is the extension's base URL. Empty means
	// http://localhost:PORT, with PORT from the environment variable
	// PARAMETERS_SECRETS_EXTENSION_HTTP_PORT, or 2773.
	Endpoint string

	// Token authenticates requests to the extension. Empty means the
	// function's session token, from the environment variable
	// AWS_SESSION_TOKEN, which is what the extension expects.
	Token Secret

	// Client sends the requests. Nil means http.DefaultClient.
	Client *http.Client
}

// extensionHeader carries the token the extension checks.
const extensionHeader = "X-Aws-Parameters-Secrets-Token"

// maxExtensionResponse bounds what is read from the extension: Secrets
// Manager values are at most 64 KiB, and the JSON around them is small.
const maxExtensionResponse = 1 << 20

// SecretsManager returns a Fetcher for Secrets Manager secrets through the
// extension. Stages are passed as versionStage.
func (e Extension) SecretsManager() Fetcher {
	return FetcherFunc(func(ctx context.Context, id, stage string) (Version, error) {
		query := url.Values{"secretId": {id}, "versionStage": {stage}}
		var out struct {
			SecretString *string
			SecretBinary []byte // base64 in the JSON, decoded by encoding/json
			VersionID    string `json:"VersionId"`
		}
		if err := e.get(ctx, "/secretsmanager/get", query, &out); err != nil {
			return Version{}, err
		}
		value := out.SecretBinary
		if out.SecretString != nil {
			value = []byte(*out.SecretString)
		}
		return Version{Value: value, ID: out.VersionID}, nil
	})
}

// ParameterStore returns a Fetcher for Parameter Store parameters through
// the extension, decrypting SecureString parameters. As with ParameterStore,
// a stage other than StageCurrent is used as a parameter label.
func (e Extension) ParameterStore() Fetcher {
	return FetcherFunc(func(ctx context.Context, id, stage string) (Version, error) {
		query := url.Values{"name": {id}, "withDecryption": {"true"}}
		if stage != StageCurrent {
			query.Set("label", stage)
		}
		var out struct {
			Parameter *struct {
				Value   *string
				Version int64
			}
		}
		if err := e.get(ctx, "/systemsmanager/parameters/get", query, &out); err != nil {
			return Version{}, err
		}
		if out.Parameter == nil || out.Parameter.Value == nil {
			return Version{}, errors.New("extension returned no parameter value")
		}
		return Version{
			Value: []byte(*out.Parameter.Value),
			ID:    strconv.FormatInt(out.Parameter.Version, 10),
		}, nil
	})
}

func (e Extension) get(ctx context.Context, path string, query url.Values, out any) error {
	token := e.Token.Bytes()
	if len(token) == 0 {
		token = []byte(os.Getenv("AWS_SESSION_TOKEN"))
	}
	if len(token) == 0 {
		return errors.New("no token for the Parameters and Secrets extension: AWS_SESSION_TOKEN is not set")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.endpoint()+path+"?"+query.Encode(), nil)
	if err != nil {
		return err
	}
	req.Header.Set(extensionHeader, string(token))

	client := e.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("parameters and secrets extension: %w", err)
	}
	defer resp.Body.Close()
	body := io.LimitReader(resp.Body, maxExtensionResponse)
	if resp.StatusCode != http.StatusOK {
		// Error bodies carry the AWS error message, never a secret value.
		msg, _ := io.ReadAll(io.LimitReader(body, 512))
		return fmt.Errorf("parameters and secrets extension: %s: %s", resp.Status, msg)
	}
	if err := json.NewDecoder(body).Decode(out); err != nil {
		// The decoder's message can quote a character of the secret, so it
		// is deliberately not wrapped.
		return errors.New("parameters and secrets extension: response is not the expected JSON")
	}
	return nil
}

func (e Extension) endpoint() string {
	if e.Endpoint != "" {
		return e.Endpoint
	}
	port := os.Getenv("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT")
	if port == "" {
		port = "2773"
	}
	return "http://localhost:" + port
}
