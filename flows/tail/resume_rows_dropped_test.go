package tail

import (
	"fmt"
	"os"
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
	held := make(chan [2]int, 1) // the hook runs on the tailer's goroutine
	c := startTailer(t, cfg, func(tl *Tailer) {
		open := tl.openFn
		tl.openFn = func(name string, flag int, perm os.FileMode) (*os.File, error) {
			if name == late {
				select {
				case held <- [2]int{len(tl.resume), len(tl.cfg.Resume)}:
				default:
				}
			}
			return open(name, flag, perm)
		}
	})
	c.waitRecords(1)
	mustWrite(t, late, "l1\n")
	c.waitRecords(2)
	if got := <-held; got != [2]int{0, 0} {
		t.Fatalf("after the first scan the tailer holds rows of %d files (and %d rows in its config), want none", got[0], got[1])
	}
}
