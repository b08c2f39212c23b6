package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/kinesistest"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/syncbuf"
)

// TestSIGHUPReopensTheLogAndSIGTERMExitsZero runs the agent binary, moves
// its log file away as logrotate does, sends SIGHUP and expects a new log
// file at the configured path; SIGQUIT (kill -3) writes the goroutine
// stacks to stderr and the agent goes on (Go's default exits at once,
// saving no checkpoint); then SIGTERM must end it with exit 0 and the Java
// shutdown line.
func TestSIGHUPReopensTheLogAndSIGTERMExitsZero(t *testing.T) {
	ep := kinesistest.Endpoint(t)
	client := kinesistest.Client(t, ep)
	stream := kinesistest.CreateStream(t, client, 1)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "agent.json")
	text := fmt.Sprintf(`{"kinesis.endpoint": %q, "kinesis.region": "us-east-1", "cloudwatch.emitMetrics": false,
	  "awsAccessKeyId": "AKIDSIG", "awsSecretAccessKey": "sig-secret", "checkpointFile": %q,
	  "flows": [{"filePattern": %q, "kinesisStream": %q}]}`,
		ep, filepath.Join(dir, "cp"), filepath.Join(dir, "*.log"), stream)
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "agent", "aws-kinesis-agent.log")
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(agentBinary(t), "-c", cfg, "-d", t.TempDir(), "-l", logPath)
	var stderr syncbuf.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() { _ = cmd.Process.Kill() }()

	waitFor(t, func() bool { return fileContains(logPath, "Startup completed") }, "startup line in the log")
	rotated := logPath + ".1"
	if err := os.Rename(logPath, rotated); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return fileContains(logPath, "Reopened the log file") }, "a new log file after SIGHUP")

	if err := cmd.Process.Signal(syscall.SIGQUIT); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { return fileContains(logPath, "Wrote the stacks of all goroutines to stderr (SIGQUIT)") },
		"the SIGQUIT line in the log")
	// stderr is a pipe copied by another goroutine: the stacks may arrive
	// after the log line.
	waitFor(t, func() bool { return strings.Contains(stderr.String(), "goroutine ") }, "goroutine stacks on stderr after SIGQUIT")
	select {
	case err := <-exited:
		t.Fatalf("the agent exited after SIGQUIT: %v", err)
	default:
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("after SIGTERM: %v, want exit 0", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("agent did not exit within 20s of SIGTERM")
	}
	if !fileContains(logPath, "Shut down completed in") {
		b, _ := os.ReadFile(logPath)
		t.Fatalf("no shutdown line in the reopened log:\n%s", b)
	}
	if fileContains(logPath, "sig-secret") || fileContains(rotated, "sig-secret") {
		t.Fatal("secret key in the log")
	}
}

func fileContains(path, s string) bool {
	b, err := os.ReadFile(path)
	return err == nil && strings.Contains(string(b), s)
}

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
