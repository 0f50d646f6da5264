package ratelimit

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func newTestMemory(t *testing.T, limit int, window time.Duration) (*Memory, *fixedClock) {
	t.Helper()
	m, err := NewMemory(limit, window)
	if err != nil {
		t.Fatal(err)
	}
	clock := &fixedClock{now: windowStart}
	m.now = clock.Now
	return m, clock
}

func TestMemoryRefillsAtLimitPerWindow(t *testing.T) {
	m, clock := newTestMemory(t, 3, time.Minute)
	steps := []struct {
		at   time.Duration
		key  string
		want Decision
	}{
		{at: 0, key: "a", want: Decision{Allowed: true, Limit: 3, Remaining: 2}},
		{at: 0, key: "a", want: Decision{Allowed: true, Limit: 3, Remaining: 1}},
		{at: 0, key: "a", want: Decision{Allowed: true, Limit: 3, Remaining: 0}},
		{at: 0, key: "a", want: Decision{Limit: 3, RetryAfter: 20 * time.Second}},
		{at: 0, key: "b", want: Decision{Allowed: true, Limit: 3, Remaining: 2}}, // keys are independent
		{at: 15 * time.Second, key: "a", want: Decision{Limit: 3, RetryAfter: 5 * time.Second}},
		{at: 20 * time.Second, key: "a", want: Decision{Allowed: true, Limit: 3, Remaining: 0}},
		{at: 10 * time.Minute, key: "a", want: Decision{Allowed: true, Limit: 3, Remaining: 2}}, // never more than the limit
	}
	for i, step := range steps {
		clock.set(windowStart.Add(step.at))
		got, err := m.Allow(context.Background(), step.key)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if got != step.want {
			t.Fatalf("step %d (+%s, %s): got %+v, want %+v", i, step.at, step.key, got, step.want)
		}
	}
}

func TestMemoryNeverAdmitsMoreThanTheLimitUnderConcurrency(t *testing.T) {
	const limit, callers = 10, 50
	m, _ := newTestMemory(t, limit, time.Minute)
	var admitted atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range callers {
		wg.Go(func() {
			<-start
			if d, _ := m.Allow(context.Background(), "caller"); d.Allowed {
				admitted.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	if got := admitted.Load(); got != limit {
		t.Fatalf("admitted %d of %d concurrent callers, want exactly the limit %d", got, callers, limit)
	}
}

func TestMemoryForgetsKeysWhoseBucketsRefilled(t *testing.T) {
	m, clock := newTestMemory(t, 2, time.Minute)
	ctx := context.Background()
	for _, key := range []string{"a", "b", "c"} {
		if _, err := m.Allow(ctx, key); err != nil {
			t.Fatal(err)
		}
	}
	clock.set(windowStart.Add(time.Minute))
	if _, err := m.Allow(ctx, "d"); err != nil {
		t.Fatal(err)
	}
	if len(m.buckets) != 1 {
		t.Fatalf("after a window, %d buckets are kept, want only the new key's", len(m.buckets))
	}
}

func TestNewMemoryRejectsInvalidLimits(t *testing.T) {
	tests := []struct {
		limit  int
		window time.Duration
		ok     bool
	}{
		{1, time.Second, true},
		{0, time.Second, false},
		{1, 0, false},
		{1, -time.Second, false},
	}
	for _, tt := range tests {
		if _, err := NewMemory(tt.limit, tt.window); (err == nil) != tt.ok {
			t.Errorf("NewMemory(%d, %s) error = %v, want ok=%v", tt.limit, tt.window, err, tt.ok)
		}
	}
}
