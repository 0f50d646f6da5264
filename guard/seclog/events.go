package seclog

import (
	"context"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// EventType names a kind of security event. It becomes a metric dimension,
// so keep the set small and fixed: never put request data in it.
type EventType string

// The security events the guides ask functions to record.
const (
	AuthFailure       EventType = "auth_failure"       // credentials missing, invalid or expired
	AccessDenied      EventType = "access_denied"      // authenticated, but not allowed
	ValidationFailure EventType = "validation_failure" // input rejected by validation
	RateLimited       EventType = "rate_limited"       // request refused by a rate limit
	SuspiciousInput   EventType = "suspicious_input"   // input matching an attack signature
	DestinationDenied EventType = "destination_denied" // outbound call to a forbidden address
)

// DefaultNamespace is the CloudWatch namespace of security event metrics
// when Recorder.Namespace is empty.
const DefaultNamespace = "Bulwark/Security"

// The fixed schema of a security event log record. Every event carries the
// same keys, so queries and alarms do not depend on who logged it.
const (
	KeyEventType     = "event_type"
	KeyReason        = "reason"
	KeySubject       = "subject"
	KeySource        = "source"
	KeyResource      = "resource"
	KeyCorrelationID = "correlation_id"
	KeyFunctionName  = "function_name"
	// MetricSecurityEvents is the metric each event adds 1 to, by
	// event_type (and function_name when known).
	MetricSecurityEvents = "security_events"
	// EventMessage is the log message of every security event.
	EventMessage = "security event"
)

// Event is one security event. Its fields are logged as they are (through
// the Recorder's logger, so a Handler still redacts them); never put
// credentials in them.
type Event struct {
	Type EventType
	// Reason is a short, fixed cause such as "expired_token".
	Reason string
	// Subject is who acted: a user or client ID, never a credential.
	Subject string
	// Source is where the request came from, such as the client IP.
	Source string
	// Resource is what was acted on: a route, an ARN.
	Resource string
	// CorrelationID ties the event to other logs. Empty means the Lambda
	// request ID from the context, when there is one.
	CorrelationID string
}

// Recorder logs security events with a fixed schema and, in the same
// record, an Embedded Metric Format directive counting them. The zero value
// logs to slog.Default().
//
// For CloudWatch to extract the metric, the logger must write JSON to
// standard output with the record's attributes at the top level: a
// slog.JSONHandler (optionally wrapped by this package's Handler) on
// os.Stdout, without WithGroup.
type Recorder struct {
	// Logger receives the events. Nil means slog.Default().
	Logger *slog.Logger
	// Namespace is the CloudWatch namespace. Empty means DefaultNamespace.
	Namespace string
	// FunctionName is a metric dimension. Empty means the
	// AWS_LAMBDA_FUNCTION_NAME of the running function; outside Lambda the
	// dimension is left out.
	FunctionName string
}

// Record logs ev at Warn level. The event is logged even when its metric
// cannot be (an invalid type or namespace); the error then says why the
// metric was left out.
func (r *Recorder) Record(ctx context.Context, ev Event) error {
	logger := r.Logger
	if logger == nil {
		logger = slog.Default()
	}
	correlationID := ev.CorrelationID
	if correlationID == "" {
		if lc, ok := lambdacontext.FromContext(ctx); ok {
			correlationID = lc.AwsRequestID
		}
	}
	functionName := r.FunctionName
	if functionName == "" {
		functionName = lambdacontext.FunctionName
	}

	attrs := []slog.Attr{
		slog.String(KeyEventType, string(ev.Type)),
		slog.String(KeyReason, ev.Reason),
		slog.String(KeySubject, ev.Subject),
		slog.String(KeySource, ev.Source),
		slog.String(KeyResource, ev.Resource),
		slog.String(KeyCorrelationID, correlationID),
	}
	dimensions := []Dimension{{Name: KeyEventType, Value: string(ev.Type)}}
	if functionName != "" {
		attrs = append(attrs, slog.String(KeyFunctionName, functionName))
		dimensions = append(dimensions, Dimension{Name: KeyFunctionName, Value: functionName})
	}

	namespace := r.Namespace
	if namespace == "" {
		namespace = DefaultNamespace
	}
	metrics := MetricSet{
		Namespace:  namespace,
		Dimensions: dimensions,
		Metrics:    []Metric{{Name: MetricSecurityEvents, Unit: UnitCount, Value: 1}},
	}
	emf, err := metrics.LogAttrs(time.Now())
	if err == nil {
		// The dimension members are already among attrs.
		attrs = append(attrs, emf[len(dimensions):]...)
	}
	logger.LogAttrs(ctx, slog.LevelWarn, EventMessage, attrs...)
	return err
}
