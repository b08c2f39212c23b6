package tail

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/ack"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

// hookHandler runs fn (once) when a record with message msg is logged:
// a deterministic hook inside scan's reconcile (warnOnce runs on the Run
// goroutine, between two stats of the same listing).
type hookHandler struct {
	msg  string
	fn   func()
	done atomic.Bool
}

func (h *hookHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *hookHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg && !h.done.Swap(true) {
		h.fn()
	}
	return nil
}
func (h *hookHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *hookHandler) WithGroup(string) slog.Handler      { return h }

// The second listing of a scan is reconciled afresh: a file the first
// listing saw under its old name and renamed before the second one
// (app-a.log -> app-a.log.1, a new app-a.log) kept its stale path, so it
// and the new file both said app-a.log, and the checkpoint (one row per
// path) kept one of them.
func TestASecondListingGivesTheFilesTheFirstOneSawTheirNamesNow(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "app-a.log")
	cc := filepath.Join(dir, "app-c.log")
	mustWrite(t, a, lines("a", 0, 5))
	mustWrite(t, cc, lines("c", 0, 5))
	saver := &spillSaver{saved: map[string]record.Position{}}
	trk := ack.New("f", saver, ack.WithSaveDelay(time.Hour), ack.WithFlushInterval(time.Hour), gapFails(t))
	hook := &hookHandler{msg: "Skipping dangling symbolic link", fn: func() {
		// Between the first listing's stat of app-a.log and the stat of
		// app-c.log: logrotate renames both, a new app-a.log is created.
		if err := os.Rename(a, a+".1"); err != nil {
			t.Error(err)
		}
		if err := os.WriteFile(a, []byte(lines("b", 0, 3)), 0o644); err != nil {
			t.Error(err)
		}
		if err := os.Rename(cc, cc+".1"); err != nil {
			t.Error(err)
		}
	}}
	tl, err := New(Config{FlowID: "f", Dir: dir, Glob: "app*", MinPoll: 10 * time.Millisecond,
		MaxRefresh: 10 * time.Second, Stats: flowstats.New("f", "s", false), OnBegin: trk.Seen,
		Logger: slog.New(hook)})
	if err != nil {
		t.Fatal(err)
	}
	tl.noNotify = true // (polling: the next full scan comes after 1 s)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var bRecords atomic.Int64
	run := runAcked(ctx, tl, trk, func(r []byte) {
		if r[0] == 'b' {
			bRecords.Add(1)
		}
	})
	waitFor(t, "10 records", func() bool { return run.records.Load() == 10 })
	if err := os.Symlink(filepath.Join(dir, "nowhere"), filepath.Join(dir, "app-b")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the new file's 3 records acknowledged", func() bool { return bRecords.Load() == 3 && trk.Pending() == 0 })
	cancel() // well before the next scan (polling: 1 s)
	run.stopped(t, "stop")
	for _, name := range []string{"app-a.log", "app-a.log.1", "app-c.log.1"} {
		p := filepath.Join(dir, name)
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		wantRow(t, saver, p, fi.Size())
	}
}
