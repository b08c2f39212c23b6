package tail

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/syncbuf"
)

// While a send waits (a destination unreachable: connections refused or
// timing out), light scans hold a descriptor for every new file; with
// files enough they took every descriptor there was, and the send could
// never open a connection again: the agent stalled until restarted
// (200 files under ulimit -n 100 in an end-to-end replay). Out of
// descriptors there, the files held and not read yet are closed (their
// starting rows stay), no more are opened until the send goes, and then
// every line of every file arrives. From a replay of LoongCollector and
// loggie reports (loggie's maxOpenFds; alibaba/loongcollector#2688).
func TestRunningOutOfDescriptorsWhileASendWaitsGivesDescriptorsBack(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "a.log"), lines("a", 0, 10))
	fds := &fdLimit{limit: 1 << 30}
	tl, out, _ := runUnreceived(t, testConfig(dir, "*.log"), func(tl *Tailer) { tl.openFn = fds.open })
	waitFor(t, "the first send to wait", func() bool { return tl.sendWaits.Load() > 0 })
	n := fds.live()
	fds.setLimit(n + 40) // 40 descriptors more, no more
	live := fds.live
	want := lines("a", 0, 10)
	for i := 0; i < 60; i++ {
		text := lines(fmt.Sprintf("f%02d", i), 0, 5)
		mustWrite(t, filepath.Join(dir, fmt.Sprintf("f%02d.log", i)), text)
		want += text
	}
	// The light scans hold 40, run out, and give fdReserve back.
	waitFor(t, "descriptors given back", func() bool { return live() <= n+40-fdReserve })
	scans := tl.lightScans.Load()
	waitFor(t, "more light scans", func() bool { return tl.lightScans.Load() >= scans+2 })
	if l := live(); l > n+40-fdReserve {
		t.Fatalf("%d descriptors held after the light scans, want at most %d free of %d", l, fdReserve, n+40)
	}
	// The send goes (the destination is back): everything arrives.
	seen := map[string]int{}
	waitFor(t, "every line", func() bool {
		drainInto(out, seen)
		return len(seen) == 10+60*5
	})
	wantLines(t, seen, want, 1, "")
}

// Out of descriptors, every file that could not be opened logged an ERROR
// of its own (1,495 in one second for a burst of files under ulimit -n
// 1024): the log says it once, until the next full scan. From a replay of
// Datadog Agent reports (DataDog/datadog-agent#4664).
func TestFilesThatCannotBeOpenedForWantOfDescriptorsAreLoggedOnce(t *testing.T) {
	dir := t.TempDir()
	var logs syncbuf.Buffer
	cfg := testConfig(dir, "*.log")
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	mustWrite(t, filepath.Join(dir, "a.log"), "a\n")
	col := startTailer(t, cfg, func(tl *Tailer) {
		tl.openFn = func(name string, flag int, perm os.FileMode) (*os.File, error) {
			if strings.HasPrefix(filepath.Base(name), "x") {
				return nil, &os.PathError{Op: "open", Path: name, Err: syscall.EMFILE}
			}
			return os.OpenFile(name, flag, perm)
		}
	})
	col.waitRecords(1)
	for i := 0; i < 50; i++ {
		mustWrite(t, filepath.Join(dir, fmt.Sprintf("x%02d.log", i)), "x\n")
	}
	scans := col.tl.scans.Load()
	waitFor(t, "scans of the new files", func() bool { return col.tl.scans.Load() >= scans+3 })
	out := logs.String()
	if n := strings.Count(out, "Cannot open files: out of file descriptors"); n != 1 || strings.Contains(out, `msg="Cannot open file"`) {
		t.Fatalf("%d ERRORs for want of descriptors (want one), or one per file:\n%s", n, out)
	}
}

// Out of descriptors while a send waits, a held file that was renamed out
// of the pattern meanwhile (a rotation during the outage) is not given
// back: the next full scan would never list it again, and its lines were
// lost with no word. From a review.
func TestAHeldFileRenamedOutOfThePatternKeepsItsDescriptorWhenDescriptorsRunOut(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "a.log"), lines("a", 0, 10))
	fds := &fdLimit{limit: 1 << 30}
	tl, out, _ := runUnreceived(t, testConfig(dir, "*.log"), func(tl *Tailer) { tl.openFn = fds.open })
	waitFor(t, "the first send to wait", func() bool { return tl.sendWaits.Load() > 0 })
	f := lines("f00", 0, 5)
	mustWrite(t, filepath.Join(dir, "f00.log"), f)
	waitFor(t, "f00.log held", func() bool { return fds.opened("f00.log") })
	mustRename(t, filepath.Join(dir, "f00.log"), filepath.Join(dir, "f00.log.1")) // out of the pattern
	scans := tl.lightScans.Load()
	waitFor(t, "light scans", func() bool { return tl.lightScans.Load() >= scans+2 })
	fds.setLimit(fds.live()) // out of descriptors
	mustWrite(t, filepath.Join(dir, "g.log"), "g\n")
	scans = tl.lightScans.Load()
	waitFor(t, "light scans out of descriptors", func() bool { return tl.lightScans.Load() >= scans+3 })
	fds.setLimit(1 << 30)
	seen := map[string]int{}
	waitFor(t, "f00's lines", func() bool {
		drainInto(out, seen)
		for _, l := range strings.SplitAfter(f, "\n") {
			if l != "" && seen[l] == 0 {
				return false
			}
		}
		return true
	})
}

// fdLimit is an openFn that fails with EMFILE once limit of the files it
// opened are still open.
type fdLimit struct {
	mu    sync.Mutex
	limit int
	files []*os.File
	names []string
}

func (l *fdLimit) liveLocked() (n int) {
	for _, f := range l.files {
		if _, err := f.Stat(); !errors.Is(err, os.ErrClosed) {
			n++
		}
	}
	return n
}

func (l *fdLimit) live() int { l.mu.Lock(); defer l.mu.Unlock(); return l.liveLocked() }

func (l *fdLimit) setLimit(n int) { l.mu.Lock(); l.limit = n; l.mu.Unlock() }

// opened reports whether a file named base was opened.
func (l *fdLimit) opened(base string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Contains(l.names, base)
}

func (l *fdLimit) open(name string, flag int, perm os.FileMode) (*os.File, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.liveLocked() >= l.limit {
		return nil, &os.PathError{Op: "open", Path: name, Err: syscall.EMFILE}
	}
	f, err := os.OpenFile(name, flag, perm)
	if err == nil {
		l.files, l.names = append(l.files, f), append(l.names, filepath.Base(name))
	}
	return f, err
}
