package tail

import (
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// A matched quiet file rewritten in place (`cmd > status.log`) with new
// content exactly as long as what was read, shortly before it is closed
// for inactivity: pump never checks the head when the size equals the
// offset, housekeep closes it, and refresh then finds it "closed and
// unchanged" (size and mtime as the pump last saw them): the new content
// was lost. It is checked before the close now. From a review.
func TestQuietFileRefilledToTheSameLengthBeforeItsInactivityCloseIsRead(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "status.log")
	mustWrite(t, p, "status A 0001\n")
	var armed atomic.Bool
	c := startTailer(t, testConfig(dir, "status.log"), func(tl *Tailer) {
		tl.inactive = 300 * time.Millisecond
		tl.beforeSize = func(h *harvester) {
			// The pass that closes it: rewritten just before its fstat.
			if h.matched && time.Since(h.lastData) >= tl.inactive && armed.CompareAndSwap(true, false) {
				mustWrite(t, p, "status B 0002\n") // same inode, same length, other head
			}
		}
	})
	c.waitRecords(1)
	armed.Store(true)
	waitFor(t, "the rewrite", func() bool { return !armed.Load() })
	waitFor(t, "closed for inactivity", func() bool { return !c.tl.isOpen(p) })
	// Several full rescans (MaxRefresh 500 ms) for refresh to find it.
	deadline := time.Now().Add(3 * time.Second)
	for len(c.records()) < 2 && time.Now().Before(deadline) {
		c.settle()
	}
	eq(t, c.records(), "status A 0001\n", "status B 0002\n")
}

// The sibling of TestALetGoReadBackOfARefilledFileSendsTheNewContentFromItsStart
// without a run left to read back: a file renamed out of the pattern, read
// to a '\n', truncated and refilled to exactly the length read before it is
// let go. housekeep checked the head only when bytes were unaccounted for,
// and the new content was dropped with the file. From a review.
func TestALetGoOfAFileRefilledToTheLengthReadSendsTheNewContent(t *testing.T) {
	dir := t.TempDir()
	p, old := filepath.Join(dir, "a.log"), filepath.Join(dir, "a.old")
	mustWrite(t, p, "first 0001\n")
	var armed atomic.Bool
	c := startTailer(t, testConfig(dir, "*.log"), func(tl *Tailer) {
		tl.beforeSize = func(h *harvester) {
			// The pass that lets it go: refilled just before its fstat.
			if !h.matched && time.Since(h.lastData) >= tl.linger && armed.CompareAndSwap(true, false) {
				mustWrite(t, old, "second 002\n") // the same inode, as long as what was read
			}
		}
	})
	c.waitRecords(1)
	armed.Store(true)
	mustRename(t, p, old)
	waitFor(t, "the refill before the let-go", func() bool { return !armed.Load() })
	deadline := time.Now().Add(3 * time.Second)
	for len(c.records()) < 2 && time.Now().Before(deadline) {
		c.settle()
	}
	eq(t, c.records(), "first 0001\n", "second 002\n")
}
