package tail

import (
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// A file closed for inactivity (no descriptor) renamed within the pattern
// between a full scan's listing and its stats is in neither: it was
// dropped without a ghost, and the next scan read it again from 0 under its
// new name (logrotate shifting app.log.1 to app.log.2). It now leaves a
// ghost, known by its birth time or a whole leading KiB.
func TestAClosedFileRenamedWithinThePatternBetweenAListingAndItsStatsIsNotReadAgain(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	mustWrite(t, p, lines("a", 0, 200)) // 1800 bytes: a whole leading KiB, wherever birth times are unknown
	cfg := testConfig(dir, "app.log*")
	cfg.MaxRefresh = 50 * time.Millisecond
	var armed, fired atomic.Bool
	c := startTailer(t, cfg, func(tl *Tailer) {
		tl.inactive = 200 * time.Millisecond
		tl.afterList = func() {
			if armed.Load() && !fired.Swap(true) {
				if err := os.Rename(p, p+".1"); err != nil {
					t.Error(err)
				}
			}
		}
	})
	c.waitRecords(200)
	waitFor(t, "closed for inactivity", func() bool { return !c.tl.isOpen(p) })
	armed.Store(true)
	waitFor(t, "the rename between listing and stats", fired.Load)
	n := c.tl.scans.Load()
	waitFor(t, "three more scans (the next finds app.log.1)", func() bool { return c.tl.scans.Load() >= n+3 })
	c.settle()
	if got := c.records(); len(got) != 200 {
		t.Fatalf("%d records, want 200 (%d read again from app.log.1)", len(got), len(c.recordsOf("app.log.1")))
	}
}
