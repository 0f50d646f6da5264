package orders

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/bulwark-sec/bulwark/examples/orders/payments"
	"github.com/bulwark-sec/bulwark/guard/httpclient"
	"github.com/bulwark-sec/bulwark/guard/safeerr"
	"github.com/bulwark-sec/bulwark/guard/seclog"
)

var errPaymentDeclined = safeerr.Public(http.StatusPaymentRequired, "payment declined")

// placeOrder handles a request the middleware has authenticated, rate
// limited and validated.
//
// The client's idempotency key is the order ID. The first request stores
// the order as PENDING, charges it and settles it as PAID or DECLINED. A
// retry of the same request finds the stored order: a settled one is
// answered as it is, a pending one (its first attempt failed midway) is
// charged again with the same provider idempotency key, so the provider
// charges once however often the client retries.
func (s *Service) placeOrder(ctx context.Context, req Request) (Response, error) {
	var in placeOrderRequest
	if err := decodeBody(req, &in); err != nil {
		return Response{}, err
	}
	order, err := s.catalog.newOrder(callerID(req), in, s.now().UTC())
	if err != nil {
		return Response{}, err
	}

	order, replayed, err := s.storeOrder(ctx, order)
	if err != nil {
		return Response{}, err
	}
	if order.Status == StatusPending {
		order, err = s.charge(ctx, order, in.PaymentToken)
		if errors.Is(err, httpclient.ErrForbiddenDestination) {
			// The provider's name resolved to an address the function may
			// not reach: a DNS change, or an attempt to redirect payments.
			s.recordEvent(ctx, req, seclog.DestinationDenied, "payment_api_address_refused", s.paymentHost)
		}
		if err != nil {
			return Response{}, err
		}
	}
	if order.Status == StatusDeclined {
		return Response{}, errPaymentDeclined
	}
	return orderResponse(order, replayed), nil
}

// decodeBody decodes the validated body. A body can pass the schema and
// still not decode, such as a quantity written 2.0 (an integer to JSON
// Schema, not to Go); it is refused like an invalid one.
func decodeBody(req Request, into *placeOrderRequest) error {
	body := []byte(req.Body)
	if req.IsBase64Encoded {
		decoded, err := base64.StdEncoding.DecodeString(req.Body)
		if err != nil {
			return safeerr.Wrap(err, http.StatusBadRequest, "request body is invalid")
		}
		body = decoded
	}
	if err := json.Unmarshal(body, into); err != nil {
		return safeerr.Wrap(err, http.StatusBadRequest, "request body is invalid")
	}
	return nil
}

// storeOrder saves a new order, or returns the one an earlier attempt of the
// same request saved (replayed is then true).
func (s *Service) storeOrder(ctx context.Context, order Order) (stored Order, replayed bool, err error) {
	err = s.store.Create(ctx, order)
	if err == nil {
		return order, false, nil
	}
	if !errors.Is(err, errOrderExists) {
		return Order{}, false, fmt.Errorf("store order: %w", err)
	}
	existing, err := s.store.Get(ctx, order.CustomerID, order.ID)
	if err != nil {
		return Order{}, false, fmt.Errorf("read back order: %w", err)
	}
	if existing.RequestHash != order.RequestHash {
		return Order{}, false, safeerr.Public(http.StatusConflict, "idempotency key already used for a different order")
	}
	return existing, true, nil
}

// charge charges a pending order and records the outcome.
func (s *Service) charge(ctx context.Context, order Order, paymentToken string) (Order, error) {
	charge, err := s.payer.Charge(ctx, providerIdempotencyKey(order), payments.ChargeRequest{
		Amount:    order.Total,
		Currency:  order.Currency,
		Source:    paymentToken,
		Reference: order.ID,
	})
	if err != nil {
		return Order{}, fmt.Errorf("charge order: %w", err)
	}

	order.PaymentID = charge.ID
	order.Status = StatusPaid
	if charge.Status == payments.StatusDeclined {
		order.Status = StatusDeclined
	}
	order.UpdatedAt = s.now().UTC()
	err = s.store.Settle(ctx, order)
	if errors.Is(err, errAlreadySettled) {
		// A concurrent retry of the same request settled it first, with the
		// same charge: the stored order is the answer.
		return s.store.Get(ctx, order.CustomerID, order.ID)
	}
	if err != nil {
		return Order{}, fmt.Errorf("settle order: %w", err)
	}
	return order, nil
}

// providerIdempotencyKey is the key the provider deduplicates charges by.
// Order IDs are chosen by clients and unique only per customer, so the key
// includes the customer: were it the order ID alone, a customer could reuse
// another customer's order ID and be answered with that customer's charge,
// an order paid by someone else.
func providerIdempotencyKey(o Order) string {
	sum := sha256.Sum256([]byte(o.CustomerID + "\x00" + o.ID))
	return hex.EncodeToString(sum[:])
}

// orderResponse answers with the order: 201 when this request created it,
// 200 when it replays an earlier one.
func orderResponse(o Order, replayed bool) Response {
	body, _ := json.Marshal(o) // strings, integers and times: cannot fail
	resp := Response{
		StatusCode: http.StatusCreated,
		Headers: map[string]string{
			"Content-Type":  "application/json",
			"Cache-Control": "no-store", // an order is personal data
		},
		Body: string(body),
	}
	if replayed {
		resp.StatusCode = http.StatusOK
		resp.Headers["Idempotent-Replayed"] = "true"
	}
	return resp
}
