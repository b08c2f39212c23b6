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

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/ack"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

// A file renamed within the pattern between a scan's listing and its stats
// (logrotate renaming app.log to app.log.1 while the next app.log is
// created) is in neither. It was taken for gone: out of the pattern, so its
// acknowledged position was not saved until a later scan found its new
// name, and a stop in between resumed it from an older row: its lines sent
// twice (TestSpillRotationStress, restarts, 1 run in 40). The scan now
// lists once more and finds it renamed.
func TestAFileRenamedBetweenAListingAndItsStatsKeepsItsPositionAcrossAStop(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	var body strings.Builder
	for i := range 5 {
		fmt.Fprintf(&body, "line %d\n", i)
	}
	if err := os.WriteFile(p, []byte(body.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	saver := &spillSaver{saved: map[string]record.Position{}}
	// Nothing is saved before the stop: the final flush decides.
	trk := ack.New("f", saver, ack.WithSaveDelay(time.Hour), ack.WithFlushInterval(time.Hour), gapFails(t))
	tl, err := New(Config{FlowID: "f", Dir: dir, Glob: "app.log*", MinPoll: 10 * time.Millisecond,
		MaxRefresh: 50 * time.Millisecond, Stats: flowstats.New("f", "s", false), OnBegin: trk.Seen})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var armed, fired atomic.Bool
	tl.afterList = func() {
		if armed.Load() && !fired.Swap(true) {
			// Renamed after the listing was read; a new file takes the name.
			if err := os.Rename(p, p+".1"); err != nil {
				t.Error(err)
			}
			if err := os.WriteFile(p, nil, 0o644); err != nil {
				t.Error(err)
			}
			cancel() // the stop comes before the next scan
		}
	}
	run := runAcked(ctx, tl, trk, nil)
	waitFor(t, "5 records", func() bool { return run.records.Load() == 5 })
	armed.Store(true)
	run.stopped(t, "no scan listed the directory")
	wantRow(t, saver, p+".1", int64(body.Len()))
}
