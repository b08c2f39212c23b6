package checkpoint

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// ErrInUse is wrapped by the error of LockFor when another agent holds the
// checkpoint file's lock.
var ErrInUse = errors.New("is in use by another aws-kinesis-agent")

// ErrLockUnsupported is wrapped by the error of LockFor when the file system
// of the checkpoint file refuses locks (an NFS mount without a lock
// service): the agent can run, unguarded.
var ErrLockUnsupported = errors.New("file locks are not supported there")

// Lock is held by the one agent that writes a checkpoint file, for its
// lifetime. SQLite's own locks last one transaction: two agents given the
// same checkpointFile would otherwise both run, overwrite each other's rows
// and send the same lines twice.
type Lock struct {
	f *os.File
}

// LockPath is the lock file of the checkpoint file at path: beside it, so a
// checkpoint file that is deleted or replaced while the agent runs keeps
// its lock.
func LockPath(path string) string { return path + ".lock" }

// LockFor takes the lock of the checkpoint file at path (creating the lock
// file and its directory if needed) and writes this process's pid in it.
// It does not wait: when another process holds it, the error wraps ErrInUse
// and names that process's pid. The kernel releases the lock when the
// process exits, however it exits, so a crashed agent never leaves one
// behind. The lock is an open-file-description lock: a second LockFor in
// the same process is refused too (on Linux).
func LockFor(path string) (*Lock, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: lock %s: %w", path, err)
	}
	lp := LockPath(abs)
	if err := os.MkdirAll(filepath.Dir(lp), 0o755); err != nil {
		return nil, fmt.Errorf("checkpoint: lock %s: create directory: %w", lp, err)
	}
	f, err := os.OpenFile(lp, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: lock %s: %w (the agent needs write access to the checkpoint file's directory)", lp, err)
	}
	fl := unix.Flock_t{Type: unix.F_WRLCK, Whence: io.SeekStart} // the whole file
	switch err = setLock(f.Fd(), &fl); {
	case err == nil:
	case errors.Is(err, unix.EAGAIN), errors.Is(err, unix.EACCES):
		holder := "unknown"
		if b, rerr := io.ReadAll(io.LimitReader(f, 32)); rerr == nil {
			if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil && pid > 0 {
				holder = strconv.Itoa(pid)
			}
		}
		f.Close()
		return nil, fmt.Errorf("checkpoint file %s %w (pid %s, holding %s): stop it, or give each agent its own checkpointFile",
			abs, ErrInUse, holder, lp)
	case errors.Is(err, unix.ENOLCK), errors.Is(err, unix.EOPNOTSUPP), errors.Is(err, unix.ENOSYS):
		f.Close()
		return nil, fmt.Errorf("checkpoint: lock %s: %w (%v)", lp, ErrLockUnsupported, err)
	default:
		f.Close()
		return nil, fmt.Errorf("checkpoint: lock %s: %w", lp, err)
	}
	// The pid only names the holder in a refusal: the lock holds without it.
	if f.Truncate(0) == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &Lock{f: f}, nil
}

// Release gives the lock up. The lock file stays (removing it would let a
// process that opened it before the removal and one that creates it anew
// both hold a lock). Calling Release again, or on nil, does nothing.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}
