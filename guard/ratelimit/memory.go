package ratelimit

import (
	"context"
	"fmt"
	"math"
	"sync"
	"time"
)

// Memory is a Limiter that keeps a token bucket per key in memory: each key
// may make Limit requests at once and regains them at Limit per window.
//
// Lambda runs many execution environments of a function side by side and
// each has its own Memory, so the limit applies per environment: with N
// environments a key may make up to N×Limit requests. Use it to blunt a
// flood cheaply within one environment; use DynamoDB for a limit that holds
// across all of them. Memory never returns an error.
type Memory struct {
	limit  int
	window time.Duration
	now    func() time.Time // replaced in tests to move time without sleeping

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	tokens  float64
	updated time.Time
}

// NewMemory returns a limiter that admits limit requests per window per key.
func NewMemory(limit int, window time.Duration) (*Memory, error) {
	if limit < 1 {
		return nil, fmt.Errorf("ratelimit: limit is %d, want at least 1", limit)
	}
	if window <= 0 {
		return nil, fmt.Errorf("ratelimit: window is %s, want more than 0", window)
	}
	return &Memory{limit: limit, window: window, now: time.Now, buckets: make(map[string]*bucket)}, nil
}

// Allow takes one token from key's bucket if it has one.
func (m *Memory) Allow(_ context.Context, key string) (Decision, error) {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(now)

	b := m.buckets[key]
	if b == nil {
		b = &bucket{tokens: float64(m.limit), updated: now}
		m.buckets[key] = b
	}
	b.tokens = m.refilled(b, now)
	b.updated = now
	if b.tokens >= 1 {
		b.tokens--
		return Decision{Allowed: true, Limit: m.limit, Remaining: int(b.tokens)}, nil
	}
	wait := math.Ceil((1 - b.tokens) * float64(m.window) / float64(m.limit))
	return Decision{Limit: m.limit, RetryAfter: time.Duration(wait)}, nil
}

// refilled returns the tokens b holds at now.
func (m *Memory) refilled(b *bucket, now time.Time) float64 {
	gained := float64(now.Sub(b.updated)) * float64(m.limit) / float64(m.window)
	return min(float64(m.limit), b.tokens+max(gained, 0))
}

// sweep forgets, once per window, the keys whose buckets have refilled: they
// are indistinguishable from new keys, and keeping them would let a caller
// who cycles through keys (spoofed IPs, random API keys) grow the map forever.
func (m *Memory) sweep(now time.Time) {
	if now.Sub(m.lastSweep) < m.window {
		return
	}
	m.lastSweep = now
	for key, b := range m.buckets {
		if m.refilled(b, now) >= float64(m.limit) {
			delete(m.buckets, key)
		}
	}
}
