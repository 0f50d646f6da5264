package ratelimit

import (
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/bulwark-sec/bulwark/internal/mototest"
)

func TestMain(m *testing.M) { mototest.Main(m) }

// newMotoTable creates a rate-limit table on moto with TTL on expires_at.
func newMotoTable(t *testing.T) (*dynamodb.Client, string) {
	t.Helper()
	client := dynamodb.NewFromConfig(mototest.Config(t))
	table := mototest.Name(t, "ratelimit")
	ctx := context.Background()
	if _, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
	}); err != nil {
		t.Fatalf("create table: %v", err)
	}
	if _, err := client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               aws.String(table),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String("expires_at"), Enabled: aws.Bool(true)},
	}); err != nil {
		t.Fatalf("enable TTL: %v", err)
	}
	return client, table
}

// fixedClock is a settable clock for moving a limiter between windows.
type fixedClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fixedClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fixedClock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// windowStart is a time on a minute boundary, where windows of one minute
// begin.
var windowStart = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func TestDynamoDBNeverAdmitsMoreThanTheLimitUnderConcurrencyOnMoto(t *testing.T) {
	_, table := newMotoTable(t)
	// moto_server does not make a conditional update atomic as DynamoDB
	// does; AtomicConfig restores that, and only that.
	client := dynamodb.NewFromConfig(mototest.AtomicConfig(t))
	for _, sliding := range []bool{false, true} {
		t.Run("sliding="+strconv.FormatBool(sliding), func(t *testing.T) {
			const limit, callers = 10, 50
			l, err := NewDynamoDB(client, table, DynamoDBOptions{Limit: limit, Window: time.Minute, Sliding: sliding, OnError: FailClosed})
			if err != nil {
				t.Fatal(err)
			}
			// A fixed clock keeps every caller in one window however long the
			// calls take.
			l.now = (&fixedClock{now: windowStart.Add(30 * time.Second)}).Now
			key := mototest.Name(t, "caller")
			var admitted atomic.Int64
			var wg sync.WaitGroup
			start := make(chan struct{})
			errs := make(chan error, callers)
			for range callers {
				wg.Go(func() {
					<-start
					d, err := l.Allow(context.Background(), key)
					if err != nil {
						errs <- err
						return
					}
					if d.Allowed {
						admitted.Add(1)
					}
				})
			}
			close(start)
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Errorf("Allow: %v", err)
			}
			if got := admitted.Load(); got > limit {
				t.Fatalf("admitted %d of %d concurrent callers, limit is %d", got, callers, limit)
			} else if got != limit && !t.Failed() {
				t.Fatalf("admitted %d of %d concurrent callers, want exactly the limit %d", got, callers, limit)
			}
		})
	}
}

func TestDynamoDBWindowsExpireOnMoto(t *testing.T) {
	client, table := newMotoTable(t)
	clock := &fixedClock{now: windowStart.Add(10 * time.Second)}
	l, err := NewDynamoDB(client, table, DynamoDBOptions{Limit: 2, Window: time.Minute, OnError: FailClosed})
	if err != nil {
		t.Fatal(err)
	}
	l.now = clock.Now
	key := mototest.Name(t, "caller")

	steps := []struct {
		at             time.Duration // after windowStart
		wantAllowed    bool
		wantRemaining  int
		wantRetryAfter time.Duration
	}{
		{at: 10 * time.Second, wantAllowed: true, wantRemaining: 1},
		{at: 20 * time.Second, wantAllowed: true, wantRemaining: 0},
		{at: 30 * time.Second, wantAllowed: false, wantRetryAfter: 30 * time.Second},
		{at: 59 * time.Second, wantAllowed: false, wantRetryAfter: time.Second},
		{at: 60 * time.Second, wantAllowed: true, wantRemaining: 1}, // a new window
		{at: 61 * time.Second, wantAllowed: true, wantRemaining: 0},
		{at: 62 * time.Second, wantAllowed: false, wantRetryAfter: 58 * time.Second},
	}
	for i, step := range steps {
		clock.set(windowStart.Add(step.at))
		d, err := l.Allow(context.Background(), key)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		want := Decision{Allowed: step.wantAllowed, Limit: 2, Remaining: step.wantRemaining, RetryAfter: step.wantRetryAfter}
		if d != want {
			t.Fatalf("step %d at +%s: got %+v, want %+v", i, step.at, d, want)
		}
	}

	// Each window's item carries an expiry for DynamoDB TTL: the end of the
	// following window, which a sliding limiter still reads.
	for _, window := range []struct {
		index   int64
		expires time.Time
	}{
		{windowStart.UnixMilli() / 60000, windowStart.Add(2 * time.Minute)},
		{windowStart.UnixMilli()/60000 + 1, windowStart.Add(3 * time.Minute)},
	} {
		out, err := client.GetItem(context.Background(), &dynamodb.GetItemInput{
			TableName: aws.String(table), Key: l.itemKey(key, window.index), ConsistentRead: aws.Bool(true),
		})
		if err != nil {
			t.Fatal(err)
		}
		expires, ok := out.Item["expires_at"].(*types.AttributeValueMemberN)
		if !ok || expires.Value != strconv.FormatInt(window.expires.Unix(), 10) {
			t.Fatalf("window %d item = %v, want expires_at %d", window.index, out.Item, window.expires.Unix())
		}
	}
}

func TestDynamoDBSlidingWindowWeighsThePreviousWindowOnMoto(t *testing.T) {
	client, table := newMotoTable(t)
	clock := &fixedClock{}
	l, err := NewDynamoDB(client, table, DynamoDBOptions{Limit: 10, Window: time.Minute, Sliding: true, OnError: FailClosed})
	if err != nil {
		t.Fatal(err)
	}
	l.now = clock.Now
	key := mototest.Name(t, "caller")

	admitted := func(at time.Duration, attempts int) int {
		t.Helper()
		clock.set(windowStart.Add(at))
		n := 0
		for range attempts {
			d, err := l.Allow(context.Background(), key)
			if err != nil {
				t.Fatalf("Allow at +%s: %v", at, err)
			}
			if d.Allowed {
				n++
			}
		}
		return n
	}
	steps := []struct {
		at       time.Duration
		attempts int
		want     int
	}{
		{at: 0, attempts: 12, want: 10},
		// 15s into the next window, 75% of the previous one (10 requests)
		// still counts: 10 - ceil(7.5) = 2 more fit.
		{at: 75 * time.Second, attempts: 5, want: 2},
		// At 45s in, 25% of it counts: 10 - ceil(2.5) - 2 = 5 more.
		{at: 105 * time.Second, attempts: 8, want: 5},
	}
	for _, step := range steps {
		if got := admitted(step.at, step.attempts); got != step.want {
			t.Fatalf("at +%s: admitted %d of %d, want %d", step.at, got, step.attempts, step.want)
		}
	}
}

func TestDynamoDBErrorPolicyOnBrokenEndpoint(t *testing.T) {
	// A port nothing listens on: every call fails to connect.
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	broken := "http://" + listener.Addr().String()
	listener.Close()
	client := dynamodb.NewFromConfig(mototest.ConfigAt(broken))

	tests := []struct {
		name        string
		policy      ErrorPolicy
		sliding     bool
		wantAllowed bool
	}{
		{name: "fail open", policy: FailOpen, wantAllowed: true},
		{name: "fail closed", policy: FailClosed, wantAllowed: false},
		{name: "fail open sliding", policy: FailOpen, sliding: true, wantAllowed: true},
		{name: "fail closed sliding", policy: FailClosed, sliding: true, wantAllowed: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := NewDynamoDB(client, "limits", DynamoDBOptions{Limit: 5, Window: time.Minute, Sliding: tt.sliding, OnError: tt.policy})
			if err != nil {
				t.Fatal(err)
			}
			d, err := l.Allow(context.Background(), "caller")
			if err == nil {
				t.Fatal("Allow against a broken endpoint returned no error")
			}
			if d.Allowed != tt.wantAllowed {
				t.Fatalf("Allowed = %v, want %v (error: %v)", d.Allowed, tt.wantAllowed, err)
			}
			if !tt.wantAllowed && d.RetryAfter <= 0 {
				t.Fatalf("a request turned away has RetryAfter %s, want a positive wait", d.RetryAfter)
			}
		})
	}
}

func TestNewDynamoDBRejectsIncompleteOptions(t *testing.T) {
	client := dynamodb.NewFromConfig(mototest.ConfigAt("http://127.0.0.1:1"))
	valid := DynamoDBOptions{Limit: 1, Window: time.Second, OnError: FailOpen}
	tests := []struct {
		name    string
		client  DynamoDBClient
		table   string
		opts    func(o *DynamoDBOptions)
		wantErr string
	}{
		{name: "valid", client: client, table: "t", opts: func(*DynamoDBOptions) {}},
		{name: "no client", table: "t", opts: func(*DynamoDBOptions) {}, wantErr: "client is nil"},
		{name: "no table", client: client, opts: func(*DynamoDBOptions) {}, wantErr: "table name is empty"},
		{name: "no limit", client: client, table: "t", opts: func(o *DynamoDBOptions) { o.Limit = 0 }, wantErr: "Limit"},
		{name: "window too short", client: client, table: "t", opts: func(o *DynamoDBOptions) { o.Window = time.Millisecond }, wantErr: "Window"},
		{name: "no error policy", client: client, table: "t", opts: func(o *DynamoDBOptions) { o.OnError = 0 }, wantErr: "FailOpen or FailClosed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := valid
			tt.opts(&opts)
			_, err := NewDynamoDB(tt.client, tt.table, opts)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("NewDynamoDB: %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}
