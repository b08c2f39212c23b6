package tail

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

// Wake-ups and the stats' file sizes at the edges: a blocked send that
// took a write's wake-up, a truncation found by the read, a closed file
// sharing its path with an open one, sizes during an outage. From a
// review of e6ed1af's family.

// waitIdle waits until d has passed: a file's idle time reaching a
// threshold (inactivity, multi-line idle flush), not synchronisation.
func waitIdle(t *testing.T, d time.Duration) {
	t.Helper()
	from := time.Now()
	waitFor(t, "idle "+d.String(), func() bool { return time.Since(from) >= d })
}

// A write to an open, watched file whose event is read while a pass that
// read nothing is blocked sending (here a multi-line idle flush, sent from
// housekeep) is marked for the next pass, but send swallows the wake-up
// that goes with the mark; the pass then idles (read == 0) until MinPoll.
func TestAWriteWhileAPassThatReadNothingIsBlockedSendingIsReadWithoutWaitingForMinPoll(t *testing.T) {
	dir := t.TempDir()
	m := filepath.Join(dir, "m.log")
	mustWrite(t, m, "S1\n")
	cfg := testConfig(dir, "*.log")
	cfg.MinPoll, cfg.MaxRefresh = time.Hour, time.Hour // only inotify wakes the loop
	cfg.MultiLineStart = mustRegexp(t, "^S")
	tl, out, _ := runUnreceived(t, cfg, func(tl *Tailer) { tl.mlIdle = 200 * time.Millisecond })

	// S1 read and held (no next start line yet); the loop idles.
	waitFor(t, "S1 read, then a pass that read nothing", func() bool { return tl.loops.Load() >= 2 })
	waitIdle(t, 300*time.Millisecond) // S1 idle longer than mlIdle
	// A structural event (IN_ATTRIB) starts a pass: m.log is due (settling),
	// reads nothing, and housekeep's idle flush blocks sending S1.
	now := time.Now()
	if err := os.Chtimes(m, now, now); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the idle flush's send", func() bool { return cfg.Stats.RecordsParsed.Load() == 1 })
	wakes := tl.writeWakes.Load()
	mustAppend(t, m, "S2\nS3\n")
	waitFor(t, "the write's event read and its wake-up taken by the blocked send", func() bool {
		return tl.writeWakes.Load() > wakes && len(tl.wake) == 0
	})
	select {
	case ch := <-out:
		if got := string(ch.Record(0)); got != "S1\n" {
			t.Fatalf("first record %q", got)
		}
		ch.ReleaseData()
	case <-time.After(5 * time.Second):
		t.Fatal("no flush")
	}
	select {
	case ch := <-out:
		if got := string(ch.Record(0)); got != "S2\n" {
			t.Fatalf("second record %q", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("S2 not read within 10 s (write marks pending: %d, loops %d)", pendingMarks(tl), tl.loops.Load())
	}
}

func pendingMarks(tl *Tailer) int {
	tl.openMu.Lock()
	defer tl.openMu.Unlock()
	return len(tl.written)
}

// A file truncated and rewritten between a pass's fstat and its read
// (copytruncate, the writer's next lines landing at once), to fewer bytes
// than the fstat saw but more than the offset read: the read sees new
// first bytes, truncated() restarts the file with the fstat's stale size,
// and the read from 0 tells the stats that size. The next pass, finding
// the real size equal to what it read, tells them nothing, and the rescans
// compare with the tailer's own (now fresh) size: "bytes behind" stays
// wrong until the file grows.
func TestStatsSizeAfterATruncationFoundByTheReadIsTheNewContentsSize(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.log")
	cfg := testConfig(dir, "*.log") // MinPoll 10 ms, MaxRefresh 500 ms: passes and rescans keep running
	var armed atomic.Bool
	c := startTailer(t, cfg, func(tl *Tailer) {
		tl.afterSize = func(h *harvester) {
			if armed.CompareAndSwap(true, false) {
				mustWrite(t, h.path, "new-1\nnew-2\n") // O_TRUNC, then the writer's next lines
			}
		}
	})
	mustAppend(t, p, "first\n")
	c.waitRecords(1)
	armed.Store(true)
	mustAppend(t, p, "a line that the truncation takes away\n") // fstat: 44 bytes
	waitFor(t, "the truncation in between", func() bool { return !armed.Load() })
	got := c.waitRecords(3)
	eq(t, got, "first\n", "new-1\n", "new-2\n")
	const want = int64(len("new-1\nnew-2\n"))
	n := c.tl.scans.Load()
	waitFor(t, "two more rescans", func() bool { return c.tl.scans.Load() >= n+2 })
	var size, off int64
	for _, s := range cfg.Stats.Files() {
		size, off = s.Size, s.ReadOffset
	}
	behind, _ := cfg.Stats.BytesBehind()
	if size != want || behind != 0 {
		t.Fatalf("stats: size %d, read offset %d, bytes behind %d; the file has %d bytes, all read", size, off, behind, want)
	}
	if fi, err := os.Stat(p); err != nil || fi.Size() != want {
		t.Fatal(fmt.Sprint(fi, err))
	}
}

// The reader goroutine tells a write to a closed file (a rescan reopens it)
// from a write to an open one (a read) by the path of the watch (isOpen),
// but a path can name two tracked files: a rotated file still read under
// the live name (renamed out of a one-name pattern, its new name unknown)
// and the new file at that name. A write to the new file once it is closed
// for inactivity is then taken for a read: turnOrder sees the mark on a
// closed file and asks for a rescan only MinPoll later (rescanSoon).
func TestAWriteToAClosedFileThatSharesItsPathWithAnOpenOneIsReadPromptly(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	mustWrite(t, p, "old-0\n")
	cfg := testConfig(dir, "app.log")
	cfg.MinPoll, cfg.MaxRefresh = time.Hour, time.Hour // only inotify wakes the loop
	c := startTailer(t, cfg, func(tl *Tailer) {
		tl.linger = time.Hour // the rotated file is still being read (its writer has not reopened)
		tl.inactive = 200 * time.Millisecond
	})
	waitFor(t, "old-0", func() bool { return len(c.records()) == 1 })
	mustRename(t, p, p+".1")
	mustWrite(t, p, "new-0\n")
	waitFor(t, "new-0", func() bool { return len(c.records()) == 2 })
	openUnder := func() int {
		c.tl.openMu.Lock()
		defer c.tl.openMu.Unlock()
		return c.tl.open[p]
	}
	if n := openUnder(); n != 2 {
		t.Fatalf("%d descriptors under app.log, want 2 (the rotated file and the new one)", n)
	}
	waitIdle(t, 300*time.Millisecond) // the new file idle longer than inactive
	now := time.Now()
	if err := os.Chtimes(p, now, now); err != nil { // a pass, whose housekeep closes the new file
		t.Fatal(err)
	}
	waitFor(t, "the new file closed for inactivity", func() bool { return openUnder() == 1 })
	mustAppend(t, p, "new-1\n")
	waitFor(t, "new-1 (MinPoll is an hour)", func() bool { return len(c.records()) == 3 })
}

// While a send is blocked (the destination down), the files' sizes in the
// stats ("bytes behind": log, /metrics, /status) are kept current only by
// the light scans, which run every scanEvery: MaxRefresh when inotify
// works. Write events wake the blocked send, which does nothing with them
// unless a rescan was asked, so a file written during the outage shows its
// old size for up to MaxRefresh.
func TestStatsSizeOfAFileWrittenWhileASendIsBlockedIsKeptCurrent(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.log")
	mustWrite(t, p, "first\n")
	cfg := testConfig(dir, "*.log")
	cfg.MaxRefresh = time.Hour
	tl, _, _ := runUnreceived(t, cfg)
	// Nobody receives: the first chunk's send stays blocked.
	waitFor(t, "the blocked send", func() bool { return cfg.Stats.RecordsParsed.Load() == 1 })
	wakes := tl.writeWakes.Load()
	more := strings.Repeat("x", 99) + "\n"
	mustAppend(t, p, more)
	waitFor(t, "the write's event read", func() bool { return tl.writeWakes.Load() > wakes })
	want := int64(len("first\n") + len(more))
	var size int64
	waitFor(t, fmt.Sprintf("stats size %d (MaxRefresh is an hour)", want), func() bool {
		for _, s := range cfg.Stats.Files() {
			size = s.Size
		}
		return size == want
	})
}

// While a send waits, the open files' sizes reach the stats every second
// also when every tick is a light scan (maxRefresh of a second or less,
// polling): a light scan tells the stats only the files its listing
// names, not a rotated file still being read (renamed out of a one-name
// pattern). From a review of the first fix.
func TestStatsSizeOfARotatedFileWrittenWhileASendIsBlockedIsKeptCurrent(t *testing.T) {
	for _, tc := range []struct {
		name     string
		refresh  time.Duration
		noNotify bool
	}{
		{"inotify, MaxRefresh an hour", time.Hour, false},
		{"inotify, MaxRefresh 500ms", 500 * time.Millisecond, false},
		{"polling, MaxRefresh an hour", time.Hour, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "app.log")
			mustWrite(t, p, "first\n")
			cfg := testConfig(dir, "app.log")
			cfg.MaxRefresh = tc.refresh
			runUnreceived(t, cfg, func(tl *Tailer) {
				tl.linger = time.Hour // the rotated file is still being read
				tl.noNotify = tc.noNotify
			})
			// Nobody receives: the first chunk's send stays blocked.
			waitFor(t, "the blocked send", func() bool { return cfg.Stats.RecordsParsed.Load() == 1 })
			var old string
			for _, s := range cfg.Stats.Files() {
				old = s.FileID
			}
			mustRename(t, p, p+".1") // the writer has not reopened yet: it still writes app.log.1
			mustWrite(t, p, "")
			more := strings.Repeat("x", 99) + "\n"
			mustAppend(t, p+".1", more)
			want := int64(len("first\n") + len(more))
			var size int64
			waitFor(t, fmt.Sprintf("the rotated file's size %d in the stats", want), func() bool {
				for _, s := range cfg.Stats.Files() {
					if s.FileID == old {
						size = s.Size
					}
				}
				return size == want
			})
		})
	}
}

// A throttled consumer (a chunk taken every 600 ms) makes every send wait,
// each less than the send's one-second tick: the sizes still reach the
// stats every second, not when the busy file's turn ends. From a review of
// the first fix.
func TestStatsSizeIsKeptCurrentWhileAThrottledConsumerTakesAChunkEvery600ms(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log")
	mustWrite(t, b, "b-first\n")
	mustWrite(t, a, lines(strings.Repeat("a", 90), 0, 40000)) // ~3.9 MB: 16 reads of 128 KiB per turn
	cfg := testConfig(dir, "*.log")
	cfg.MaxRefresh = time.Hour
	_, out, done := runUnreceived(t, cfg)
	go func() { // the throttled consumer (a model of the destination, not synchronisation)
		tk := time.NewTicker(600 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-done:
				return
			case <-tk.C:
				select {
				case c := <-out:
					c.ReleaseData()
				case <-done:
					return
				}
			}
		}
	}()
	waitFor(t, "both files begun, a.log's backlog being sent", func() bool {
		return len(cfg.Stats.Files()) == 2 && cfg.Stats.RecordsParsed.Load() > 2000
	})
	var bid string
	for _, s := range cfg.Stats.Files() {
		if strings.HasSuffix(s.Path, "b.log") {
			bid = s.FileID
		}
	}
	more := strings.Repeat("y", 99) + "\n"
	mustAppend(t, b, more)
	want := int64(len("b-first\n") + len(more))
	// Within 5 s, well before a.log's turn ends (16 chunks, ~10 s at this
	// pace) and b.log is read.
	deadline := time.Now().Add(5 * time.Second)
	for {
		var size int64
		for _, s := range cfg.Stats.Files() {
			if s.FileID == bid {
				size = s.Size
			}
		}
		if size == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("5 s into a throttled drain, b.log's size in the stats is %d; the file has %d bytes", size, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// runUnreceived runs a tailer of cfg whose chunks the test receives (or
// not: a send that stays blocked) from out; done closes when Run returns,
// at the test's end.
func runUnreceived(t *testing.T, cfg Config, tune ...func(*Tailer)) (*Tailer, chan *record.Chunk, chan struct{}) {
	t.Helper()
	tl, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range tune {
		f(tl)
	}
	ctx, cancel := context.WithCancel(context.Background())
	out, done := make(chan *record.Chunk), make(chan struct{})
	go func() { defer close(done); _ = tl.Run(ctx, out) }()
	t.Cleanup(func() { cancel(); <-done })
	return tl, out, done
}
