package ratelimit_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/bulwark-sec/bulwark/guard"
	"github.com/bulwark-sec/bulwark/guard/ratelimit"
)

func ExampleMemory() {
	limiter, err := ratelimit.NewMemory(2, time.Minute)
	if err != nil {
		log.Fatal(err)
	}
	for range 3 {
		d, _ := limiter.Allow(context.Background(), "203.0.113.7")
		fmt.Printf("allowed=%v remaining=%d retry after=%s\n", d.Allowed, d.Remaining, d.RetryAfter.Round(time.Second))
	}
	// Output:
	// allowed=true remaining=1 retry after=0s
	// allowed=true remaining=0 retry after=0s
	// allowed=false remaining=0 retry after=30s
}

func ExampleAPIGateway() {
	limiter, err := ratelimit.NewMemory(1, time.Minute)
	if err != nil {
		log.Fatal(err)
	}
	handler := guard.Chain(func(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		return events.APIGatewayProxyResponse{StatusCode: 200, Body: "ok"}, nil
	}, ratelimit.APIGateway(limiter, ratelimit.SourceIP))

	var req events.APIGatewayProxyRequest
	req.RequestContext.Identity.SourceIP = "203.0.113.7"
	for range 2 {
		resp, _ := handler(context.Background(), req)
		fmt.Println(resp.StatusCode, resp.Headers["Retry-After"], resp.Body)
	}
	// Output:
	// 200  ok
	// 429 60 {"message":"Too Many Requests"}
}

func ExampleNewDynamoDB() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	// 100 requests per minute per source IP across all execution environments.
	// During a DynamoDB outage, keep serving (and log the error).
	limiter, err := ratelimit.NewDynamoDB(dynamodb.NewFromConfig(cfg), "rate-limits", ratelimit.DynamoDBOptions{
		Limit:   100,
		Window:  time.Minute,
		Sliding: true,
		OnError: ratelimit.FailOpen,
	})
	if err != nil {
		log.Fatal(err)
	}
	lambda.Start(guard.Chain(handle, ratelimit.APIGateway(limiter, ratelimit.SourceIP)))
}

func handle(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	return events.APIGatewayProxyResponse{StatusCode: 200}, nil
}
