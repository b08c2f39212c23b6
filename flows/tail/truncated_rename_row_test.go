package tail

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

// TestALateAcknowledgementOfContentBeforeATruncationDoesNotTakeTheNameOfARotatedFile:
// a file truncated in place while a chunk of its old content waits for its
// acknowledgement, then rotated (a.log -> a.log.1, a new a.log). The late
// acknowledgement saved the old content's row under the name it had then:
// it replaced the new a.log's row and, one row per file id, deleted
// a.log.1's (found by a review).
func TestALateAcknowledgementOfContentBeforeATruncationDoesNotTakeTheNameOfARotatedFile(t *testing.T) {
	dir := t.TempDir()
	live := filepath.Join(dir, "a.log")
	mustWrite(t, live, "old1\n")
	fidA := fileIDOf(t, live)

	saver := &spillSaver{saved: map[string]record.Position{}}
	r := startHeld(t, dir, saver)
	trk, stats, out := r.trk, r.stats, r.out

	// The old content's chunk reaches the stage and stays unacknowledged;
	// nothing more is received (the destination is slow).
	var c1 *record.Chunk
	select {
	case c1 = <-out:
	case <-time.After(10 * time.Second):
		t.Fatal("no first chunk")
	}
	trk.Add(c1)
	rowOf := func(path string) (record.Position, bool) {
		for _, r := range saver.rows() {
			if r.Path == path {
				return r, true
			}
		}
		return record.Position{}, false
	}
	waitFor(t, "a.log's row", func() bool { r, ok := rowOf(live); return ok && r.FileID == fidA })

	// Truncated in place and rewritten; its new first line waits in send.
	mustWrite(t, live, "n\n")
	waitFor(t, "the new content's chunk in send", func() bool { return stats.RecordsParsed.Load() >= 2 })

	// Rotated: a.log -> a.log.1, a new a.log.
	rotated := live + ".1"
	mustRename(t, live, rotated)
	mustWrite(t, live, "b\n")
	fidB := fileIDOf(t, live)
	waitFor(t, "a.log.1's row (A) and the new a.log's row (B)", func() bool {
		r1, ok1 := rowOf(rotated)
		r0, ok0 := rowOf(live)
		return ok1 && r1.FileID == fidA && ok0 && r0.FileID == fidB
	})

	// The old content's chunk is acknowledged late.
	c1.Ack(c1.Len())
	if err := trk.Flush(); err != nil { // (Flush is safe beside Run's)
		t.Fatal(err)
	}
	r0, ok0 := rowOf(live)
	r1, ok1 := rowOf(rotated)
	if !ok0 || r0.FileID != fidB || !ok1 || r1.FileID != fidA {
		t.Fatalf("after the old content's late ack: a.log row %+v (want file %s), a.log.1 row %+v (want file %s); rows %+v",
			r0, fidB, r1, fidA, saver.rows())
	}
}

// A file resumed at its checkpoint, then truncated and rewritten, then
// rotated while its new content's first chunk waits for the destination:
// its starting row moves to the new name at 0, where the new content
// begins, not at the checkpoint the old content was resumed from.
func TestARenamedFileTruncatedSinceItsResumeMovesItsRowAtZero(t *testing.T) {
	dir := t.TempDir()
	live := filepath.Join(dir, "a.log")
	mustWrite(t, live, lines("a", 0, 200)) // more than the fingerprint's KiB
	fidA := fileIDOf(t, live)
	resumeAt := int64(len(lines("a", 0, 100)))
	saver := &spillSaver{saved: map[string]record.Position{}}
	r := startHeld(t, dir, saver, record.Position{Flow: "test", Path: live, FileID: fidA,
		Fingerprint: fingerprint(headOf(t, live)), Offset: resumeAt, Updated: time.Now()})
	select { // the old content's rest, delivered
	case c := <-r.out:
		r.trk.Add(c)
		c.Ack(c.Len())
	case <-time.After(10 * time.Second):
		t.Fatal("no first chunk")
	}
	mustWrite(t, live, "n\n") // truncated in place, rewritten; its chunk waits in send
	waitFor(t, "the new content's chunk in send", func() bool { return r.stats.RecordsParsed.Load() >= 101 })
	rotated := live + ".1"
	mustRename(t, live, rotated)
	mustWrite(t, live, "b\n")
	waitFor(t, "a.log.1's row", func() bool {
		for _, p := range saver.rows() {
			if p.FileID == fidA && p.Path == rotated {
				if p.Offset != 0 {
					t.Fatalf("a.log.1's row at %d, want 0 (its new content's start; %d was the old content's checkpoint)", p.Offset, resumeAt)
				}
				return true
			}
		}
		return false
	})
}
