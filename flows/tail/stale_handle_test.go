package tail

import (
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// startStale follows dir/*.log, with app.log's descriptor closed at every
// pass while stale is set (an fstat of it then fails for good, as one of a
// stale NFS handle does).
func startStale(t *testing.T) (c *collector, cfg Config, p string, stale *atomic.Bool) {
	dir := t.TempDir()
	p = filepath.Join(dir, "app.log")
	cfg = testConfig(dir, "*.log")
	stale = new(atomic.Bool)
	c = startTailer(t, cfg, func(tl *Tailer) {
		tl.beforeSize = func(h *harvester) {
			if stale.Load() && h.path == p && h.f != nil {
				h.f.Close() // (again at later passes: harmless)
			}
		}
	})
	return c, cfg, p, stale
}

// startStaleOnce is startStale with the descriptor closed once, at the
// first pass after stale is set (stale is cleared then).
func startStaleOnce(t *testing.T) (c *collector, cfg Config, p string, stale *atomic.Bool) {
	dir := t.TempDir()
	p = filepath.Join(dir, "app.log")
	cfg = testConfig(dir, "*.log")
	stale = new(atomic.Bool)
	c = startTailer(t, cfg, func(tl *Tailer) {
		tl.beforeSize = func(h *harvester) {
			if h.path == p && h.f != nil && stale.CompareAndSwap(true, false) {
				h.f.Close()
			}
		}
	})
	return c, cfg, p, stale
}

// A file deleted on an NFS server (or by another client) fails every fstat
// and read of its descriptor with ESTALE; here the descriptor is closed
// under the tailer to stand for it (an fstat of it then fails for good),
// and the file removed. It is let go as a deleted file is, its
// unterminated last line shipped, and the errors stop; before, pump
// returned before housekeep could judge it, and it stayed tracked with an
// ERROR a minute and ConsecutiveProcessingErrors climbing for ever.
func TestAFileWhoseDescriptorIsStaleAndWhoseNameIsGoneIsLetGo(t *testing.T) {
	c, cfg, p, stale := startStale(t)
	mustWrite(t, p, "a1\na2") // a2: an unterminated last line, held in memory
	c.waitRecords(1)
	stale.Store(true)
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the file let go", func() bool { return len(cfg.Stats.Files()) == 0 })
	waitFor(t, "errors back to 0", func() bool { return cfg.Stats.ConsecutiveErrors.Load() == 0 })
	eq(t, c.waitRecords(2), "a1\n", "a2")
}

// The descriptor dies (a stale NFS handle) while the file is still at its
// name: it is opened again by its name at the next scan and goes on where
// it was read (no error counted for ever, nothing sent twice).
func TestAFileWhoseDescriptorIsStaleButStillAtItsNameIsOpenedAgainAndGoesOn(t *testing.T) {
	c, cfg, p, stale := startStaleOnce(t)
	mustWrite(t, p, "a1\na2\n")
	c.waitRecords(2)
	stale.Store(true)
	c.tl.poke(false)
	waitFor(t, "the stale descriptor met", func() bool { return !stale.Load() })
	mustAppend(t, p, "a3\n")
	c.waitRecords(3)
	c.settle()
	eq(t, c.records(), "a1\n", "a2\n", "a3\n")
	if n := cfg.Stats.ConsecutiveErrors.Load(); n != 0 {
		t.Fatalf("%d consecutive errors", n)
	}
}

// The descriptor dies and a new file takes the name and the inode number
// (ext4 and xfs give a freed number straight back): the new file is read
// from 0 (its first bytes differ), not left unread behind errors.
func TestAStaleDescriptorWhoseInodeNumberANewFileTookReadsTheNewFile(t *testing.T) {
	c, cfg, p, stale := startStale(t)
	mustWrite(t, p, "a1\na2\n")
	c.waitRecords(2)
	stale.Store(true)
	c.tl.poke(false)
	waitFor(t, "the file let go", func() bool { return len(cfg.Stats.Files()) == 0 })
	stale.Store(false)
	mustWrite(t, p, "new-1\nnew-2\nnew-3\n") // (the same inode, new content)
	c.waitRecords(5)
	c.settle()
	eq(t, c.records(), "a1\n", "a2\n", "new-1\n", "new-2\n", "new-3\n")
}

// The descriptor dies just as the file is renamed within the pattern and a
// new file takes its name: the renamed file, met again under its new
// name, resumes where it was read (not sent again from 0).
func TestAStaleDescriptorOfAFileRenamedWithinThePatternIsNotSentAgain(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	cfg := testConfig(dir, "app.log*")
	var trigger atomic.Bool
	c := startTailer(t, cfg, func(tl *Tailer) {
		tl.beforeSize = func(h *harvester) {
			if h.path == p && h.f != nil && trigger.CompareAndSwap(true, false) {
				if err := os.Rename(p, p+".1"); err != nil {
					t.Error(err)
				}
				if err := os.WriteFile(p, []byte("b1\n"), 0o644); err != nil {
					t.Error(err)
				}
				h.f.Close()
			}
		}
	})
	mustWrite(t, p, "a1\na2\n")
	c.waitRecords(2)
	trigger.Store(true)
	c.tl.poke(false)
	c.waitRecords(3)
	waitFor(t, "both files followed", func() bool { return len(cfg.Stats.Files()) == 2 })
	c.settle()
	eq(t, c.records(), "a1\n", "a2\n", "b1\n")
}

// The descriptor dies while the writer is amid a line: the file, still at
// its name, is read again from that line's start, which goes out whole
// once ended (not cut in two records).
func TestAStaleDescriptorAmidALineDoesNotCutTheLine(t *testing.T) {
	c, _, p, stale := startStaleOnce(t)
	mustWrite(t, p, "a1\na2")
	c.waitRecords(1)
	c.settle()
	stale.Store(true)
	c.tl.poke(false)
	waitFor(t, "the stale descriptor met", func() bool { return !stale.Load() })
	c.settle()
	mustAppend(t, p, "-rest\na3\n")
	c.waitRecords(3)
	c.settle()
	eq(t, c.records(), "a1\n", "a2-rest\n", "a3\n")
}
