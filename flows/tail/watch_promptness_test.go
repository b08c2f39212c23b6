package tail

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

// gate blocks the goroutine logging msg for path (the Run goroutine) until release.
type gate struct {
	msg, path     string
	held, release chan struct{}
	once          *sync.Once
}

func (g gate) Enabled(context.Context, slog.Level) bool { return true }
func (g gate) WithAttrs([]slog.Attr) slog.Handler       { return g }
func (g gate) WithGroup(string) slog.Handler            { return g }
func (g gate) Handle(_ context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if r.Message == g.msg && a.Key == "path" && a.Value.String() == g.path {
			g.once.Do(func() { close(g.held); <-g.release })
		}
		return true
	})
	return nil
}

// A flow directory removed and made again before the loop rescans, given
// the same inode (ext4 reuses it): its watch was dropped by the kernel, and
// a same-identity check kept it unwatched (new files waited for the full
// rescan, 10 s by default).
func TestDirectoryRemovedAndMadeAgainWithTheSameInodeIsWatchedAgain(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "logs")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	gl := filepath.Join(dir, "gate.log")
	g := gate{"Stopped tailing file", gl, make(chan struct{}), make(chan struct{}), &sync.Once{}}
	cfg := testConfig(dir, "*.log")
	cfg.MaxRefresh, cfg.Logger = time.Minute, slog.New(g)
	c := startTailer(t, cfg)
	var rel sync.Once
	release := func() { rel.Do(func() { close(g.release) }) }
	t.Cleanup(release)
	mustWrite(t, gl, "gate\n")
	waitFor(t, "gate.log", func() bool { return len(c.records()) == 1 })
	before, _ := dirIdentity(dir)
	if err := os.Remove(gl); err != nil {
		t.Fatal(err)
	}
	<-g.held // Run goroutine busy (letting gate.log go) while: rmdir logs; mkdir logs
	if err := syscall.Rmdir(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	after, _ := dirIdentity(dir)
	scans := c.tl.scans.Load()
	release()
	if before != after {
		t.Skip("no inode reuse this time")
	}
	waitFor(t, "the rescan after the removal", func() bool { return c.tl.scans.Load() > scans })
	c.settle()
	mustWrite(t, filepath.Join(dir, "a.log"), "new dir\n")
	// Within waitFor's deadline, well before the full rescan (MaxRefresh is
	// a minute here).
	waitFor(t, "a.log in the re-made directory", func() bool { return len(c.records()) == 2 })
}

// A line appended to a quiet file while a pass is busy elsewhere, just
// before the file is closed for inactivity, is read promptly: the close
// checks the size first, and a write mark on a closed file asks for a
// rescan (it waited for the full rescan).
func TestLineAppendedWhileAQuietFileIsBeingClosedIsReadPromptly(t *testing.T) {
	dir := t.TempDir()
	q, b := filepath.Join(dir, "q.log"), filepath.Join(dir, "b.log")
	mustWrite(t, q, "q0\n")
	mustWrite(t, b, "")
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(q, old, old); err != nil { // q.log takes its turn first
		t.Fatal(err)
	}
	cfg := testConfig(dir, "*.log")
	cfg.MaxRefresh = time.Minute
	tl, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tl.inactive = 2 * time.Second
	ctx, cancel := context.WithCancel(context.Background())
	out, done := make(chan *record.Chunk), make(chan struct{})
	go func() { defer close(done); _ = tl.Run(ctx, out) }()
	defer func() { cancel(); <-done }()
	recv := func() *record.Chunk {
		select {
		case ch := <-out:
			return ch
		case <-time.After(5 * time.Second):
			t.Fatal("no chunk")
		}
		return nil
	}
	recv() // q0
	t0 := time.Now()
	mustAppend(t, b, strings.Repeat(strings.Repeat("b", 99)+"\n", 60000))
	recv()
	for base := tl.loops.Load(); tl.loops.Load() == base; { // slow consumer: pass lasts > MinPoll
		recv()
		time.Sleep(15 * time.Millisecond)
	}
	// The next pass is full: it pumped q.log (nothing new), now blocks sending b.log.
	time.Sleep(time.Until(t0.Add(2500 * time.Millisecond))) // q.log idle > inactive
	reads := tl.writeReads.Load()
	mustAppend(t, q, "q1\n")
	waitFor(t, "q.log's event read", func() bool { return tl.writeReads.Load() > reads })
	got := make(chan string, 16)
	go func() {
		for {
			select {
			case <-done:
				return
			case ch := <-out:
				if filepath.Base(ch.Source.PathNow()) == "q.log" {
					got <- string(ch.Record(0))
				}
			}
		}
	}()
	select {
	case <-got:
	case <-time.After(3 * time.Second):
		t.Fatalf("q1 not read within 3 s; q.log open: %v", tl.isOpen(q))
	}
}
