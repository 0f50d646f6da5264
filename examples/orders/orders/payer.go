package orders

import (
	"context"
	"errors"

	"github.com/bulwark-sec/bulwark/examples/orders/payments"
	"github.com/bulwark-sec/bulwark/guard/secrets"
)

// payer charges orders.
type payer interface {
	Charge(ctx context.Context, idempotencyKey string, req payments.ChargeRequest) (payments.Charge, error)
}

// providerPayer charges through the payment provider with the API key kept
// in Secrets Manager.
type providerPayer struct {
	keys     *secrets.Cache
	secretID string
	client   *payments.Client
}

// Charge calls the provider with the cached API key. When the provider
// refuses the key, rotation has replaced it since it was cached:
// UseRotating then retries with the versions rotation may have made valid
// (AWSCURRENT fetched anew, AWSPENDING, AWSPREVIOUS). Any other answer or
// failure ends the attempt, so a payment is never sent twice with two keys
// except when the first key was refused, which charges nothing.
func (p providerPayer) Charge(ctx context.Context, idempotencyKey string, req payments.ChargeRequest) (payments.Charge, error) {
	var (
		charge  payments.Charge
		callErr error
	)
	err := p.keys.UseRotating(ctx, p.secretID, func(stored secrets.Secret) error {
		defer stored.Wipe()
		key, err := payments.DecodeKey(stored)
		if err != nil {
			return err
		}
		defer key.Secret.Wipe()
		charge, callErr = p.client.Charge(ctx, key.Secret, idempotencyKey, req)
		if errors.Is(callErr, payments.ErrKeyRejected) {
			return callErr // try the next version
		}
		return nil // an answer, or a failure another key would not fix
	})
	if err != nil {
		return payments.Charge{}, err
	}
	return charge, callErr
}
