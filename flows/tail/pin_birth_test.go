package tail

import (
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// A short (under a KiB) closed file deleted and replaced by a new file
// that took its freed inode and starts with the same bytes, seen by a scan
// before it is renamed into the pattern, is not taken for the old file when
// it is remembered for its return: as when a closed file is reopened, a
// short head needs the same birth time. It was resumed at the old offset,
// its first line never sent (found by review).
func TestANewShortFileOnAFreedInodeIsNotRememberedAsTheClosedFileThatHadIt(t *testing.T) {
	needBirthTimes(t)
	dir := t.TempDir()
	p := filepath.Join(dir, "job.log")
	tmp := filepath.Join(dir, "job.log.tmp") // out of "*.log"
	mustWrite(t, p, "status=OK\n")
	ino := fileIDOf(t, p)
	cfg := testConfig(dir, "*.log")
	cfg.MaxRefresh = 50 * time.Millisecond
	var armed, fired, reused atomic.Bool
	c := startTailer(t, cfg, func(tl *Tailer) {
		tl.inactive = 50 * time.Millisecond
		tl.noNotify = true
		tl.afterList = func() {
			if !armed.Load() || fired.Swap(true) {
				return
			}
			// The job's next run, between this listing and its stats.
			if err := os.Remove(p); err != nil {
				t.Error(err)
				return
			}
			for range 50 {
				if err := os.WriteFile(tmp, []byte("status=OK\nrun 2 done\n"), 0o644); err != nil {
					t.Error(err)
					return
				}
				fi, err := os.Stat(tmp)
				if err != nil {
					t.Error(err)
					return
				}
				if st, _ := statOf(fi); st.key.fileID() == ino {
					reused.Store(true)
					return
				}
				os.Remove(tmp)
			}
		}
	})
	c.waitRecords(1)
	waitFor(t, "the descriptor closed", func() bool { return !c.tl.isOpen(p) })
	armed.Store(true)
	waitFor(t, "the swap", fired.Load)
	if !reused.Load() {
		t.Skip("the file system did not reuse the inode")
	}
	waitFor(t, "the old file let go", func() bool { return len(cfg.Stats.Files()) == 0 })
	c.settle()
	mustRename(t, tmp, p) // the job publishes its log
	waitFor(t, "run 2 done", func() bool { return len(c.records()) >= 2 })
	n := c.tl.scans.Load()
	waitFor(t, "three more scans", func() bool { return c.tl.scans.Load() >= n+3 })
	c.settle()
	eq(t, c.records(), "status=OK\n", "status=OK\n", "run 2 done\n")
}
