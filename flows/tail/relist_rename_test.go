package tail

import (
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

// TestACheckpointedFileRenamedAmidTheFirstScansSecondListingResumesAtItsCheckpoint:
// the first scan lists again when a checkpoint's file is missing (here a
// deleted file's row), reconciling the second listing afresh. A file the
// first listing found, renamed between the second listing and its stat
// (logrotate running as the agent starts), was in neither result: taken
// for a new file at the next scan, it was read from 0 and its lines
// before the checkpoint sent again (TestSpillRotationStress/restarts).
func TestACheckpointedFileRenamedAmidTheFirstScansSecondListingResumesAtItsCheckpoint(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	mustWrite(t, p, lines("a", 0, 200)) // more than the fingerprint's KiB: its row knows it
	gone := filepath.Join(dir, "gone.log")
	mustWrite(t, gone, "g\n")
	goneID := fileIDOf(t, gone)
	if err := os.Remove(gone); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(dir, "*.log*")
	cfg.Resume = []record.Position{
		{Flow: "test", Path: p, FileID: fileIDOf(t, p), Fingerprint: fingerprint(headOf(t, p)),
			Offset: int64(len(lines("a", 0, 195))), Updated: time.Now()},
		{Flow: "test", Path: gone, FileID: goneID, Fingerprint: "2:x", Offset: 2, Updated: time.Now()},
	}
	var fired atomic.Bool
	c := startTailer(t, cfg, func(tl *Tailer) {
		tl.afterRelist = func() {
			if !fired.Swap(true) { // the second listing has been read, not yet its stats
				mustRename(t, p, p+".1")
			}
		}
	})
	waitFor(t, "records", func() bool { return len(c.records()) >= 5 })
	n := c.tl.scans.Load()
	waitFor(t, "three more scans", func() bool { return c.tl.scans.Load() >= n+3 })
	c.settle()
	if !fired.Load() {
		t.Fatal("the first scan did not list again")
	}
	eq(t, c.records(), lines("a", 195, 196), lines("a", 196, 197), lines("a", 197, 198), lines("a", 198, 199), lines("a", 199, 200))
}
