package tail

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

// A matched file that cannot be opened gets a starting row at 0: after
// the restart that follows granting access (a new group needs a new
// process) it is read from its start, not taken for an old file the agent
// had chosen to skip and started at its end (compat: "read from 0 once
// readable").
func TestFileUnreadableUntilARestartIsReadFromItsStartAfterIt(t *testing.T) {
	dir := t.TempDir()
	open, denied := filepath.Join(dir, "open.log"), filepath.Join(dir, "secure.log")
	mustWrite(t, denied, "s1\ns2\n")
	mustWrite(t, open, "o1\n")
	rows := make(chan record.Position, 10)
	cfg := testConfig(dir, "*.log")
	cfg.OnBegin = func(ps ...record.Position) {
		for _, p := range ps {
			rows <- p
		}
	}
	c := startTailer(t, cfg, func(tl *Tailer) {
		tl.openFn = openDenying(func(name string) bool { return name == denied })
	})
	c.waitRecords(1)
	c.stop()
	close(rows)
	var resume []record.Position // what the store holds
	for p := range rows {
		if end := c.endOf(filepath.Base(p.Path)); end >= 0 {
			p.Offset = end
		}
		p.Updated = time.Now()
		resume = append(resume, p)
	}
	cfg2 := testConfig(dir, "*.log") // restarted, may read secure.log now
	cfg2.Resume = resume
	c2 := startTailer(t, cfg2)
	mustAppend(t, open, "o2\n")
	waitFor(t, "o2", func() bool { return len(c2.recordsOf("open.log")) == 1 })
	waitFor(t, "secure.log read", func() bool { return len(c2.recordsOf("secure.log")) >= 2 })
	c2.settle()
	if got := c2.recordsOf("secure.log"); len(got) != 2 {
		t.Fatalf("secure.log: got %q, want s1, s2", got)
	}
}
