// Package mototest connects tests to moto_server, a local fake of the AWS
// APIs, so that they can run the real AWS SDK for Go against it.
//
// A test asks for an SDK configuration with Config. The endpoint comes from
// the BULWARK_MOTO_ENDPOINT environment variable when it is set (CI starts one
// moto_server for the whole run); otherwise Config starts a moto_server found
// on PATH, once per test binary, which Main stops when the tests end. When
// neither is available the test is skipped, or fails if BULWARK_REQUIRE_MOTO=1.
//
// Every test binary shares one moto_server, and in CI every package does, so
// resources need unique names: use Name.
package mototest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

const (
	// EndpointEnv names an already running moto_server, e.g. http://127.0.0.1:5000.
	EndpointEnv = "BULWARK_MOTO_ENDPOINT"
	// RequireEnv, set to 1, turns a missing moto_server from a skip into a failure.
	RequireEnv = "BULWARK_REQUIRE_MOTO"

	// Region is the region every configuration from this package uses.
	Region = "us-east-1"

	missingMessage = "moto_server not found: install Python moto[server] or set " + EndpointEnv
	// startTimeout bounds how long a fresh moto_server may take to answer;
	// importing moto takes a few seconds on a busy machine.
	startTimeout = 60 * time.Second
)

// Config returns an AWS SDK configuration pointed at moto_server, with static
// fake credentials and region us-east-1, ready for any service client.
func Config(tb testing.TB) aws.Config {
	tb.Helper()
	return ConfigAt(Endpoint(tb))
}

// ConfigAt returns the configuration Config would, pointed at endpoint
// instead. Tests use it to aim a client at an endpoint that does not work.
func ConfigAt(endpoint string) aws.Config {
	return aws.Config{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider("testing", "testing", ""),
		BaseEndpoint: aws.String(endpoint),
		// Retries stay few and quick so that a test aimed at a broken endpoint
		// fails fast; the client-side retry quota is off because a test that
		// provokes many errors on purpose would otherwise exhaust it.
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 2
				o.MaxBackoff = 50 * time.Millisecond
				o.RateLimiter = ratelimit.None
			})
		},
	}
}

// Endpoint returns the base URL of the moto_server the tests use, starting
// one if needed. It skips or fails tb when there is none, as the package
// documentation describes.
func Endpoint(tb testing.TB) string {
	tb.Helper()
	if endpoint := os.Getenv(EndpointEnv); endpoint != "" {
		return strings.TrimSuffix(endpoint, "/")
	}
	if _, err := exec.LookPath("moto_server"); err != nil {
		if os.Getenv(RequireEnv) == "1" {
			tb.Fatal(missingMessage)
		}
		tb.Skip(missingMessage)
	}
	endpoint, err := local.endpoint()
	if err != nil {
		tb.Fatalf("mototest: %v", err)
	}
	return endpoint
}

// Main runs the tests and then stops the moto_server they started, if any.
// Packages whose tests use this package call it from TestMain:
//
//	func TestMain(m *testing.M) { mototest.Main(m) }
func Main(m *testing.M) {
	local.mu.Lock()
	local.mainCalled = true
	local.mu.Unlock()

	code := m.Run()
	local.stop()
	os.Exit(code)
}

// Name returns a resource name unique to this call: prefix, the test name and
// a random suffix, at most 64 characters of letters, digits and '-', which
// every AWS service used here accepts as a name.
func Name(tb testing.TB, prefix string) string {
	tb.Helper()
	random := make([]byte, 4)
	if _, err := rand.Read(random); err != nil {
		tb.Fatalf("mototest: random name suffix: %v", err)
	}
	suffix := "-" + hex.EncodeToString(random)
	base := sanitizeName(prefix + "-" + tb.Name())
	if limit := 64 - len(suffix); len(base) > limit {
		base = strings.TrimRight(base[:limit], "-")
	}
	return base + suffix
}

func sanitizeName(s string) string {
	var b strings.Builder
	lastDash := false
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		switch {
		case ok:
			b.WriteRune(r)
			lastDash = false
		case !lastDash:
			b.WriteByte('-')
			lastDash = true
		}
	}
	return strings.Trim(b.String(), "-")
}

// local is the moto_server this test binary started, if any.
var local server

type server struct {
	mu         sync.Mutex
	mainCalled bool
	started    bool
	url        string
	err        error
	cmd        *exec.Cmd
	exited     chan struct{}
}

func (s *server) endpoint() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return s.url, s.err
	}
	if !s.mainCalled {
		// Without Main nothing would stop the server when the tests end.
		return "", errors.New("starting moto_server needs TestMain to call mototest.Main(m), which stops it")
	}
	s.started = true
	s.err = s.start()
	return s.url, s.err
}

func (s *server) start() error {
	var lastErr error
	// A free port can be taken by another process between our probe and
	// moto binding it, so a failed start is retried on a new port.
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			return err
		}
		if lastErr = s.startOn(port); lastErr == nil {
			return nil
		}
	}
	return lastErr
}

func (s *server) startOn(port int) error {
	output := &headWriter{limit: 8 << 10}
	cmd := exec.Command("moto_server", "-H", "127.0.0.1", "-p", strconv.Itoa(port))
	cmd.Stdout = output
	cmd.Stderr = output
	configureProcess(cmd)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start moto_server: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()

	url := "http://127.0.0.1:" + strconv.Itoa(port)
	if err := waitUntilAnswering(url, exited); err != nil {
		stopProcess(cmd)
		<-exited
		return fmt.Errorf("moto_server on %s: %w; its output:\n%s", url, err, output.String())
	}
	s.cmd, s.exited, s.url = cmd, exited, url
	return nil
}

func (s *server) stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	stopProcess(s.cmd)
	<-s.exited
	s.cmd = nil
}

func waitUntilAnswering(url string, exited <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/moto-api/", nil)
		if err != nil {
			return err
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			return nil // any HTTP answer means the server is up
		}
		select {
		case <-exited:
			return errors.New("exited before answering")
		case <-ctx.Done():
			return fmt.Errorf("no answer within %s", startTimeout)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// headWriter keeps the first limit bytes written to it: enough of
// moto_server's output to explain a failed start, without keeping the
// request log of a whole test run.
type headWriter struct {
	mu    sync.Mutex
	limit int
	buf   []byte
}

func (w *headWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if room := w.limit - len(w.buf); room > 0 {
		w.buf = append(w.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}

func (w *headWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return string(w.buf)
}
