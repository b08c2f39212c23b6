package tail

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

// The host booted with its clock an hour fast (an RTC kept in local time,
// a VM whose clock was wrong until chrony stepped it); the agent started
// then and saved a.log's row stamped an hour ahead (rows carry the save's
// wall clock). Chrony stepped the clock back; the agent was restarted, and
// while it was down the application wrote new.log. new.log has no row and
// its times are before the newest checkpoint: it was taken for an old file
// and started at its end, its lines never sent. (A clock behind at boot,
// before the agent starts, looks the same.) A checkpoint later than the
// clock now makes every file without a row new, unless last written before
// the rows' time to live.
func TestAFileWrittenWhileDownIsReadFromItsStartWhenTheClockWasSetBackSinceTheLastCheckpoint(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.log")
	mustWrite(t, a, "a1\n")
	setMtime(t, a, time.Now().Add(-time.Hour))
	expired := filepath.Join(dir, "old.log") // its row expired: stays at its end
	mustWrite(t, expired, "o1\n")
	setMtime(t, expired, time.Now().Add(-10*24*time.Hour))
	cfg := testConfig(dir, "*.log")
	cfg.RowTTL = 7 * 24 * time.Hour
	cfg.StartAtEnd = true
	cfg.Resume = []record.Position{{Flow: "test", Path: a, FileID: fileIDOf(t, a),
		Fingerprint: fingerprint(headOf(t, a)), Offset: 3, Updated: time.Now().Add(time.Hour)}}
	mustWrite(t, filepath.Join(dir, "new.log"), "n1\nn2\n") // written while the agent was down
	c := startTailer(t, cfg)
	c.settle()
	mustAppend(t, filepath.Join(dir, "new.log"), "n3\n")
	mustAppend(t, expired, "o2\n")
	waitFor(t, "n3 and o2", func() bool {
		n, o := c.recordsOf("new.log"), c.recordsOf("old.log")
		return len(n) > 0 && n[len(n)-1] == "n3\n" && len(o) > 0
	})
	c.settle()
	eq(t, c.recordsOf("new.log"), "n1\n", "n2\n", "n3\n")
	eq(t, c.recordsOf("old.log"), "o2\n")
}
