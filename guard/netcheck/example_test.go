package netcheck_test

import (
	"context"
	"log"
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/bulwark-sec/bulwark/guard/netcheck"
)

// Check the running function's network once, at cold start, and log what is
// wrong; it needs the read-only permissions listed in the package doc.
func ExampleCheck() {
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	report, err := netcheck.Check(context.Background(), cfg)
	if err != nil {
		slog.Warn("network self-check failed", "error", err)
		return
	}
	for _, f := range report.Findings {
		slog.Warn("network finding", "code", f.Code, "practice", f.Practice, "resource", f.Resource, "message", f.Message)
	}
	if report.Has(netcheck.OpenEgress) {
		// For example, refuse to start where data could leave freely.
		log.Fatal("security groups allow unrestricted egress")
	}
}
