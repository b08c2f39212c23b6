package tail

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A logger that writes line by line makes one inotify event per line. The
// tailer must not be woken once per write: a steady writer is read in
// coalesced wake-ups, and every line still arrives.
func TestLineByLineWriterWakesTheTailerAtMostOncePerWriteWakeGap(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	mustWrite(t, path, "")
	c := startTailer(t, testConfig(dir, "*.log"))
	waitFor(t, "the file is open", func() bool { return c.tl.isOpen(path) })

	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	const n = 4000
	start := time.Now()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for i := 0; i < n; {
		<-tick.C
		for j := 0; j < 10 && i < n; j, i = j+1, i+1 { // ~10 lines/ms, one write(2) each
			if _, err := f.WriteString(lines("l", i, i+1)); err != nil {
				t.Fatal(err)
			}
		}
	}
	elapsed := time.Since(start)
	got := c.waitRecords(n)
	if len(got) != n || got[0] != "l-000000\n" || got[n-1] != "l-003999\n" {
		t.Fatalf("got %d records, first %q last %q", len(got), got[0], got[len(got)-1])
	}
	// At most one wake per gap of the writing window (two with slack for a
	// slow machine), against about one per write without the throttle.
	limit := int64(2*elapsed/writeWakeGap) + 10
	if w := c.tl.writeWakes.Load(); w > limit {
		t.Fatalf("%d wake-ups for %d single-line writes in %v, want at most %d", w, n, elapsed, limit)
	} else {
		t.Logf("%d wake-ups for %d single-line writes in %v (limit %d)", w, n, elapsed, limit)
	}
}

// Two open files written alternately line by line make inotify events the
// kernel cannot merge. Coalescing the tailer's wake-ups must not hold back
// the events behind them: a file created among such writes and deleted
// 20 ms later is still opened in time and read.
func TestFileCreatedAmongInterleavedLineWritersIsOpenedBeforeItIsDeleted(t *testing.T) {
	dir := t.TempDir()
	pa, pb := filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log")
	mustWrite(t, pa, "")
	mustWrite(t, pb, "")
	cfg := testConfig(dir, "*.log")
	cfg.MaxRefresh = time.Minute // creates come from notifications only, as with the 10 s default
	c := startTailer(t, cfg)
	waitFor(t, "both files open", func() bool { return c.tl.isOpen(pa) && c.tl.isOpen(pb) })
	fa, err := os.OpenFile(pa, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer fa.Close()
	fb, err := os.OpenFile(pb, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer fb.Close()
	const n = 2000
	tick := time.NewTicker(time.Millisecond)
	for i := 0; i < n; {
		<-tick.C
		for j := 0; j < 2 && i < n; j, i = j+1, i+1 {
			if _, err := fa.WriteString(lines("a", i, i+1)); err != nil {
				t.Fatal(err)
			}
			if _, err := fb.WriteString(lines("b", i, i+1)); err != nil {
				t.Fatal(err)
			}
		}
	}
	tick.Stop()
	pz := filepath.Join(dir, "z.log")
	mustWrite(t, pz, "short-lived\n")
	time.Sleep(20 * time.Millisecond) // the file's lifetime, not a wait
	if err := os.Remove(pz); err != nil {
		t.Fatal(err)
	}
	c.waitRecords(2*n + 1)
	eq(t, c.recordsOf("z.log"), "short-lived\n")
	if len(c.recordsOf("a.log")) != n || len(c.recordsOf("b.log")) != n {
		t.Fatalf("a.log %d, b.log %d records, want %d each", len(c.recordsOf("a.log")), len(c.recordsOf("b.log")), n)
	}
}

// A flow directory replaced by another one (renamed over it, or moved
// aside and made again, as directory-level rotation does) is watched
// again: a file created in the new directory is read at once, not at the
// next full rescan (a minute here, ten seconds by default).
func TestReplacedDirectoryIsWatchedAgain(t *testing.T) {
	for _, tc := range []struct {
		name    string
		replace func(t *testing.T, dir string)
	}{
		{"renamed over", func(t *testing.T, dir string) {
			fresh := dir + ".new"
			if err := os.Mkdir(fresh, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := syscall.Rename(fresh, dir); err != nil {
				t.Fatal(err)
			}
		}},
		{"moved aside and made again", func(t *testing.T, dir string) {
			if err := os.Rename(dir, dir+".old"); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "logs")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			cfg := testConfig(dir, "*.log")
			cfg.MaxRefresh = time.Minute
			c := startTailer(t, cfg)
			waitFor(t, "the directory is watched", c.tl.watcher.active)
			tc.replace(t, dir)
			mustWrite(t, filepath.Join(dir, "a.log"), "in the new directory\n")
			c.waitRecords(1)
			eq(t, c.recordsOf("a.log"), "in the new directory\n")
		})
	}
}
