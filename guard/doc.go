// Package guard gives Go Lambda functions the runtime security pieces that
// the serverless security guides otherwise write by hand: cached secrets,
// input validation, a hardened HTTP client, redacting security logs, rate
// limiting, safe error responses and a network self-check.
//
// Each capability lives in its own subpackage; this package holds only the
// typed handler and middleware composition they share.
package guard
