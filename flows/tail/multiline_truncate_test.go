package tail

import (
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// heldOld is app.log's content in heldMultiLine: two multi-line records.
const heldOld = "2024-a\n at x\n2024-b\n at y\n"

// heldMultiLine starts a multi-line tailer on glob in a new directory,
// writes heldOld to app.log there and waits until the second record is
// read and held (the idle wait is an hour). It returns app.log's path.
func heldMultiLine(t *testing.T, glob string) (string, *collector) {
	dir := t.TempDir()
	cfg := testConfig(dir, glob)
	cfg.MultiLineStart = mustRegexp(t, `\d{4}-`)
	c := startTailer(t, cfg, func(tl *Tailer) { tl.mlIdle = time.Hour })
	p := filepath.Join(dir, "app.log")
	mustWrite(t, p, heldOld)
	waitFor(t, "2024-a", func() bool { return len(c.records()) == 1 })
	c.settle() // 2024-b read and held
	return p, c
}

// A multi-line record held for its next start line (or the idle wait) was
// dropped when its file was truncated in place without a copy (`: >
// app.log`); Java sends it at its read. It is sent from what was read now,
// and with a copytruncate copy it is not sent twice (the copy resumes after
// it).
func TestAHeldMultiLineRecordSurvivesATruncationInPlace(t *testing.T) {
	const old = heldOld
	t.Run("truncated in place", func(t *testing.T) {
		p, c := heldMultiLine(t, "app.log")
		mustTruncate(t, p, 0)
		mustAppend(t, p, "2025-c\n2025-d\n") // (shorter than what was read)
		eq(t, c.waitRecords(3), "2024-a\n at x\n", "2024-b\n at y\n", "2025-c\n")
	})
	t.Run("copytruncate", func(t *testing.T) {
		p, c := heldMultiLine(t, "app.log*")
		mustWrite(t, p+".1", old)
		mustTruncate(t, p, 0)
		mustAppend(t, p, "2025-c\n2025-d\n")
		waitFor(t, "the copy at its end", func() bool { return c.endOf("app.log.1") == int64(len(old)) })
		eq(t, c.waitRecords(3), "2024-a\n at x\n", "2024-b\n at y\n", "2025-c\n")
		c.settle()
		eq(t, c.records(), "2024-a\n at x\n", "2024-b\n at y\n", "2025-c\n")
	})
}

// The held record of a copytruncated file went out after the copy's first
// chunk (a copy whose name or mtime sorts first is pumped first): the
// acknowledgement stage, which holds a copy's row behind its original's
// chunks in flight when the copy's first chunk comes, let the copy's row
// pass the record, which a crash before its delivery lost. The original's
// held record now goes out before any chunk of its copy. From a review.
func TestTheOrphanOfATruncationGoesOutBeforeItsCopysFirstChunk(t *testing.T) {
	const old = heldOld
	p, c := heldMultiLine(t, "app*")
	dir := filepath.Dir(p)
	// copytruncate with the copy's times preserved (cp -p); the copy's name
	// sorts before the live one's.
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	q := filepath.Join(dir, "app-1.log")
	mustWrite(t, q, old)
	if err := os.Chtimes(q, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	mustTruncate(t, p, 0)
	waitFor(t, "the copy anchored at its end and the held record", func() bool {
		return c.endOf("app-1.log") == int64(len(old)) && len(c.records()) == 2
	})
	c.settle()
	eq(t, c.records(), "2024-a\n at x\n", "2024-b\n at y\n")
	chunks := c.snapshot()
	orphan, copyFirst := -1, -1
	for i, g := range chunks {
		if len(g.records) == 1 && g.records[0] == "2024-b\n at y\n" {
			orphan = i
		}
	}
	for i, g := range chunks {
		if copyFirst < 0 && g.src != nil && g.src.Predecessor != nil && g.src.Predecessor == chunks[orphan].src {
			copyFirst = i
		}
	}
	for i, g := range chunks {
		t.Logf("chunk %d: path=%s [%d,%d) records=%q pred=%v", i, filepath.Base(g.path), g.start, g.end, g.records, g.src.Predecessor != nil)
	}
	if copyFirst < 0 {
		t.Fatal("no chunk of the copy names the original as its predecessor")
	}
	if copyFirst < orphan {
		t.Fatalf("the copy's first chunk (#%d, [%d,%d)) went out before the original's held record (#%d): "+
			"the acknowledgement stage does not hold the copy's row behind the record, which a crash then loses",
			copyFirst, chunks[copyFirst].start, chunks[copyFirst].end, orphan)
	}
}

// The held record is followed by the first bytes of the next start line
// (the writer was mid-line when the file was truncated in place): the
// record itself is complete (its lines end with '\n' and a start line
// follows), yet splitIdle takes a record only when the data ends with its
// last line, and truncated drops it with the partial line.

// A file holding the record a truncation in place left (orphans), whose
// descriptor was shed (out of descriptors) before its next pump, was never
// pumped again (the scans saw it unchanged: size 0 = offset 0, same mtime):
// the record waited for the file's next write, and was lost if it was
// deleted first. A file with orphans is not shed now. From a review.
func TestTheHeldRecordOfATruncatedFileIsSentThoughDescriptorsRunOut(t *testing.T) {
	const old = heldOld
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	trig := filepath.Join(dir, "trigger.log")
	var opens atomic.Int32
	var armed, fired atomic.Bool
	cfg := testConfig(dir, "*.log")
	cfg.MultiLineStart = mustRegexp(t, `\d{4}-`)
	var tl *Tailer
	c := startTailer(t, cfg, func(x *Tailer) {
		tl = x
		tl.mlIdle = time.Hour
		tl.openFn = func(name string, flag int, perm os.FileMode) (*os.File, error) {
			if name == trig && opens.Add(1) <= 2 {
				return nil, &os.PathError{Op: "open", Path: name, Err: syscall.EMFILE}
			}
			return os.OpenFile(name, flag, perm)
		}
		// The pump that finds app.log truncated (it queues the orphan and
		// returns, size == offset == 0): a new file appears meanwhile, and
		// the next iteration's scan, out of descriptors, sheds app.log
		// before its next pump.
		tl.beforeSize = func(h *harvester) {
			if h.path != p || !armed.Load() {
				return
			}
			if fi, err := os.Stat(p); err != nil || fi.Size() != 0 || !fired.CompareAndSwap(false, true) {
				return
			}
			if err := os.WriteFile(trig, []byte("2025-t\n"), 0o644); err != nil {
				t.Error(err)
			}
			tl.scanReq.Store(true)
		}
	})
	mustWrite(t, p, old)
	waitFor(t, "2024-a", func() bool { return len(c.records()) == 1 })
	c.settle() // 2024-b read and held
	armed.Store(true)
	mustTruncate(t, p, 0) // `: > app.log`
	waitFor(t, "app.log's truncation found by a pump", fired.Load)
	waitFor(t, "the held record 2024-b", func() bool { return countRecords(c.records())["2024-b\n at y\n"] == 1 })
}

// A multi-line file holding its last record for the next start line was
// shed when descriptors ran out; truncated in place while closed, it was
// found shorter by a scan and begun again, and the record was dropped. It
// is not shed now, and the truncation sends the record. From a review.
func TestAFileHoldingAMultiLineRecordIsNotShed(t *testing.T) {
	dir := t.TempDir()
	trig := filepath.Join(dir, "trigger.log")
	var opens atomic.Int32
	cfg := testConfig(dir, "*.log")
	cfg.MultiLineStart = mustRegexp(t, `\d{4}-`)
	c := startTailer(t, cfg, func(tl *Tailer) {
		tl.mlIdle = time.Hour
		tl.openFn = func(name string, flag int, perm os.FileMode) (*os.File, error) {
			if name == trig && opens.Add(1) <= 2 {
				return nil, &os.PathError{Op: "open", Path: name, Err: syscall.EMFILE}
			}
			return os.OpenFile(name, flag, perm)
		}
	})
	p := filepath.Join(dir, "app.log")
	mustWrite(t, p, heldOld)
	waitFor(t, "2024-a", func() bool { return len(c.records()) == 1 })
	c.settle() // 2024-b read and held
	mustWrite(t, trig, "2025-t\n")
	waitFor(t, "the opens out of descriptors", func() bool { return opens.Load() >= 2 })
	c.settle()
	mustTruncate(t, p, 0) // `: > app.log`
	mustAppend(t, p, "2026-c\n2026-d\n")
	waitFor(t, "2026-c", func() bool { return countRecords(c.records())["2026-c\n"] == 1 })
	if n := countRecords(c.records())["2024-b\n at y\n"]; n != 1 {
		t.Fatalf("the held record 2024-b received %d times, want 1: %q", n, c.records())
	}
}
