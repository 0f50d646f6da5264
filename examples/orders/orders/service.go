// Package orders is the order service of the Bulwark example application: a
// Lambda function behind an API Gateway REST API that takes POST /orders,
// prices the order from its own catalog, stores it in DynamoDB under the
// client's idempotency key and charges it through the payment provider.
//
// The security pieces the guides write by hand come from guard, composed
// with guard.Chain in Service.Handler:
//
//   - guard/safeerr answers every error and panic with a public message and
//     the Lambda request ID as correlation ID, and logs the details;
//   - the caller must carry a Cognito subject (API Gateway has already
//     verified the token), else the request is refused and recorded;
//   - guard/ratelimit counts requests per caller in DynamoDB, across every
//     execution environment, and turns callers away when DynamoDB cannot
//     count (fail-closed);
//   - guard/validate checks the body against RequestSchema;
//   - guard/secrets caches the provider's API key from Secrets Manager and
//     follows its rotation; the key is a secrets.Secret, which never prints;
//   - guard/httpclient calls the provider over verified TLS, with the
//     destination guard refusing every internal address but the provider's
//     PrivateLink endpoint;
//   - guard/seclog redacts the log and records refusals as security events
//     that are also CloudWatch metrics.
package orders

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/bulwark-sec/bulwark/guard"
	"github.com/bulwark-sec/bulwark/guard/ratelimit"
	"github.com/bulwark-sec/bulwark/guard/safeerr"
	"github.com/bulwark-sec/bulwark/guard/seclog"
	"github.com/bulwark-sec/bulwark/guard/validate"
)

// The event types of an API Gateway REST API with Lambda proxy integration.
type (
	Request  = events.APIGatewayProxyRequest
	Response = events.APIGatewayProxyResponse
)

// Service places orders. Create it with New, once per execution
// environment, and serve its Handler.
type Service struct {
	store       orderStore
	payer       payer
	catalog     Catalog
	limiter     ratelimit.Limiter
	logger      *slog.Logger
	security    *seclog.Recorder
	paymentHost string // for security events about the provider
	now         func() time.Time
}

// Handler returns the Lambda handler for POST /orders.
func (s *Service) Handler() guard.Handler[Request, Response] {
	return guard.Chain(s.placeOrder,
		// Outermost, so that it also answers for the middleware below it.
		safeerr.APIGateway(s.logger),
		s.requireCaller,
		// Before validation, so that a flood of invalid bodies is limited too.
		s.recordRefusals(seclog.RateLimited, rateLimitReason, ratelimit.APIGateway(s.limiter, rateLimitKey)),
		s.recordRefusals(seclog.ValidationFailure, validationReason, validate.APIGateway(RequestSchema)),
	)
}

// callerID is the caller's Cognito subject, which API Gateway's Cognito
// authorizer puts in the request context after verifying the token. It is
// empty when the request did not come through the authorizer.
func callerID(req Request) string {
	claims, _ := req.RequestContext.Authorizer["claims"].(map[string]any)
	sub, _ := claims["sub"].(string)
	return sub
}

// requireCaller refuses requests without an authenticated caller. API
// Gateway lets none through; the check keeps the function safe if it is
// ever invoked some other way, and records the attempt.
func (s *Service) requireCaller(next guard.Handler[Request, Response]) guard.Handler[Request, Response] {
	return func(ctx context.Context, req Request) (Response, error) {
		if callerID(req) == "" {
			s.recordEvent(ctx, req, seclog.AuthFailure, "no_authorizer_claims", "")
			return Response{}, safeerr.Public(http.StatusUnauthorized, "unauthorized")
		}
		return next(ctx, req)
	}
}

// rateLimitKey limits each caller on its own. The key is the authenticated
// subject rather than the source IP, which many customers can share and one
// attacker can change; WAF's rate-based rule covers IP floods.
func rateLimitKey(req Request) string { return "caller#" + callerID(req) }

// recordRefusals runs mw and, when mw answers a request itself instead of
// passing it on, records a security event of type t. This is how the rate
// limiter's and the validator's refusals reach the security log and its
// metric.
func (s *Service) recordRefusals(t seclog.EventType, reason func(Response) string, mw guard.Middleware[Request, Response]) guard.Middleware[Request, Response] {
	return func(next guard.Handler[Request, Response]) guard.Handler[Request, Response] {
		return func(ctx context.Context, req Request) (Response, error) {
			passed := false
			resp, err := mw(func(ctx context.Context, req Request) (Response, error) {
				passed = true
				return next(ctx, req)
			})(ctx, req)
			if !passed && err == nil {
				s.recordEvent(ctx, req, t, reason(resp), "")
			}
			return resp, err
		}
	}
}

func rateLimitReason(resp Response) string {
	if resp.StatusCode == http.StatusServiceUnavailable {
		return "limiter_unavailable" // fail-closed: DynamoDB could not count
	}
	return "limit_exceeded"
}

// validationReason reads the reason (too_large, too_deep, malformed,
// schema) from guard/validate's 400 body.
func validationReason(resp Response) string {
	var body validate.ErrorBody
	if json.Unmarshal([]byte(resp.Body), &body) != nil || body.Reason == "" {
		return "invalid"
	}
	return string(body.Reason)
}

// recordEvent records a security event about req. resource defaults to the
// route.
func (s *Service) recordEvent(ctx context.Context, req Request, t seclog.EventType, reason, resource string) {
	if resource == "" {
		resource = req.HTTPMethod + " " + req.Resource
	}
	// Record fails only to build the metric, for an invalid event type or
	// namespace; the event is logged all the same and the types here are
	// the package's own constants.
	_ = s.security.Record(ctx, seclog.Event{
		Type:     t,
		Reason:   reason,
		Subject:  callerID(req),
		Source:   req.RequestContext.Identity.SourceIP,
		Resource: resource,
	})
}
