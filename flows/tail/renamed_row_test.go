package tail

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/ack"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

// TestAFileRenamedWhileItsFirstChunkWaitsForTheDestinationKeepsItsRow:
// a file read but whose first chunk has not reached the acknowledgement
// stage (it waits behind a slow or failed destination) is rotated within
// the pattern (app.log -> app.log.1, a new app.log). Its only row, its
// starting row, must move to its new name: left under the old one, the
// new app.log's row wrote over it, and a restart took the rowless file for
// an old one and started it at its end, losing its unsent lines (found by
// TestSpillRotationStress/restarts in CI).
func TestAFileRenamedWhileItsFirstChunkWaitsForTheDestinationKeepsItsRow(t *testing.T) {
	dir := t.TempDir()
	live := filepath.Join(dir, "r.log")
	mustWrite(t, live, "r1 "+strings.Repeat("x", 30<<10)) // a long first line, not ended yet
	fidR := fileIDOf(t, live)

	saver := &spillSaver{saved: map[string]record.Position{}}
	rowOf := func(fid string) (record.Position, bool) {
		for _, r := range saver.rows() {
			if r.FileID == fid {
				return r, true
			}
		}
		return record.Position{}, false
	}
	hasRow := func(fid string) bool { _, ok := rowOf(fid); return ok }

	// Run 1: its destination stops taking chunks after the first read.
	r1 := startHeld(t, dir, saver)
	tl, stats := r1.tl, r1.stats
	waitFor(t, "r.log's starting row", func() bool { return hasRow(fidR) })
	n := tl.loops.Load()
	waitFor(t, "passes (r.log's first bytes read)", func() bool { return tl.loops.Load() >= n+3 })
	mustAppend(t, live, "\n")
	waitFor(t, "its chunk in send", func() bool { return stats.RecordsParsed.Load() >= 1 })

	// Rotated within the pattern; the new r.log gets its row.
	rotated := live + ".1"
	mustRename(t, live, rotated)
	mustWrite(t, live, "g\n")
	fidG := fileIDOf(t, live)
	waitFor(t, "the new r.log's row", func() bool { return hasRow(fidG) })
	waitFor(t, "r.log.1's row under its new name", func() bool {
		r, ok := rowOf(fidR)
		return ok && r.Path == rotated
	})
	// A newer row (a file begun later): r.log.1's last change is before it.
	other := filepath.Join(dir, "x.log")
	mustWrite(t, other, "x\n")
	waitFor(t, "x.log's row", func() bool { return hasRow(fileIDOf(t, other)) })
	r1.stop()

	// Run 2: a restart with the saved rows.
	var mu sync.Mutex
	var got []string
	cfg2 := testConfig(dir, "*.log*")
	trk2 := ack.New("test", saver, ack.WithSaveDelay(10*time.Millisecond), ack.WithFlushInterval(50*time.Millisecond), gapFails(t))
	cfg2.OnBegin = trk2.Seen
	cfg2.Resume = saver.rows()
	tl2, err := New(cfg2)
	if err != nil {
		t.Fatal(err)
	}
	// A file without a row is new only if it changed after the newest row
	// (no grace: r.log.1 changed just before x.log's row).
	tl2.newGrace = 0
	ctx2, cancel2 := context.WithCancel(context.Background())
	r2 := runAcked(ctx2, tl2, trk2, func(b []byte) {
		mu.Lock()
		got = append(got, string(b[:min(len(b), 3)]))
		mu.Unlock()
	})
	defer func() { cancel2(); r2.stopped(t, "run 2") }()
	waitFor(t, "r.log.1's line after the restart", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) >= 3
	})
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(strings.Join(got, "|"), "r1 ") {
		t.Fatalf("r.log.1's line, never sent, is missing after the restart: %q", got)
	}
}
