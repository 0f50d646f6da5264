package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// DynamoDBClient is the part of *dynamodb.Client that DynamoDB uses.
type DynamoDBClient interface {
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
}

// DynamoDBOptions configure a DynamoDB limiter. Limit, Window and OnError
// are required.
type DynamoDBOptions struct {
	// Limit is how many requests a key may make per Window.
	Limit int
	// Window is the length of a counting window, at least one second.
	Window time.Duration
	// Sliding weighs in the previous window's count, in proportion to how
	// much of it still lies within the last Window, so that a caller cannot
	// make 2×Limit requests across a window boundary. It costs one extra
	// read per request. Without it windows are fixed.
	Sliding bool
	// OnError chooses between FailOpen and FailClosed when DynamoDB fails.
	OnError ErrorPolicy

	// KeyAttribute names the table's partition key, a string. Empty means "pk".
	KeyAttribute string
	// ExpiresAttribute names the attribute holding each item's expiry in
	// Unix seconds. Empty means "expires_at". Enable DynamoDB TTL on it so
	// that old windows are deleted.
	ExpiresAttribute string
}

// countAttribute holds the number of requests admitted in a window.
const countAttribute = "request_count"

// DynamoDB is a Limiter that counts requests in a DynamoDB table, one item
// per key and window. Each request is one conditional UpdateItem that adds
// one to the count only while it is below the limit, so concurrent requests
// from any number of execution environments can never push it past the
// limit; there is no read-modify-write to race.
//
// The table needs a string partition key (KeyAttribute) and nothing else;
// the function's role needs dynamodb:UpdateItem, and dynamodb:GetItem when
// Sliding is set.
type DynamoDB struct {
	client DynamoDBClient
	table  string
	opts   DynamoDBOptions
	now    func() time.Time // replaced in tests to move between windows
}

// NewDynamoDB returns a limiter that keeps its counts in table.
func NewDynamoDB(client DynamoDBClient, table string, opts DynamoDBOptions) (*DynamoDB, error) {
	switch {
	case client == nil:
		return nil, errors.New("ratelimit: DynamoDB client is nil")
	case table == "":
		return nil, errors.New("ratelimit: DynamoDB table name is empty")
	case opts.Limit < 1:
		return nil, fmt.Errorf("ratelimit: Limit is %d, want at least 1", opts.Limit)
	case opts.Window < time.Second:
		return nil, fmt.Errorf("ratelimit: Window is %s, want at least 1s", opts.Window)
	case !opts.OnError.valid():
		return nil, errors.New("ratelimit: OnError must be FailOpen or FailClosed")
	}
	if opts.KeyAttribute == "" {
		opts.KeyAttribute = "pk"
	}
	if opts.ExpiresAttribute == "" {
		opts.ExpiresAttribute = "expires_at"
	}
	return &DynamoDB{client: client, table: table, opts: opts, now: time.Now}, nil
}

// Allow counts one request for key and reports whether it is within the limit.
func (l *DynamoDB) Allow(ctx context.Context, key string) (Decision, error) {
	now := l.now()
	window := l.opts.Window.Milliseconds()
	index := now.UnixMilli() / window
	end := time.UnixMilli((index + 1) * window)

	capacity := l.opts.Limit
	if l.opts.Sliding {
		previous, err := l.count(ctx, l.itemKey(key, index-1))
		if err != nil {
			return l.failed(end.Sub(now), fmt.Errorf("ratelimit: read previous window: %w", err))
		}
		// The share of the previous window that still lies within the last
		// Window, rounded up so that the estimate never admits too many.
		share := 1 - float64(now.UnixMilli()-index*window)/float64(window)
		capacity -= int(math.Ceil(float64(previous) * share))
		if capacity <= 0 {
			return Decision{Limit: l.opts.Limit, RetryAfter: end.Sub(now)}, nil
		}
	}

	out, err := l.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(l.table),
		Key:                 l.itemKey(key, index),
		UpdateExpression:    aws.String("ADD #count :one SET #expires = if_not_exists(#expires, :expires)"),
		ConditionExpression: aws.String("attribute_not_exists(#count) OR #count < :capacity"),
		ExpressionAttributeNames: map[string]string{
			"#count":   countAttribute,
			"#expires": l.opts.ExpiresAttribute,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one":      number(1),
			":capacity": number(int64(capacity)),
			// The next window still reads this one when Sliding is set.
			":expires": number(end.Add(l.opts.Window).Unix()),
		},
		ReturnValues: types.ReturnValueUpdatedNew,
	})
	var full *types.ConditionalCheckFailedException
	if errors.As(err, &full) {
		return Decision{Limit: l.opts.Limit, RetryAfter: end.Sub(now)}, nil
	}
	if err != nil {
		return l.failed(end.Sub(now), fmt.Errorf("ratelimit: count request in %s: %w", l.table, err))
	}
	count, err := attributeInt(out.Attributes[countAttribute])
	if err != nil {
		return l.failed(end.Sub(now), fmt.Errorf("ratelimit: count request in %s: %w", l.table, err))
	}
	return Decision{Allowed: true, Limit: l.opts.Limit, Remaining: max(capacity-int(count), 0)}, nil
}

// failed returns the decision OnError dictates, with err.
func (l *DynamoDB) failed(untilWindowEnd time.Duration, err error) (Decision, error) {
	if l.opts.OnError == FailOpen {
		return Decision{Allowed: true, Limit: l.opts.Limit}, err
	}
	return Decision{Limit: l.opts.Limit, RetryAfter: untilWindowEnd}, err
}

// count reads the number of requests admitted in a window's item.
func (l *DynamoDB) count(ctx context.Context, item map[string]types.AttributeValue) (int64, error) {
	out, err := l.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:                aws.String(l.table),
		Key:                      item,
		ConsistentRead:           aws.Bool(true),
		ProjectionExpression:     aws.String("#count"),
		ExpressionAttributeNames: map[string]string{"#count": countAttribute},
	})
	if err != nil {
		return 0, err
	}
	if out.Item == nil {
		return 0, nil
	}
	return attributeInt(out.Item[countAttribute])
}

// itemKey names the item counting key's requests in window number index.
// The window length is part of it so that limiters with different windows
// can share a table without mixing their counts.
func (l *DynamoDB) itemKey(key string, index int64) map[string]types.AttributeValue {
	id := key + "#" + l.opts.Window.String() + "#" + strconv.FormatInt(index, 10)
	return map[string]types.AttributeValue{l.opts.KeyAttribute: &types.AttributeValueMemberS{Value: id}}
}

func number(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}

func attributeInt(v types.AttributeValue) (int64, error) {
	n, ok := v.(*types.AttributeValueMemberN)
	if !ok {
		return 0, fmt.Errorf("attribute %s is not a number", countAttribute)
	}
	return strconv.ParseInt(n.Value, 10, 64)
}
