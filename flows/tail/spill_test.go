package tail

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/syncbuf"
)

// run returns n bytes with no '\n' ('\r'-only progress output).
func run(n int) string {
	return strings.Repeat("progress 42%\r", n/13+1)[:n]
}

// eqLong is eq for long records: it names the first that differs, by its
// length and first bytes.
func eqLong(t testing.TB, got []string, want ...string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("record %d: %d bytes %.30q..., want %d bytes %.30q...", i, len(got[i]), got[i], len(want[i]), want[i])
		}
	}
}

// randomRun is a run without '\n' of random length: up to long, up to
// spillAt, or short (half the time).
func randomRun(rnd *rand.Rand, long int) string {
	switch rnd.IntN(4) {
	case 0:
		return run(rnd.IntN(long))
	case 1:
		return run(rnd.IntN(spillAt))
	}
	return run(rnd.IntN(200))
}

// splitWhole returns the records of all split at once.
func splitWhole(sp *splitter, all string, mode splitMode) []string {
	var recs []string
	sp.split([]byte(all), mode, func(s, e int) { recs = append(recs, all[s:e]) })
	return recs
}

// appendInPieces appends all to p in pieces of 1 B to 48 KiB, letting the
// tailer read after about a third of them: reads end mid-line.
func appendInPieces(c *collector, rnd *rand.Rand, p, all string) {
	for i := 0; i < len(all); {
		n := min(len(all)-i, 1+rnd.IntN(48<<10))
		mustAppend(c.t, p, all[i:i+n])
		i += n
		if rnd.IntN(3) == 0 {
			c.settle()
		}
	}
}

// tailA starts a tailer on a new directory's *.log, for its a.log.
func tailA(t *testing.T, tune ...func(*Tailer)) (dir, p string, c *collector) {
	dir = t.TempDir()
	return dir, filepath.Join(dir, "a.log"), startTailer(t, testConfig(dir, "*.log"), tune...)
}

// lineThenRun appends a line and a 40 KiB run without '\n' to p and waits
// for the line: read at the end of the file, the run is then left unheld.
func lineThenRun(t *testing.T, c *collector, p string) {
	t.Helper()
	mustAppend(t, p, "first\n"+run(40<<10))
	waitFor(t, "first", func() bool { return len(c.records()) == 1 })
}

// Each file's unterminated last line was held in memory until its '\n'
// arrived, up to the read buffer (5 MiB) per file, and copied again at
// every small write: ten '\r'-only progress logs took 108 MB and 14 % of a
// core. A long run without '\n' at the end of a file is now read back from
// the file when it ends.
func TestLongUnterminatedLinesAreNotHeldInMemory(t *testing.T) {
	dir := t.TempDir()
	const files, size, pieces = 8, 1 << 20, 4
	c := startTailer(t, testConfig(dir, "*.log"))
	for i := range pieces {
		for f := range files {
			mustAppend(t, filepath.Join(dir, fmt.Sprintf("p%d.log", f)), run(size/pieces))
		}
		if i == 0 {
			waitFor(t, "the files are open", func() bool {
				for f := range files {
					if !c.tl.isOpen(filepath.Join(dir, fmt.Sprintf("p%d.log", f))) {
						return false
					}
				}
				return true
			})
		}
		c.settle() // read at the end of each file, mid-line
	}
	c.stop()
	held, spilled := 0, int64(0)
	for _, h := range c.tl.files {
		held += cap(h.pend)
		spilled += h.spill
	}
	if held > files*spillAt {
		t.Fatalf("%d KiB held for %d files whose last line is %d KiB without a newline; want at most %d KiB",
			held>>10, files, size>>10, files*spillAt>>10)
	}
	if spilled != files*size {
		t.Fatalf("%d bytes read and left for later, want %d", spilled, files*size)
	}
	if got := c.records(); len(got) != 0 {
		t.Fatalf("records sent from unterminated lines: %d", len(got))
	}
}

// A run left unheld is read back whole: when a '\n' ends it, when it
// reaches the read buffer's size (a runaway, cut and the rest discarded),
// when a multi-line record's next start line comes, when the file is let
// go out of the pattern (its last line sent unterminated), and not after
// the file was truncated.
func TestAnUnheldRunIsSentWholeWhenItEnds(t *testing.T) {
	t.Run("newline", func(t *testing.T) {
		_, p, c := tailA(t)
		lineThenRun(t, c, p)
		c.settle()
		mustAppend(t, p, run(30<<10))
		c.settle()
		mustAppend(t, p, "end\nnext\n")
		eqLong(t, c.waitRecords(3), "first\n", run(40<<10)+run(30<<10)+"end\n", "next\n")
		c.checkContiguous()
	})
	t.Run("runaway", func(t *testing.T) {
		dir := t.TempDir()
		p := filepath.Join(dir, "a.log")
		cfg := testConfig(dir, "*.log")
		cfg.ReadBufferBytes = 100 << 10
		c := startTailer(t, cfg)
		whole := run(130 << 10)
		for i := 0; i < len(whole); i += 20 << 10 {
			mustAppend(t, p, whole[i:min(len(whole), i+20<<10)])
			c.settle()
		}
		// Cut once the run reaches the buffer's size, not at its '\n'.
		waitFor(t, "the runaway's first bytes", func() bool { return len(c.records()) == 1 })
		mustAppend(t, p, "tail\nnext\n")
		eqLong(t, c.waitRecords(2), whole[:100<<10], "next\n")
		if n := cfg.Stats.BytesDiscarded.Load(); n != int64(len(whole))-100<<10+5 {
			t.Fatalf("BytesDiscarded = %d, want %d", n, int64(len(whole))-100<<10+5)
		}
		if e := c.endOf("a.log"); e != int64(len(whole))+10 {
			t.Fatalf("end %d, want %d", e, len(whole)+10)
		}
	})
	t.Run("multi-line", func(t *testing.T) {
		dir := t.TempDir()
		p := filepath.Join(dir, "a.log")
		cfg := testConfig(dir, "*.log")
		cfg.MultiLineStart = mustRegexp(t, `S`)
		// Idle at once: the idle flush has nothing to do with the run,
		// then sends the last record ending with '\n'.
		c := startTailer(t, cfg, func(tl *Tailer) { tl.mlIdle = 0 })
		mustAppend(t, p, "S"+run(40<<10))
		c.settle()
		mustAppend(t, p, run(20<<10)+"\n cont\nS2\n")
		eqLong(t, c.waitRecords(2), "S"+run(40<<10)+run(20<<10)+"\n cont\n", "S2\n")
	})
	t.Run("let go", func(t *testing.T) {
		dir, p, c := tailA(t)
		lineThenRun(t, c, p)
		c.settle()
		mustRename(t, p, filepath.Join(dir, "a.old"))
		eqLong(t, c.waitRecords(2), "first\n", run(40<<10))
	})
	t.Run("truncated", func(t *testing.T) {
		_, p, c := tailA(t)
		lineThenRun(t, c, p)
		c.settle()
		mustTruncate(t, p, 0)
		mustAppend(t, p, "fresh\n")
		eqLong(t, c.waitRecords(2), "first\n", "fresh\n")
	})
}

// However a file's bytes arrive (pieces that end mid-line, runs longer
// than spillAt, lines longer than the read buffer), the tailer sends the
// records that splitting the whole file at once gives.
func TestRecordsDoNotDependOnWhereReadsEndMidLine(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(seed, 1))
			var b strings.Builder
			for b.Len() < 1<<20 {
				b.WriteString(randomRun(rnd, 120<<10) + "\n")
			}
			b.WriteString(run(30 << 10)) // unterminated: not sent
			all := b.String()
			want := splitWhole(newSplitter(nil, nil, 0, 64<<10, 1), all, splitNormal)

			dir := t.TempDir()
			p := filepath.Join(dir, "a.log")
			cfg := testConfig(dir, "*.log")
			cfg.ReadBufferBytes, cfg.SkipHeaderLines = 64<<10, 1
			c := startTailer(t, cfg)
			appendInPieces(c, rnd, p, all)
			eqLong(t, c.waitRecords(len(want)), want...)
			c.checkContiguous()
		})
	}
}

// The same for multi-line records and a long header line, the file let go
// at the end (its unterminated last line sent). From a review.
func TestMultiLineRecordsDoNotDependOnWhereReadsEndMidLine(t *testing.T) {
	for seed := range uint64(6) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(seed, 7))
			var b strings.Builder
			b.WriteString("H1\n" + run(20<<10) + "\n") // two header lines, the second long
			for b.Len() < 600<<10 {
				if rnd.IntN(3) == 0 {
					b.WriteString("S")
				} else {
					b.WriteString(" ")
				}
				b.WriteString(randomRun(rnd, 80<<10) + "\n")
			}
			b.WriteString("S" + run(30<<10)) // unterminated: sent when let go
			all := b.String()

			re := mustRegexp(t, `S`)
			want := splitWhole(newSplitter(re, nil, 0, 64<<10, 2), all, splitFinal)

			dir := t.TempDir()
			p := filepath.Join(dir, "a.log")
			cfg := testConfig(dir, "*.log")
			cfg.ReadBufferBytes, cfg.SkipHeaderLines = 64<<10, 2
			cfg.MultiLineStart = re
			c := startTailer(t, cfg, func(tl *Tailer) { tl.mlIdle = time.Hour })
			appendInPieces(c, rnd, p, all)
			c.settle()
			mustRename(t, p, filepath.Join(dir, "a.old"))
			eqLong(t, c.waitRecords(len(want)), want...)
			c.checkContiguous()
		})
	}
}

// A file's size in the flow's stats ("bytes behind": the 'Tailer is X MB
// behind' log line, /metrics, /status) follows the file while its unheld
// last line grows: the reads that only grow the run skip consume, which
// sets it, and the rescan sets it only when the listing's size differs
// from the size pump already knows. From a review.
func TestStatsSizeFollowsAFileWhoseLastLineIsUnheld(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.log")
	cfg := testConfig(dir, "*.log")
	cfg.MaxRefresh = time.Hour // rescans only when asked (inotify): no race with the listing's size
	c := startTailer(t, cfg)
	lineThenRun(t, c, p)
	c.settle()
	mustAppend(t, p, run(1<<20))
	want := int64(len("first\n") + 40<<10 + 1<<20)
	c.settle() // read to its end: the run is spilled, 1 MiB longer
	deadline := time.Now().Add(3 * time.Second)
	var size, behind int64
	for time.Now().Before(deadline) {
		for _, s := range cfg.Stats.Files() {
			size = s.Size
		}
		behind, _ = cfg.Stats.BytesBehind()
		if size == want {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("stats: size %d, bytes behind %d; the file has %d bytes, %d of them not yet sent", size, behind, want, want-6)
}

// An unheld run is sent whole after its file was closed for inactivity
// (reopened, or renamed out of the pattern while closed), when a
// copytruncate copy of it is let go, and at the read buffer's edge.
func TestAnUnheldRunSurvivesCloseRenameCopytruncateAndTheBufferEdge(t *testing.T) {
	t.Run("closed for inactivity, reopened, ended", func(t *testing.T) {
		_, p, c := tailA(t, func(tl *Tailer) { tl.inactive = 100 * time.Millisecond })
		lineThenRun(t, c, p)
		waitFor(t, "closed", func() bool { return !c.tl.isOpen(p) })
		mustAppend(t, p, run(10<<10)+"end\n")
		eqLong(t, c.waitRecords(2), "first\n", run(40<<10)+run(10<<10)+"end\n")
		c.checkContiguous()
	})
	t.Run("closed, appended (reopened), renamed out: let go", func(t *testing.T) {
		// (Renamed out while closed and before it changed, its last line is
		// not sent: docs/compat/tail.md. Appended first, it is reopened.)
		dir, p, c := tailA(t, func(tl *Tailer) { tl.inactive = 100 * time.Millisecond })
		lineThenRun(t, c, p)
		waitFor(t, "closed", func() bool { return !c.tl.isOpen(p) })
		mustAppend(t, p, run(20<<10))
		waitFor(t, "reopened", func() bool { return c.tl.isOpen(p) })
		mustRename(t, p, filepath.Join(dir, "a.old"))
		eqLong(t, c.waitRecords(2), "first\n", run(40<<10)+run(20<<10))
	})
	t.Run("copytruncate", func(t *testing.T) {
		dir := t.TempDir()
		p := filepath.Join(dir, "app.log")
		c := startTailer(t, testConfig(dir, "app.log*"))
		lineThenRun(t, c, p)
		c.settle()
		mustWrite(t, p+".1", "first\n"+run(40<<10))
		mustTruncate(t, p, 0)
		mustAppend(t, p, "new\n")
		waitFor(t, "new", func() bool { return len(c.records()) == 2 })
		c.settle()
		mustRename(t, p+".1", filepath.Join(dir, "old"))
		got := c.waitRecords(3)
		eqLong(t, got, "first\n", "new\n", run(40<<10))
	})
	t.Run("runaway exactly max", func(t *testing.T) {
		dir := t.TempDir()
		p := filepath.Join(dir, "a.log")
		cfg := testConfig(dir, "*.log")
		cfg.ReadBufferBytes = 100 << 10
		c := startTailer(t, cfg)
		whole := run(100 << 10)
		mustAppend(t, p, whole[:40<<10])
		c.settle()
		mustAppend(t, p, whole[40<<10:])
		waitFor(t, "the runaway", func() bool { return len(c.records()) == 1 })
		mustAppend(t, p, "tail\nnext\n")
		eqLong(t, c.waitRecords(2), whole, "next\n")
		if e := c.endOf("a.log"); e != int64(len(whole))+10 {
			t.Fatalf("end %d", e)
		}
	})
	t.Run("runaway max-1 then newline", func(t *testing.T) {
		dir := t.TempDir()
		p := filepath.Join(dir, "a.log")
		cfg := testConfig(dir, "*.log")
		cfg.ReadBufferBytes = 100 << 10
		c := startTailer(t, cfg)
		whole := run(100<<10 - 1)
		mustAppend(t, p, whole[:40<<10])
		c.settle()
		mustAppend(t, p, whole[40<<10:])
		c.settle()
		mustAppend(t, p, "\nnext\n")
		eqLong(t, c.waitRecords(2), whole+"\n", "next\n")
	})
}

// A run that ends exactly where a read ends was left held: the next read
// returned 0 bytes, and pump returned before spilling it. From a review.
func TestARunEndingExactlyAtAReadBoundaryIsNotHeld(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.log")
	// Reads of 128 KiB, 128 KiB, 256 KiB, ... 2 MiB (want = max(chunkCap,
	// len(pend))) end exactly at 4 MiB; the next read returns 0 bytes.
	const size = 32 * chunkCap
	mustWrite(t, p, run(size))
	c := startTailer(t, testConfig(dir, "*.log"))
	waitFor(t, "open", func() bool { return c.tl.isOpen(p) })
	c.settle()
	c.stop()
	for _, h := range c.tl.files {
		if len(h.pend) > spillAt {
			t.Fatalf("%d bytes held (spill %d) for a %d-byte run without a newline; want at most %d", len(h.pend), h.spill, size, spillAt)
		}
	}
}

// A restart from a checkpoint at the start of a long unterminated run
// (where the last chunk's End left it) reads it and sends it whole.
func TestARestartBeforeAnUnheldRunReadsItWhole(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.log")
	mustWrite(t, p, "first\n"+run(40<<10))
	cfg := testConfig(dir, "*.log")
	cfg.Resume = []record.Position{{Flow: "test", Path: p, FileID: fileIDOf(t, p),
		Fingerprint: fingerprint(headOf(t, p)), Offset: 6, Updated: time.Now()}}
	c := startTailer(t, cfg)
	waitFor(t, "open", func() bool { return c.tl.isOpen(p) })
	c.settle()
	mustAppend(t, p, run(30<<10))
	c.settle()
	mustAppend(t, p, "\nnext\n")
	eqLong(t, c.waitRecords(2), run(40<<10)+run(30<<10)+"\n", "next\n")
	if g := c.snapshot()[0]; g.start != 6 {
		t.Fatalf("first chunk starts at %d", g.start)
	}
}

// A read error at let-go that does not go away (here a descriptor on which
// unaligned reads fail with EINVAL, standing in for EIO on a bad disk or a
// stale network file) kept the file for ever: never let go, its descriptor
// held, an ERROR line every iteration. It is now tried again for a linger
// period, then let go with a WARN. From a review.
func TestALastLineThatCannotBeReadBackDoesNotKeepItsFileForever(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.log")
	old := filepath.Join(dir, "a.old")
	cfg := testConfig(dir, "*.log")
	var logs syncbuf.Buffer
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	var direct atomic.Bool
	c := startTailer(t, cfg, func(tl *Tailer) {
		tl.inactive = 100 * time.Millisecond
		tl.openFn = func(name string, flag int, perm os.FileMode) (*os.File, error) {
			if direct.Load() {
				flag |= syscall.O_DIRECT // reads of the head at 0 work; at 6 they fail
			}
			return os.OpenFile(name, flag, perm)
		}
	})
	lineThenRun(t, c, p)
	waitFor(t, "closed for inactivity", func() bool { return !c.tl.isOpen(p) })
	direct.Store(true)
	// Changed (a new mtime) before it is renamed: the next scan reopens it,
	// by its old name or its new one.
	future := time.Now().Add(time.Minute)
	if err := os.Chtimes(p, future, future); err != nil {
		t.Fatal(err)
	}
	mustRename(t, p, old)
	open := func() bool { return c.tl.isOpen(p) || c.tl.isOpen(old) }
	waitFor(t, "reopened", open)
	waitFor(t, "let go", func() bool { return len(cfg.Stats.Files()) == 0 && !open() })
	if n := strings.Count(logs.String(), readBackRetry); n != 1 {
		t.Errorf("%d WARN lines %q, want 1:\n%s", n, readBackRetry, logs.String())
	}
	if !strings.Contains(logs.String(), "it is not sent") {
		t.Errorf("no WARN that the last line is not sent:\n%s", logs.String())
	}
}
