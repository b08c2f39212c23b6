package tail

import (
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

// A descriptor handed to the next scan (opened at a listed name, or on a
// creation or rename into the directory) can be a tracked file's, closed
// for inactivity: renamed onto the listed name and deleted before that
// scan. The scan dropped the closed file (gone from the listing), then
// started the handed descriptor as a new file: read again from 0. The
// closed file takes its descriptor back now and is read from its offset.
// From a review.
func TestAClosedFileRenamedOntoAListedNameAndDeletedIsNotReadAgainFromZero(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log")
	mustWrite(t, b, "b-1\nb-2\n")
	var armed, fired atomic.Bool
	c := startTailer(t, testConfig(dir, "*.log"), func(tl *Tailer) {
		tl.noNotify = true
		tl.inactive = 200 * time.Millisecond
		tl.openFn = func(name string, flag int, perm os.FileMode) (*os.File, error) {
			if name == a && armed.Load() && !fired.Swap(true) {
				// b.log renamed onto a.log after the listing, and
				// written; deleted after the open.
				if err := os.Rename(b, a); err != nil {
					t.Error(err)
				}
				mustAppend(t, a, "b-3\n")
				f, err := os.OpenFile(name, flag, perm)
				if err := os.Remove(a); err != nil {
					t.Error(err)
				}
				return f, err
			}
			return os.OpenFile(name, flag, perm)
		}
	})
	eq(t, c.waitRecords(2), "b-1\n", "b-2\n")
	waitFor(t, "b.log closed for inactivity", func() bool { return !c.tl.isOpen(b) })
	armed.Store(true)
	mustWrite(t, a, "a-1\n") // a new file: the next scan opens it
	waitFor(t, "the rename at the open", fired.Load)
	n := c.tl.scans.Load()
	waitFor(t, "three more scans", func() bool { return c.tl.scans.Load() >= n+3 })
	eq(t, c.waitRecords(3), "b-1\n", "b-2\n", "b-3\n")
}

// At the first scan, a checkpointed file found at another listed name
// when opened (logrotate amid the scan), and deleted before the next scan,
// lost its resume mark (lateStart, pruned as gone from the listing) before
// that scan started its handed descriptor: read from 0, not from its
// checkpoint. From a review.
func TestACheckpointedFileHandedToTheNextScanAndDeletedResumesAtItsCheckpoint(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	p1 := p + ".1"
	mustWrite(t, p, lines("a", 0, 200))  // 1800 bytes: a full fingerprint
	mustWrite(t, p1, lines("z", 0, 200)) // the previous rotation, all sent
	cfg := testConfig(dir, "app.log*")
	cp := int64(len(lines("a", 0, 190)))
	cfg.Resume = []record.Position{
		{Flow: "test", Path: p, FileID: fileIDOf(t, p), Fingerprint: fingerprint(headOf(t, p)), Offset: cp, Updated: time.Now()},
		{Flow: "test", Path: p1, FileID: fileIDOf(t, p1), Fingerprint: fingerprint(headOf(t, p1)), Offset: int64(len(lines("z", 0, 200))), Updated: time.Now()},
	}
	var rotated, gone atomic.Bool
	c := startTailer(t, cfg, func(tl *Tailer) {
		tl.noNotify = true
		tl.openFn = func(name string, flag int, perm os.FileMode) (*os.File, error) {
			switch {
			case name == p && !rotated.Swap(true):
				// logrotate between the first scan's stats and this open
				if err := os.Rename(p, p1); err != nil {
					t.Error(err)
				}
				if err := os.WriteFile(p, []byte("b-000000\n"), 0o644); err != nil {
					t.Error(err)
				}
			case name == p1 && rotated.Load() && !gone.Swap(true):
				f, err := os.OpenFile(name, flag, perm) // the old app.log
				// the next rotation deletes it before the next scan
				if err := os.Remove(p1); err != nil {
					t.Error(err)
				}
				return f, err
			}
			return os.OpenFile(name, flag, perm)
		}
	})
	waitFor(t, "the rotation amid the first scan", gone.Load)
	waitFor(t, "b-000000", func() bool { return strings.Contains(strings.Join(c.records(), ""), "b-000000") })
	n := c.tl.scans.Load()
	waitFor(t, "three more scans", func() bool { return c.tl.scans.Load() >= n+3 })
	c.settle()
	var got []string
	for _, r := range c.records() {
		if strings.HasPrefix(r, "a-") {
			got = append(got, r)
		}
	}
	want := strings.SplitAfter(lines("a", 190, 200), "\n")
	eq(t, got, want[:len(want)-1]...)
}
