package ticketlog

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// NameLayout is the Go layout of the file names (%Y%m%d-%H%M%S.log).
const NameLayout = "20060102-150405"

// maxSuffix bounds the "-N" suffixes tried for a name taken in the same second.
const maxSuffix = 10000

// File is an output file being written under a temporary name that the
// agent's "*log" pattern does not match (".<name>.log.<random>.tmp").
// Write to W, then Commit (or Abort).
type File struct {
	W *bufio.Writer

	dir  string
	base string // "20261121-010203"
	tmp  string
	f    *os.File
	done bool
}

// Create makes dir if needed and opens a temporary file in it, named after t.
//
// The file is mode 0644 and a directory it creates 0755 whatever the
// umask (a hardened 027 would keep the agent's service user out): the
// files exist to be read by the agent.
func Create(dir string, t time.Time) (*File, error) {
	if err := mkdirAll0755(dir); err != nil {
		return nil, fmt.Errorf("create output directory %s: %w", dir, err)
	}
	base := t.Format(NameLayout)
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, fmt.Errorf("random temp name: %w", err)
	}
	tmp := filepath.Join(dir, "."+base+".log."+hex.EncodeToString(rnd[:])+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("create file in %s: %w", dir, err)
	}
	if err := f.Chmod(0o644); err != nil { // (not reduced by the umask)
		f.Close()
		os.Remove(tmp)
		return nil, fmt.Errorf("create file in %s: %w", dir, err)
	}
	return &File{W: bufio.NewWriterSize(f, 256<<10), dir: dir, base: base, tmp: tmp, f: f}, nil
}

// TempPath is the temporary file's path.
func (f *File) TempPath() string { return f.tmp }

// Abort removes the temporary file. It is a no-op after Commit.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	_ = f.f.Close()
	_ = os.Remove(f.tmp)
}

// Commit flushes, fsyncs and closes the file, gives it its final name
// (<dir>/<base>.log, or <base>-N.log when taken) without ever replacing an
// existing file, and fsyncs the directory. On error the temporary file is
// removed. It returns the final path.
func (f *File) Commit() (string, error) {
	if f.done {
		return "", errors.New("ticketlog: file already committed or aborted")
	}
	fail := func(err error) (string, error) {
		f.Abort()
		return "", err
	}
	if err := f.W.Flush(); err != nil {
		return fail(fmt.Errorf("write %s: %w", f.tmp, err))
	}
	if err := f.f.Sync(); err != nil {
		return fail(fmt.Errorf("fsync %s: %w", f.tmp, err))
	}
	if err := f.f.Close(); err != nil {
		_ = os.Remove(f.tmp)
		f.done = true
		return "", fmt.Errorf("close %s: %w", f.tmp, err)
	}
	f.done = true
	final, err := f.publish()
	if err != nil {
		_ = os.Remove(f.tmp)
		return "", err
	}
	if err := syncDir(f.dir); err != nil {
		return final, fmt.Errorf("fsync directory %s: %w", f.dir, err)
	}
	return final, nil
}

// publish gives the temporary file a free final name. A hard link fails
// if the name exists, so two writers never overwrite each other; where
// hard links are not supported it falls back to check-then-rename.
func (f *File) publish() (string, error) {
	for i := 0; i < maxSuffix; i++ {
		name := f.base + ".log"
		if i > 0 {
			name = f.base + "-" + strconv.Itoa(i) + ".log"
		}
		final := filepath.Join(f.dir, name)
		err := os.Link(f.tmp, final)
		if err == nil {
			if err := os.Remove(f.tmp); err != nil {
				return final, fmt.Errorf("remove %s: %w", f.tmp, err)
			}
			return final, nil
		}
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if !linkUnsupported(err) {
			return "", fmt.Errorf("publish %s: %w", final, err)
		}
		if _, err := os.Lstat(final); err == nil {
			continue
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("publish %s: %w", final, err)
		}
		if err := os.Rename(f.tmp, final); err != nil {
			return "", fmt.Errorf("publish %s: %w", final, err)
		}
		return final, nil
	}
	return "", fmt.Errorf("publish %s.log: %d names taken", filepath.Join(f.dir, f.base), maxSuffix)
}

func linkUnsupported(err error) bool {
	var le *os.LinkError
	if !errors.As(err, &le) {
		return false
	}
	return errors.Is(le.Err, syscall.EPERM) || errors.Is(le.Err, syscall.ENOTSUP) ||
		errors.Is(le.Err, syscall.EOPNOTSUPP) || errors.Is(le.Err, syscall.EXDEV) ||
		errors.Is(le.Err, syscall.EMLINK)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return err
	}
	return nil
}

// mkdirAll0755 is os.MkdirAll with every directory it creates given mode
// 0755 whatever the umask (the parents too: one the agent's service user
// cannot enter hides the files as well as their own directory would).
func mkdirAll0755(dir string) error {
	if fi, err := os.Stat(dir); err == nil {
		if !fi.IsDir() {
			return &os.PathError{Op: "mkdir", Path: dir, Err: syscall.ENOTDIR}
		}
		return nil
	} else if !os.IsNotExist(err) {
		return err
	}
	if parent := filepath.Dir(dir); parent != dir {
		if err := mkdirAll0755(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		if os.IsExist(err) {
			return nil // made meanwhile by another run
		}
		return err
	}
	return os.Chmod(dir, 0o755)
}
