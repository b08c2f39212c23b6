package checkpoint

import (
	"bufio"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// lockHolderEnv makes the test binary a child that takes the lock of the
// checkpoint file it names, says "locked" and holds it until killed.
const lockHolderEnv = "CHECKPOINT_TEST_HOLD_LOCK"

func init() {
	path := os.Getenv(lockHolderEnv)
	if path == "" {
		return
	}
	if _, err := LockFor(path); err != nil {
		os.Stdout.WriteString("error: " + err.Error() + "\n")
		os.Exit(2)
	}
	os.Stdout.WriteString("locked\n")
	io.Copy(io.Discard, os.Stdin) // until killed, or the test's end of stdin
	os.Exit(0)
}

// A second agent on the same checkpoint file is refused at once, with an
// error naming the file and the first agent's pid; once the first lets go,
// the file is free.
func TestASecondLockOnACheckpointFileIsRefusedNamingTheHolder(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", "checkpoints")
	first, err := LockFor(path)
	if err != nil {
		t.Fatal(err)
	}
	second, err := LockFor(path)
	if !errors.Is(err, ErrInUse) {
		second.Release()
		t.Fatalf("second lock: %v, want ErrInUse", err)
	}
	for _, want := range []string{path, "pid " + strconv.Itoa(os.Getpid()), "own checkpointFile"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
	if err := first.Release(); err != nil {
		t.Fatal(err)
	}
	again, err := LockFor(path)
	if err != nil {
		t.Fatalf("lock after release: %v", err)
	}
	again.Release()
	if err := again.Release(); err != nil {
		t.Fatalf("second release: %v", err)
	}
}

// An agent that dies without releasing (SIGKILL) leaves no lock behind: the
// kernel drops it with the process. While it lives, its lock is refused
// with its pid.
func TestALockDiesWithItsProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "checkpoints")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), lockHolderEnv+"="+path)
	if _, err := cmd.StdinPipe(); err != nil { // held open: the child waits on it
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	said := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		said <- strings.TrimSpace(line)
	}()
	select {
	case line := <-said:
		if line != "locked" {
			t.Fatalf("holder said %q", line)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("holder did not take the lock within 30 s")
	}

	_, err = LockFor(path)
	if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), "pid "+strconv.Itoa(cmd.Process.Pid)) {
		t.Fatalf("lock held by pid %d: %v, want ErrInUse naming it", cmd.Process.Pid, err)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	l, err := LockFor(path)
	if err != nil {
		t.Fatalf("lock after the holder was killed: %v", err)
	}
	l.Release()
}

// A lock file the agent cannot open (another user's, from a run as root)
// is an error that names it and what the agent needs.
func TestALockFileThatCannotBeOpenedIsNamed(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "checkpoints")
	if err := os.Mkdir(LockPath(path), 0o755); err != nil { // a directory cannot be opened for writing
		t.Fatal(err)
	}
	_, err := LockFor(path)
	if err == nil || !strings.Contains(err.Error(), LockPath(path)) || !strings.Contains(err.Error(), "write access") {
		t.Fatalf("err = %v, want one naming %s and write access", err, LockPath(path))
	}
}
