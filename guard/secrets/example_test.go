package secrets_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/bulwark-sec/bulwark/guard/secrets"
)

func ExampleSecret() {
	password := secrets.NewSecret([]byte("hunter2"))

	fmt.Println(password)
	fmt.Printf("%#v\n", password)
	event, _ := json.Marshal(struct{ User, Password any }{"app", password})
	fmt.Println(string(event))
	fmt.Println(password.Equal([]byte("hunter2")))
	// Output:
	// [REDACTED]
	// [REDACTED]
	// {"User":"app","Password":"[REDACTED]"}
	// true
}

// In Lambda, the zero Extension reaches the Parameters and Secrets extension
// layer on localhost:2773 with the function's session token. Here a stand-in
// server answers instead.
func ExampleExtension() {
	calls := 0
	standIn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		fmt.Fprint(w, `{"SecretString":"{\"username\":\"app\",\"password\":\"hunter2\"}","VersionId":"v1"}`)
	}))
	defer standIn.Close()
	ext := secrets.Extension{Endpoint: standIn.URL, Token: secrets.NewSecret([]byte("session-token"))}

	cache := secrets.NewCache(ext.SecretsManager(), secrets.Options{TTL: time.Minute})
	ctx := context.Background()
	user, err := cache.GetField(ctx, "prod/db", "username")
	if err != nil {
		log.Fatal(err)
	}
	password, err := cache.GetField(ctx, "prod/db", "password")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(user.Reveal(), password)
	fmt.Println("extension calls:", calls)
	// Output:
	// app [REDACTED]
	// extension calls: 1
}

func ExampleSecretsManager() {
	// Once per execution environment, outside the handler.
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	cache := secrets.NewCache(
		secrets.SecretsManager{Client: secretsmanager.NewFromConfig(cfg)},
		secrets.Options{TTL: 5 * time.Minute, MaxStale: 10 * time.Minute},
	)

	// In the handler: served from memory while fresh.
	password, err := cache.GetField(context.Background(), "prod/orders/db", "password")
	if err != nil {
		log.Fatal(err)
	}
	defer password.Wipe()
	_ = password.Bytes()
}

func ExampleParameterStore() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	params := secrets.NewCache(secrets.ParameterStore{Client: ssm.NewFromConfig(cfg)}, secrets.Options{})
	apiKey, err := params.Get(context.Background(), "/prod/payments/api-key") // SecureString, decrypted
	if err != nil {
		log.Fatal(err)
	}
	_ = apiKey.Reveal()
}

// UseRotating retries with the version rotation made valid when the cached
// one is refused, here by a stand-in for a database whose password rotated.
func ExampleCache_UseRotating() {
	current := "old-password"
	backend := secrets.FetcherFunc(func(_ context.Context, id, stage string) (secrets.Version, error) {
		return secrets.Version{Value: []byte(current), ID: current}, nil
	})
	cache := secrets.NewCache(backend, secrets.Options{})
	ctx := context.Background()
	if _, err := cache.Get(ctx, "prod/db"); err != nil { // cached before the rotation
		log.Fatal(err)
	}

	current = "new-password" // rotation happens
	connect := func(password secrets.Secret) error {
		if password.Reveal() != "new-password" {
			return errors.New("authentication failed")
		}
		return nil
	}
	err := cache.UseRotating(ctx, "prod/db", func(password secrets.Secret) error {
		err := connect(password)
		fmt.Println("tried version", password.VersionID(), "->", err)
		return err
	})
	fmt.Println(err)
	// Output:
	// tried version old-password -> authentication failed
	// tried version new-password -> <nil>
	// <nil>
}
