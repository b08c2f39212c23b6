package tail

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

// A short file's row saved under a clock behind the one its file was
// created under (an RTC that was wrong at boot) looks older than the file:
// the birth-time rule for short fingerprints then reads the file from 0,
// duplicates, never from its end (its lines after the checkpoint were
// lost with the first version of that rule).
func TestAShortFileWhoseRowWasSavedUnderAClockBehindLosesNoLine(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.log")
	b := filepath.Join(dir, "b.log")
	mustWrite(t, a, "a1\na2\na3\na4\n") // created with the clock right
	if !hasBirthTime(t, a) {
		t.Skip("the file system keeps no birth time")
	}
	mustWrite(t, b, "b1\n")
	// The clock then ran an hour behind: a.log's row was saved at "an hour
	// ago" with 2 of its 4 lines acknowledged, the agent stopped before the
	// others were; b.log's row (the newest) a little later.
	time.Sleep(2500 * time.Millisecond) // a.log quiet since before the newest row (- newGrace)
	now := time.Now()
	cfg := testConfig(dir, "*.log")
	cfg.Resume = []record.Position{
		{Flow: "test", Path: a, FileID: fileIDOf(t, a), Fingerprint: fingerprint(headOf(t, a)),
			Offset: 6, Updated: now.Add(-time.Hour)},
		{Flow: "test", Path: b, FileID: fileIDOf(t, b), Fingerprint: fingerprint(headOf(t, b)),
			Offset: 3, Updated: now},
	}
	c := startTailer(t, cfg)
	mustAppend(t, b, "b2\n")
	waitFor(t, "b2", func() bool { return len(c.recordsOf("b.log")) == 1 })
	c.settle()
	if got := c.recordsOf("a.log"); len(got) < 2 || got[len(got)-2] != "a3\n" || got[len(got)-1] != "a4\n" {
		t.Fatalf("a.log: %q, want a3 and a4 (with a1 and a2 again at most)", got)
	}
}
