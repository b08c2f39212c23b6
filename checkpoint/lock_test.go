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
	"syscall"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/locktest"
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
	locktest.NeedOFDLocks(t)
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

// A lock path that cannot be opened for writing (here a directory) is an
// error that names it.
func TestALockPathThatCannotBeOpenedIsNamed(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "checkpoints")
	if err := os.Mkdir(LockPath(path), 0o755); err != nil { // a directory cannot be opened for writing
		t.Fatal(err)
	}
	_, err := LockFor(path)
	if err == nil || !strings.Contains(err.Error(), LockPath(path)) || !strings.Contains(err.Error(), "is a directory") {
		t.Fatalf("err = %v, want one naming %s", err, LockPath(path))
	}
}

// Deleting the state directory while the agent runs (the store recreates
// the checkpoint file then) takes the lock file with it; Keep takes the
// lock again, so a second agent is still refused.
func TestKeepTakesTheLockAgainAfterTheStateDirectoryIsDeleted(t *testing.T) {
	locktest.NeedOFDLocks(t)
	state := filepath.Join(t.TempDir(), "state")
	path := filepath.Join(state, "checkpoints")
	l, err := LockFor(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	if retaken, err := l.Keep(); retaken || err != nil {
		t.Fatalf("Keep with the lock file in place: retaken=%v err=%v", retaken, err)
	}
	if err := os.RemoveAll(state); err != nil {
		t.Fatal(err)
	}
	if retaken, err := l.Keep(); !retaken || err != nil {
		t.Fatalf("Keep after rm -rf: retaken=%v err=%v, want retaken", retaken, err)
	}
	if _, err := LockFor(path); !errors.Is(err, ErrInUse) {
		t.Fatalf("a second agent after the lock was taken again: %v, want ErrInUse", err)
	}
}

// When another agent took a new lock file while the first's was deleted,
// Keep says so (ErrInUse): the agent logs it as an ERROR.
func TestKeepReportsAnotherAgentThatTookTheLockMeanwhile(t *testing.T) {
	locktest.NeedOFDLocks(t)
	path := filepath.Join(t.TempDir(), "checkpoints")
	first, err := LockFor(path)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Release()
	if err := os.Remove(LockPath(path)); err != nil {
		t.Fatal(err)
	}
	second, err := LockFor(path)
	if err != nil {
		t.Fatalf("lock of a new lock file: %v", err)
	}
	defer second.Release()
	if _, err := first.Keep(); !errors.Is(err, ErrInUse) {
		t.Fatalf("Keep: %v, want ErrInUse", err)
	}
}

// The lock file's directory belongs to the service's user, who could put a
// symlink or a hard link there for a run as root to write through and
// chown: the agent refuses both, and the file they point to is untouched.
func TestALockFileThatIsASymlinkOrHardLinkIsRefusedAndItsTargetUntouched(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (the threat is a run as root)")
	}
	for _, kind := range []string{"symlink", "hard link"} {
		t.Run(kind, func(t *testing.T) {
			dir := t.TempDir()
			victim := filepath.Join(dir, "victim")
			if err := os.WriteFile(victim, []byte("root only\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "state", "checkpoints")
			if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(filepath.Dir(path), 65534, 65534); err != nil {
				t.Fatal(err)
			}
			link := os.Symlink
			if kind == "hard link" {
				link = os.Link
			}
			if err := link(victim, LockPath(path)); err != nil {
				t.Fatal(err)
			}
			l, err := LockFor(path)
			if err == nil {
				l.Release()
				t.Fatal("LockFor took a lock through a " + kind)
			}
			if !strings.Contains(err.Error(), LockPath(path)) || !strings.Contains(err.Error(), "move it away") {
				t.Errorf("err = %v, want one naming the lock file and what to do", err)
			}
			b, _ := os.ReadFile(victim)
			fi, _ := os.Stat(victim)
			if st := fi.Sys().(*syscall.Stat_t); string(b) != "root only\n" || st.Uid != 0 {
				t.Fatalf("the %s's target became %q, owner %d", kind, b, st.Uid)
			}
		})
	}
}

// Run as root (sudo aws-kinesis-agent beside the service), the agent gives
// the lock file it creates, or one an earlier run as root left, to the
// owner of its directory (the service's user), so that the service can take
// it afterwards; a lock file of another user it leaves as it is.
func TestALockFileOfARunAsRootBelongsToItsDirectorysOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	const uid, gid = 65534, 65533
	for _, c := range []struct {
		name             string
		leftBy           int // -1: no lock file yet
		wantUID, wantGID int
	}{
		{"created", -1, uid, gid},
		{"left by root", 0, uid, gid},
		{"another user's", 65532, 65532, 65532},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "state")
			if err := os.Mkdir(dir, 0o750); err != nil {
				t.Fatal(err)
			}
			if err := os.Chown(dir, uid, gid); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "checkpoints")
			if c.leftBy >= 0 {
				if err := os.WriteFile(LockPath(path), []byte("1\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.Chown(LockPath(path), c.leftBy, c.leftBy); err != nil {
					t.Fatal(err)
				}
			}
			l, err := LockFor(path)
			if err != nil {
				t.Fatal(err)
			}
			l.Release()
			fi, err := os.Stat(LockPath(path))
			if err != nil {
				t.Fatal(err)
			}
			if st := fi.Sys().(*syscall.Stat_t); int(st.Uid) != c.wantUID || int(st.Gid) != c.wantGID {
				t.Fatalf("lock file owned by %d:%d, want %d:%d", st.Uid, st.Gid, c.wantUID, c.wantGID)
			}
		})
	}
}

// A checkpoint directory the service's user swaps for a symlink to a
// directory of root's, while a run as root holds the lock, gets no file of
// the user's there: the lock is taken again where the path now leads, but a
// file in a directory root owns stays root's.
func TestKeepGivesNoFileAwayInADirectorySwappedForASymlink(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (the threat is a run as root)")
	}
	locktest.NeedOFDLocks(t)
	top := t.TempDir()
	users := filepath.Join(top, "users")
	if err := os.MkdirAll(filepath.Join(users, "flows"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{users, filepath.Join(users, "flows")} {
		if err := os.Chown(d, 65534, 65534); err != nil {
			t.Fatal(err)
		}
	}
	roots := filepath.Join(top, "roots") // stands for /etc
	if err := os.Mkdir(roots, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(users, "flows", "checkpoints")
	l, err := LockFor(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	if err := os.Rename(filepath.Join(users, "flows"), filepath.Join(users, "flows.old")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(roots, filepath.Join(users, "flows")); err != nil {
		t.Fatal(err)
	}
	if retaken, err := l.Keep(); !retaken || err != nil {
		t.Fatalf("Keep: retaken=%v err=%v, want the lock taken again where the path now leads", retaken, err)
	}
	fi, err := os.Stat(filepath.Join(roots, "checkpoints.lock"))
	if err != nil {
		t.Fatal(err)
	}
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != 0 {
		t.Fatalf("the new lock file in root's directory belongs to uid %d", st.Uid)
	}
	entries, _ := os.ReadDir(roots)
	for _, e := range entries {
		fi, err := os.Lstat(filepath.Join(roots, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if st := fi.Sys().(*syscall.Stat_t); st.Uid != 0 {
			t.Fatalf("%s in root's directory belongs to uid %d", e.Name(), st.Uid)
		}
	}
}

// A path the service's user leads into a directory of root's (a symlinked
// checkpoint directory) does not make a run as root overwrite a file of
// root's that happens to have the lock file's name: only an empty file or
// one holding a pid is written.
func TestALockFileHoldingOtherDataIsNotOverwritten(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (the threat is a run as root)")
	}
	top := t.TempDir()
	roots := filepath.Join(top, "roots")
	if err := os.Mkdir(roots, 0o700); err != nil {
		t.Fatal(err)
	}
	const secret = "SECRET DATA OF ROOT\n"
	if err := os.WriteFile(filepath.Join(roots, "checkpoints.lock"), []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	users := filepath.Join(top, "users")
	if err := os.Mkdir(users, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(roots, filepath.Join(users, "flows")); err != nil {
		t.Fatal(err)
	}
	if l, err := LockFor(filepath.Join(users, "flows", "checkpoints")); err == nil {
		l.Release()
	}
	if b, _ := os.ReadFile(filepath.Join(roots, "checkpoints.lock")); string(b) != secret {
		t.Fatalf("root's file became %q", b)
	}
}
