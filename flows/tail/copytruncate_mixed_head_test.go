package tail

import (
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

// A copytruncate of a small file (its known head shorter than a KiB, read
// to its end) and the writer's next lines, longer than what was read,
// before pump's read: the read takes the new content's bytes past the
// known head, and headFromRead appends them to it. headOK then finds the
// truncation; the ghost must keep the head verified before the read (a
// mixed one, old bytes then new, matched no copy: the copy, which holds
// more of the old content than was read, was read again from 0). From a
// review of the fix of the read/check race.
func TestACopytruncateBeforeAReadPastASmallHeadKeepsTheCopysGhost(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.log")
	x0, x1, x2 := lines("x", 0, 50), lines("x", 50, 70), lines("x", 70, 80) // 450 + 180 + 90 bytes
	y := lines("y", 0, 100)                                                 // 900 bytes: longer than what was read
	var armed atomic.Bool
	col := startTailer(t, testConfig(dir, "c.log*"), func(tl *Tailer) {
		tl.afterSize = func(h *harvester) {
			if filepath.Base(h.path) == "c.log" && h.offset == int64(len(x0)) && h.size > h.offset && armed.CompareAndSwap(true, false) {
				mustAppend(t, p, x2)           // the writer's lines not read yet
				mustWrite(t, p+".1", x0+x1+x2) // the copy
				mustWrite(t, p, y)             // truncated, and the writer's next lines
			}
		}
	})
	mustWrite(t, p, x0)
	col.waitRecords(50)
	armed.Store(true)
	mustAppend(t, p, x1)
	waitFor(t, "the copytruncate before the read", func() bool { return !armed.Load() })
	got := col.waitRecords(80 + 100)
	wantLines(t, countRecords(got), x0+x1+x2+y, 1, "")
}

// The same at a start from a checkpoint: the known head is the file's
// first 630 bytes, read at the start, the checkpoint at 450. A
// copytruncate (and the writer's next lines) before the first read: the
// read, at 450, takes new bytes past 630 into the ghost's head; the copy
// is not recognised and is read from 0, sending again the 450 bytes the
// checkpoint says were delivered before the restart.
func TestACopytruncateBeforeTheFirstReadAfterAResumeKeepsTheCopysGhost(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.log")
	x0, x1, x2 := lines("x", 0, 50), lines("x", 50, 70), lines("x", 70, 80)
	y := lines("y", 0, 100)
	mustWrite(t, p, x0+x1)
	cfg := testConfig(dir, "c.log*")
	cfg.Resume = []record.Position{{
		Flow: "test", Path: p, FileID: fileIDOf(t, p),
		Fingerprint: fingerprint(headOf(t, p)), Offset: int64(len(x0)), Updated: time.Now(),
	}}
	var armed atomic.Bool
	armed.Store(true)
	col := startTailer(t, cfg, func(tl *Tailer) {
		tl.afterSize = func(h *harvester) {
			if filepath.Base(h.path) == "c.log" && h.offset == int64(len(x0)) && armed.CompareAndSwap(true, false) {
				mustAppend(t, p, x2)
				mustWrite(t, p+".1", x0+x1+x2) // the copy
				mustWrite(t, p, y)             // truncated, and the writer's next lines
			}
		}
	})
	waitFor(t, "the copytruncate before the first read", func() bool { return !armed.Load() })
	got := col.waitRecords(30 + 100)
	seen := countRecords(got)
	wantLines(t, seen, x1+x2+y, 1, "")
	wantLines(t, seen, x0, 0, " (before the checkpoint)")
}
