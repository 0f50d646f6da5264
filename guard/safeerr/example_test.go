package safeerr_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/bulwark-sec/bulwark/guard"
	"github.com/bulwark-sec/bulwark/guard/safeerr"
)

func ExampleAPIGatewayV2() {
	logger := slog.New(slog.DiscardHandler) // in a function: a JSON handler on stdout
	handler := guard.Chain(func(_ context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
		switch req.RawPath {
		case "/orders/404":
			return events.APIGatewayV2HTTPResponse{}, safeerr.Public(404, "order not found")
		case "/orders/panic":
			panic("index out of range in pricing.go")
		default:
			return events.APIGatewayV2HTTPResponse{}, errors.New("dial tcp 10.0.3.7:5432: connection refused")
		}
	}, safeerr.APIGatewayV2(logger))

	// Inside Lambda the context carries the request ID.
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "8f5e-41c2"})
	for _, path := range []string{"/orders/404", "/orders/panic", "/orders/1"} {
		res, _ := handler(ctx, events.APIGatewayV2HTTPRequest{RawPath: path})
		fmt.Println(res.StatusCode, res.Body)
	}
	// Output:
	// 404 {"message":"order not found","correlation_id":"8f5e-41c2"}
	// 500 {"message":"internal error","correlation_id":"8f5e-41c2"}
	// 500 {"message":"internal error","correlation_id":"8f5e-41c2"}
}

func ExampleRecover() {
	logger := slog.New(slog.DiscardHandler)
	handler := guard.Chain(func(context.Context, events.SQSEvent) (events.SQSEventResponse, error) {
		return events.SQSEventResponse{}, fmt.Errorf("decode message: %w", errors.New("unexpected token near 'DROP TABLE'"))
	}, safeerr.Recover[events.SQSEvent, events.SQSEventResponse](logger))

	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "8f5e-41c2"})
	_, err := handler(ctx, events.SQSEvent{})
	fmt.Println(err)
	// Output:
	// internal error (correlation ID 8f5e-41c2)
}

func ExampleWrap() {
	errConflict := errors.New(`duplicate key value violates unique constraint "orders_pkey"`)
	err := safeerr.Wrap(errConflict, 409, "order already exists")

	var public *safeerr.Error
	if errors.As(err, &public) {
		fmt.Println(public.Status, public.Message) // what the caller sees
	}
	fmt.Println(errors.Is(err, errConflict)) // the cause stays available for logs
	// Output:
	// 409 order already exists
	// true
}
