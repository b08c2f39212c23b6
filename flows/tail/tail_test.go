package tail

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/syncbuf"
)

// §10 item 9.
func TestEndOfFileSkipsExistingLinesAndSendsAppended(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.log")
	mustWrite(t, p, "l1\nl2\nl3\n")
	cfg := testConfig(dir, "*.log")
	cfg.StartAtEnd = true
	c := startTailer(t, cfg)
	c.settle()
	eq(t, c.records())
	mustAppend(t, p, "x\n")
	eq(t, c.waitRecords(1), "x\n")
	if e := c.endOf("a.log"); e != 11 {
		t.Fatalf("end offset %d, want 11", e)
	}
}

// §10 item 10.
func TestStartOfFileSendsEveryLineByteIdentical(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.log")
	mustWrite(t, p, "l1\n\nl3 with spaces \n")
	c := startTailer(t, testConfig(dir, "*.log"))
	eq(t, c.waitRecords(3), "l1\n", "\n", "l3 with spaces \n")
	if e := c.endOf("a.log"); e != 20 {
		t.Fatalf("end offset %d, want 20", e)
	}
	c.checkContiguous()
}

// §10 item 11.
func TestEndOfFileKeepsTrailingPartialLine(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.log")
	mustWrite(t, p, "old1\nold2\nabc")
	cfg := testConfig(dir, "*.log")
	cfg.StartAtEnd = true
	c := startTailer(t, cfg)
	c.settle()
	mustAppend(t, p, "def\n")
	eq(t, c.waitRecords(1), "abcdef\n")
}

// §10 item 12.
func TestPartialLineWaitsForNewlineAndCRLFIsKept(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.log")
	mustWrite(t, p, "")
	c := startTailer(t, testConfig(dir, "*.log"))
	mustAppend(t, p, "part")
	c.settle()
	eq(t, c.records())
	mustAppend(t, p, "ial\r\nnext\r\n")
	eq(t, c.waitRecords(2), "partial\r\n", "next\r\n")
}

// §10 item 13.
func TestCompressedFilesAreNeverRead(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"app.log.1.gz", "app.log.zip", "app.log.2.BZ2", "app.log.3.GZ"} {
		mustWrite(t, filepath.Join(dir, n), "compressed\n")
	}
	mustWrite(t, filepath.Join(dir, "app.log"), "plain\n")
	c := startTailer(t, testConfig(dir, "app.log*"))
	eq(t, c.waitRecords(1), "plain\n")
}

// §10 item 14.
func TestMissingDirectoryIsPickedUpLaterFromOffsetZero(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "later")
	cfg := testConfig(dir, "*.log")
	cfg.StartAtEnd = true
	c := startTailer(t, cfg)
	c.settle()
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(dir, "a.log"), "one\ntwo\n")
	eq(t, c.waitRecords(2), "one\n", "two\n")
}

// §10 item 15: the old file's unread tail and the new file both arrive.
func TestRenameRotationDeliversBothFilesCompletely(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	mustWrite(t, p, "a1\n")
	c := startTailer(t, testConfig(dir, "app.log*"))
	c.waitRecords(1)
	// The writer keeps its descriptor across the rename (as loggers do).
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mustRename(t, p, p+".1")
	f.WriteString("a2\na3\n")
	mustWrite(t, p, "b1\n")
	got := c.waitRecords(4)
	eq(t, c.recordsOf("app.log.1"), "a1\n", "a2\n", "a3\n")
	eq(t, c.recordsOf("app.log"), "b1\n")
	_ = got
	c.checkContiguous()
}

// Rename rotation with an exact (non-glob) name: Java loses the unread
// tail; the old file is read to its end before it is let go.
func TestRenameRotationWithExactNameReadsOldFileToItsEnd(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	mustWrite(t, p, "a1\n")
	c := startTailer(t, testConfig(dir, "app.log"))
	c.waitRecords(1)
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	mustRename(t, p, filepath.Join(dir, "old.1"))
	f.WriteString("a2\nunterminated")
	f.Close()
	mustWrite(t, p, "b1\n")
	// The unterminated last line is shipped when the file is let go.
	c.waitRecords(4)
	bySrc := c.bySource()
	if len(bySrc) != 2 {
		t.Fatalf("%d sources", len(bySrc))
	}
	eq(t, bySrc[0], "a1\n", "a2\n", "unterminated")
	eq(t, bySrc[1], "b1\n")
	waitFor(t, "old file let go", func() bool { return len(c.tl.cfg.Stats.Files()) == 1 })
}

// §10 item 16: every line in app.log before the copy arrives exactly once.
func TestCopytruncateContinuesAtShippedOffset(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	first := lines("a", 0, 50)
	mustWrite(t, p, first)
	c := startTailer(t, testConfig(dir, "app.log*"))
	c.waitRecords(50)
	// Lines the tailer has not read yet when the copy is made.
	mustAppend(t, p, lines("a", 50, 60))
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, p+".1", string(data))
	mustTruncate(t, p, 0)
	mustAppend(t, p, lines("b", 0, 5))
	all := c.waitRecords(65)
	seen := map[string]int{}
	for _, r := range all {
		seen[r]++
	}
	for _, l := range strings.SplitAfter(lines("a", 0, 60)+lines("b", 0, 5), "\n") {
		if l != "" && seen[l] != 1 {
			t.Errorf("line %q delivered %d times", l, seen[l])
		}
	}
	c.checkContiguous()
	// Chunks of the copy name the original as predecessor, so that the
	// copy's checkpoint never passes the original's in-flight chunks.
	for _, g := range c.snapshot() {
		if strings.HasSuffix(g.path, ".1") && g.src != nil && g.src.Predecessor == nil {
			t.Errorf("chunk of the copy %s at %d has no Predecessor", g.path, g.start)
		}
	}
}

// Truncation of the same file (no copy) restarts it at 0 without a crash.
func TestTruncatedFileRestartsAtZero(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.log")
	mustWrite(t, p, "one\ntwo\n")
	c := startTailer(t, testConfig(dir, "*.log"))
	c.waitRecords(2)
	mustTruncate(t, p, 0)
	waitFor(t, "truncation noticed", func() bool {
		for _, f := range c.tl.cfg.Stats.Files() {
			if f.ReadOffset == 0 {
				return true
			}
		}
		return false
	})
	mustAppend(t, p, "three\n")
	eq(t, c.waitRecords(3)[2:], "three\n")
}

// A file rewritten in place to at least its old size (Java's blind spot)
// is noticed by its leading bytes.
func TestTruncateAndRefillIsNoticedByLeadingBytes(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.log")
	mustWrite(t, p, "first line\n")
	c := startTailer(t, testConfig(dir, "*.log"))
	c.waitRecords(1)
	mustWrite(t, p, "SECOND one\nthird line\n") // same inode, O_TRUNC, longer
	got := c.waitRecords(3)
	eq(t, got[1:], "SECOND one\n", "third line\n")
}

// Several files written at once all ship, each with its own offsets.
func TestManyFilesWrittenAtOnceAllShip(t *testing.T) {
	dir := t.TempDir()
	const nFiles, nLines = 20, 200
	cfg := testConfig(dir, "*.log")
	c := startTailer(t, cfg)
	for i := 0; i < nFiles; i++ {
		mustWrite(t, filepath.Join(dir, "f"+string(rune('a'+i))+".log"), "")
	}
	for j := 0; j < nLines; j += 50 {
		for i := 0; i < nFiles; i++ {
			mustAppend(t, filepath.Join(dir, "f"+string(rune('a'+i))+".log"), lines(string(rune('a'+i)), j, j+50))
		}
	}
	c.waitRecords(nFiles * nLines)
	for i := 0; i < nFiles; i++ {
		name := "f" + string(rune('a'+i)) + ".log"
		want := strings.SplitAfter(lines(string(rune('a'+i)), 0, nLines), "\n")
		eq(t, c.recordsOf(name), want[:len(want)-1]...)
		if e := c.endOf(name); e != int64(len(lines("x", 0, nLines))) {
			t.Errorf("%s end %d", name, e)
		}
	}
	c.checkContiguous()
	if n := len(cfg.Stats.Files()); n != nFiles {
		t.Errorf("stats track %d files, want %d", n, nFiles)
	}
}

// A file that cannot be opened is reported once; the others keep shipping.
func TestPermissionDeniedFileIsReportedAndOthersShip(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "secret.log"), "hidden\n")
	mustWrite(t, filepath.Join(dir, "open.log"), "visible\n")
	denied := filepath.Join(dir, "secret.log")
	var logs syncbuf.Buffer
	cfg := testConfig(dir, "*.log")
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	c := startTailer(t, cfg, func(tl *Tailer) {
		if os.Geteuid() == 0 { // root reads anything: simulate the refusal
			tl.openFn = openDenying(func(name string) bool { return name == denied })
		}
	})
	if os.Geteuid() != 0 {
		if err := os.Chmod(denied, 0); err != nil {
			t.Fatal(err)
		}
	}
	eq(t, c.waitRecords(1), "visible\n")
	mustAppend(t, filepath.Join(dir, "open.log"), "more\n")
	eq(t, c.waitRecords(2)[1:], "more\n")
	mustWrite(t, filepath.Join(dir, "other.log"), "o\n") // another rescan
	c.waitRecords(3)
	if k := strings.Count(string(logs.Bytes()), "level=ERROR msg=\"Cannot read file: permission denied\" component=FileTailer[test] path="+denied); k != 1 {
		t.Fatalf("permission problem reported %d times, want once:\n%s", k, logs.Bytes())
	}
}

// Directories and FIFOs that match are skipped, not fatal.
func TestDirectoryAndFIFOMatchingAreSkipped(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "sub.log"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "pipe.log"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dir, "nowhere"), filepath.Join(dir, "dangling.log")); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(dir, "real.log"), "r1\n")
	if err := os.Symlink(filepath.Join(dir, "real.log"), filepath.Join(dir, "link.log")); err != nil {
		t.Fatal(err)
	}
	var logs syncbuf.Buffer
	cfg := testConfig(dir, "*.log")
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	c := startTailer(t, cfg)
	eq(t, c.waitRecords(1), "r1\n") // the symlink to real.log is the same file: read once
	// More rescans: the warnings are not repeated.
	mustWrite(t, filepath.Join(dir, "more.log"), "m1\n")
	c.waitRecords(2)
	mustWrite(t, filepath.Join(dir, "more2.log"), "m2\n")
	c.waitRecords(3)
	out := string(logs.Bytes())
	for _, n := range []string{"sub.log", "pipe.log", "dangling.log"} {
		if k := strings.Count(out, n); k != 1 {
			t.Errorf("%s mentioned %d times in the log, want once:\n%s", n, k, out)
		}
	}
	// Named by their type (a mode, "d---------", reads as permissions 000).
	for _, w := range []string{"sub.log type=directory", `pipe.log type="named pipe"`} {
		if !strings.Contains(out, w) {
			t.Errorf("no %q in the log:\n%s", w, out)
		}
	}
	m, err := MatchingFiles(dir, "*.log")
	if err != nil {
		t.Fatal(err)
	}
	if len(m) != 4 || filepath.Base(m[0]) != "link.log" || filepath.Base(m[3]) != "real.log" {
		t.Fatalf("MatchingFiles = %v", m)
	}
}

// §10 item 25 through the tailer.
func TestFirehoseAggregationPacksLines(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "a.log"), "AAAA\nBBBB\nCCCC\n")
	cfg := testConfig(dir, "*.log")
	cfg.AggregatedRecordSizeBytes = 10
	c := startTailer(t, cfg)
	eq(t, c.waitRecords(2), "AAAA\nBBBB\n", "CCCC\n")
}

// §10 item 26, and a continuation written later still joins its record.
func TestMultiLineStartPatternJoinsContinuationLines(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.log")
	mustWrite(t, p, "2024-a\n cont\n2024-b\n")
	cfg := testConfig(dir, "*.log")
	cfg.MultiLineStart = mustRegexp(t, `\d{4}-`)
	c := startTailer(t, cfg)
	waitFor(t, "first record", func() bool { return len(c.records()) >= 1 })
	mustAppend(t, p, " late cont\n") // Java would split this off
	eq(t, c.waitRecords(2), "2024-a\n cont\n", "2024-b\n late cont\n")
	if e := c.endOf("a.log"); e != 31 {
		t.Fatalf("end %d, want 31", e)
	}
}

// §10 item 27: header lines skipped in every file started at 0, and the
// chunk that ends the last of them advances the offset (not one that ends
// an earlier one: TestARestartBetweenHeaderLinesSkipsThemAll in flows).
func TestSkipHeaderLinesInEveryNewFile(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(dir, "*.csv")
	cfg.SkipHeaderLines = 2
	mustWrite(t, filepath.Join(dir, "a.csv"), "h1\nh2\nd1\n")
	c := startTailer(t, cfg)
	eq(t, c.waitRecords(1), "d1\n")
	mustWrite(t, filepath.Join(dir, "b.csv"), "h1\n")
	mustAppend(t, filepath.Join(dir, "b.csv"), "h2\n")
	waitFor(t, "header-only chunk", func() bool { return c.endOf("b.csv") == 6 })
	mustAppend(t, filepath.Join(dir, "b.csv"), "d2\n")
	eq(t, c.waitRecords(2)[1:], "d2\n")
}

func TestFooterRecordIsDropped(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(dir, "*.log")
	cfg.Footer = mustRegexp(t, `END OF FILE`)
	mustWrite(t, filepath.Join(dir, "a.log"), "a\n  END OF FILE \r\nb\n")
	c := startTailer(t, cfg)
	eq(t, c.waitRecords(2), "a\n", "b\n")
	if e := c.endOf("a.log"); e != 20 {
		t.Fatalf("end %d, want 20", e)
	}
}

// A record longer than the read buffer: its first bytes, then the rest of
// the line is discarded and counted.
func TestRecordLongerThanBufferIsCutAndRestDiscarded(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(dir, "*.log")
	cfg.ReadBufferBytes = 1000
	long := strings.Repeat("x", 2500)
	mustWrite(t, filepath.Join(dir, "a.log"), long+"\nnext\n")
	c := startTailer(t, cfg)
	got := c.waitRecords(2)
	eq(t, got, long[:1000], "next\n")
	if n := cfg.Stats.RecordsLargerThanBuffer.Load(); n != 1 {
		t.Errorf("RecordsLargerThanBuffer = %d", n)
	}
	if n := cfg.Stats.BytesDiscarded.Load(); n != 1501 {
		t.Errorf("BytesDiscarded = %d, want 1501", n)
	}
	if e := c.endOf("a.log"); e != 2506 {
		t.Fatalf("end %d", e)
	}
}

// A record longer than one read continues across reads.
func TestLongRecordSpansReads(t *testing.T) {
	dir := t.TempDir()
	long := strings.Repeat("y", 3*chunkCap+17) + "\n"
	mustWrite(t, filepath.Join(dir, "a.log"), "s\n"+long+"e\n")
	c := startTailer(t, testConfig(dir, "*.log"))
	got := c.waitRecords(3)
	if got[1] != long {
		t.Fatalf("long record has %d bytes, want %d", len(got[1]), len(long))
	}
	c.checkContiguous()
}

func TestStatsTrackFilesAndParsedCounters(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(dir, "*.log")
	mustWrite(t, filepath.Join(dir, "a.log"), "one\ntwo\n")
	c := startTailer(t, cfg)
	c.waitRecords(2)
	fs := cfg.Stats.Files()
	if len(fs) != 1 || fs[0].ReadOffset != 8 || fs[0].Size != 8 || !strings.HasPrefix(fs[0].FileID, "(dev=") {
		t.Fatalf("files %+v", fs)
	}
	if cfg.Stats.RecordsParsed.Load() != 2 || cfg.Stats.BytesParsed.Load() != 8 {
		t.Fatalf("parsed %d/%d", cfg.Stats.RecordsParsed.Load(), cfg.Stats.BytesParsed.Load())
	}
	_ = time.Second
}

// Without inotify the tailer polls: new files, appends and renames are
// still followed.
func TestPollingFallbackFollowsFiles(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	mustWrite(t, p, "a1\n")
	c := startTailer(t, testConfig(dir, "app.log*"), func(tl *Tailer) { tl.noNotify = true })
	c.waitRecords(1)
	mustAppend(t, p, "a2\n")
	c.waitRecords(2)
	mustRename(t, p, p+".1")
	mustWrite(t, p, "b1\n")
	c.waitRecords(3)
	eq(t, c.recordsOf("app.log"), "b1\n")
	if c.tl.watcher.active() || !c.tl.watcher.isPolling() {
		t.Fatal("watcher should be in polling mode")
	}
}

// Out of descriptors: fully read files are closed to make room, and are
// reopened (and followed) when they change.
func TestOutOfDescriptorsClosesCaughtUpFiles(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.log")
	mustWrite(t, a, "a1\n")
	b := filepath.Join(dir, "b.log")
	var opens atomic.Int32
	c := startTailer(t, testConfig(dir, "*.log"), func(tl *Tailer) {
		tl.openFn = func(name string, flag int, perm os.FileMode) (*os.File, error) {
			// The first two opens of b.log (the watcher's, then the
			// scan's) find the process out of descriptors.
			if name == b && opens.Add(1) <= 2 {
				return nil, &os.PathError{Op: "open", Path: name, Err: syscall.EMFILE}
			}
			return os.OpenFile(name, flag, perm)
		}
	})
	c.waitRecords(1)
	mustWrite(t, b, "b1\n")
	c.waitRecords(2)
	waitFor(t, "a.log closed by shedding", func() bool { return !c.tl.isOpen(a) })
	mustAppend(t, a, "a2\n")
	eq(t, c.waitRecords(3)[2:], "a2\n")
}

// A new file whose first bytes equal a live file's (a long fixed header)
// looks like a copytruncate copy in progress; while it keeps growing it
// must still be decided within a bounded time, not wait for as long as
// it is written to.
func TestGrowingFileWithTheSameHeaderAsALiveFileIsNotHeldBack(t *testing.T) {
	dir := t.TempDir()
	header := strings.Repeat("H", 1100) + "\n"
	mustWrite(t, filepath.Join(dir, "a.log"), header+"a1\n")
	c := startTailer(t, testConfig(dir, "*.log"))
	c.waitRecords(2)
	b := filepath.Join(dir, "b.log")
	mustWrite(t, b, header)
	stopWriting := make(chan struct{})
	writerDone := make(chan struct{})
	go func() { // keep b growing faster than copyWait (500 ms in tests)
		defer close(writerDone)
		for i := 0; ; i++ {
			select {
			case <-stopWriting:
				return
			case <-time.After(100 * time.Millisecond):
				mustAppend(t, b, fmt.Sprintf("b%d\n", i))
			}
		}
	}()
	defer func() { close(stopWriting); <-writerDone }()
	waitFor(t, "records of b.log while it is still being written", func() bool {
		return len(c.recordsOf("b.log")) >= 2
	})
}

// Polling an idle open file must not allocate a read buffer each time: a
// file with nothing to read yet (empty, or followed from its end) made
// 256 KiB of garbage per poll, and GC cycles in an idle agent.
func TestPollingAnIdleFileDoesNotAllocateAReadBufferEachTime(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	mustWrite(t, path, "")
	c := startTailer(t, testConfig(dir, "*.log"))
	waitFor(t, "the file is open", func() bool { return c.tl.isOpen(path) })
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	n := c.tl.loops.Load()
	const polls = 30
	waitFor(t, "idle polls", func() bool { return c.tl.loops.Load() >= n+polls })
	runtime.ReadMemStats(&after)
	polled := c.tl.loops.Load() - n
	if grown := after.TotalAlloc - before.TotalAlloc; grown > uint64(polled)*(chunkCap/8) {
		t.Fatalf("%d bytes allocated over %d idle polls (%d per poll), want well under one %d-byte read buffer per poll",
			grown, polled, grown/uint64(polled), chunkCap)
	} else {
		t.Logf("%d bytes allocated over %d idle polls", grown, polled)
	}
}

// A live writer's lines are read once per coalesce pause: an iteration that
// read every file to its end pauses, however much it read. (It used to
// loop at once after reading 64 KiB or more, and the writer's next write
// woke it a second time before it paused: twice the wake-ups.)
func TestLiveWriterIsReadOncePerCoalescePause(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.log")
	mustWrite(t, path, "")
	cfg := testConfig(dir, "*.log")
	// Idle polls would count as iterations if the writer stalled (a busy
	// CI runner); the write notifications end every idle wait anyway.
	cfg.MinPoll = time.Minute
	c := startTailer(t, cfg)
	waitFor(t, "the file is open", func() bool { return c.tl.isOpen(path) })
	line := strings.Repeat("x", 99) + "\n"
	block := strings.Repeat(line, 160) // 16 KB per write: 50 ms of writes is over 64 KiB
	const writes = 200
	start := c.tl.loops.Load()
	began := time.Now()
	tick := time.NewTicker(5 * time.Millisecond)
	for i := 0; i < writes; i++ {
		<-tick.C
		mustAppend(t, path, block)
	}
	tick.Stop()
	writing := time.Since(began)
	loops := c.tl.loops.Load() - start
	waitFor(t, "every line", func() bool { return len(c.records()) == writes*160 })
	// One iteration per pause, plus the pauses' rounding: well under the
	// two or three per pause of reading at once after a large read.
	if most := int64(writing/coalesce) + 5; loops > most {
		t.Fatalf("%d tailer iterations while writing for %v, want at most %d (one per %v pause)", loops, writing.Round(time.Millisecond), most, coalesce)
	} else {
		t.Logf("%d tailer iterations while writing for %v", loops, writing.Round(time.Millisecond))
	}
}

// A rescan asked for while an iteration ran (a blocked send's light scan
// keeps the request but takes the wake-up) ends the coalesce pause and the
// idle wait at once: neither waits for a wake-up that was already taken.
func TestPendingRescanEndsThePauseAndTheIdleWaitAtOnce(t *testing.T) {
	dir := t.TempDir()
	tl, err := New(testConfig(dir, "*.log"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel) // a wait that does not return ends with the test
	for name, wait := range map[string]func(){
		"pause": func() { tl.pause(ctx, time.Hour) },
		"idle":  func() { tl.idle(ctx, time.Hour) },
	} {
		tl.scanReq.Store(true)
		var done atomic.Bool
		go func() { wait(); done.Store(true) }()
		waitFor(t, name+" to return with a rescan pending", done.Load)
	}
}
