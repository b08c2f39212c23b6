package tail

import (
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

// A copytruncate copy made while a line was being written ends mid-line:
// its bytes past the original's read position end no record, so no chunk
// moved its row from the 0 reported when it was begun, and a restart read
// the whole copy again (a day's duplicates until the next rotation). Its
// first read now anchors it, as a copy with nothing new to read was. From
// a stress test of long lines under rotation.
func TestACopyEndingMidLineIsNotReadAgainAfterARestart(t *testing.T) {
	for _, tc := range []struct{ name, partial string }{
		{"short last line (held)", "partial"},
		{"long last line (unheld)", run(40 << 10)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "app.log")
			var mu sync.Mutex
			store := map[string]record.Position{} // one row per path, as the checkpoint store
			cfg := testConfig(dir, "app.log*")
			cfg.OnBegin = func(ps ...record.Position) {
				mu.Lock()
				defer mu.Unlock()
				for _, r := range ps {
					r.Updated = time.Now()
					store[r.Path] = r
				}
			}
			mustWrite(t, p, "")
			c := startTailer(t, cfg)
			waitFor(t, "open", func() bool { return c.tl.isOpen(p) })
			mustAppend(t, p, "a\n"+tc.partial)
			waitFor(t, "a", func() bool { return len(c.records()) == 1 })
			c.settle()
			mustWrite(t, p+".1", "a\n"+tc.partial) // copytruncate, mid-line
			mustTruncate(t, p, 0)
			waitFor(t, "the copy begun", func() bool { return c.tl.isOpen(p + ".1") })
			c.settle()
			c.stop()
			// Every chunk acknowledged: its End saved under its file's name.
			mu.Lock()
			for _, g := range c.snapshot() {
				r := store[g.src.PathNow()]
				r.Flow, r.Path, r.FileID, r.Fingerprint, r.Offset, r.Updated =
					"test", g.src.PathNow(), g.src.FileID, g.src.Fingerprint(), g.end, time.Now()
				store[r.Path] = r
			}
			var rows []record.Position
			for _, r := range store {
				rows = append(rows, r)
			}
			mu.Unlock()
			cfg2 := testConfig(dir, "app.log*")
			cfg2.Resume = rows
			c2 := startTailer(t, cfg2)
			waitFor(t, "both open", func() bool { return c2.tl.isOpen(p) && c2.tl.isOpen(p+".1") })
			c2.settle()
			c2.settle()
			if got := c2.records(); len(got) != 0 {
				t.Fatalf("after the restart: %.40q sent again", got)
			}
		})
	}
}
