package tail

import (
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// A quiet file (descriptor closed for inactivity) rewritten in place with
// content that begins with the old first line (`cmd > out.log` run again):
// the new content is read from 0. The read content kept for a copytruncate
// copy must not be matched by the file itself (the new line was skipped as
// "a copy of what was read").
func TestClosedFileRewrittenInPlaceWithAPrefixOfItsOldContentIsReadAgain(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.log")
	mustWrite(t, p, "alert-1\nalert-2\n")
	c := startTailer(t, testConfig(dir, "out.log"), func(tl *Tailer) { tl.inactive = 300 * time.Millisecond })
	c.waitRecords(2)
	waitFor(t, "closed for inactivity", func() bool { return !c.tl.isOpen(p) })
	mustWrite(t, p, "alert-1\n") // truncate and write, same inode
	waitFor(t, "the new content read", func() bool { return len(c.records()) >= 3 })
	c.settle()
	eq(t, c.records(), "alert-1\n", "alert-2\n", "alert-1\n")
}

// The mark left on a closed file found holding other content (its next
// start looks for a hole from its first byte) is forgotten once the file is
// gone from the directory without having been started (deleted while it
// waited): the marks of such files were kept for the tailer's life, and a
// later file given the same inode was taken for that rewritten one.
func TestTheRewrittenMarkOfAFileGoneBeforeItWasStartedIsForgotten(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "a.log"), "a-1\n")
	gone := fileKey{dev: 1<<62 + 1, ino: 1<<62 + 1} // in no listing
	var scans, left atomic.Int64
	left.Store(-1)
	c := startTailer(t, testConfig(dir, "*.log"), func(tl *Tailer) {
		tl.afterList = func() { // (on the tailer's goroutine)
			if scans.Add(1) == 1 {
				if tl.rewritten == nil {
					tl.rewritten = map[fileKey]bool{}
				}
				tl.rewritten[gone] = true
				return
			}
			n := int64(0)
			if tl.rewritten[gone] {
				n = 1
			}
			left.Store(n)
		}
	})
	c.waitRecords(1)
	waitFor(t, "two more full scans", func() bool {
		c.tl.poke(true)
		return scans.Load() >= 3
	})
	if left.Load() != 0 {
		t.Fatalf("the mark of a file in no listing is still held after %d scans", scans.Load())
	}
}
