package tail

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/syncbuf"
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

// Other files of the flow's directory (a busy syslog beside the flow's
// logs, temporary files coming and going) are none of the flow's
// business. Writes are watched per tailed file, so a neighbour's writes
// are not even read as notifications; the directory's structural events
// are filtered by the pattern, so its files coming and going cause no
// rescan. Before, every neighbour write cost a wake-up and a rescan of the
// directory (at most one per writeWakeGap).
func TestOtherFilesOfTheDirectoryCostTheFlowNothing(t *testing.T) {
	dir := t.TempDir()
	app := filepath.Join(dir, "app.log")
	mustWrite(t, app, "")
	cfg := notificationsOnly(dir)
	c := startTailer(t, cfg)
	waitFor(t, "the file is open", func() bool { return c.tl.isOpen(app) })
	waitFor(t, "the first iteration", func() bool { return c.tl.loops.Load() >= 1 })
	scans, reads := c.tl.scans.Load(), c.tl.writeReads.Load()

	syslog, err := os.OpenFile(filepath.Join(dir, "syslog"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer syslog.Close()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for i := 0; i < 2000; {
		<-tick.C
		for j := 0; j < 10; j, i = j+1, i+1 { // ~10 lines/ms for ~200 ms, one write(2) each
			if _, err := syslog.WriteString(lines("syslog", i, i+1)); err != nil {
				t.Fatal(err)
			}
		}
		if i%100 == 0 { // and a temporary file every 10 ms
			tmp := filepath.Join(dir, fmt.Sprintf("tmp-%d.txt", i))
			mustWrite(t, tmp, "x\n")
			if err := os.Remove(tmp); err != nil {
				t.Fatal(err)
			}
		}
	}
	// The flow's own file is still followed through its notifications.
	mustAppend(t, app, "mine\n")
	waitFor(t, "app.log's line", func() bool { return len(c.records()) >= 1 })
	eq(t, c.records(), "mine\n")

	if n := c.tl.scans.Load() - scans; n != 0 {
		t.Errorf("%d directory scans for other files' changes, want 0", n)
	}
	// One read for the write to app.log (two if its write was read in two
	// parts), against one per writeWakeGap of the neighbour's writes.
	if n := c.tl.writeReads.Load() - reads; n > 2 {
		t.Errorf("%d reads of write notifications, want at most 2", n)
	}
}

// A file closed for inactivity keeps its write watch: its next write
// reopens and reads it at once, not at the next full rescan (a minute
// here).
func TestFileClosedForInactivityIsReopenedByItsNextWrite(t *testing.T) {
	dir := t.TempDir()
	app := filepath.Join(dir, "app.log")
	mustWrite(t, app, "one\n")
	cfg := notificationsOnly(dir)
	c := startTailer(t, cfg, func(tl *Tailer) { tl.inactive = 50 * time.Millisecond })
	waitFor(t, "the first line", func() bool { return len(c.recordsOf("app.log")) >= 1 })
	// The inactivity check runs in the loop: a new file wakes it once the
	// first has been quiet long enough.
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; c.tl.isOpen(app); i++ {
		if time.Now().After(deadline) {
			t.Fatal("app.log was not closed for inactivity")
		}
		name := fmt.Sprintf("wake-%d.log", i)
		mustWrite(t, filepath.Join(dir, name), name+"\n")
		waitFor(t, name+" read", func() bool { return len(c.recordsOf(name)) == 1 })
	}
	mustAppend(t, app, "two\n")
	waitFor(t, "the line written after the close", func() bool { return len(c.recordsOf("app.log")) >= 2 })
	eq(t, c.recordsOf("app.log"), "one\n", "two\n")
}

// A file that cannot be watched for writes (fs.inotify.max_user_watches
// reached: every tracked file holds a watch, closed ones too) is still
// followed, and the flow keeps its directory watch: a file created and
// deleted 20 ms later is still read (a polling flow would miss it), an
// open unwatched file is read every MinPoll, and one closed for
// inactivity is reopened by the rescan that runs every second while a
// file has no watch (the full rescan is a minute away here).
func TestFilesThatCannotBeWatchedAreStillFollowed(t *testing.T) {
	dir := t.TempDir()
	app := filepath.Join(dir, "app.log")
	mustWrite(t, app, "one\n")
	cfg := testConfig(dir, "*.log")
	cfg.MaxRefresh = time.Minute
	var logs syncbuf.Buffer
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	c := startTailer(t, cfg, func(tl *Tailer) {
		tl.inactive = 50 * time.Millisecond
		tl.addFileWatch = func(path string, _ *os.File, _ uint32) (int32, error) {
			return -1, &os.PathError{Op: "inotify_add_watch", Path: path, Err: syscall.ENOSPC}
		}
	})
	waitFor(t, "app.log's first line", func() bool { return len(c.recordsOf("app.log")) == 1 })
	mustAppend(t, app, "two\n")
	waitFor(t, "a line appended to the open, unwatched app.log", func() bool { return len(c.recordsOf("app.log")) == 2 })

	z := filepath.Join(dir, "z.log")
	mustWrite(t, z, "short-lived\n")
	time.Sleep(20 * time.Millisecond) // the file's lifetime, not a wait
	if err := os.Remove(z); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "z.log's line", func() bool { return len(c.recordsOf("z.log")) == 1 })
	if !c.tl.watcher.active() || c.tl.watcher.isPolling() {
		t.Fatal("the flow stopped watching its directory because a file could not be watched")
	}

	waitFor(t, "app.log closed for inactivity", func() bool { return !c.tl.isOpen(app) })
	mustAppend(t, app, "three\n")
	waitFor(t, "the line written to the closed, unwatched app.log", func() bool { return len(c.recordsOf("app.log")) == 3 })
	eq(t, c.recordsOf("app.log"), "one\n", "two\n", "three\n")
	// Warned once, naming the file (once: it had a key's name too).
	if w := regexp.MustCompile(`level=WARN msg="Cannot watch a file for writes[^"]*" component=\S+ path=(\S+) err=`).FindAllStringSubmatch(logs.String(), -1); len(w) != 1 || w[0][1] != app {
		t.Errorf("want one WARN naming %s:\n%s", app, logs.String())
	}
}

// While another file keeps the tailer busy (it reads something at every
// iteration, then pauses, and never waits for a change), a write to a
// file closed for inactivity is still read within busyWriteRead, not at
// the next full rescan (30 s here).
func TestClosedFileIsReopenedWhileAnotherKeepsTheTailerBusy(t *testing.T) {
	dir := t.TempDir()
	busy, quiet := filepath.Join(dir, "busy.log"), filepath.Join(dir, "quiet.log")
	mustWrite(t, busy, "")
	mustWrite(t, quiet, "q0\n")
	cfg := testConfig(dir, "*.log")
	cfg.MinPoll, cfg.MaxRefresh = 100*time.Millisecond, 30*time.Second
	c := startTailer(t, cfg, func(tl *Tailer) { tl.inactive = 200 * time.Millisecond })
	waitFor(t, "q0", func() bool { return len(c.recordsOf("quiet.log")) == 1 })
	f, err := os.OpenFile(busy, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	stop, done := make(chan struct{}), make(chan struct{})
	go func() { // a line every 2 ms
		defer close(done)
		tk := time.NewTicker(2 * time.Millisecond)
		defer tk.Stop()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-tk.C:
			}
			if _, err := f.WriteString(lines("b", i, i+1)); err != nil {
				return
			}
		}
	}()
	defer func() { close(stop); <-done }()
	waitFor(t, "quiet.log closed for inactivity", func() bool { return !c.tl.isOpen(quiet) })
	mustAppend(t, quiet, "q1\n")
	waitFor(t, "the line written to the closed quiet.log", func() bool { return len(c.recordsOf("quiet.log")) == 2 })
}

// A file renamed while its start is undecided (a possible copy of another
// file) is watched under its new name: its writes, once it is open, are
// reads, not directory rescans under a stale name.
func TestFileRenamedWhileUndecidedIsWatchedUnderItsNewName(t *testing.T) {
	dir := t.TempDir()
	app := filepath.Join(dir, "app.log")
	head := lines("header", 0, 20)
	mustWrite(t, app, head+lines("a", 0, 10))
	cfg := notificationsOnly(dir)
	c := startTailer(t, cfg)
	waitFor(t, "app.log read", func() bool { return len(c.recordsOf("app.log")) == 30 })

	// A copy in progress: a prefix of app.log, undecided while it grows.
	cp, other := filepath.Join(dir, "copy.log"), filepath.Join(dir, "other.log")
	mustWrite(t, cp, head[:100])
	watched := func(path string) bool {
		return slices.Contains(c.tl.watcher.writes().paths(), path)
	}
	waitFor(t, "copy.log watched", func() bool { return watched(cp) })
	mustRename(t, cp, other)
	mustAppend(t, other, "\nDIFFERENT\n") // no longer a copy: decided at the next scan
	waitFor(t, "other.log open", func() bool { return c.tl.isOpen(other) })
	if !watched(other) {
		t.Fatal("other.log is watched under its old name")
	}
	scans := c.tl.scans.Load()
	for i := 0; i < 5; i++ {
		mustAppend(t, other, fmt.Sprintf("o-%d\n", i))
		waitFor(t, "the line", func() bool { return len(c.recordsOf("other.log")) >= 2+i+1 })
	}
	if n := c.tl.scans.Load() - scans; n != 0 {
		t.Errorf("%d directory scans for 5 writes to the open other.log, want 0", n)
	}
}

// A matching symlink's target in the same directory may have any name:
// while such a link exists, changes to other entries of the directory
// still make the tailer rescan, so a target replaced under the link is
// followed at once (the full rescan is a minute away here).
func TestSymlinkTargetReplacedInTheDirectoryIsFollowed(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "data.txt")
	mustWrite(t, target, "first\n")
	if err := os.Symlink("data.txt", filepath.Join(dir, "app.log")); err != nil {
		t.Fatal(err)
	}
	cfg := notificationsOnly(dir)
	c := startTailer(t, cfg)
	waitFor(t, "the first target's line", func() bool { return len(c.records()) == 1 })
	next := filepath.Join(dir, "data.txt.new")
	mustWrite(t, next, "second\n")
	mustRename(t, next, target) // a new file under the link's target name
	waitFor(t, "the new target's line", func() bool { return len(c.records()) == 2 })
	eq(t, c.records(), "first\n", "second\n")
}

// notificationsOnly is testConfig with polls and full rescans a minute
// apart: what the tailer does within a test comes from notifications.
func notificationsOnly(dir string) Config {
	cfg := testConfig(dir, "*.log")
	cfg.MinPoll, cfg.MaxRefresh = time.Minute, time.Minute
	return cfg
}

// With a pattern naming one file (the usual "/var/log/app.log") and
// rotation by rename, the rotated file lingers under the live name until
// it is let go; letting it go must not make the new file count as closed:
// its writes are reads, not rescans of the directory.
func TestWritesAfterRotationOutOfAOneNamePatternAreReadsNotRescans(t *testing.T) {
	dir := t.TempDir()
	app := filepath.Join(dir, "app.log")
	mustWrite(t, app, "old\n")
	cfg := testConfig(dir, "app.log")
	cfg.MaxRefresh = time.Minute // rescans only when asked
	c := startTailer(t, cfg)
	waitFor(t, "the old file's line", func() bool { return len(c.records()) == 1 })
	mustRename(t, app, app+".1")
	mustWrite(t, app, "new\n")
	waitFor(t, "the new file's line", func() bool { return len(c.records()) == 2 })
	// The rotated file is let go after linger (300 ms here) without growth.
	waitFor(t, "the rotated file let go", func() bool { return len(cfg.Stats.Files()) == 1 })
	scans := c.tl.scans.Load()
	for i := 0; i < 5; i++ {
		mustAppend(t, app, fmt.Sprintf("n%d\n", i))
		waitFor(t, "the line", func() bool { return len(c.records()) == 3+i })
	}
	if n := c.tl.scans.Load() - scans; n != 0 {
		t.Errorf("%d directory scans for 5 writes to the open app.log, want 0", n)
	}
}

// A pass of the loop reads the files that gave data last time or that a
// write notification names, not every open file: quiet files beside a
// busy one are read only at the full pass every MinPoll (a minute here),
// while every line of the busy one still arrives.
func TestQuietFilesAreNotReadOnEveryPass(t *testing.T) {
	dir := t.TempDir()
	const quiet = 20
	for i := 0; i < quiet; i++ {
		mustWrite(t, filepath.Join(dir, fmt.Sprintf("quiet-%02d.log", i)), fmt.Sprintf("q%02d\n", i))
	}
	busy := filepath.Join(dir, "busy.log")
	mustWrite(t, busy, "")
	c := startTailer(t, notificationsOnly(dir))
	waitFor(t, "the quiet files' lines", func() bool { return len(c.records()) == quiet })
	waitFor(t, "the busy file open", func() bool { return c.tl.isOpen(busy) })
	pumps, loops := c.tl.pumps.Load(), c.tl.loops.Load()
	const n = 50
	for i := 0; i < n; i++ { // one pass or more per line
		mustAppend(t, busy, lines("b", i, i+1))
		waitFor(t, "the busy line", func() bool { return len(c.recordsOf("busy.log")) == i+1 })
	}
	p, l := c.tl.pumps.Load()-pumps, c.tl.loops.Load()-loops
	if l < n {
		t.Fatalf("%d passes for %d lines each awaited, want at least %d", l, n, n)
	}
	if p > 2*l+quiet { // the busy file once or twice a pass, slack for one pass over every file
		t.Errorf("%d file reads in %d passes with %d quiet files: quiet files read on every pass", p, l, quiet)
	}
}

// busyNeighbour appends a line to path every 2 ms until the test ends, so
// that the tailer never waits for a change.
func busyNeighbour(t *testing.T, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tk := time.NewTicker(2 * time.Millisecond)
		defer tk.Stop()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-tk.C:
			}
			if _, err := f.WriteString(lines("b", i, i+1)); err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { close(stop); <-done; f.Close() })
}

// A quiet open file written while another file keeps the tailer busy (it
// never waits for a change) is still read soon, through its recorded
// write notification, not at the next full pass (a minute here).
func TestQuietFileWrittenWhileAnotherKeepsTheTailerBusyIsRead(t *testing.T) {
	dir := t.TempDir()
	busy, quiet := filepath.Join(dir, "busy.log"), filepath.Join(dir, "quiet.log")
	mustWrite(t, busy, "")
	mustWrite(t, quiet, "q0\n")
	c := startTailer(t, notificationsOnly(dir))
	waitFor(t, "q0", func() bool { return len(c.recordsOf("quiet.log")) == 1 })
	busyNeighbour(t, busy)
	waitFor(t, "the busy file read", func() bool { return len(c.recordsOf("busy.log")) > 20 })
	mustAppend(t, quiet, "q1\n")
	waitFor(t, "the line written to the quiet file", func() bool { return len(c.recordsOf("quiet.log")) == 2 })
}

// unreported makes the write watch of the file at path one that never
// reports (as on a network file system: remote writes make no inotify
// events); other files are watched as usual.
func unreported(path string) func(*Tailer) {
	return func(tl *Tailer) {
		tl.addFileWatch = func(p string, f *os.File, mask uint32) (int32, error) {
			if p == path {
				return 1 << 30, nil // a watch descriptor no event carries
			}
			return tl.watcher.writes().addFile(p, f, mask)
		}
	}
}

// The multi-line idle flush judges a file by a size read in the same
// pass. A file whose writes are not reported is skipped by busy passes;
// judged by its size at its last read, its pending record was flushed
// while the continuation already waited in the file, splitting it.
func TestIdleFlushOfAFileWhoseWritesAreNotReportedDoesNotSplitARecord(t *testing.T) {
	dir := t.TempDir()
	busy, quiet := filepath.Join(dir, "busy.log"), filepath.Join(dir, "quiet.log")
	mustWrite(t, busy, "")
	mustWrite(t, quiet, "START a\n")
	cfg := notificationsOnly(dir)
	cfg.MultiLineStart = mustRegexp(t, `^START`)
	c := startTailer(t, cfg, unreported(quiet), func(tl *Tailer) { tl.mlIdle = time.Second })
	waitFor(t, "the first pass", func() bool { return c.tl.loops.Load() >= 2 })
	mustAppend(t, quiet, " continued\n") // read by no notification
	busyNeighbour(t, busy)
	waitFor(t, "the quiet file's record", func() bool { return len(c.recordsOf("quiet.log")) >= 1 })
	if got := c.recordsOf("quiet.log"); got[0] != "START a\n continued\n" {
		t.Fatalf("records of quiet.log %q, want the whole record first", got)
	}
}

// With rotation by rename out of a one-name pattern, the new file's write
// events are recorded once the rotated file is let go: its lines arrive
// through them, not at the next full pass (a minute here).
func TestNewFileAfterRotationOutOfAOneNamePatternIsReadOnItsWriteEvents(t *testing.T) {
	dir := t.TempDir()
	app := filepath.Join(dir, "app.log")
	mustWrite(t, app, "old\n")
	cfg := notificationsOnly(dir)
	cfg.Glob = "app.log"
	c := startTailer(t, cfg)
	waitFor(t, "the old file's line", func() bool { return len(c.records()) == 1 })
	mustRename(t, app, app+".1")
	mustWrite(t, app, "new\n")
	waitFor(t, "the new file's line", func() bool { return len(c.records()) == 2 })
	// Passes run on write events only: write until the rotated file,
	// quiet since linger (300 ms here), is let go.
	n := 2
	waitFor(t, "the rotated file let go", func() bool {
		mustAppend(t, app, fmt.Sprintf("w%d\n", n))
		n++
		waitFor(t, "the line", func() bool { return len(c.records()) == n })
		return len(cfg.Stats.Files()) == 1
	})
	for i := 0; i < 5; i++ {
		mustAppend(t, app, fmt.Sprintf("n%d\n", i))
		waitFor(t, "the line after the rotated file was let go", func() bool { return len(c.records()) == n+1+i })
	}
}

// A pass reads the write events queued when it starts: while another file
// keeps the loop busy (it never waits for a change, so the reader
// goroutine would read them only after busyWriteRead), a write to a quiet
// file is read by the next pass. Here only the passes read write events,
// and MinPoll is a minute: without that read, the line would not come.
// (The busy file is written from before the start: begun after the first
// pass, its first write could find the loop idle already, which nothing
// but MinPoll wakes here; the test failed so in about 1 run of 10.)
func TestPassReadsTheWriteEventsQueuedWhenItStarts(t *testing.T) {
	dir := t.TempDir()
	busy, quiet := filepath.Join(dir, "busy.log"), filepath.Join(dir, "quiet.log")
	mustWrite(t, quiet, "q0\n")
	busyNeighbour(t, busy)
	waitFor(t, "the busy file's first line", func() bool { fi, err := os.Stat(busy); return err == nil && fi.Size() > 0 })
	c := startTailer(t, notificationsOnly(dir), func(tl *Tailer) { tl.passReadsOnly = true })
	waitFor(t, "q0", func() bool { return len(c.recordsOf("quiet.log")) == 1 })
	waitFor(t, "the busy file read", func() bool { return len(c.recordsOf("busy.log")) > 20 })
	for i := 1; i <= 5; i++ {
		mustAppend(t, quiet, fmt.Sprintf("q%d\n", i))
		waitFor(t, "the line written to the quiet file", func() bool { return len(c.recordsOf("quiet.log")) == i+1 })
	}
}

// A closed file is reopened by its name; if the name was given to another
// file between the listing and the open (renamed over it), that file is
// not taken as the closed one's continuation: it would be read twice (by
// this harvester and by its own) and the two would share one write watch.
func TestReopenDoesNotTakeAFileRenamedOverTheClosedOne(t *testing.T) {
	dir := t.TempDir()
	app, b := filepath.Join(dir, "app.log"), filepath.Join(dir, "b.tmp")
	mustWrite(t, app, "one\n")
	mustWrite(t, b, "one\nB\n") // starts with app.log's bytes
	cfg := testConfig(dir, "*.log")
	cfg.MaxRefresh = time.Minute
	var armed atomic.Bool
	c := startTailer(t, cfg, func(tl *Tailer) {
		tl.inactive = 50 * time.Millisecond
		tl.openFn = func(name string, flag int, perm os.FileMode) (*os.File, error) {
			if name == app && armed.CompareAndSwap(true, false) {
				if err := os.Rename(b, app); err != nil { // between the listing and the open
					return nil, err
				}
			}
			return os.OpenFile(name, flag, perm)
		}
	})
	waitFor(t, "the first line", func() bool { return len(c.records()) == 1 })
	waitFor(t, "app.log closed for inactivity", func() bool { return !c.tl.isOpen(app) })
	armed.Store(true)
	mustAppend(t, app, "two\n") // its write event has the closed app.log reopened
	waitFor(t, "the file renamed over app.log read", func() bool { return slices.Contains(c.records(), "B\n") })
	loops := c.tl.loops.Load()
	waitFor(t, "more passes", func() bool { return c.tl.loops.Load() >= loops+20 })
	c.stop()
	if n := strings.Count(strings.Join(c.records(), ""), "B\n"); n != 1 {
		t.Errorf("records %q: the renamed-over file's line read %d times, want once", c.records(), n)
	}
	holders := map[int32]int{}
	for _, h := range c.tl.files {
		if h.wd != 0 {
			holders[h.wd]++
		}
	}
	for wd, n := range holders {
		if n > 1 {
			t.Errorf("write watch %d held by %d harvesters", wd, n)
		}
	}
}

// The write events recorded for a pass live in two maps that the passes
// swap: recording and taking them allocates nothing once both exist
// (a map per pass, 20-40 times a second on a live flow, before).
func TestRecordingWriteEventsForPassesDoesNotAllocate(t *testing.T) {
	tl, err := New(testConfig(t.TempDir(), "*.log"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	cycle := func() {
		tl.markWritten(7)
		written, _ := tl.takeWritten(now)
		if !written[7] {
			t.Fatal("a recorded write event is not in the pass's set")
		}
	}
	cycle()
	cycle()
	if n := testing.AllocsPerRun(100, cycle); n != 0 {
		t.Errorf("%.0f allocations per recorded event and pass, want 0", n)
	}
	tl.markWritten(9)
	if written, _ := tl.takeWritten(now); written[7] || !written[9] {
		t.Errorf("the pass's set %v, want only the events since the last pass", written)
	}
}
