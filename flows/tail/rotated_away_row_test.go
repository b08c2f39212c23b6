package tail

import (
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

// The rotated-away file read from its row at start is
// out of the pattern (detached): its acknowledgements are never saved,
// and the new app.log's starting row, handed on at the end of the same
// first scan, replaces the only row that knew it (the store's key is
// (flow, path)). If the agent stops before app.log.1's remaining lines
// are acknowledged (destination down or throttled, a restart, a crash),
// the next start finds no row for app.log.1 and its lines are lost for
// good, while the first start had found them.
func TestARotatedAwayFileReadAtStartIsStillReadAfterARestartBeforeItsLinesWereAcknowledged(t *testing.T) {
	dir := t.TempDir()
	live := filepath.Join(dir, "app.log")
	sent := numbered(40)
	mustWrite(t, live, sent)
	row := record.Position{Flow: "test", Path: live, FileID: fileIDOf(t, live),
		Fingerprint: fingerprint(headOf(t, live)), Offset: int64(len(sent)), Updated: time.Now()}
	mustAppend(t, live, "u1\nu2\n") // not sent when the agent stopped
	mustRename(t, live, live+".1")  // logrotate while the agent was down
	mustWrite(t, live, "b0\n")

	// The checkpoint store: one row per (flow, path), as checkpoint.Store.
	var mu sync.Mutex
	store := map[string]record.Position{row.Path: row}
	onBegin := func(ps ...record.Position) {
		mu.Lock()
		defer mu.Unlock()
		for _, p := range ps {
			p.Updated = time.Now()
			store[p.Path] = p
		}
	}
	rows := func() []record.Position {
		mu.Lock()
		defer mu.Unlock()
		var out []record.Position
		for _, p := range store {
			out = append(out, p)
		}
		return out
	}

	// First start: app.log.1's lines are read, sent, never acknowledged
	// (the destination is down); the agent is restarted.
	cfg := testConfig(dir, "app.log")
	cfg.Resume = rows()
	cfg.OnBegin = onBegin
	c := startTailer(t, cfg)
	c.waitRecords(3)
	eq(t, c.recordsOf("app.log.1"), "u1\n", "u2\n")
	c.stop()

	// Second start, from what was saved.
	cfg2 := testConfig(dir, "app.log")
	cfg2.Resume = rows()
	cfg2.OnBegin = onBegin
	c2 := startTailer(t, cfg2)
	waitFor(t, "b0", func() bool { return len(c2.recordsOf("app.log")) > 0 })
	c2.settle()
	if got := c2.recordsOf("app.log.1"); len(got) != 2 {
		t.Fatalf("app.log.1's unacknowledged lines after the restart: got %q, want [u1 u2] (saved rows: %+v)", got, rows())
	}
}
