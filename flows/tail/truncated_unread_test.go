package tail

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/ack"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/syncbuf"
)

// A copytruncate whose copy goes where the pattern does not reach (olddir,
// awslabs/amazon-kinesis-agent#118), while the agent is behind the file,
// takes the bytes not read yet with it: they are gone from the file, and
// no copy is seen. Nothing can send them, but the log says so, at WARN,
// with how many bytes, once no copy has appeared in time; a copy in the
// directory continues where the original was read, and nothing is warned.
// From a review of the Java agent's issues.
func TestATruncatedFileWhoseUnreadBytesNoCopyHoldsIsWarnedWithTheirCount(t *testing.T) {
	for _, tc := range []struct {
		name, copyTo string
		warned       bool
		between      bool // truncated between two turns of reads (else between a read and its check)
	}{
		{"copy in olddir", "rotated/abc.log-1700000000", true, false},
		{"copy in olddir, between two turns", "rotated/abc.log-1700000000", true, true},
		{"copy in the directory", "abc.log-1700000000", false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.Mkdir(filepath.Join(dir, "rotated"), 0o755); err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(dir, "abc.log")
			a, b := lines("a", 0, 40000), lines("b", 0, 20) // 360,000 bytes: three reads
			if tc.between {
				a = lines("a", 0, 300000) // 2.7 MB: more than one turn of reads
			}
			mustWrite(t, p, a)
			var logs syncbuf.Buffer
			cfg := testConfig(dir, "abc.log*")
			cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			var armed atomic.Bool
			armed.Store(true)
			ttl := 300 * time.Millisecond
			col := startTailer(t, cfg, func(tl *Tailer) {
				tl.ghostTTL = ttl
				rotate := func(h *harvester, at int64) {
					// Behind the writer: copied, then truncated, and the
					// writer's next lines.
					if h.offset == at && filepath.Base(h.path) == "abc.log" && armed.CompareAndSwap(true, false) {
						mustWrite(t, filepath.Join(dir, tc.copyTo), a)
						mustWrite(t, p, b)
					}
				}
				if tc.between {
					tl.beforeSize = func(h *harvester) { rotate(h, maxReadsPerTurn*chunkCap) }
				} else {
					tl.afterRead = func(h *harvester) { rotate(h, chunkCap) } // the second read
				}
			})
			waitFor(t, "the copytruncate", func() bool { return !armed.Load() })
			warn := regexp.MustCompile(`level=WARN msg="A file was truncated or replaced before it was read to its end.*unsent=(\d+)`)
			start, scans := time.Now(), col.tl.scans.Load()
			if tc.warned {
				waitFor(t, "the WARN", func() bool { return warn.MatchString(logs.String()) })
			} else {
				// Past the wait for a copy, and two scans more.
				waitFor(t, "the wait for a copy", func() bool { return time.Since(start) > 2*ttl && col.tl.scans.Load() > scans+2 })
			}
			col.settle()
			seen := countRecords(col.records())
			wantLines(t, seen, b, 1, " (after the truncation)")
			unsent := 0
			for _, l := range strings.SplitAfter(a, "\n") {
				if seen[l] > 1 {
					t.Fatalf("%q received %d times", l, seen[l])
				}
				if seen[l] == 0 {
					unsent += len(l)
				}
			}
			m := warn.FindStringSubmatch(logs.String())
			switch {
			case !tc.warned && (m != nil || unsent > 0):
				t.Fatalf("%d bytes unsent; WARN %q; log:\n%s", unsent, m, logs.String())
			case tc.warned && unsent == 0:
				t.Fatal("nothing was lost: the test did not truncate the file behind the read")
			case tc.warned && m[1] != strconv.Itoa(unsent):
				t.Fatalf("the WARN says %s bytes were not sent, but %d were not; log:\n%s", m[1], unsent, logs.String())
			}
		})
	}
}

// The same, where the file grew fast since the previous pass and the
// truncation is found by a read later in a turn that has read past the
// size that pass saw: the WARN counts from the size this turn's reads
// proved (228,924 bytes not sent were not warned of). From a review.
func TestATruncationFoundLateInATurnOfReadsCountsWhatThatTurnSaw(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "rotated"), 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "abc.log")
	first, rest, b := lines("a", 0, 1), lines("a", 1, 40000), lines("b", 0, 20)
	mustWrite(t, p, first)
	var logs syncbuf.Buffer
	cfg := testConfig(dir, "abc.log*")
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	var armed, fired atomic.Bool
	col := startTailer(t, cfg, func(tl *Tailer) {
		tl.ghostTTL = 300 * time.Millisecond
		tl.afterRead = func(h *harvester) {
			// The second read of the turn that finds the growth.
			if h.offset >= int64(len(first))+chunkCap && filepath.Base(h.path) == "abc.log" && armed.CompareAndSwap(true, false) {
				mustWrite(t, filepath.Join(dir, "rotated", "abc.log-1"), first+rest)
				mustWrite(t, p, b)
				fired.Store(true)
			}
		}
	})
	col.waitRecords(1)
	armed.Store(true)
	mustAppend(t, p, rest)
	waitFor(t, "the copytruncate", fired.Load)
	warn := regexp.MustCompile(`level=WARN msg="A file was truncated or replaced before it was read to its end.*unsent=(\d+)`)
	waitFor(t, "the WARN", func() bool { return warn.MatchString(logs.String()) })
	col.settle()
	seen := countRecords(col.records())
	wantLines(t, seen, first+b, 1, "")
	unsent := unsentBytes(seen, rest)
	wantUnsentWarned(t, warn, logs.String(), unsent)
}

// A file created after a truncation was seen is not its copy, however its
// first KiB matches (a CSV header, a banner: awslabs-style jobs that run
// `: > a.csv` and write b.csv): a copytruncate copy is made before the
// truncation. b.csv lost its header and first lines, taken for a copy of
// what was read of a.csv. From a review of Vector's and Filebeat's issues
// (vectordotdev/vector#5833, elastic/beats#39731).
func TestANewFileWithTheFirstKiBOfATruncatedOneIsReadWhole(t *testing.T) {
	dir := t.TempDir()
	banner := "# " + strings.Repeat("col,", 300) + "end\n" // 1.2 KiB, in every file
	a, b := filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.csv")
	mustWrite(t, a, banner+lines("a", 0, 3))
	cfg := testConfig(dir, "*.csv")
	col := startTailer(t, cfg)
	col.waitRecords(4)
	mustTruncate(t, a, 0)
	waitFor(t, "the truncation seen", func() bool {
		fs := cfg.Stats.Files()
		return len(fs) == 1 && fs[0].Size == 0 && fs[0].ReadOffset == 0
	})
	// File times come from a coarse clock, up to a tick behind: b.csv is
	// made once a file made now is born after the truncation was seen
	// (one made within that tick could be taken for a copy made before).
	seen := time.Now().UnixNano()
	probe := filepath.Join(dir, "probe.tmp")
	waitFor(t, "the file clock past the truncation", func() bool {
		os.Remove(probe) // (a new inode each time: a new birth time)
		f, err := os.Create(probe)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		born, ok := birthTime(f)
		if !ok {
			t.Skip("no birth times on this file system")
		}
		return born > seen
	})
	mustWrite(t, b, banner+lines("b", 0, 5))
	col.waitRecords(4 + 6)
	eq(t, col.recordsOf("b.csv"), banner, "b-000000\n", "b-000001\n", "b-000002\n", "b-000003\n", "b-000004\n")
}

// The agent stopped while the copy of such a file was still awaited: the
// wait ends with the run, and a restart knows nothing of the bytes taken
// (the file is read again from its new start). The stop says so, at WARN,
// with how many bytes. From a review of the leads of a session's read-through.
func TestATruncatedFileWhoseCopyIsAwaitedAtStopIsWarnedWithItsUnsentCount(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "rotated"), 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "abc.log")
	a, b := lines("a", 0, 40000), lines("b", 0, 20)
	mustWrite(t, p, a)
	var logs syncbuf.Buffer
	cfg := testConfig(dir, "abc.log*")
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	var armed atomic.Bool
	armed.Store(true)
	col := startTailer(t, cfg, func(tl *Tailer) {
		tl.ghostTTL = time.Hour
		tl.afterRead = func(h *harvester) {
			if h.offset == chunkCap && filepath.Base(h.path) == "abc.log" && armed.CompareAndSwap(true, false) {
				mustWrite(t, filepath.Join(dir, "rotated", "abc.log-1700000000"), a)
				mustWrite(t, p, b)
			}
		}
	})
	waitFor(t, "the copytruncate", func() bool { return !armed.Load() })
	waitFor(t, "the lines after the truncation", func() bool { return countRecords(col.records())[strings.SplitAfter(b, "\n")[19]] > 0 })
	col.settle()
	warn := regexp.MustCompile(`level=WARN msg="The agent stopped before a copy of a file truncated or replaced before it was read to its end appeared.*unsent=(\d+)`)
	if warn.MatchString(logs.String()) {
		t.Fatalf("warned before the stop; log:\n%s", logs.String())
	}
	col.stop()
	seen := countRecords(col.records())
	wantUnsentWarned(t, warn, logs.String(), unsentBytes(seen, a))
}

// A copytruncate behind a send that waits (a slow or failing destination):
// passes do not run while a send waits, so the size last seen of the file
// was the one before the writes of the wait, and the bytes written then,
// in the copy only (olddir), were lost with no WARN (50,000 lines in an
// end-to-end replay). The waiting send's fstat of the open files (every
// second, for the stats) now counts them, once their first bytes show the
// content is still the one read. From a replay of OpenTelemetry filelog
// receiver reports (open-telemetry/opentelemetry-collector-contrib#33237).
func TestACopytruncateBehindAWaitingSendWarnsOfTheBytesWrittenDuringTheWait(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "rotated"), 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "abc.log")
	first, during, after := lines("a", 0, 10), lines("w", 0, 50000), lines("b", 0, 20)
	mustWrite(t, p, first)
	var logs syncbuf.Buffer
	cfg := testConfig(dir, "abc.log")
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	tl, out, _ := runUnreceived(t, cfg, func(tl *Tailer) { tl.ghostTTL = 300 * time.Millisecond })
	seen := map[string]int{}
	take := func(c *record.Chunk) {
		for i := 0; i < c.Len(); i++ {
			seen[string(c.Record(i))]++
		}
		c.ReleaseData()
	}
	for deadline := time.Now().Add(10 * time.Second); seen[strings.SplitAfter(first, "\n")[9]] == 0; {
		select {
		case c := <-out:
			take(c)
		case <-time.After(time.Until(deadline)):
			t.Fatal("the first lines were not read")
		}
	}
	// A line the tailer reads and cannot hand on: its send waits. Then
	// the writes of the wait, which the waiting send's fstat sees.
	mustAppend(t, p, "blocked\n")
	waits := tl.sendWaits.Load()
	waitFor(t, "the send of the line to wait", func() bool { return tl.sendWaits.Load() > waits })
	mustAppend(t, p, during)
	whole := int64(len(first) + len("blocked\n") + len(during))
	waitFor(t, "the waiting send's fstat of the file", func() bool {
		for _, f := range cfg.Stats.Files() {
			if f.Size == whole {
				return true
			}
		}
		return false
	})
	mustWrite(t, filepath.Join(dir, "rotated", "abc.log-1"), first+"blocked\n"+during)
	mustWrite(t, p, after)
	warn := regexp.MustCompile(`level=WARN msg="A file was truncated or replaced before it was read to its end.*unsent=(\d+)`)
	for deadline := time.Now().Add(20 * time.Second); !warn.MatchString(logs.String()) || seen[strings.SplitAfter(after, "\n")[19]] == 0; {
		select {
		case c := <-out:
			take(c)
		case <-time.After(50 * time.Millisecond):
			if time.Now().After(deadline) {
				t.Fatalf("no WARN, or not every line after the truncation; log:\n%s", logs.String())
			}
		}
	}
	unsent := unsentBytes(seen, during)
	wantUnsentWarned(t, warn, logs.String(), unsent)
}

// The same stop, but the copy is among the files matched already (the stop
// came before the scan that would take it): a restart reads it whole, so
// nothing is lost, and the stop says so at INFO, not as a loss. From a
// review of the stop's WARN.
func TestAStopBeforeAListedCopyIsReadIsNotWarnedAsALoss(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "abc.log")
	copyPath := filepath.Join(dir, "abc.log-1700000000")
	a, b := lines("a", 0, 40000), lines("b", 0, 20)
	mustWrite(t, p, a)
	var logs syncbuf.Buffer
	cfg := testConfig(dir, "abc.log*")
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	var mu sync.Mutex
	var begun []record.Position
	cfg.OnBegin = func(ps ...record.Position) { mu.Lock(); begun = append(begun, ps...); mu.Unlock() }
	var armed, ready atomic.Bool
	armed.Store(true)
	var col *collector
	col = startTailer(t, cfg, func(tl *Tailer) {
		tl.ghostTTL = time.Hour
		tl.afterRead = func(h *harvester) {
			// Copied, truncated, and stopped at once: no scan sees the copy.
			if h.offset == chunkCap && filepath.Base(h.path) == "abc.log" && ready.Load() && armed.CompareAndSwap(true, false) {
				mustWrite(t, copyPath, a)
				mustWrite(t, p, b)
				col.cancel()
			}
		}
	})
	ready.Store(true)
	<-col.done
	if armed.Load() {
		t.Fatal("the copytruncate did not happen")
	}
	out := logs.String()
	if strings.Contains(out, "The agent stopped before a copy") || !strings.Contains(out, `msg="Stopped before the copy of a file truncated before it was read to its end was read`) {
		t.Fatalf("the stop warned of a loss, or did not name the copy it leaves to the restart:\n%s", out)
	}
	// The restart reads the copy whole: by the starting row at 0 the stop
	// handed on for it. Without it, the copy, older than the rows the
	// stop's drain saved (up to shutdownTimeoutMillis later; here 3 s),
	// started at its end: its unread lines were lost (a review).
	mu.Lock()
	var resume []record.Position
	for _, r := range begun {
		if r.Path == copyPath && r.Offset == 0 {
			r.Updated = time.Now()
			resume = append(resume, r)
		}
	}
	mu.Unlock()
	if len(resume) == 0 {
		t.Fatalf("no starting row at 0 for the copy among %+v", begun)
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := statOf(fi)
	resume = append(resume, record.Position{Flow: "test", Path: p, FileID: st.key.fileID(), Fingerprint: fingerprint([]byte(b)),
		Offset: int64(len(b)), Size: int64(len(b)), ModTime: fi.ModTime(), Updated: time.Now().Add(3 * time.Second)})
	cfg2 := testConfig(dir, "abc.log*")
	cfg2.Resume = resume
	col2 := startTailer(t, cfg2)
	waitFor(t, "the copy read whole after the restart", func() bool { return len(col2.recordsOf("abc.log-1700000000")) >= 40000 })
	col2.settle()
	wantLines(t, countRecords(col2.recordsOf("abc.log-1700000000")), a, 1, " (the copy, after the restart)")
}

// As TestACopytruncateBehindAWaitingSendWarnsOfTheBytesWrittenDuringTheWait,
// but the send waits inside a pump turn that has more to read (a backlog),
// and the new content outgrows the read offset before the send goes: the
// turn's next read finds the truncation (truncatedByRead), with pump's
// local `last`, taken before the wait: the WARN left out the bytes of the
// wait (66,933 said, 516,933 unsent). From a review.
func TestACopytruncateFoundLaterInTheTurnOfAWaitingSendCountsTheWait(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "rotated"), 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "abc.log")
	first, during, after := lines("a", 0, 22000), lines("w", 0, 50000), lines("b", 0, 16000)
	mustWrite(t, p, first)
	var logs syncbuf.Buffer
	cfg := testConfig(dir, "abc.log")
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	tl, out, _ := runUnreceived(t, cfg, func(tl *Tailer) { tl.ghostTTL = 300 * time.Millisecond })
	waitFor(t, "the first chunk's send to wait", func() bool { return tl.sendWaits.Load() > 0 })
	mustAppend(t, p, during)
	whole := int64(len(first) + len(during))
	waitFor(t, "the waiting send's fstat of the file", func() bool {
		for _, f := range cfg.Stats.Files() {
			if f.Size == whole {
				return true
			}
		}
		return false
	})
	mustWrite(t, filepath.Join(dir, "rotated", "abc.log-1"), first+during)
	mustWrite(t, p, after) // longer than the read offset (128 KiB)
	var sent int64
	warn := regexp.MustCompile(`level=WARN msg="A file was truncated or replaced before it was read to its end.*offset=(\d+).*unsent=(\d+)`)
	for deadline := time.Now().Add(20 * time.Second); !warn.MatchString(logs.String()); {
		select {
		case c := <-out:
			if c.Start == 0 && c.Len() > 0 && c.Record(0)[0] == 'a' {
				sent = c.End
			}
			c.ReleaseData()
		case <-time.After(50 * time.Millisecond):
			if time.Now().After(deadline) {
				t.Fatalf("no WARN; log:\n%s", logs.String())
			}
		}
	}
	m := warn.FindStringSubmatch(logs.String())
	off, _ := strconv.ParseInt(m[1], 10, 64)
	if want := whole - off; m[2] != strconv.FormatInt(want, 10) {
		t.Fatalf("the WARN says %s bytes were not sent, but %d were not (offset %s, first chunk end %d): the %d bytes written during the wait are missing; log:\n%s", m[2], want, m[1], sent, len(during), logs.String())
	}
}

// `cp abc.log abc.log.bak` (read whole, acked, saved), later `: > abc.log`
// while the agent is behind on abc.log, then a stop within ghostTTL: the
// stop's copyAmong takes the already-read abc.log.bak for the copy and
// hands it a fingerprint-less starting row at 0, which overwrites its
// saved row: the restart sends abc.log.bak again. A file read already, or
// one shorter than what was read of the truncated file, is not its copy.
// From a review.
func TestAStopDoesNotTakeAFileReadAlreadyForATruncatedFilesCopy(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "abc.log")
	bak := filepath.Join(dir, "abc.log.bak")
	a, part := lines("a", 0, 40000), lines("a", 0, 2000)
	mustWrite(t, p, a)
	mustWrite(t, bak, part)
	old := time.Now().Add(-time.Hour)
	os.Chtimes(bak, old, old) // read first
	saver := &spillSaver{saved: map[string]record.Position{}}
	trk := ack.New("test", saver, ack.WithSaveDelay(10*time.Millisecond), ack.WithFlushInterval(50*time.Millisecond))
	cfg := testConfig(dir, "abc.log*")
	cfg.OnBegin = trk.Seen
	tl, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tl.ghostTTL = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	var armed atomic.Bool
	armed.Store(true)
	tl.afterRead = func(h *harvester) {
		if filepath.Base(h.path) == "abc.log" && h.offset >= chunkCap && armed.CompareAndSwap(true, false) {
			waitFor(t, "abc.log.bak's row saved", func() bool {
				for _, r := range saver.rows() {
					if r.Path == bak && r.Offset == int64(len(part)) {
						return true
					}
				}
				return false
			})
			mustWrite(t, p, lines("b", 0, 20))
			cancel()
		}
	}
	r := runAcked(ctx, tl, trk, nil)
	r.stopped(t, "stop")
	if armed.Load() {
		t.Fatal("no truncation")
	}
	wantRow(t, saver, bak, int64(len(part)))
}

// unsentBytes is how many bytes of the lines of text no record carried.
func unsentBytes(seen map[string]int, text string) (n int) {
	for _, l := range strings.SplitAfter(text, "\n") {
		if l != "" && seen[l] == 0 {
			n += len(l)
		}
	}
	return n
}

// wantUnsentWarned fails unless bytes were lost and warn's first group in
// log counts them.
func wantUnsentWarned(t *testing.T, warn *regexp.Regexp, log string, unsent int) {
	t.Helper()
	if m := warn.FindStringSubmatch(log); unsent == 0 || m == nil || m[1] != strconv.Itoa(unsent) {
		t.Fatalf("the WARN (%q) does not say the %d bytes not sent; log:\n%s", m, unsent, log)
	}
}
