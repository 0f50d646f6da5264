package secrets

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

var errNotFound = errors.New("ResourceNotFoundException")

// fakeBackend is an in-memory Fetcher that counts its calls.
type fakeBackend struct {
	mu       sync.Mutex
	versions map[key]Version
	err      error
	calls    int
	release  chan struct{} // when set, Fetch waits for it to close
}

func newFakeBackend() *fakeBackend {
	return &fakeBackend{versions: make(map[key]Version)}
}

func (b *fakeBackend) Fetch(_ context.Context, id, stage string) (Version, error) {
	b.mu.Lock()
	release := b.release
	b.mu.Unlock()
	if release != nil {
		<-release
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls++
	if b.err != nil {
		return Version{}, b.err
	}
	v, ok := b.versions[key{id, stage}]
	if !ok {
		return Version{}, errNotFound
	}
	return Version{Value: bytes.Clone(v.Value), ID: v.ID}, nil
}

func (b *fakeBackend) set(id, stage, value, versionID string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.versions[key{id, stage}] = Version{Value: []byte(value), ID: versionID}
}

func (b *fakeBackend) fail(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.err = err
}

func (b *fakeBackend) hold() chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.release = make(chan struct{})
	return b.release
}

func (b *fakeBackend) callCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.calls
}

// fakeClock lets tests move a Cache through time without sleeping.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newTestCache(f Fetcher, opts Options) (*Cache, *fakeClock) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	c := NewCache(f, opts)
	clock := &fakeClock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	c.now = clock.Now
	return c, clock
}

// waitForWaiters blocks until n callers wait on the fetch of k in flight.
func waitForWaiters(c *Cache, k key, n int) {
	for {
		c.mu.RLock()
		cl := c.calls[k]
		got := 0
		if cl != nil {
			got = cl.waiters
		}
		c.mu.RUnlock()
		if got >= n {
			return
		}
		runtime.Gosched()
	}
}

func mustGet(t *testing.T, c *Cache, id string) string {
	t.Helper()
	s, err := c.Get(context.Background(), id)
	if err != nil {
		t.Fatalf("Get(%q): %v", id, err)
	}
	return s.Reveal()
}

func TestCacheServesFromMemoryUntilTTLExpires(t *testing.T) {
	backend := newFakeBackend()
	backend.set("db", StageCurrent, "v1", "1")
	c, clock := newTestCache(backend, Options{TTL: 5 * time.Minute})

	steps := []struct {
		advance   time.Duration
		backend   string
		want      string
		wantCalls int
	}{
		{want: "v1", wantCalls: 1},
		{advance: 4 * time.Minute, backend: "v2", want: "v1", wantCalls: 1},
		{advance: time.Minute, want: "v2", wantCalls: 2},
		{advance: time.Minute, want: "v2", wantCalls: 2},
	}
	for i, step := range steps {
		clock.advance(step.advance)
		if step.backend != "" {
			backend.set("db", StageCurrent, step.backend, step.backend)
		}
		if got := mustGet(t, c, "db"); got != step.want {
			t.Fatalf("step %d: Get = %q, want %q", i, got, step.want)
		}
		if got := backend.callCount(); got != step.wantCalls {
			t.Fatalf("step %d: backend calls = %d, want %d", i, got, step.wantCalls)
		}
	}
}

func TestRefreshFetchesWhateverTheAgeOfTheCachedCopy(t *testing.T) {
	backend := newFakeBackend()
	backend.set("db", StageCurrent, "v1", "1")
	c, _ := newTestCache(backend, Options{})
	mustGet(t, c, "db")
	backend.set("db", StageCurrent, "v2", "2")

	if got := mustGet(t, c, "db"); got != "v1" {
		t.Fatalf("Get before Refresh = %q, want the cached v1", got)
	}
	s, err := c.Refresh(context.Background(), "db")
	if err != nil || s.Reveal() != "v2" || s.VersionID() != "2" {
		t.Fatalf("Refresh = %q version %q, %v; want v2 version 2", s.Reveal(), s.VersionID(), err)
	}
	if got := mustGet(t, c, "db"); got != "v2" {
		t.Fatalf("Get after Refresh = %q, want v2", got)
	}
	if got := backend.callCount(); got != 2 {
		t.Fatalf("backend calls = %d, want 2", got)
	}
}

func TestStaleValueIsServedForAtMostMaxStaleAfterFailedRefresh(t *testing.T) {
	outage := errors.New("service unavailable")
	type step struct {
		advance   time.Duration
		failing   bool
		refresh   bool // Refresh instead of Get
		want      string
		wantErr   bool
		wantCalls int
	}
	tests := []struct {
		name  string
		opts  Options
		steps []step
	}{
		{
			name: "without MaxStale an expired value is never served",
			opts: Options{TTL: 5 * time.Minute},
			steps: []step{
				{want: "v1", wantCalls: 1},
				{advance: 5 * time.Minute, failing: true, wantErr: true, wantCalls: 2},
				{wantErr: true, failing: true, wantCalls: 3},
			},
		},
		{
			name: "with MaxStale the old value bridges the outage, then the error surfaces",
			opts: Options{TTL: 5 * time.Minute, MaxStale: 10 * time.Minute, RetryInterval: time.Minute},
			steps: []step{
				{want: "v1", wantCalls: 1},
				{advance: 6 * time.Minute, failing: true, want: "v1", wantCalls: 2},
				{advance: 30 * time.Second, failing: true, want: "v1", wantCalls: 2}, // waits out RetryInterval
				{advance: 30 * time.Second, failing: true, want: "v1", wantCalls: 3},
				{refresh: true, failing: true, wantErr: true, wantCalls: 4}, // a forced refresh wants fresh
				{advance: 8 * time.Minute, failing: true, wantErr: true, wantCalls: 5},
				{want: "v1", wantCalls: 6}, // backend is back
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			backend := newFakeBackend()
			backend.set("db", StageCurrent, "v1", "1")
			c, clock := newTestCache(backend, tt.opts)
			for i, step := range tt.steps {
				clock.advance(step.advance)
				backend.fail(nil)
				if step.failing {
					backend.fail(outage)
				}
				read := c.Get
				if step.refresh {
					read = c.Refresh
				}
				s, err := read(context.Background(), "db")
				if step.wantErr {
					if !errors.Is(err, outage) {
						t.Fatalf("step %d: err = %v, want the backend's error", i, err)
					}
				} else if err != nil || s.Reveal() != step.want {
					t.Fatalf("step %d: got %q, %v; want %q", i, s.Reveal(), err, step.want)
				}
				if got := backend.callCount(); got != step.wantCalls {
					t.Fatalf("step %d: backend calls = %d, want %d", i, got, step.wantCalls)
				}
			}
		})
	}
}

func TestCacheFetchesOncePerKeyUnderConcurrency(t *testing.T) {
	backend := newFakeBackend()
	backend.set("a", StageCurrent, "value-a", "1")
	backend.set("b", StageCurrent, "value-b", "1")
	release := backend.hold()
	c, _ := newTestCache(backend, Options{})

	const perKey = 50
	var wg sync.WaitGroup
	results := make(chan string, 2*perKey)
	for _, id := range []string{"a", "b"} {
		for range perKey {
			wg.Go(func() {
				s, err := c.Get(context.Background(), id)
				if err != nil {
					results <- err.Error()
					return
				}
				results <- id + "=" + s.Reveal()
			})
		}
	}
	// Every caller is waiting on the fetch in flight before it may finish,
	// so none of them can have been served from a cache filled earlier.
	waitForWaiters(c, key{"a", StageCurrent}, perKey)
	waitForWaiters(c, key{"b", StageCurrent}, perKey)
	close(release)
	wg.Wait()
	close(results)

	for r := range results {
		if r != "a=value-a" && r != "b=value-b" {
			t.Fatalf("a caller got %q", r)
		}
	}
	if got := backend.callCount(); got != 2 {
		t.Fatalf("backend calls = %d, want 2 (one per key)", got)
	}
}

func TestCallerGivingUpDoesNotCancelTheSharedFetch(t *testing.T) {
	backend := newFakeBackend()
	backend.set("db", StageCurrent, "v1", "1")
	release := backend.hold()
	c, _ := newTestCache(backend, Options{})

	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := c.Get(ctx, "db")
		errc <- err
	}()
	waitForWaiters(c, key{"db", StageCurrent}, 1)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("Get with a cancelled context = %v, want context.Canceled", err)
	}

	close(release)
	if got := mustGet(t, c, "db"); got != "v1" {
		t.Fatalf("Get = %q, want v1", got)
	}
	if got := backend.callCount(); got != 1 {
		t.Fatalf("backend calls = %d, want 1: the first fetch should have completed and been reused", got)
	}
}

func TestCachedGetMakesNoBackendCallAndAtMostOneAllocation(t *testing.T) {
	backend := newFakeBackend()
	backend.set("db", StageCurrent, `{"password":"hunter2"}`, "1")
	c, _ := newTestCache(backend, Options{})
	ctx := context.Background()
	mustGet(t, c, "db")
	if _, err := c.GetField(ctx, "db", "password"); err != nil {
		t.Fatal(err)
	}

	reads := map[string]func(){
		"Get": func() {
			if _, err := c.Get(ctx, "db"); err != nil {
				t.Fatal(err)
			}
		},
		"GetField": func() {
			if _, err := c.GetField(ctx, "db", "password"); err != nil {
				t.Fatal(err)
			}
		},
	}
	for name, read := range reads {
		if allocs := testing.AllocsPerRun(1000, read); allocs > 1 {
			t.Errorf("cached %s allocates %.1f times, want at most 1", name, allocs)
		}
	}
	if got := backend.callCount(); got != 1 {
		t.Fatalf("backend calls = %d, want 1", got)
	}
}

func BenchmarkCachedGet(b *testing.B) {
	backend := newFakeBackend()
	backend.set("db", StageCurrent, "a-database-password-of-some-length", "1")
	c := NewCache(backend, Options{})
	ctx := context.Background()
	if _, err := c.Get(ctx, "db"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Get(ctx, "db"); err != nil {
				b.Error(err)
				return
			}
		}
	})
	if got := backend.callCount(); got != 1 {
		b.Fatalf("backend calls = %d, want 1", got)
	}
}

func TestGetReturnsTheCallersOwnCopy(t *testing.T) {
	backend := newFakeBackend()
	backend.set("db", StageCurrent, "v1", "1")
	c, _ := newTestCache(backend, Options{})
	s, err := c.Get(context.Background(), "db")
	if err != nil {
		t.Fatal(err)
	}
	s.Wipe()
	if got := mustGet(t, c, "db"); got != "v1" {
		t.Fatalf("after wiping a returned Secret, Get = %q, want v1", got)
	}
}

func TestReplacedVersionIsWipedFromMemory(t *testing.T) {
	backend := newFakeBackend()
	backend.set("db", StageCurrent, `{"password":"old-password"}`, "1")
	c, _ := newTestCache(backend, Options{})
	if _, err := c.GetField(context.Background(), "db", "password"); err != nil {
		t.Fatal(err)
	}
	old := c.entries[key{"db", StageCurrent}]
	oldValue, oldField := old.value, old.fields["password"]

	backend.set("db", StageCurrent, `{"password":"new-password"}`, "2")
	if _, err := c.Refresh(context.Background(), "db"); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(oldValue, make([]byte, len(oldValue))) || !bytes.Equal(oldField, make([]byte, len(oldField))) {
		t.Fatalf("replaced version still holds %q / %q, want zeros", oldValue, oldField)
	}
}

func TestFetcherPanicBecomesAnError(t *testing.T) {
	c, _ := newTestCache(FetcherFunc(func(context.Context, string, string) (Version, error) {
		panic("boom")
	}), Options{})
	_, err := c.Get(context.Background(), "db")
	if err == nil || !strings.Contains(err.Error(), "panicked: boom") {
		t.Fatalf("Get = %v, want an error reporting the panic", err)
	}
}

func TestGetFieldReadsTheCurrentVersion(t *testing.T) {
	backend := newFakeBackend()
	backend.set("db", StageCurrent, `{"username":"app","password":"one","port":5432}`, "1")
	backend.set("plain", StageCurrent, "hunter2", "1")
	c, _ := newTestCache(backend, Options{})
	ctx := context.Background()

	tests := []struct {
		id, field string
		want      string
		wantErr   error
	}{
		{id: "db", field: "password", want: "one"},
		{id: "db", field: "port", want: "5432"},
		{id: "db", field: "host", wantErr: ErrFieldNotFound},
		{id: "plain", field: "password", wantErr: errors.New("not a JSON object")},
	}
	for _, tt := range tests {
		t.Run(tt.id+"/"+tt.field, func(t *testing.T) {
			got, err := c.GetField(ctx, tt.id, tt.field)
			switch {
			case tt.wantErr == ErrFieldNotFound:
				if !errors.Is(err, ErrFieldNotFound) {
					t.Fatalf("err = %v, want ErrFieldNotFound", err)
				}
			case tt.wantErr != nil:
				if err == nil || !strings.Contains(err.Error(), tt.wantErr.Error()) || strings.Contains(err.Error(), "hunter2") {
					t.Fatalf("err = %v, want %q without the value", err, tt.wantErr)
				}
			case err != nil || got.Reveal() != tt.want:
				t.Fatalf("GetField = %q, %v; want %q", got.Reveal(), err, tt.want)
			}
		})
	}

	backend.set("db", StageCurrent, `{"password":"two"}`, "2")
	if _, err := c.Refresh(ctx, "db"); err != nil {
		t.Fatal(err)
	}
	if got, err := c.GetField(ctx, "db", "password"); err != nil || got.Reveal() != "two" {
		t.Fatalf("GetField after rotation = %q, %v; want two", got.Reveal(), err)
	}
}

func TestStagesAreCachedSeparately(t *testing.T) {
	backend := newFakeBackend()
	backend.set("db", StageCurrent, "current", "2")
	backend.set("db", StagePending, "pending", "3")
	backend.set("db", StagePrevious, "previous", "1")
	c, _ := newTestCache(backend, Options{})
	ctx := context.Background()

	for range 2 {
		reads := map[string]func() (Secret, error){
			"current":  func() (Secret, error) { return c.GetStage(ctx, "db", "") },
			"pending":  func() (Secret, error) { return c.GetStage(ctx, "db", StagePending) },
			"previous": func() (Secret, error) { return c.Previous(ctx, "db") },
		}
		for want, read := range reads {
			if s, err := read(); err != nil || s.Reveal() != want {
				t.Fatalf("read %s = %q, %v", want, s.Reveal(), err)
			}
		}
	}
	if got := backend.callCount(); got != 3 {
		t.Fatalf("backend calls = %d, want 3 (one per stage)", got)
	}
}

func TestUseRotatingFindsTheVersionRotationMadeValid(t *testing.T) {
	errRejected := errors.New("authentication failed")
	tests := []struct {
		name string
		// cached is the current value when the cache first read it; the
		// backend then moves to the stages below before use is called.
		cached            string
		current, pending  string
		previous, accepts string
		wantTried         []string
		wantErr           bool
	}{
		{name: "cached value still valid", cached: "v1", current: "v1", accepts: "v1", wantTried: []string{"v1"}},
		{name: "rotation finished since it was cached", cached: "v1", current: "v2", previous: "v1", accepts: "v2", wantTried: []string{"v1", "v2"}},
		{name: "rotation set the new value but has not promoted it", cached: "v1", current: "v1", pending: "v2", accepts: "v2", wantTried: []string{"v1", "v2"}},
		{name: "consumer still on the previous value", cached: "v2", current: "v2", previous: "v1", accepts: "v1", wantTried: []string{"v2", "v1"}},
		{name: "no version accepted", cached: "v1", current: "v2", pending: "v3", previous: "v1", accepts: "none", wantTried: []string{"v1", "v2", "v3"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			backend := newFakeBackend()
			backend.set("db", StageCurrent, tt.cached, tt.cached)
			c, _ := newTestCache(backend, Options{})
			mustGet(t, c, "db")
			for stage, value := range map[string]string{StageCurrent: tt.current, StagePending: tt.pending, StagePrevious: tt.previous} {
				if value != "" {
					backend.set("db", stage, value, value)
				}
			}

			var tried []string
			err := c.UseRotating(context.Background(), "db", func(s Secret) error {
				tried = append(tried, s.Reveal())
				if s.Reveal() != tt.accepts {
					return errRejected
				}
				return nil
			})
			if fmt.Sprint(tried) != fmt.Sprint(tt.wantTried) {
				t.Fatalf("tried %v, want %v", tried, tt.wantTried)
			}
			if tt.wantErr != (err != nil) {
				t.Fatalf("err = %v, want error: %v", err, tt.wantErr)
			}
			if tt.wantErr && !errors.Is(err, errRejected) {
				t.Fatalf("err = %v, want it to wrap use's error", err)
			}
		})
	}
}

func TestNewCurrentVersionExpiresTheOtherStages(t *testing.T) {
	backend := newFakeBackend()
	backend.set("db", StageCurrent, "v1", "1")
	backend.set("db", StagePrevious, "v0", "0")
	c, _ := newTestCache(backend, Options{})
	ctx := context.Background()
	if s, err := c.Previous(ctx, "db"); err != nil || s.Reveal() != "v0" {
		t.Fatalf("Previous = %q, %v; want v0", s.Reveal(), err)
	}

	tests := []struct {
		name         string
		newCurrent   string
		wantPrevious string
	}{
		{name: "same version keeps the cached previous", newCurrent: "v1", wantPrevious: "v0"},
		{name: "new version drops the cached previous", newCurrent: "v2", wantPrevious: "v1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			backend.set("db", StageCurrent, tt.newCurrent, tt.newCurrent[1:])
			backend.set("db", StagePrevious, "v1", "1")
			if _, err := c.Refresh(ctx, "db"); err != nil {
				t.Fatal(err)
			}
			if s, err := c.Previous(ctx, "db"); err != nil || s.Reveal() != tt.wantPrevious {
				t.Fatalf("Previous = %q, %v; want %q", s.Reveal(), err, tt.wantPrevious)
			}
		})
	}
}
