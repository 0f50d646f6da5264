package guard_test

import (
	"context"
	"fmt"

	"github.com/bulwark-sec/bulwark/guard"
)

func ExampleChain() {
	logging := func(next guard.Handler[string, string]) guard.Handler[string, string] {
		return func(ctx context.Context, in string) (string, error) {
			fmt.Println("before", in)
			return next(ctx, in)
		}
	}
	h := guard.Chain(func(_ context.Context, in string) (string, error) {
		return "hello " + in, nil
	}, logging)
	out, _ := h(context.Background(), "world")
	fmt.Println(out)
	// Output:
	// before world
	// hello world
}
