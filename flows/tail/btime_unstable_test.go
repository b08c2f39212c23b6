package tail

import (
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// reopen took any difference of birth time for another
// file. A birth time is not stable on every file system for the same
// file at the same device and inode: overlayfs (containers) reports the
// upper file's birth time once a lower file is copied up, keeping its
// inode number (same-fs layers, xino); the hook stands for it. A closed
// quiet file renamed out of the pattern and written meanwhile (relocate)
// is then taken for a stranger and its last lines are never read, where
// its whole leading KiB proved it the same file: a loss (for a file still
// in the pattern: read again from 0, duplicates).
func TestAClosedFileWhoseBirthTimeChangedButWhoseHeadIsTheSameIsStillRelocated(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	first := strings.Repeat("x", 1100) + "\n" // a full fingerprint
	mustWrite(t, p, first)
	var copiedUp atomic.Bool
	c := startTailer(t, testConfig(dir, "app.log"), func(tl *Tailer) {
		tl.inactive = 50 * time.Millisecond
		tl.noNotify = true
		tl.birthTime = func(*os.File) (int64, bool) {
			if copiedUp.Load() {
				return 2_000_000_000, true
			}
			return 1_000_000_000, true
		}
	})
	c.waitRecords(1)
	waitFor(t, "the descriptor closed", func() bool { return !c.tl.isOpen(p) })
	copiedUp.Store(true) // the same file, its birth time now the upper layer's
	mustRename(t, p, p+".1")
	mustAppend(t, p+".1", "last line\n")
	mustWrite(t, p, "n0\n")
	waitFor(t, "n0", func() bool { return len(c.recordsOf("app.log")) > 0 })
	time.Sleep(500 * time.Millisecond)
	c.settle()
	got := c.records()
	if len(got) != 3 || got[1] != "last line\n" && got[2] != "last line\n" {
		t.Fatalf("records (first elided) %q, want the renamed file's last line and n0", got[1:])
	}
}
