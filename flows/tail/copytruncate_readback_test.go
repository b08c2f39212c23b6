package tail

import (
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// A copytruncate (and the writer's next lines, longer than what was read)
// between the head check of the read that ends a spilled run and the
// run's read-back: the read-back took the new content's bytes for the
// run's. It is checked again now, and the copy resumes before the run,
// which is sent whole, from the copy. From a review.
func TestACopytruncateBeforeASpilledRunIsReadBackSendsTheRunFromTheCopy(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.log")
	var armed atomic.Bool
	y := lines("y", 0, 6000) // 54 KB: longer than what was read
	col := startTailer(t, testConfig(dir, "c.log*"), func(tl *Tailer) {
		tl.beforeBack = func(h *harvester) {
			if filepath.Base(h.path) == "c.log" && armed.CompareAndSwap(true, false) {
				mustWrite(t, p+".1", "first\n"+run(40<<10)+"end\n") // the copy
				mustWrite(t, p, y)                                  // truncated, and the writer's next lines
			}
		}
	})
	lineThenRun(t, col, p)
	col.settle() // the run read to its end: spilled
	armed.Store(true)
	mustAppend(t, p, "end\n")
	waitFor(t, "the copytruncate before the read-back", func() bool { return !armed.Load() })
	got := col.waitRecords(2 + 6000)
	seen := countRecords(got)
	if n := seen[run(40<<10)+"end\n"]; n != 1 {
		t.Errorf("the run and its end received %d times", n)
	}
	wantLines(t, seen, y, 1, "")
}

// A file renamed out of the pattern with a spilled run at its end, then
// truncated and refilled to exactly the length read before its let-go
// read-back: the read-back took the new content's bytes for the run's end
// (and the new content's first bytes were never sent). The read-back is
// checked against the file's head now, and the new content is read from
// its start. From a review.
func TestALetGoReadBackOfARefilledFileSendsTheNewContentFromItsStart(t *testing.T) {
	dir := t.TempDir()
	p, old := filepath.Join(dir, "a.log"), filepath.Join(dir, "a.old")
	z := strings.Repeat("z", 40<<10-1)
	var armed atomic.Bool
	c := startTailer(t, testConfig(dir, "*.log"), func(tl *Tailer) {
		tl.beforeBack = func(h *harvester) {
			if armed.CompareAndSwap(true, false) {
				mustWrite(t, old, "second\n"+z) // the same inode, as long as what was read
			}
		}
	})
	lineThenRun(t, c, p)
	c.settle() // the run read to its end: spilled
	armed.Store(true)
	mustRename(t, p, old)
	waitFor(t, "the refill before the read-back", func() bool { return !armed.Load() })
	eqLong(t, c.waitRecords(3), "first\n", "second\n", z)
}
