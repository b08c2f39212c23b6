package tail

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/ack"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

// Review of aaa2599: a file opened on creation (pre) and kept from the first
// listing after a rename amid the second one is started with the preopened
// descriptor, so start() succeeds under its stale name, matched: its
// starting row goes under the name the new file now has, and (one row per
// path) the new file is left without a row.
// TestAFileKeptFromTheFirstListingDoesNotStartUnderItsOldNameWithADescriptorOpenedOnCreation:
// a file opened on its creation (between the watcher's start and the first
// scan) and rotated between the first scan's second listing and its stat,
// kept from the first listing, took its descriptor and started under its
// old name, the new file's now: its starting row replaced the new file's,
// which then had none (found by the review of aaa2599).
func TestAFileKeptFromTheFirstListingDoesNotStartUnderItsOldNameWithADescriptorOpenedOnCreation(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "app-a.log")
	mustWrite(t, a, lines("a", 0, 5))
	gone := filepath.Join(dir, "gone.log")
	mustWrite(t, gone, "g\n")
	goneID := fileIDOf(t, gone)
	if err := os.Remove(gone); err != nil {
		t.Fatal(err)
	}
	aID := fileIDOf(t, a)

	saver := &spillSaver{saved: map[string]record.Position{}}
	trk := ack.New("test", saver, ack.WithSaveDelay(time.Hour), ack.WithFlushInterval(time.Hour), gapFails(t))
	rows := make(chan []record.Position, 1)
	cfg := testConfig(dir, "app*")
	cfg.Resume = []record.Position{{Flow: "test", Path: gone, FileID: goneID, Fingerprint: "2:x", Offset: 2,
		Updated: time.Now().Add(-time.Hour)}}
	cfg.OnBegin = func(ps ...record.Position) {
		trk.Seen(ps...)
		select {
		case rows <- append([]record.Position(nil), ps...):
		default:
		}
	}
	tl, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tl.noNotify = true
	tl.preopen(a) // created just after the watcher started: opened on creation
	var bID string
	tl.afterRelist = func() {
		// logrotate between the second listing and its stats.
		mustRename(t, a, a+".1")
		mustWrite(t, a, lines("b", 0, 3))
		bID = fileIDOf(t, a)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := make(chan *record.Chunk) // never read: only the starting rows count
	done := make(chan struct{})
	go func() { defer close(done); tl.Run(ctx, out) }()
	var first []record.Position
	select {
	case first = <-rows:
	case <-time.After(10 * time.Second):
		t.Fatal("no first rows")
	}
	cancel()
	<-done
	for _, r := range first {
		t.Logf("first-scan row: path=%s fileId=%s offset=%d", filepath.Base(r.Path), r.FileID, r.Offset)
	}
	if err := trk.Flush(); err != nil {
		t.Fatal(err)
	}
	for _, r := range saver.rows() {
		who := "?"
		switch r.FileID {
		case aID:
			who = "A (renamed to app-a.log.1)"
		case bID:
			who = "B (new app-a.log)"
		}
		t.Logf("saved row: path=%s file=%s offset=%d", filepath.Base(r.Path), who, r.Offset)
	}
	var bRow bool
	for _, r := range saver.rows() {
		if r.FileID == aID && r.Path == a {
			t.Errorf("the renamed file A has a row under its old name %s (now the new file's)", filepath.Base(a))
		}
		if r.FileID == bID && r.Path == a {
			bRow = true
		}
	}
	if !bRow {
		t.Errorf("the new file B at %s has no starting row (a restart takes it for an old file)", filepath.Base(a))
	}
}
