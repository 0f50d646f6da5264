package scan

import (
	"path/filepath"
	"testing"
	"time"
)

// TestCDKFindingsPointAtConstructsAndSetFrameworkApart scans a real cdk.out
// (internal/cdk/testdata/full, synthesised by aws-cdk-lib).
func TestCDKFindingsPointAtConstructsAndSetFrameworkApart(t *testing.T) {
	dir := filepath.Join("..", "internal", "cdk", "testdata", "full")
	now := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	res, err := Run([]string{dir}, Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) > 0 {
		t.Fatalf("errors: %v", res.Errors)
	}
	want := map[string]string{
		"BW101": "ShopStack/Orders/Resource",                 // inline policy granting * on *
		"BW203": "ShopStack/Public/FunctionUrl/Resource",     // function URL with AuthType NONE
		"BW501": "ShopStack/Api/Default/orders/GET/Resource", // unauthenticated REST route
	}
	for _, f := range res.Findings {
		if f.Framework != "" {
			t.Errorf("framework finding counted: %s %s", f.RuleID, f.CDKPath)
		}
		if path, ok := want[f.RuleID]; ok && f.CDKPath == path {
			delete(want, f.RuleID)
		}
	}
	for id, path := range want {
		t.Errorf("no %s finding on %s", id, path)
	}
	if len(res.Framework) == 0 {
		t.Fatal("the CDK helpers' own functions (LogRetention, BucketDeployment, ...) must be reported apart")
	}
	all, err := Run([]string{dir}, Options{Now: now, IncludeFramework: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(all.Findings) != len(res.Findings)+len(res.Framework) || len(all.Framework) != 0 {
		t.Errorf("--include-framework: %d counted, want %d", len(all.Findings), len(res.Findings)+len(res.Framework))
	}
}
