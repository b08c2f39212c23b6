package agent

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/checkpoint"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/locktest"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/syncbuf"
)

// The agent takes its checkpoint lock again after the state directory is
// deleted under it, and says so once; a second agent is refused again.
func TestAgentTakesItsCheckpointLockAgainAfterTheStateDirectoryIsDeleted(t *testing.T) {
	locktest.NeedOFDLocks(t)
	state := filepath.Join(t.TempDir(), "state")
	path := filepath.Join(state, "checkpoints")
	lock, err := checkpoint.LockFor(path)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	var logs syncbuf.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		keepLock(ctx, lock, 10*time.Millisecond, slog.New(slog.NewTextHandler(&logs, nil)), func(err error) {
			t.Errorf("stop(%v) while no other agent holds the lock", err)
		})
	}()
	defer func() { cancel(); wg.Wait() }()

	if err := os.RemoveAll(state); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(logs.String(), "took the lock again") {
		if time.Now().After(deadline) {
			t.Fatalf("no WARN within 20 s of rm -rf; log: %s", logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := checkpoint.LockFor(path); !errors.Is(err, checkpoint.ErrInUse) {
		t.Fatalf("a second agent after the lock was taken again: %v, want ErrInUse", err)
	}
	if n := strings.Count(logs.String(), "took the lock again"); n != 1 {
		t.Fatalf("%d WARN lines, want 1: %s", n, logs.String())
	}
}

// When another agent took a new lock file while this one's was deleted,
// the agent shuts down with that error (as its start would have been
// refused), instead of both sending the same lines.
func TestAgentShutsDownWhenAnotherAgentTookItsCheckpointLock(t *testing.T) {
	locktest.NeedOFDLocks(t)
	path := filepath.Join(t.TempDir(), "checkpoints")
	lock, err := checkpoint.LockFor(path)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	if err := os.Remove(checkpoint.LockPath(path)); err != nil {
		t.Fatal(err)
	}
	other, err := checkpoint.LockFor(path)
	if err != nil {
		t.Fatalf("the other agent's lock: %v", err)
	}
	defer other.Release()
	var logs syncbuf.Buffer
	stopped := make(chan error, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go keepLock(ctx, lock, 10*time.Millisecond, slog.New(slog.NewTextHandler(&logs, nil)), func(err error) { stopped <- err })
	select {
	case err := <-stopped:
		if !errors.Is(err, checkpoint.ErrInUse) {
			t.Fatalf("stop(%v), want checkpoint.ErrInUse", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("keepLock did not stop the agent within 20 s; log: %s", logs.String())
	}
	if !strings.Contains(logs.String(), "shutting down") {
		t.Fatalf("no ERROR saying why; log: %s", logs.String())
	}
}
