// Package safeerr turns handler errors and panics into responses that reveal
// nothing of the function's internals.
//
// The middleware recovers panics and replaces any error with a public
// message and a correlation ID: the Lambda request ID when there is one,
// else a random ID. The full error, and for a panic its value and stack, go
// to a slog.Logger under the same correlation ID, so the caller's report can
// be matched to the log. Errors the code marks as public with Public or Wrap
// keep their status and message; every other error becomes a 500 with the
// message "internal error".
package safeerr

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/bulwark-sec/bulwark/guard"
)

// InternalMessage is the public message of every error not marked public.
const InternalMessage = "internal error"

// Error is an error whose status and message may be shown to the caller. Its
// cause, if any, is logged but never shown.
type Error struct {
	Status  int    // HTTP status, 400 to 599
	Message string // shown to the caller
	Err     error  // the cause, for the log only
}

// Public returns an error whose status and message are shown to the caller
// as they are, for example Public(404, "order not found").
func Public(status int, message string) error {
	return &Error{Status: status, Message: message}
}

// Wrap marks err as public under status and message: the caller sees only
// message, the log gets err.
func Wrap(err error, status int, message string) error {
	return &Error{Status: status, Message: message, Err: err}
}

func (e *Error) Error() string {
	if e.Err == nil {
		return e.Message
	}
	return e.Message + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Sanitized is the error the generic middleware returns in place of the
// handler's: only the public message and the correlation ID. The Lambda
// runtime reports its text to the invoker.
type Sanitized struct {
	Status        int
	Message       string
	CorrelationID string
}

func (e *Sanitized) Error() string {
	return fmt.Sprintf("%s (correlation ID %s)", e.Message, e.CorrelationID)
}

// Body is the JSON body of an error response.
type Body struct {
	Message       string `json:"message"`
	CorrelationID string `json:"correlation_id"`
}

// panicError carries a recovered panic to the logging code.
type panicError struct {
	value any
	stack []byte
}

func (p *panicError) Error() string { return fmt.Sprintf("panic: %v", p.value) }

// call runs next, turning a panic into a *panicError.
func call[In, Out any](ctx context.Context, next guard.Handler[In, Out], in In) (out Out, err error) {
	defer func() {
		if v := recover(); v != nil {
			var zero Out
			out, err = zero, &panicError{value: v, stack: debug.Stack()}
		}
	}()
	return next(ctx, in)
}

// failure logs err in full and returns what the caller may see.
func failure(ctx context.Context, logger *slog.Logger, err error) *Sanitized {
	if logger == nil {
		logger = slog.Default()
	}
	out := &Sanitized{Status: http.StatusInternalServerError, Message: InternalMessage, CorrelationID: correlationID(ctx)}
	var public *Error
	if errors.As(err, &public) {
		out.Message = public.Message
		if public.Status >= 400 && public.Status <= 599 {
			out.Status = public.Status
		}
	}

	attrs := []slog.Attr{
		slog.String("correlation_id", out.CorrelationID),
		slog.Int("status", out.Status),
		slog.String("error", err.Error()),
	}
	level, msg := slog.LevelError, "handler failed"
	var p *panicError
	if errors.As(err, &p) {
		msg = "handler panicked"
		attrs = append(attrs, slog.String("stack", string(p.stack)))
	} else if out.Status < 500 {
		level = slog.LevelInfo // a public client error is an answer, not a fault
	}
	logger.LogAttrs(ctx, level, msg, attrs...)
	return out
}

// correlationID is the Lambda request ID, so the caller's report matches the
// function's log stream, or a random ID outside Lambda.
func correlationID(ctx context.Context) string {
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		return lc.AwsRequestID
	}
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read does not fail on supported platforms
	return hex.EncodeToString(b[:])
}

// Recover is the middleware for any event type: it recovers panics and
// replaces every error with a *Sanitized one. Put it first in guard.Chain so
// it also covers the other middleware.
func Recover[In, Out any](logger *slog.Logger) guard.Middleware[In, Out] {
	return func(next guard.Handler[In, Out]) guard.Handler[In, Out] {
		return func(ctx context.Context, in In) (Out, error) {
			out, err := call(ctx, next, in)
			if err == nil {
				return out, nil
			}
			var zero Out
			return zero, failure(ctx, logger, err)
		}
	}
}
