// Package kinesistest gives a test binary real local Kinesis servers:
// kinesalite (the main one: fast, AWS-like validation) and kinesis-local
// (kinesis-mock: the only one that returns real per-entry partial
// failures). It also has small helpers to make a client, create a stream
// and read every record back.
//
// Each server is started at most once per test binary, lazily, on a free
// loopback port, unless its endpoint is given in the environment
// (KINESALITE_ENDPOINT, KINESIS_MOCK_ENDPOINT; .ci/emulators/start.sh prints
// them). A started server is stopped by Main (use it from TestMain); when
// Main is not used the server still dies with the test binary, because it
// is started with a parent-death signal from a thread that lives as long
// as the process.
//
// When a server cannot be had, the calling test is skipped with the reason,
// or fails when AGENT_REQUIRE_EMULATORS=1 (CI).
//
// The per-binary server registry is the one piece of package-level state:
// a test binary is the natural owner of "its" emulator. Never import this
// package from production code.
package kinesistest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	envKinesalite      = "KINESALITE_ENDPOINT"
	envMock            = "KINESIS_MOCK_ENDPOINT"
	envRequire         = "AGENT_REQUIRE_EMULATORS"
	startTimeout       = 30 * time.Second
	stopGrace          = 2 * time.Second // in-memory servers: nothing to flush
	maxLogTail         = 4096
	startAttempts      = 3
	kinesaliteRelPath  = ".ci/emulators/kinesalite.js" // kinesalite/cli.js with shims: crash guard, CBOR data kept, whole CBOR answers
	kinesisMockRelPath = ".ci/emulators/node_modules/kinesis-local"
)

// server is one lazily started emulator process.
type server struct {
	name     string
	once     sync.Once
	endpoint string
	err      error

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	log  *tailBuffer
}

var (
	kinesalite  = &server{name: "kinesalite"}
	kinesisMock = &server{name: "kinesis-local"}
)

// Endpoint returns the URL of a kinesalite server for this test binary:
// KINESALITE_ENDPOINT when set, else a server started on first use.
func Endpoint(t testing.TB) string {
	t.Helper()
	if ep := os.Getenv(envKinesalite); ep != "" {
		return ep
	}
	kinesalite.once.Do(func() { kinesalite.endpoint, kinesalite.err = kinesalite.start(startKinesalite) })
	if kinesalite.err != nil {
		unavailable(t, kinesalite.err)
	}
	return kinesalite.endpoint
}

// MockEndpoint returns the URL (plain HTTP) of a kinesis-local server for
// this test binary: KINESIS_MOCK_ENDPOINT when set, else a server started on
// first use.
func MockEndpoint(t testing.TB) string {
	t.Helper()
	if ep := os.Getenv(envMock); ep != "" {
		return ep
	}
	kinesisMock.once.Do(func() { kinesisMock.endpoint, kinesisMock.err = kinesisMock.start(startKinesisMock) })
	if kinesisMock.err != nil {
		unavailable(t, kinesisMock.err)
	}
	return kinesisMock.endpoint
}

// Main runs the tests and then stops the servers this binary started.
// Use it as `func TestMain(m *testing.M) { kinesistest.Main(m) }`.
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// Stop stops every server this test binary started (SIGTERM, then SIGKILL
// after a grace period). Safe to call more than once.
func Stop() {
	var wg sync.WaitGroup
	for _, s := range []*server{kinesalite, kinesisMock} {
		wg.Add(1)
		go func() { defer wg.Done(); s.stop() }()
	}
	wg.Wait()
}

func unavailable(t testing.TB, err error) {
	t.Helper()
	if os.Getenv(envRequire) == "1" {
		t.Fatalf("kinesistest: %v (AGENT_REQUIRE_EMULATORS=1)", err)
	}
	t.Skipf("kinesistest: %v", err)
}

// launch describes how to start one emulator on chosen ports.
type launch struct {
	args      []string
	env       []string
	readyURL  string
	endpoint  string
	readyCode int // 0: any HTTP answer means ready
}

func startKinesalite(root string) (launch, error) {
	cli := filepath.Join(root, kinesaliteRelPath)
	if _, err := os.Stat(filepath.Join(root, ".ci/emulators/node_modules/kinesalite/cli.js")); err != nil {
		return launch{}, fmt.Errorf("kinesalite not installed (%v); run `make emulators`", err)
	}
	port, err := freePort()
	if err != nil {
		return launch{}, err
	}
	ep := "http://127.0.0.1:" + strconv.Itoa(port)
	return launch{
		args: []string{cli, "--port", strconv.Itoa(port),
			"--createStreamMs", "5", "--deleteStreamMs", "5", "--updateStreamMs", "5", "--shardLimit", "1000"},
		readyURL: ep + "/",
		endpoint: ep,
	}, nil
}

func startKinesisMock(root string) (launch, error) {
	dir := filepath.Join(root, kinesisMockRelPath)
	if _, err := os.Stat(filepath.Join(dir, "main.js")); err != nil {
		return launch{}, fmt.Errorf("kinesis-local not installed (%v); run `make emulators`", err)
	}
	plain, err := freePort()
	if err != nil {
		return launch{}, err
	}
	tls, err := freePort()
	if err != nil {
		return launch{}, err
	}
	if tls == plain {
		return launch{}, errors.New("could not pick two distinct free ports")
	}
	ep := "http://127.0.0.1:" + strconv.Itoa(plain)
	return launch{
		args: []string{filepath.Join(dir, "main.js")},
		env: []string{
			"KINESIS_MOCK_PLAIN_PORT=" + strconv.Itoa(plain),
			"KINESIS_MOCK_TLS_PORT=" + strconv.Itoa(tls),
			"KINESIS_MOCK_CERT_PATH=" + filepath.Join(dir, "server.json"),
			"LOG_LEVEL=WARN",
			"CREATE_STREAM_DURATION=5ms",
			"DELETE_STREAM_DURATION=5ms",
			"UPDATE_SHARD_COUNT_DURATION=5ms",
			"SHARD_LIMIT=1000",
		},
		readyURL:  ep + "/healthcheck",
		readyCode: http.StatusOK,
		endpoint:  ep,
	}, nil
}

// start launches the server, retrying on a port race, and waits until it answers.
func (s *server) start(plan func(root string) (launch, error)) (string, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return "", fmt.Errorf("%s: node not found in PATH: %v", s.name, err)
	}
	root, err := repoRoot()
	if err != nil {
		return "", fmt.Errorf("%s: %w", s.name, err)
	}
	var lastErr error
	for attempt := 0; attempt < startAttempts; attempt++ {
		l, err := plan(root)
		if err != nil {
			return "", fmt.Errorf("%s: %w", s.name, err)
		}
		if err := s.spawn(node, root, l); err != nil {
			return "", fmt.Errorf("%s: %w", s.name, err)
		}
		if err := s.waitReady(l); err != nil {
			lastErr = err
			s.stop()
			continue
		}
		return l.endpoint, nil
	}
	return "", fmt.Errorf("%s: did not start: %w", s.name, lastErr)
}

// spawn starts the process from a goroutine locked to its OS thread for the
// life of the process, so that the parent-death signal (which Linux ties to
// the creating thread) fires only when the test binary itself exits.
func (s *server) spawn(node, root string, l launch) error {
	logBuf := &tailBuffer{max: maxLogTail}
	cmd := exec.Command(node, l.args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), l.env...)
	cmd.Stdout = logBuf
	cmd.Stderr = logBuf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	started := make(chan error, 1)
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread() // never unlocked: the thread must outlive the child
		if err := cmd.Start(); err != nil {
			started <- err
			close(done)
			return
		}
		started <- nil
		err := cmd.Wait()
		s.mu.Lock()
		unexpected := s.cmd == cmd // stop() clears s.cmd before it signals
		s.mu.Unlock()
		if unexpected {
			// Every later test of this binary fails to connect; say why once.
			fmt.Fprintf(os.Stderr, "kinesistest: %s (pid %d) exited while tests were running: %v\nlast output:\n%s\n",
				s.name, cmd.Process.Pid, err, bytes.TrimSpace(logBuf.Bytes()))
		}
		close(done)
		// Returning while locked ends this thread; the child is gone already.
	}()
	if err := <-started; err != nil {
		return fmt.Errorf("start %s: %w", node, err)
	}
	s.mu.Lock()
	s.cmd, s.done, s.log = cmd, done, logBuf
	s.mu.Unlock()
	return nil
}

func (s *server) waitReady(l launch) error {
	s.mu.Lock()
	done, logBuf := s.done, s.log
	s.mu.Unlock()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-done:
			return fmt.Errorf("exited early: %s", bytes.TrimSpace(logBuf.Bytes()))
		default:
		}
		resp, err := client.Get(l.readyURL)
		if err == nil {
			resp.Body.Close()
			if l.readyCode == 0 || resp.StatusCode == l.readyCode {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %v at %s (last error %v): %s", startTimeout, l.readyURL, err, bytes.TrimSpace(logBuf.Bytes()))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *server) stop() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	pid := cmd.Process.Pid
	_ = syscall.Kill(-pid, syscall.SIGTERM) // its own process group (Setpgid)
	select {
	case <-done:
	case <-time.After(stopGrace):
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		<-done
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pick a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// repoRoot walks up from the working directory to the directory holding go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// tailBuffer keeps the last max bytes written to it (the server's log).
type tailBuffer struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (w *tailBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.b = append(w.b, p...)
	if len(w.b) > w.max {
		w.b = append(w.b[:0], w.b[len(w.b)-w.max:]...)
	}
	return len(p), nil
}

func (w *tailBuffer) Bytes() []byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]byte(nil), w.b...)
}

// ctx returns a context bounded by d, cancelled when the test ends.
func ctx(t testing.TB, d time.Duration) context.Context {
	c, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return c
}
