package validate

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/aws/aws-lambda-go/events"

	"github.com/bulwark-sec/bulwark/guard"
)

// APIGateway rejects API Gateway REST requests whose body fails s with a 400
// JSON error; valid requests reach the handler unchanged.
func APIGateway(s *Schema) guard.Middleware[events.APIGatewayProxyRequest, events.APIGatewayProxyResponse] {
	return rejectInvalid(s.ValidateAPIGateway, func(status int, headers map[string]string, body string) events.APIGatewayProxyResponse {
		return events.APIGatewayProxyResponse{StatusCode: status, Headers: headers, Body: body}
	})
}

// APIGatewayV2 rejects API Gateway HTTP API requests whose body fails s with
// a 400 JSON error; valid requests reach the handler unchanged.
func APIGatewayV2(s *Schema) guard.Middleware[events.APIGatewayV2HTTPRequest, events.APIGatewayV2HTTPResponse] {
	return rejectInvalid(s.ValidateAPIGatewayV2, func(status int, headers map[string]string, body string) events.APIGatewayV2HTTPResponse {
		return events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: headers, Body: body}
	})
}

// FunctionURL rejects Lambda Function URL requests whose body fails s with a
// 400 JSON error; valid requests reach the handler unchanged.
func FunctionURL(s *Schema) guard.Middleware[events.LambdaFunctionURLRequest, events.LambdaFunctionURLResponse] {
	return rejectInvalid(s.ValidateFunctionURL, func(status int, headers map[string]string, body string) events.LambdaFunctionURLResponse {
		return events.LambdaFunctionURLResponse{StatusCode: status, Headers: headers, Body: body}
	})
}

// ErrorBody is the JSON body of a 400 answer.
type ErrorBody struct {
	Message string      `json:"message"`
	Reason  Reason      `json:"reason"`
	Detail  string      `json:"detail,omitempty"`
	Errors  []Violation `json:"errors,omitempty"`
}

// rejectInvalid is the middleware shared by the HTTP event types: check the
// request, and answer with the event's own response type when it fails.
func rejectInvalid[In, Out any](check func(In) error, respond func(status int, headers map[string]string, body string) Out) guard.Middleware[In, Out] {
	return func(next guard.Handler[In, Out]) guard.Handler[In, Out] {
		return func(ctx context.Context, in In) (Out, error) {
			err := check(in)
			if err == nil {
				return next(ctx, in)
			}
			var verr *Error
			if !errors.As(err, &verr) {
				var zero Out
				return zero, err
			}
			return respond(http.StatusBadRequest, map[string]string{"Content-Type": "application/json"}, errorBody(verr)), nil
		}
	}
}

func errorBody(e *Error) string {
	body, err := json.Marshal(ErrorBody{
		Message: "request body is invalid",
		Reason:  e.Reason,
		Detail:  e.Detail,
		Errors:  e.Violations,
	})
	if err != nil {
		// Only strings and a slice of string pairs: marshaling cannot fail.
		return `{"message":"request body is invalid"}`
	}
	return string(body)
}
