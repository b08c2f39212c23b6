package tail

import (
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A scan that opened a listed file and found another one there (replaced
// between the listing and the open: delete-and-create rotation) closed the
// descriptor and left the new file to the next scan. Deleted before that
// scan, and not opened on its creation (the watcher was late, or not yet
// watching: the restart stress test lost a line so, at a first scan, under
// two loops side by side), the new file's lines were lost, though the
// tailer had held it open. The descriptor goes to the next scan now, as
// one opened on creation does.
func TestAFileThatReplacedAListedOneBeforeItsOpenIsReadThoughDeletedAtOnce(t *testing.T) {
	for _, first := range []bool{true, false} {
		name := "later scan"
		if first {
			name = "first scan"
		}
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "app.log")
			if first {
				mustWrite(t, p, "old-1\n")
			}
			if !first {
				mustWrite(t, filepath.Join(dir, "other.log"), "x\n")
			}
			var replaced atomic.Bool
			cfg := testConfig(dir, "*.log")
			c := startTailer(t, cfg, func(tl *Tailer) {
				// (A later scan: without notifications, the scan is the
				// only one to open app.log.)
				tl.noNotify = !first
				tl.openFn = func(name string, flag int, perm os.FileMode) (*os.File, error) {
					if name != p {
						return os.OpenFile(name, flag, perm)
					}
					if replaced.Swap(true) {
						// The watcher's open on the creation below: too
						// late, the file is gone.
						return nil, &os.PathError{Op: "open", Path: name, Err: os.ErrNotExist}
					}
					// The listed file replaced before this open (a new
					// inode at its name), and deleted right after it.
					tmp := filepath.Join(dir, "tmp")
					if err := os.WriteFile(tmp, []byte("new-1\nnew-2\n"), 0o644); err != nil {
						t.Error(err)
					}
					if err := os.Rename(tmp, name); err != nil {
						t.Error(err)
					}
					f, err := os.OpenFile(name, flag, perm)
					if err := os.Remove(name); err != nil {
						t.Error(err)
					}
					return f, err
				}
			})
			if !first {
				eq(t, c.waitRecords(1), "x\n") // (the first scan is over)
				mustWrite(t, p, "old-1\n")
			}
			waitFor(t, "the open that found the listed file replaced", replaced.Load)
			want := []string{"new-1\n", "new-2\n"}
			if !first {
				want = append([]string{"x\n"}, want...)
			}
			eq(t, c.waitRecords(len(want)), want...)
		})
	}
}

// The same at the reopen of a file closed for inactivity: the name given
// to another file between the listing and the open (renamed over it), and
// that file deleted before the next scan, unseen by the watcher.
func TestAFileRenamedOverAClosedOneBeforeItsReopenIsReadThoughDeletedAtOnce(t *testing.T) {
	dir := t.TempDir()
	app, b := filepath.Join(dir, "app.log"), filepath.Join(dir, "b.tmp")
	mustWrite(t, app, "one\n")
	mustWrite(t, b, "new-1\nnew-2\n")
	cfg := testConfig(dir, "*.log")
	cfg.MaxRefresh = time.Minute
	var armed, replaced atomic.Bool
	var mu sync.Mutex
	c := startTailer(t, cfg, func(tl *Tailer) {
		tl.inactive = 50 * time.Millisecond
		tl.openFn = func(name string, flag int, perm os.FileMode) (*os.File, error) {
			if name != app {
				return os.OpenFile(name, flag, perm)
			}
			mu.Lock()
			defer mu.Unlock()
			if replaced.Load() {
				// The watcher's open on the rename: too late, the file is gone.
				return nil, &os.PathError{Op: "open", Path: name, Err: os.ErrNotExist}
			}
			if !armed.CompareAndSwap(true, false) {
				return os.OpenFile(name, flag, perm)
			}
			if err := os.Rename(b, app); err != nil { // between the listing and the open
				return nil, err
			}
			f, err := os.OpenFile(name, flag, perm)
			if err := os.Remove(name); err != nil {
				t.Error(err)
			}
			replaced.Store(true)
			return f, err
		}
	})
	waitFor(t, "the first line", func() bool { return len(c.records()) == 1 })
	waitFor(t, "app.log closed for inactivity", func() bool { return !c.tl.isOpen(app) })
	armed.Store(true)
	mustAppend(t, app, "two\n") // its write event has the closed app.log reopened
	waitFor(t, "the reopen that found another file", replaced.Load)
	eq(t, c.waitRecords(3), "one\n", "new-1\n", "new-2\n")
}
