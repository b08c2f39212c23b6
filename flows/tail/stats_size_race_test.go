package tail

import (
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// A write that lands between a pass's fstat and its read (a write(2) of a
// MiB seen half done by the fstat) is read in that pass, and the flow's
// stats ("bytes behind", /status) get the size the read proved, not the
// half size: the next pass, finding nothing to read, tells them nothing,
// and with inotify the rescan that would mend them may be an hour away.
// CI's race run once saw the size stuck at 524,288 of 1,089,542 bytes.
func TestStatsSizeCountsBytesWrittenBetweenTheFstatAndTheRead(t *testing.T) {
	for _, tc := range []struct {
		name            string
		trigger, during string
		records         int
	}{
		{"lines", "second\n", "third\n", 3},
		{"an unheld run", run(10), run(1 << 20), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "a.log")
			cfg := testConfig(dir, "*.log")
			cfg.MaxRefresh = time.Hour // no rescan to mend the stats
			var armed atomic.Bool
			c := startTailer(t, cfg, func(tl *Tailer) {
				tl.afterSize = func(h *harvester) {
					if armed.CompareAndSwap(true, false) {
						mustAppend(t, h.path, tc.during)
					}
				}
			})
			first := "first\n"
			if tc.records == 1 {
				first += run(40 << 10) // read to its end: unheld
			}
			mustAppend(t, p, first)
			waitFor(t, "first", func() bool { return len(c.records()) == 1 })
			c.settle()
			armed.Store(true)
			mustAppend(t, p, tc.trigger)
			waitFor(t, "the write in between", func() bool { return !armed.Load() })
			c.waitRecords(tc.records)
			want := int64(len(first) + len(tc.trigger) + len(tc.during))
			var size int64
			waitFor(t, fmt.Sprintf("stats size %d", want), func() bool {
				for _, s := range cfg.Stats.Files() {
					size = s.Size
				}
				return size == want
			})
			if fi, err := os.Stat(p); err != nil || fi.Size() != want {
				t.Fatalf("file: %v, %v", fi, err)
			}
		})
	}
}
