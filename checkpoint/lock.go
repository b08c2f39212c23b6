package checkpoint

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// ErrInUse is wrapped by the error of LockFor (and Keep) when another agent
// holds the checkpoint file's lock.
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
	db   string // the checkpoint file
	path string // its lock file
	mu   sync.Mutex
	f    *os.File // nil once released
}

// LockPath is the lock file of the checkpoint file at path: beside it, so a
// checkpoint file that is deleted or replaced while the agent runs keeps
// its lock.
func LockPath(path string) string { return path + ".lock" }

// LockFor takes the lock of the checkpoint file at path (creating the lock
// file and its directory if needed) and writes this process's pid in it.
// It does not wait: when another process holds it, the error wraps
// ErrInUse and names that process's pid. The kernel releases the lock when
// the process exits, however it exits, so a crashed agent never leaves one
// behind. On Linux the lock belongs to the open file description: a second
// LockFor in the same process is refused too.
//
// The lock file is never reached through a symlink, nor written when it has
// another name (a hard link): its directory belongs to the service's user,
// and a run as root must not write or chown a file that user points it to.
func LockFor(path string) (*Lock, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: lock %s: %w", path, err)
	}
	l := &Lock{db: abs, path: LockPath(abs)}
	f, err := l.take()
	if err != nil {
		return nil, err
	}
	l.f = f
	return l, nil
}

// take opens (creating it, and its directory, if needed) the lock file and
// locks it, until the file locked is the one at the path (it may be
// deleted and created again meanwhile). The
// directory is opened once, by its path, and the lock file opened, checked
// and given away relative to that handle, so that a directory swapped for a
// symlink meanwhile cannot redirect any of it.
func (l *Lock) take() (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(l.path), 0o755); err != nil {
		return nil, fmt.Errorf("checkpoint: lock %s: create directory: %w", l.path, err)
	}
	dir, err := openDir(filepath.Dir(l.path))
	if err != nil {
		return nil, fmt.Errorf("checkpoint: lock %s: %w", l.path, err)
	}
	defer dir.Close()
	for attempt := 1; ; attempt++ {
		f, created, err := l.lockOnce(dir)
		if err != nil && !errors.Is(err, errReplaced) {
			return nil, err
		}
		if err == nil && l.inDir(dir, f) {
			l.stamp(dir, f, created)
			return f, nil
		}
		if f != nil {
			f.Close()
		}
		if attempt == 3 {
			return nil, fmt.Errorf("checkpoint: lock %s: the file keeps being replaced", l.path)
		}
	}
}

// errReplaced: the lock file went away between two steps of lockOnce.
var errReplaced = errors.New("replaced")

// openLockFile creates the lock file in dir, or opens the one there,
// without following a symlink; created tells which. It refuses anything but
// a regular file with one name.
func (l *Lock) openLockFile(dir *os.File) (f *os.File, created bool, err error) {
	name := filepath.Base(l.path)
	const flags = unix.O_RDWR | unix.O_NOFOLLOW | unix.O_CLOEXEC
	fd, err := unix.Openat(int(dir.Fd()), name, flags|unix.O_CREAT|unix.O_EXCL, 0o644)
	created = err == nil
	if errors.Is(err, unix.EEXIST) {
		fd, err = unix.Openat(int(dir.Fd()), name, flags, 0)
		if errors.Is(err, unix.ENOENT) {
			return nil, false, errReplaced
		}
	}
	if errors.Is(err, unix.ELOOP) {
		return nil, false, fmt.Errorf("checkpoint: lock %s: is a symlink; the agent does not follow one there: move it away", l.path)
	}
	if err != nil {
		err = &fs.PathError{Op: "open", Path: l.path, Err: err}
		return nil, false, fmt.Errorf("checkpoint: lock %s: %w%s", l.path, err, l.openHint(dir, err))
	}
	f = os.NewFile(uintptr(fd), l.path)
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, false, fmt.Errorf("checkpoint: lock %s: %w", l.path, err)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); !fi.Mode().IsRegular() || !ok || uint64(st.Nlink) != 1 {
		f.Close()
		return nil, false, fmt.Errorf("checkpoint: lock %s: is not a regular file with a single name (%v); move it away", l.path, fi.Mode())
	}
	return f, created, nil
}

func (l *Lock) lockOnce(dir *os.File) (*os.File, bool, error) {
	f, created, err := l.openLockFile(dir)
	if err != nil {
		return nil, false, err
	}
	fl := unix.Flock_t{Type: unix.F_WRLCK, Whence: io.SeekStart} // the whole file
	switch err = setLock(f.Fd(), &fl); {
	case err == nil:
		return f, created, nil
	case errors.Is(err, unix.EAGAIN), errors.Is(err, unix.EACCES):
		holder := "unknown"
		if pid, _ := pidIn(f); pid > 0 {
			holder = strconv.Itoa(pid)
		}
		f.Close()
		return nil, false, fmt.Errorf("checkpoint file %s %w (pid %s, holding %s): stop it, or give each agent its own checkpointFile",
			l.db, ErrInUse, holder, l.path)
	case errors.Is(err, unix.ENOLCK), errors.Is(err, unix.EOPNOTSUPP), errors.Is(err, unix.ENOSYS):
		f.Close()
		return nil, false, fmt.Errorf("checkpoint: lock %s: %w (%v)", l.path, ErrLockUnsupported, err)
	default:
		f.Close()
		return nil, false, fmt.Errorf("checkpoint: lock %s: %w", l.path, err)
	}
}

// openHint explains a lock file the agent may not open: most often one a
// run as root left behind.
func (l *Lock) openHint(dir *os.File, err error) string {
	if !errors.Is(err, fs.ErrPermission) {
		return ""
	}
	st, serr := l.statIn(dir)
	if serr != nil {
		return " (the agent needs write access to the checkpoint file's directory)"
	}
	if euid := os.Geteuid(); euid != 0 && int(st.Uid) != euid {
		return fmt.Sprintf(" (it belongs to uid %d and the agent runs as uid %d, as a run as root leaves it: sudo chown -h %d %s)",
			st.Uid, euid, euid, l.path)
	}
	return fmt.Sprintf(" (mode %v: the agent needs to write it)", fs.FileMode(st.Mode&0o777))
}

// statIn stats the lock file's name in dir, not following a symlink.
func (l *Lock) statIn(dir *os.File) (st unix.Stat_t, err error) {
	err = unix.Fstatat(int(dir.Fd()), filepath.Base(l.path), &st, unix.AT_SYMLINK_NOFOLLOW)
	return st, err
}

// inDir reports whether f is the file now named in dir.
func (l *Lock) inDir(dir, f *os.File) bool {
	held, err := f.Stat()
	if err != nil {
		return false
	}
	st, err := l.statIn(dir)
	if err != nil {
		return false
	}
	h, ok := held.Sys().(*syscall.Stat_t)
	return ok && uint64(h.Dev) == uint64(st.Dev) && uint64(h.Ino) == uint64(st.Ino)
}

// atPath reports whether f is the file now at the lock path (a symlink
// there is not).
func (l *Lock) atPath(f *os.File) bool {
	held, err := f.Stat()
	if err != nil {
		return false
	}
	now, err := os.Lstat(l.path)
	return err == nil && os.SameFile(held, now)
}

// stamp writes this process's pid in the lock file, which only names the
// holder in a refusal: the lock holds without it. A file it did not create
// is written only when it holds nothing or a pid, as this agent leaves it:
// the directory is reached by its path, and a run as root must not
// overwrite another file that path may lead to. Run as root, it gives the
// lock file to the owner of its directory (the service's user, who could
// have made that file anyway) when it created it or root owns it (a manual
// run as root left it), so that the service's user is never locked out by
// it. A directory root owns keeps root's files.
func (l *Lock) stamp(dir, f *os.File, created bool) {
	if _, clean := pidIn(f); !created && !clean {
		return
	}
	pid := []byte(strconv.Itoa(os.Getpid()) + "\n")
	if _, err := f.WriteAt(pid, 0); err != nil {
		return
	}
	if err := f.Truncate(int64(len(pid))); err != nil || os.Geteuid() != 0 {
		return
	}
	dfi, err := dir.Stat()
	if err != nil {
		return
	}
	fi, err := f.Stat()
	if err != nil {
		return
	}
	d, ok1 := dfi.Sys().(*syscall.Stat_t)
	st, ok2 := fi.Sys().(*syscall.Stat_t)
	if ok1 && ok2 && d.Uid != 0 && (created || st.Uid == 0) {
		f.Chown(int(d.Uid), int(d.Gid))
	}
}

// maxPidFile bounds what a lock file holds: a pid and a newline.
const maxPidFile = 24

// pidIn reads the pid a lock file names (0 when none); clean reports
// whether it holds nothing else (it may be empty), as this agent leaves it.
func pidIn(f *os.File) (pid int, clean bool) {
	b := make([]byte, maxPidFile+1)
	n, err := f.ReadAt(b, 0)
	if err != nil && !errors.Is(err, io.EOF) || n > maxPidFile {
		return 0, false
	}
	t := strings.TrimSuffix(string(b[:n]), "\n")
	for _, c := range t {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	pid, _ = strconv.Atoi(t)
	return pid, true
}

// Keep checks that the lock file at the lock path is still the one held: it
// goes when the checkpoint file's directory is deleted while the agent runs
// (the store recreates the checkpoint file then). When it is gone, Keep
// takes the lock again and reports retaken; an error wrapping ErrInUse
// means another agent took it meanwhile. A released Lock is kept as is.
func (l *Lock) Keep() (retaken bool, err error) {
	if l == nil {
		return false, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil || l.atPath(l.f) {
		return false, nil
	}
	f, err := l.take()
	if err != nil {
		return false, err
	}
	l.f.Close()
	l.f = f
	return true, nil
}

// Release gives the lock up. The lock file stays: removing it would let a
// process that opened it before the removal and one that creates it anew
// both hold a lock. Calling Release again, or on nil, does nothing.
func (l *Lock) Release() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}
