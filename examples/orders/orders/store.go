package orders

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// orderStore keeps orders. Create and Settle are conditional writes: they
// are what makes the idempotency key hold across concurrent retries.
type orderStore interface {
	// Create saves a new order; errOrderExists when the customer already
	// has an order with its ID.
	Create(ctx context.Context, o Order) error
	// Get reads an order; errOrderNotFound when there is none.
	Get(ctx context.Context, customerID, orderID string) (Order, error)
	// Settle records a pending order's outcome (Status, PaymentID,
	// UpdatedAt); errAlreadySettled when it is no longer pending.
	Settle(ctx context.Context, o Order) error
}

var (
	errOrderExists    = errors.New("order already exists")
	errOrderNotFound  = errors.New("order not found")
	errAlreadySettled = errors.New("order already settled")
)

// DynamoDBAPI is the part of *dynamodb.Client the service uses: the order
// store and the rate limiter.
type DynamoDBAPI interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
}

// dynamoStore keeps orders in a DynamoDB table whose partition key is
// customer_id and sort key order_id: an order ID only has to be unique per
// customer, and one customer can never reach another's order.
type dynamoStore struct {
	client DynamoDBAPI
	table  string
}

func (s dynamoStore) Create(ctx context.Context, o Order) error {
	_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String(s.table),
		Item:      marshalOrder(o),
		// Without the condition a retry would overwrite the first attempt's
		// order, and a second request could reset a paid order to pending.
		ConditionExpression: aws.String("attribute_not_exists(order_id)"),
	})
	var exists *types.ConditionalCheckFailedException
	if errors.As(err, &exists) {
		return errOrderExists
	}
	if err != nil {
		return fmt.Errorf("put order in %s: %w", s.table, err)
	}
	return nil
}

func (s dynamoStore) Get(ctx context.Context, customerID, orderID string) (Order, error) {
	out, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      aws.String(s.table),
		Key:            orderKey(customerID, orderID),
		ConsistentRead: aws.Bool(true), // the item may have been written a moment ago
	})
	if err != nil {
		return Order{}, fmt.Errorf("get order from %s: %w", s.table, err)
	}
	if out.Item == nil {
		return Order{}, errOrderNotFound
	}
	o, err := unmarshalOrder(out.Item)
	if err != nil {
		return Order{}, fmt.Errorf("read order from %s: %w", s.table, err)
	}
	return o, nil
}

func (s dynamoStore) Settle(ctx context.Context, o Order) error {
	_, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           aws.String(s.table),
		Key:                 orderKey(o.CustomerID, o.ID),
		UpdateExpression:    aws.String("SET #status = :status, payment_id = :payment, updated_at = :updated"),
		ConditionExpression: aws.String("#status = :pending"),
		ExpressionAttributeNames: map[string]string{
			"#status": "status", // a reserved word in DynamoDB expressions
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":status":  str(string(o.Status)),
			":payment": str(o.PaymentID),
			":updated": str(o.UpdatedAt.UTC().Format(time.RFC3339Nano)),
			":pending": str(string(StatusPending)),
		},
	})
	var settled *types.ConditionalCheckFailedException
	if errors.As(err, &settled) {
		return errAlreadySettled
	}
	if err != nil {
		return fmt.Errorf("settle order in %s: %w", s.table, err)
	}
	return nil
}

func orderKey(customerID, orderID string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{"customer_id": str(customerID), "order_id": str(orderID)}
}

func marshalOrder(o Order) map[string]types.AttributeValue {
	items := make([]types.AttributeValue, len(o.Items))
	for i, it := range o.Items {
		items[i] = &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
			"sku":        str(it.SKU),
			"quantity":   num(it.Quantity),
			"unit_price": num(it.UnitPrice),
		}}
	}
	item := orderKey(o.CustomerID, o.ID)
	item["items"] = &types.AttributeValueMemberL{Value: items}
	item["currency"] = str(o.Currency)
	item["total"] = num(o.Total)
	item["status"] = str(string(o.Status))
	item["payment_id"] = str(o.PaymentID)
	item["request_hash"] = str(o.RequestHash)
	item["created_at"] = str(o.CreatedAt.UTC().Format(time.RFC3339Nano))
	item["updated_at"] = str(o.UpdatedAt.UTC().Format(time.RFC3339Nano))
	return item
}

func unmarshalOrder(item map[string]types.AttributeValue) (Order, error) {
	r := attrReader{}
	o := Order{
		CustomerID:  r.str(item, "customer_id"),
		ID:          r.str(item, "order_id"),
		Currency:    r.str(item, "currency"),
		Total:       r.num(item, "total"),
		Status:      Status(r.str(item, "status")),
		PaymentID:   r.str(item, "payment_id"),
		RequestHash: r.str(item, "request_hash"),
		CreatedAt:   r.time(item, "created_at"),
		UpdatedAt:   r.time(item, "updated_at"),
	}
	list, ok := item["items"].(*types.AttributeValueMemberL)
	if !ok {
		return Order{}, errors.New("attribute items is not a list")
	}
	for _, v := range list.Value {
		m, ok := v.(*types.AttributeValueMemberM)
		if !ok {
			return Order{}, errors.New("an element of items is not a map")
		}
		o.Items = append(o.Items, Item{
			SKU:       r.str(m.Value, "sku"),
			Quantity:  r.num(m.Value, "quantity"),
			UnitPrice: r.num(m.Value, "unit_price"),
		})
	}
	return o, r.err
}

// attrReader reads typed attributes and keeps the first error, so that
// unmarshalOrder reads as a list of fields.
type attrReader struct{ err error }

func (r *attrReader) str(item map[string]types.AttributeValue, name string) string {
	v, ok := item[name].(*types.AttributeValueMemberS)
	if !ok {
		r.fail(name, "a string")
		return ""
	}
	return v.Value
}

func (r *attrReader) num(item map[string]types.AttributeValue, name string) int64 {
	v, ok := item[name].(*types.AttributeValueMemberN)
	if !ok {
		r.fail(name, "a number")
		return 0
	}
	n, err := strconv.ParseInt(v.Value, 10, 64)
	if err != nil {
		r.fail(name, "an integer")
	}
	return n
}

func (r *attrReader) time(item map[string]types.AttributeValue, name string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, r.str(item, name))
	if err != nil {
		r.fail(name, "an RFC 3339 time")
	}
	return t
}

func (r *attrReader) fail(name, want string) {
	if r.err == nil {
		r.err = fmt.Errorf("attribute %s is not %s", name, want)
	}
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

func num(n int64) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(n, 10)}
}
