package orders

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/bulwark-sec/bulwark/examples/orders/payments"
	"github.com/bulwark-sec/bulwark/guard/httpclient"
	"github.com/bulwark-sec/bulwark/guard/ratelimit"
	"github.com/bulwark-sec/bulwark/guard/seclog"
	"github.com/bulwark-sec/bulwark/guard/secrets"
)

// Config is what the function needs to know about its surroundings. The
// template passes it as environment variables, named in ConfigFromEnv.
// None of it is secret: the API key stays in Secrets Manager and only its
// ARN is configured.
type Config struct {
	OrdersTable    string
	RateLimitTable string
	// RateLimitPerMinute is how many orders one caller may place per
	// minute.
	RateLimitPerMinute int
	// PaymentSecretID names the Secrets Manager secret holding the
	// provider's API key as {"key_id": ..., "api_key": ...}.
	PaymentSecretID string
	// PaymentAPIURL is the provider's https base URL.
	PaymentAPIURL string
	// PaymentAPIPrivateRanges are the private address ranges the provider's
	// name may resolve to: the subnets of its PrivateLink endpoint. The
	// HTTP client's destination guard refuses every other private,
	// loopback and link-local address.
	PaymentAPIPrivateRanges []netip.Prefix
	// RootCAs, when set, replaces the system roots for the provider's
	// certificate. It is not read from the environment; tests set it.
	RootCAs *x509.CertPool
}

// DefaultRateLimitPerMinute is used when RATE_LIMIT_PER_MINUTE is unset.
const DefaultRateLimitPerMinute = 30

// ConfigFromEnv reads the configuration from environment variables through
// getenv (os.Getenv in the function):
//
//	ORDERS_TABLE                 orders table name (required)
//	RATE_LIMIT_TABLE             rate limit table name (required)
//	RATE_LIMIT_PER_MINUTE        orders per caller per minute (default 30)
//	PAYMENT_SECRET_ARN           the API key secret (required)
//	PAYMENT_API_URL              https base URL of the provider (required)
//	PAYMENT_API_PRIVATE_RANGES   comma-separated CIDRs of the provider endpoint's subnets
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	cfg := Config{
		OrdersTable:        getenv("ORDERS_TABLE"),
		RateLimitTable:     getenv("RATE_LIMIT_TABLE"),
		RateLimitPerMinute: DefaultRateLimitPerMinute,
		PaymentSecretID:    getenv("PAYMENT_SECRET_ARN"),
		PaymentAPIURL:      getenv("PAYMENT_API_URL"),
	}
	var errs []error
	for name, value := range map[string]string{
		"ORDERS_TABLE":       cfg.OrdersTable,
		"RATE_LIMIT_TABLE":   cfg.RateLimitTable,
		"PAYMENT_SECRET_ARN": cfg.PaymentSecretID,
		"PAYMENT_API_URL":    cfg.PaymentAPIURL,
	} {
		if value == "" {
			errs = append(errs, fmt.Errorf("%s is not set", name))
		}
	}
	if v := getenv("RATE_LIMIT_PER_MINUTE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			errs = append(errs, fmt.Errorf("RATE_LIMIT_PER_MINUTE is %q, want a positive integer", v))
		}
		cfg.RateLimitPerMinute = n
	}
	ranges, err := ParseRanges(getenv("PAYMENT_API_PRIVATE_RANGES"))
	if err != nil {
		errs = append(errs, fmt.Errorf("PAYMENT_API_PRIVATE_RANGES: %w", err))
	}
	cfg.PaymentAPIPrivateRanges = ranges
	if err := errors.Join(errs...); err != nil {
		return Config{}, fmt.Errorf("orders: configuration: %w", err)
	}
	return cfg, nil
}

// ParseRanges parses a comma-separated list of CIDRs, as the template
// passes the provider endpoint's subnets.
func ParseRanges(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, err
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// NewLogger returns the function's logger: JSON lines on w (os.Stdout in
// Lambda, where CloudWatch picks up the Embedded Metric Format of security
// events), redacted by guard/seclog before they are written. The default
// keys already cover this service's sensitive fields (paymentToken,
// api_key, authorization); the patterns add the provider's token and key
// formats, which an error message may quote anywhere in its text.
func NewLogger(w io.Writer) *slog.Logger {
	return slog.New(seclog.NewHandler(slog.NewJSONHandler(w, nil), seclog.Options{
		Patterns: []*regexp.Regexp{paymentTokenPattern, providerKeyPattern},
	}))
}

var (
	paymentTokenPattern = regexp.MustCompile(`\btok_[A-Za-z0-9_]{4,64}`)
	providerKeyPattern  = regexp.MustCompile(`\bsk_(?:live|test)_[A-Za-z0-9]{8,}`)
)

// SecurityNamespace is the CloudWatch namespace of the service's security
// event metrics; the template's alarms watch it.
const SecurityNamespace = "Orders/Security"

// New builds the service from an AWS configuration: DynamoDB for orders and
// rate limits, Secrets Manager for the API key, and the hardened HTTP client
// for the provider. Call it once per execution environment, outside the
// handler, so that caches and connections outlive an invocation.
func New(awsCfg aws.Config, cfg Config, logger *slog.Logger) (*Service, error) {
	api, err := url.Parse(cfg.PaymentAPIURL)
	if err != nil || api.Scheme != "https" || api.Host == "" {
		return nil, fmt.Errorf("orders: payment API URL %q is not an https URL", cfg.PaymentAPIURL)
	}
	db := dynamodb.NewFromConfig(awsCfg)
	limiter, err := ratelimit.NewDynamoDB(db, cfg.RateLimitTable, ratelimit.DynamoDBOptions{
		Limit:   cfg.RateLimitPerMinute,
		Window:  time.Minute,
		Sliding: true,
		// An order service would rather refuse orders for a moment than
		// take them unlimited while DynamoDB is unreachable.
		OnError: ratelimit.FailClosed,
	})
	if err != nil {
		return nil, fmt.Errorf("orders: rate limiter: %w", err)
	}
	keys := secrets.NewCache(secrets.SecretsManager{Client: secretsmanager.NewFromConfig(awsCfg)}, secrets.Options{
		TTL: 5 * time.Minute,
		// Through a short Secrets Manager outage, keep using the key: the
		// previous key stays valid for a whole rotation period.
		MaxStale: 15 * time.Minute,
		Logger:   logger,
	})
	client := &payments.Client{
		BaseURL: cfg.PaymentAPIURL,
		HTTP: httpclient.New(httpclient.Options{
			RootCAs:             cfg.RootCAs,
			Timeout:             5 * time.Second,
			AllowedDestinations: cfg.PaymentAPIPrivateRanges,
		}),
	}
	return &Service{
		store:       dynamoStore{client: db, table: cfg.OrdersTable},
		payer:       providerPayer{keys: keys, secretID: cfg.PaymentSecretID, client: client},
		catalog:     SampleCatalog,
		limiter:     limiter,
		logger:      logger,
		security:    &seclog.Recorder{Logger: logger, Namespace: SecurityNamespace},
		paymentHost: api.Host,
		now:         time.Now,
	}, nil
}
