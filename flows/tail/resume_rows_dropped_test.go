package tail

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

// Checkpoint rows are matched to files at the first scan only; a flow
// with many file names within checkpointTimeToLiveDays (a log per job)
// held them all for the agent's life (200,000 rows: 98 MiB). After the
// first scan the tailer keeps none but those of files it could not open.
func TestTheTailerDropsItsCheckpointRowsAfterTheFirstScan(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.log")
	mustWrite(t, a, "a1\n")
	cfg := testConfig(dir, "*.log")
	for i := range 1000 {
		cfg.Resume = append(cfg.Resume, record.Position{Flow: "test", Path: filepath.Join(dir, fmt.Sprintf("gone-%d.log", i)),
			FileID: fmt.Sprintf("(dev=1,ino=%d)", 1_000_000+i), Fingerprint: "3:00", Offset: 3, Updated: time.Now().Add(-time.Hour)})
	}
	late := filepath.Join(dir, "late.log")
	c := startTailer(t, cfg)
	c.waitRecords(1)
	mustWrite(t, late, "l1\n") // a file after the first scan: the tailer is past it
	c.waitRecords(2)
	c.stop() // (read on this goroutine only once Run has returned)
	if n, m := len(c.tl.resume), len(c.tl.cfg.Resume); n != 0 || m != 0 {
		t.Fatalf("after the first scan the tailer holds rows of %d files (and %d rows in its config), want none", n, m)
	}
}
