package safeerr

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"

	"github.com/bulwark-sec/bulwark/guard"
)

// APIGateway answers API Gateway REST requests whose handler failed or
// panicked with a JSON error response; the Lambda invocation itself
// succeeds, so API Gateway returns that response rather than its own 502.
func APIGateway(logger *slog.Logger) guard.Middleware[events.APIGatewayProxyRequest, events.APIGatewayProxyResponse] {
	return answerFailures[events.APIGatewayProxyRequest](logger, func(status int, headers map[string]string, body string) events.APIGatewayProxyResponse {
		return events.APIGatewayProxyResponse{StatusCode: status, Headers: headers, Body: body}
	})
}

// APIGatewayV2 answers API Gateway HTTP API requests whose handler failed or
// panicked with a JSON error response.
func APIGatewayV2(logger *slog.Logger) guard.Middleware[events.APIGatewayV2HTTPRequest, events.APIGatewayV2HTTPResponse] {
	return answerFailures[events.APIGatewayV2HTTPRequest](logger, func(status int, headers map[string]string, body string) events.APIGatewayV2HTTPResponse {
		return events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: headers, Body: body}
	})
}

// FunctionURL answers Lambda Function URL requests whose handler failed or
// panicked with a JSON error response.
func FunctionURL(logger *slog.Logger) guard.Middleware[events.LambdaFunctionURLRequest, events.LambdaFunctionURLResponse] {
	return answerFailures[events.LambdaFunctionURLRequest](logger, func(status int, headers map[string]string, body string) events.LambdaFunctionURLResponse {
		return events.LambdaFunctionURLResponse{StatusCode: status, Headers: headers, Body: body}
	})
}

// answerFailures is the HTTP middleware shared by the event types.
func answerFailures[In, Out any](logger *slog.Logger, respond func(status int, headers map[string]string, body string) Out) guard.Middleware[In, Out] {
	return func(next guard.Handler[In, Out]) guard.Handler[In, Out] {
		return func(ctx context.Context, in In) (Out, error) {
			out, err := call(ctx, next, in)
			if err == nil {
				return out, nil
			}
			s := failure(ctx, logger, err)
			body, _ := json.Marshal(Body{Message: s.Message, CorrelationID: s.CorrelationID}) // two strings: cannot fail
			return respond(s.Status, map[string]string{"Content-Type": "application/json"}, string(body)), nil
		}
	}
}
