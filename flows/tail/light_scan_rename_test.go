package tail

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/ack"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

// The light scan (while a send is blocked) version of the listing race:
// app.log renamed to app.log.1 and a new app.log created before its stat;
// the light scan found the new file there and unmatched the old one, whose
// acknowledged position then went unsaved, and a stop before the next scan
// resumed it from an older row (duplicates). It lists again too.
func TestALightScanKeepsThePositionOfAFileRenamedBetweenItsListingAndStats(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	mustWrite(t, p, lines("a", 0, 5))
	first := int64(len(lines("a", 0, 5)))
	saver := &spillSaver{saved: map[string]record.Position{}}
	trk := ack.New("f", saver, ack.WithSaveDelay(time.Hour), ack.WithFlushInterval(time.Hour), gapFails(t))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hook := &hookHandler{msg: "Skipping dangling symbolic link", fn: func() {
		// Between the light listing and the stat of app.log.
		if err := os.Rename(p, p+".1"); err != nil {
			t.Error(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Error(err)
		}
		cancel() // the stop comes before the next scan
	}}
	tl, err := New(Config{FlowID: "f", Dir: dir, Glob: "app.*", MinPoll: 10 * time.Millisecond,
		MaxRefresh: 50 * time.Millisecond, Stats: flowstats.New("f", "s", false), OnBegin: trk.Seen,
		Logger: slog.New(hook)})
	if err != nil {
		t.Fatal(err)
	}
	tctx, tcancel := context.WithCancel(context.Background())
	trkDone := make(chan struct{})
	go func() { defer close(trkDone); trk.Run(tctx) }()
	out := make(chan *record.Chunk)
	done := make(chan struct{})
	go func() { defer close(done); tl.Run(ctx, out) }()
	// The first chunk is taken and acknowledged; then the consumer stalls.
	c := <-out
	trk.Add(c)
	if c.End != first {
		t.Fatalf("first chunk ends at %d, want %d", c.End, first)
	}
	c.Ack(c.Len())
	c.ReleaseData()
	mustAppend(t, p, lines("a", 5, 10)) // read; its send blocks
	n := tl.scans.Load()
	waitFor(t, "light scans while the send is blocked", func() bool { return tl.scans.Load() >= n+3 })
	// A dangling symlink sorting before app.log: its warning runs the hook.
	if err := os.Symlink(filepath.Join(dir, "nowhere"), filepath.Join(dir, "app.a")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("no light scan within 10 s")
	}
	tcancel()
	<-trkDone

	wantRow(t, saver, p+".1", first)
}
