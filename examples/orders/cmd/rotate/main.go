// Command rotate is the rotation function of the payment provider's API key
// secret (runtime provided.al2023). Build it for arm64:
//
//	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc \
//	    -o examples/orders/build/rotate/bootstrap ./examples/orders/cmd/rotate
//
// It reads PAYMENT_API_URL and PAYMENT_API_PRIVATE_RANGES as the order
// function does.
package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/bulwark-sec/bulwark/examples/orders/orders"
	"github.com/bulwark-sec/bulwark/examples/orders/payments"
	"github.com/bulwark-sec/bulwark/examples/orders/rotation"
	"github.com/bulwark-sec/bulwark/guard/httpclient"
)

func main() {
	logger := orders.NewLogger(os.Stdout)
	slog.SetDefault(logger)

	ranges, err := orders.ParseRanges(os.Getenv("PAYMENT_API_PRIVATE_RANGES"))
	if err != nil {
		fail(logger, err)
	}
	apiURL := os.Getenv("PAYMENT_API_URL")
	if apiURL == "" {
		fail(logger, errors.New("PAYMENT_API_URL is not set"))
	}
	awsCfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		fail(logger, err)
	}
	rotator := &rotation.Rotator{
		Secrets: secretsmanager.NewFromConfig(awsCfg),
		Provider: &payments.Client{
			BaseURL: apiURL,
			HTTP:    httpclient.New(httpclient.Options{Timeout: 10 * time.Second, AllowedDestinations: ranges}),
		},
		Logger: logger,
	}
	lambda.Start(rotator.Handler())
}

// fail ends a cold start that cannot serve; Lambda reports an init error.
func fail(logger *slog.Logger, err error) {
	logger.Error("rotate: cannot start", slog.Any("error", err))
	os.Exit(1)
}
