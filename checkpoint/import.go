package checkpoint

import (
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ImportJava copies the Java agent's checkpoint database src to dst when dst
// does not exist yet and src does. It is meant for first start with the
// default location: ImportJava(DefaultPath, JavaDefaultPath) before
// Open(DefaultPath). It returns imported=false and no error when dst already
// exists or src does not.
//
// The copy is a consistent snapshot taken by SQLite (VACUUM INTO), so a Java
// agent still running, or a hot rollback journal left by a crashed one, is
// handled as SQLite handles it. The snapshot is written to a temporary file
// beside dst, fsynced, and renamed into place, so a crash never leaves a
// half-written dst behind. src is opened read-only when possible.
func ImportJava(dst, src string) (imported bool, err error) {
	if dst == "" || src == "" {
		return false, errors.New("checkpoint: import: empty path")
	}
	if _, err := os.Stat(dst); err == nil {
		return false, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("checkpoint: import %s: %w", dst, err)
	}
	fi, err := os.Stat(src)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if errors.Is(err, fs.ErrPermission) {
		return false, fmt.Errorf("checkpoint: import from %s: %w: %w", src, ErrJavaCheckpointsUnreadable, err)
	}
	if err != nil {
		return false, fmt.Errorf("checkpoint: import from %s: %w", src, err)
	}
	if fi.IsDir() {
		return false, fmt.Errorf("checkpoint: import from %s: is a directory", src)
	}
	// A file this process may not read (left by a Java agent that ran as
	// root under umask 077) never becomes readable by waiting: say so
	// (SQLite would only say "unable to open database file").
	if f, err := os.Open(src); err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return false, fmt.Errorf("checkpoint: import from %s (mode %v, this process's uid %d): %w: %w", src, fi.Mode().Perm(), os.Geteuid(), ErrJavaCheckpointsUnreadable, err)
		}
	} else {
		f.Close()
	}
	absSrc, err := filepath.Abs(src)
	if err != nil {
		return false, fmt.Errorf("checkpoint: import from %s: %w", src, err)
	}
	absDst, err := filepath.Abs(dst)
	if err != nil {
		return false, fmt.Errorf("checkpoint: import %s: %w", dst, err)
	}
	dir := filepath.Dir(absDst)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, fmt.Errorf("checkpoint: import %s: create directory: %w", absDst, err)
	}
	tmp := absDst + ".import-tmp"
	if err := os.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return false, fmt.Errorf("checkpoint: import %s: %w", absDst, err)
	}

	// Read-only first (leaves Java's file untouched); read-write if SQLite
	// must roll back a hot journal before it can read.
	err = vacuumInto(absSrc, "?mode=ro", tmp)
	if err != nil {
		os.Remove(tmp)
		if err2 := vacuumInto(absSrc, "?mode=rw", tmp); err2 != nil {
			os.Remove(tmp)
			return false, fmt.Errorf("checkpoint: import %s from %s: %w", absDst, absSrc, err2)
		}
	}
	if err := syncFile(tmp); err != nil {
		os.Remove(tmp)
		return false, fmt.Errorf("checkpoint: import %s: %w", absDst, err)
	}
	if err := os.Rename(tmp, absDst); err != nil {
		os.Remove(tmp)
		return false, fmt.Errorf("checkpoint: import %s: %w", absDst, err)
	}
	if err := syncFile(dir); err != nil {
		return true, fmt.Errorf("checkpoint: import %s: sync directory: %w", absDst, err)
	}
	return true, nil
}

// ErrNotJavaCheckpoints is returned (wrapped) by ImportJava when the file is
// not a Java agent checkpoint database (another schema, not SQLite, or
// corrupt): importing it will never succeed. Other errors (a lock held
// longer than the busy timeout, an I/O error) may pass, except
// ErrJavaCheckpointsUnreadable.
var ErrNotJavaCheckpoints = errors.New("not a Java agent checkpoint database")

// ErrJavaCheckpointsUnreadable is returned (wrapped, with the fs error) by
// ImportJava when this process may not read the Java file: it does not
// pass by waiting.
var ErrJavaCheckpointsUnreadable = errors.New("this process may not read the Java agent's checkpoint file")

// notJava reports whether err says the file cannot be a readable Java
// checkpoint database, as opposed to one that cannot be read now.
func notJava(err error) bool {
	msg := strings.ToLower(err.Error())
	for _, s := range []string{"no such table", "no such column", "file is not a database", "malformed"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// vacuumInto writes a consistent copy of the database at src to dst, after
// checking that src has Java's table.
func vacuumInto(src, query, dst string) error {
	db, err := sql.Open("sqlite", fileURI(src)+query+"&_pragma=busy_timeout(5000)")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	rows, err := db.Query(`select flow, path, fileId, lastModifiedTime, size, offset, lastUpdated from FILE_CHECKPOINTS limit 0`)
	if err != nil {
		if notJava(err) {
			return fmt.Errorf("%w: %w", ErrNotJavaCheckpoints, err)
		}
		return fmt.Errorf("read %s: %w", src, err) // locked, unreadable: may pass
	}
	rows.Close()
	if _, err := db.Exec(`vacuum into ?`, dst); err != nil {
		return fmt.Errorf("vacuum into %s: %w", dst, err)
	}
	return nil
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
