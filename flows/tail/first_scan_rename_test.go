package tail

import (
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

// A file with a checkpoint renamed within the pattern between the first
// scan's listing and its stats (logrotate running as the agent starts:
// app.log -> app.log.1) was in neither, its row dropped at the end of the
// first scan, and the next scan read it from 0. A checkpoint row whose file
// the first listing missed now makes the scan list again.
func TestACheckpointedFileRenamedDuringTheFirstScanResumesAtItsCheckpoint(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	mustWrite(t, p, lines("a", 0, 10))
	cfg := testConfig(dir, "app.log*")
	cfg.Resume = []record.Position{{
		Flow: "test", Path: p, FileID: fileIDOf(t, p),
		Fingerprint: fingerprint(headOf(t, p)), Offset: int64(len(lines("a", 0, 5))),
		Updated: time.Now(),
	}}
	var fired atomic.Bool
	c := startTailer(t, cfg, func(tl *Tailer) {
		tl.afterList = func() {
			if !fired.Swap(true) { // the first scan's listing has been read
				mustRename(t, p, p+".1")
			}
		}
	})
	waitFor(t, "records", func() bool { return len(c.records()) >= 5 })
	n := c.tl.scans.Load()
	waitFor(t, "three more scans", func() bool { return c.tl.scans.Load() >= n+3 })
	c.settle()
	eq(t, c.records(), "a-000005\n", "a-000006\n", "a-000007\n", "a-000008\n", "a-000009\n")
}
