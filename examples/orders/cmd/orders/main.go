// Command orders is the order service's Lambda function (runtime
// provided.al2023). Build it for arm64:
//
//	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc \
//	    -o examples/orders/build/orders/bootstrap ./examples/orders/cmd/orders
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/bulwark-sec/bulwark/examples/orders/orders"
)

func main() {
	logger := orders.NewLogger(os.Stdout)
	// guard/ratelimit logs limiter failures on the default logger: route
	// them through the redacting one too.
	slog.SetDefault(logger)

	cfg, err := orders.ConfigFromEnv(os.Getenv)
	if err != nil {
		fail(logger, err)
	}
	awsCfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		fail(logger, err)
	}
	svc, err := orders.New(awsCfg, cfg, logger)
	if err != nil {
		fail(logger, err)
	}
	lambda.Start(svc.Handler())
}

// fail ends a cold start that cannot serve; Lambda reports an init error.
func fail(logger *slog.Logger, err error) {
	logger.Error("orders: cannot start", slog.Any("error", err))
	os.Exit(1)
}
