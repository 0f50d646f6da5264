// Package ratelimit admits or turns away requests per key (a caller's IP,
// API key or user) so that one caller cannot exhaust a function's
// concurrency, its downstream capacity or its bill.
//
// Two Limiters share one interface: DynamoDB counts requests in a table, so
// the limit holds across every concurrent execution environment of a
// function; Memory counts in the environment's own memory, which is free and
// fast but limits each environment separately. Middleware, APIGateway and
// HTTPAPI put a Limiter in front of a handler.
package ratelimit

import (
	"context"
	"time"
)

// Limiter decides whether the request identified by key may proceed.
//
// A Limiter that cannot decide, because its store failed, returns the error
// together with the Decision its ErrorPolicy dictates, so that the caller
// both gets an answer and learns of the failure.
type Limiter interface {
	Allow(ctx context.Context, key string) (Decision, error)
}

// Decision is a Limiter's answer for one request.
type Decision struct {
	// Allowed reports whether the request may proceed.
	Allowed bool
	// Limit is the number of requests a key may make per window.
	Limit int
	// Remaining is how many more requests the key may make now.
	Remaining int
	// RetryAfter, when the request was turned away, is how long until a
	// request from the same key could be admitted.
	RetryAfter time.Duration
}

// ErrorPolicy says what a Limiter decides when its store fails. It has no
// default: fail-open keeps serving during an outage but removes the limit,
// fail-closed keeps the limit but turns everyone away, and only the caller
// knows which harm is worse.
type ErrorPolicy int

const (
	// FailOpen admits requests the Limiter could not count.
	FailOpen ErrorPolicy = iota + 1
	// FailClosed turns away requests the Limiter could not count.
	FailClosed
)

func (p ErrorPolicy) valid() bool { return p == FailOpen || p == FailClosed }
