package guard

import "context"

// Handler is a Lambda handler with a concrete event type In and response
// type Out, the shape aws-lambda-go accepts for lambda.Start.
type Handler[In, Out any] func(ctx context.Context, in In) (Out, error)

// Middleware wraps a Handler with behaviour that runs before or after it.
type Middleware[In, Out any] func(next Handler[In, Out]) Handler[In, Out]

// Chain wraps h in the given middleware. The first middleware is the
// outermost: Chain(h, a, b) runs a, then b, then h.
func Chain[In, Out any](h Handler[In, Out], mw ...Middleware[In, Out]) Handler[In, Out] {
	for i := len(mw) - 1; i >= 0; i-- {
		if mw[i] != nil {
			h = mw[i](h)
		}
	}
	return h
}
