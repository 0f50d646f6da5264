package payments_test

import (
	"context"
	"fmt"
	"log"
	"net/netip"

	"github.com/bulwark-sec/bulwark/examples/orders/payments"
	"github.com/bulwark-sec/bulwark/examples/orders/payments/paymentstest"
	"github.com/bulwark-sec/bulwark/guard/httpclient"
)

func ExampleClient_Charge() {
	provider := paymentstest.NewServer() // stands in for the provider's PrivateLink endpoint
	defer provider.Close()
	key := provider.IssueKey()

	client := &payments.Client{
		BaseURL: provider.URL,
		HTTP: httpclient.New(httpclient.Options{
			RootCAs: provider.CertPool(),
			// In Lambda: the CIDRs of the subnets holding the provider's
			// endpoint. Every other private address stays refused.
			AllowedDestinations: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
		}),
	}
	req := payments.ChargeRequest{Amount: 1999, Currency: "EUR", Source: "tok_visa", Reference: "order-1"}
	for range 2 { // a retry with the same idempotency key charges once
		charge, err := client.Charge(context.Background(), key.Secret, "order-1", req)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(charge.Status)
	}
	fmt.Println("charges made:", len(provider.Charges()))
	fmt.Println("key prints as", key.Secret)
	// Output:
	// succeeded
	// succeeded
	// charges made: 1
	// key prints as [REDACTED]
}
