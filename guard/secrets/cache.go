// Package secrets reads secrets from AWS Secrets Manager, SSM Parameter Store
// or the AWS Parameters and Secrets Lambda Extension through one cache, and
// hands them out as Secret values that never print.
//
// A Cache keeps each value for a TTL, so warm invocations read it from
// memory; makes exactly one backend call per key however many goroutines ask
// at once; may serve the previous value for a bounded time while the backend
// fails; and understands Secrets Manager rotation stages.
//
// Create the Cache once, outside the handler:
//
//	var cache = secrets.NewCache(secrets.SecretsManager{Client: secretsmanager.NewFromConfig(cfg)}, secrets.Options{})
//
//	func handle(ctx context.Context, e Event) error {
//		password, err := cache.GetField(ctx, "prod/db", "password")
//		...
//	}
package secrets

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Secrets Manager staging labels. Fetchers receive StageCurrent when the
// caller asked for no particular stage.
const (
	StageCurrent  = "AWSCURRENT"
	StagePending  = "AWSPENDING"
	StagePrevious = "AWSPREVIOUS"
)

// Fetcher reads one version of a secret from a backend. The stage is never
// empty. The Cache takes ownership of Version.Value and wipes it once a newer
// version replaces it.
type Fetcher interface {
	Fetch(ctx context.Context, id, stage string) (Version, error)
}

// FetcherFunc adapts a function to the Fetcher interface.
type FetcherFunc func(ctx context.Context, id, stage string) (Version, error)

// Fetch calls f.
func (f FetcherFunc) Fetch(ctx context.Context, id, stage string) (Version, error) {
	return f(ctx, id, stage)
}

// Version is a secret value as a backend returned it.
type Version struct {
	Value []byte
	// ID names the backend version, if the backend has versions.
	ID string
}

// Options tune a Cache. The zero value is usable.
type Options struct {
	// TTL is how long a fetched value is served before it is fetched again.
	// Zero means 5 minutes, the Lambda extension's default.
	TTL time.Duration

	// MaxStale is how long past its TTL a value may still be served when
	// fetching its replacement fails. Zero means never: a failed refresh
	// returns the error at once. Serving stale values keeps a function up
	// through a short backend outage, at the cost of using a value that may
	// have been rotated away; choose it knowing your rotation schedule.
	MaxStale time.Duration

	// RetryInterval is how long the cache waits between refresh attempts
	// while it serves a stale value, so that an outage does not cost every
	// request a failing backend call. Zero means 1 second.
	RetryInterval time.Duration

	// FetchTimeout bounds one backend call. The call runs apart from the
	// context of the caller that started it, because other callers may be
	// waiting for its result. Zero means 10 seconds.
	FetchTimeout time.Duration

	// Logger receives a warning each time a refresh fails while a stale
	// value is kept. Nil means slog.Default().
	Logger *slog.Logger
}

// Cache serves secrets from memory and fetches each one from its Fetcher at
// most once per TTL. It is safe for concurrent use. Create one with NewCache.
type Cache struct {
	fetcher Fetcher
	opts    Options
	now     func() time.Time // replaced in tests to move time without sleeping

	mu      sync.RWMutex
	entries map[key]*entry
	calls   map[key]*call
}

// key names a cached value. A struct, not a joined string, so that looking
// one up does not allocate.
type key struct {
	id, stage string
}

// entry is one cached version. Its value and fields are wiped when a newer
// version replaces it, so they are read only under Cache.mu.
type entry struct {
	value     []byte
	version   string
	expires   time.Time
	retryAt   time.Time // while stale: no refresh attempt before this
	fieldOnce sync.Once
	fields    map[string][]byte
	fieldsErr error
}

// call is a backend fetch in flight, shared by everyone who asks for its key
// before it finishes.
type call struct {
	done    chan struct{}
	err     error // set before done closes
	waiters int   // callers waiting, for tests to observe
}

// NewCache returns a Cache that fetches values with f.
func NewCache(f Fetcher, opts Options) *Cache {
	if opts.TTL <= 0 {
		opts.TTL = 5 * time.Minute
	}
	if opts.MaxStale < 0 {
		opts.MaxStale = 0
	}
	if opts.RetryInterval <= 0 {
		opts.RetryInterval = time.Second
	}
	if opts.FetchTimeout <= 0 {
		opts.FetchTimeout = 10 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Cache{
		fetcher: f,
		opts:    opts,
		now:     time.Now,
		entries: make(map[key]*entry),
		calls:   make(map[key]*call),
	}
}

// Get returns the current (AWSCURRENT) value of the secret id, from memory
// when the cached copy is fresh. The returned Secret is the caller's own
// copy: wiping it does not affect the cache.
func (c *Cache) Get(ctx context.Context, id string) (Secret, error) {
	return c.read(ctx, key{id, StageCurrent}, false, "", false)
}

// GetStage returns the value of id at a staging label such as StagePending.
// Each stage is cached on its own.
func (c *Cache) GetStage(ctx context.Context, id, stage string) (Secret, error) {
	return c.read(ctx, key{id, stageOrCurrent(stage)}, false, "", false)
}

// Previous returns the value id had before its last rotation (AWSPREVIOUS),
// for consumers that may still hold the old credential while rotation
// completes.
func (c *Cache) Previous(ctx context.Context, id string) (Secret, error) {
	return c.GetStage(ctx, id, StagePrevious)
}

// GetField returns one field of the current value of id, which must be a
// JSON object. A string field gives its unquoted text, any other field its
// JSON text. A missing field gives an error wrapping ErrFieldNotFound.
func (c *Cache) GetField(ctx context.Context, id, field string) (Secret, error) {
	return c.read(ctx, key{id, StageCurrent}, false, field, true)
}

// Refresh fetches the current value of id from the backend now, whatever the
// age of the cached copy, caches it and returns it. If a fetch of id is
// already in flight, Refresh waits for that one instead of starting another.
// A failed Refresh returns its error and keeps the cached copy. When the
// current version has changed, the cached copies of id's other stages are
// dropped as well, since rotation moved their labels too.
func (c *Cache) Refresh(ctx context.Context, id string) (Secret, error) {
	return c.read(ctx, key{id, StageCurrent}, true, "", false)
}

// UseRotating calls use with the current value of id and, if use fails,
// with each value that rotation may have made the valid one: AWSCURRENT
// fetched anew (rotation finished since it was cached), AWSPENDING (rotation
// has set the new credential but not yet promoted it) and AWSPREVIOUS (the
// consumer has not yet switched over). Versions already tried are skipped.
// It returns nil after the first value use accepts, or all the errors seen.
func (c *Cache) UseRotating(ctx context.Context, id string, use func(Secret) error) error {
	current, err := c.Get(ctx, id)
	if err != nil {
		return err
	}
	firstErr := use(current)
	if firstErr == nil {
		return nil
	}
	errs := []error{firstErr}
	tried := map[string]bool{current.VersionID(): true}
	for _, stage := range []string{StageCurrent, StagePending, StagePrevious} {
		candidate, err := c.read(ctx, key{id, stage}, true, "", false)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if v := candidate.VersionID(); v != "" {
			if tried[v] {
				continue
			}
			tried[v] = true
		}
		if err := use(candidate); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", stage, err))
			continue
		}
		return nil
	}
	return fmt.Errorf("secrets: no version of %q was accepted: %w", id, errors.Join(errs...))
}

func stageOrCurrent(stage string) string {
	if stage == "" {
		return StageCurrent
	}
	return stage
}

// read returns the value of k, or its named field when isField, fetching it
// when the cached copy is missing or expired, or when force is set.
func (c *Cache) read(ctx context.Context, k key, force bool, field string, isField bool) (Secret, error) {
	if !force {
		c.mu.RLock()
		if e := c.entries[k]; e != nil && c.servable(e, c.now()) {
			s, err := e.pick(k, field, isField)
			c.mu.RUnlock()
			return s, err
		}
		c.mu.RUnlock()
	}

	var fetchErr error
	if cl := c.join(ctx, k, force); cl != nil {
		select {
		case <-cl.done:
			fetchErr = cl.err
		case <-ctx.Done():
			return Secret{}, fmt.Errorf("secrets: waiting for %q: %w", k.id, ctx.Err())
		}
	}

	c.mu.RLock()
	defer c.mu.RUnlock()
	e := c.entries[k]
	if fetchErr == nil || (!force && e != nil && c.withinMaxStale(e, c.now())) {
		// e is the version this fetch stored, or a newer one: never older.
		return e.pick(k, field, isField)
	}
	return Secret{}, fetchErr
}

// servable reports whether e may be served without asking the backend:
// it is fresh, or a refresh failed recently and it is still within MaxStale.
func (c *Cache) servable(e *entry, now time.Time) bool {
	return now.Before(e.expires) || (now.Before(e.retryAt) && c.withinMaxStale(e, now))
}

func (c *Cache) withinMaxStale(e *entry, now time.Time) bool {
	return now.Before(e.expires.Add(c.opts.MaxStale))
}

// join returns the fetch in flight for k, starting one if there is none.
// Unless force is set it returns nil when the cached value has become
// servable since the caller looked, which happens when a fetch finished in
// between: starting another would call the backend twice for one key.
func (c *Cache) join(ctx context.Context, k key, force bool) *call {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.entries[k]; !force && e != nil && c.servable(e, c.now()) {
		return nil
	}
	cl := c.calls[k]
	if cl == nil {
		cl = &call{done: make(chan struct{})}
		c.calls[k] = cl
		go c.fetch(context.WithoutCancel(ctx), k, cl)
	}
	cl.waiters++
	return cl
}

// fetch asks the backend for k, stores the result and releases the waiters.
func (c *Cache) fetch(ctx context.Context, k key, cl *call) {
	ctx, cancel := context.WithTimeout(ctx, c.opts.FetchTimeout)
	defer cancel()
	v, err := c.fetchRecovering(ctx, k)
	now := c.now()

	c.mu.Lock()
	defer c.mu.Unlock()
	defer close(cl.done)
	delete(c.calls, k)
	old := c.entries[k]
	if err != nil {
		cl.err = fmt.Errorf("secrets: fetch %q at stage %s: %w", k.id, k.stage, err)
		if old != nil && c.withinMaxStale(old, now) {
			old.retryAt = now.Add(c.opts.RetryInterval)
			c.opts.Logger.WarnContext(ctx, "secrets: refresh failed, serving the cached value",
				slog.String("secret_id", k.id), slog.String("stage", k.stage),
				slog.Time("stale_until", old.expires.Add(c.opts.MaxStale)), slog.Any("error", err))
		}
		return
	}
	c.entries[k] = &entry{value: v.Value, version: v.ID, expires: now.Add(c.opts.TTL)}
	if old == nil {
		return
	}
	old.wipe()
	if k.stage == StageCurrent && old.version != v.ID {
		// AWSCURRENT moved, so rotation has moved the other labels too:
		// expire them so that their next read fetches them again.
		for other, e := range c.entries {
			if other.id == k.id && other.stage != StageCurrent {
				e.expires, e.retryAt = time.Time{}, time.Time{}
			}
		}
	}
}

// fetchRecovering turns a panicking Fetcher into an error: the fetch runs in
// its own goroutine, where a panic would end the whole process.
func (c *Cache) fetchRecovering(ctx context.Context, k key) (v Version, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("fetcher panicked: %v", r)
		}
	}()
	return c.fetcher.Fetch(ctx, k.id, k.stage)
}

// pick returns a copy of the value, or of one of its fields. The caller holds
// Cache.mu at least for reading.
func (e *entry) pick(k key, field string, isField bool) (Secret, error) {
	if !isField {
		return secretOf(append([]byte(nil), e.value...), e.version), nil
	}
	e.fieldOnce.Do(func() { e.fields, e.fieldsErr = parseFields(e.value) })
	if e.fieldsErr != nil {
		return Secret{}, fmt.Errorf("%w (secret %q)", e.fieldsErr, k.id)
	}
	value, ok := e.fields[field]
	if !ok {
		return Secret{}, fmt.Errorf("secrets: %q field %q: %w", k.id, field, ErrFieldNotFound)
	}
	return secretOf(append([]byte(nil), value...), e.version), nil
}

// wipe clears a replaced entry. The caller holds Cache.mu for writing, so no
// reader is copying from it.
func (e *entry) wipe() {
	clear(e.value)
	wipeFields(e.fields)
}
