package guard_test

import (
	"context"
	"strings"
	"testing"

	"github.com/bulwark-sec/bulwark/guard"
)

func TestChainRunsFirstMiddlewareOutermost(t *testing.T) {
	var order []string
	mark := func(name string) guard.Middleware[string, string] {
		return func(next guard.Handler[string, string]) guard.Handler[string, string] {
			return func(ctx context.Context, in string) (string, error) {
				order = append(order, name)
				return next(ctx, in+name)
			}
		}
	}
	h := guard.Chain(func(_ context.Context, in string) (string, error) {
		order = append(order, "handler")
		return in, nil
	}, mark("a"), nil, mark("b"))

	out, err := h(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if out != "ab" || strings.Join(order, ",") != "a,b,handler" {
		t.Fatalf("got out=%q order=%v, want out=ab order=a,b,handler", out, order)
	}
}
