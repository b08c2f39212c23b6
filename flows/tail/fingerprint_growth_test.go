package tail

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

// A Source's fingerprint grows with the head the tailer checks (up to 1
// KiB), so that the checkpoint identifies the content read, not only its
// first read (here a CSV header line): a file rewritten in place while the
// agent is stopped, with the same header and past the old offset, is read
// from its start, not resumed at the stale offset (100 lines lost).
func TestCheckpointFingerprintCoversMoreThanTheFirstRead(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.csv")
	mustWrite(t, p, "ts,level,msg\n")
	c := startTailer(t, testConfig(dir, "*.csv"))
	c.waitRecords(1)
	mustAppend(t, p, lines("old", 0, 100))
	c.waitRecords(101)
	src, end := c.snapshot()[0].src, c.endOf("app.csv")
	c.stop()
	mustTruncate(t, p, 0) // rewritten in place while the agent is down
	mustAppend(t, p, "ts,level,msg\n"+lines("new", 0, 150))
	cfg := testConfig(dir, "*.csv")
	cfg.Resume = []record.Position{{Flow: "test", Path: p, FileID: fileIDOf(t, p),
		Fingerprint: src.Fingerprint(), Offset: end, Updated: time.Now().Add(-time.Second)}} // saved before the stop
	c2 := startTailer(t, cfg)
	waitFor(t, "records", func() bool { return len(c2.records()) >= 151 })
	c2.settle()
	if n := len(c2.records()); n != 151 {
		t.Fatalf("fingerprint %s: got %d records, want 151; first %q", src.Fingerprint(), n, c2.records()[0])
	}
}
