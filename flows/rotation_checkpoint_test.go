package flows

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/batch"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
)

// gateSender acknowledges batches, except that a batch holding a record
// with prefix holdPrefix waits until release is closed, and a batch
// holding a record with prefix neverPrefix is never acknowledged.
type gateSender struct {
	holdPrefix, neverPrefix string
	release                 chan struct{}
	mu                      sync.Mutex
	records                 []string
	heldSeen                chan struct{}
	heldOnce                sync.Once
}

func (g *gateSender) Send(ctx context.Context, b *batch.Batch) error {
	hold, never := false, false
	for _, e := range b.Entries {
		s := string(e.Data)
		if g.holdPrefix != "" && strings.HasPrefix(s, g.holdPrefix) {
			hold = true
		}
		if g.neverPrefix != "" && strings.HasPrefix(s, g.neverPrefix) {
			never = true
		}
	}
	if never {
		<-ctx.Done()
		return ctx.Err()
	}
	if hold {
		g.heldOnce.Do(func() { close(g.heldSeen) })
		select {
		case <-g.release:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	g.mu.Lock()
	for _, e := range b.Entries {
		g.records = append(g.records, string(e.Data))
	}
	g.mu.Unlock()
	for _, e := range b.Entries {
		e.Chunk.Ack(1)
	}
	return nil
}

func (g *gateSender) got() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.records...)
}

// Rename rotation with a pattern that matches only the live name (app.log
// -> app.log.1, a new app.log). The rotated file's last records are
// acknowledged after the new file's row was saved. Their position must not
// be saved under app.log: that overwrote the new file's row with the old
// file's id, and a restart then took the new file (no row of its own,
// older than the newest checkpoint) as present at first start and began
// it at its end, skipping its unacknowledged lines.
func TestLateAckOfAFileRotatedOutOfThePatternKeepsTheNewFilesRow(t *testing.T) {
	dir := t.TempDir()
	live := filepath.Join(dir, "app.log")
	writeFile(t, live, "old1\nold2\n")
	store := openStore(t)

	cfg := flowConfig(dir)
	cfg.Glob = "app.log"
	cfg.ID = "kinesis:s:" + live
	cfg.MaxBufferAge = 50 * time.Millisecond

	snd := &gateSender{holdPrefix: "old", neverPrefix: "new3", release: make(chan struct{}), heldSeen: make(chan struct{})}
	stats := flowstats.New(cfg.ID, "s", false)
	stop := startFlow(t, cfg, Deps{Sender: snd, Saver: store, Stats: stats, Senders: 4})
	select {
	case <-snd.heldSeen:
	case <-time.After(10 * time.Second):
		t.Fatal("old batch never sent")
	}
	// Rotate: rename out of the pattern, new live file.
	if err := os.Rename(live, live+".1"); err != nil {
		t.Fatal(err)
	}
	writeFile(t, live, "new1\nnew2\n")
	eventually(t, "new1,new2 sent", func() bool { return len(snd.got()) == 2 })
	// new3 is read but never acknowledged before the stop.
	appendTo(t, live, "new3\n")
	eventually(t, "new3 parsed", func() bool { return stats.RecordsParsed.Load() == 5 })
	// The old file's batch is finally delivered, and its position moves.
	close(snd.release)
	eventually(t, "old lines sent", func() bool { return len(snd.got()) == 4 })
	stop() // saves the positions that moved

	ps, err := store.Load(cfg.ID)
	if err != nil {
		t.Fatal(err)
	}
	oldIno, newIno := inoOf(t, live+".1"), inoOf(t, live)
	t.Logf("rotated app.log.1 ino=%d, live app.log ino=%d", oldIno, newIno)
	for _, p := range ps {
		t.Logf("saved row: path=%s fileId=%s offset=%d", p.Path, p.FileID, p.Offset)
	}

	// Restart.
	snd2 := &gateSender{release: make(chan struct{}), heldSeen: make(chan struct{})}
	stop2 := startFlow(t, cfg, Deps{Sender: snd2, Saver: store, Stats: flowstats.New(cfg.ID, "s", false), Resume: ps, Senders: 4})
	defer stop2()
	appendTo(t, live, "new4\n")
	eventually(t, "new4 sent", func() bool {
		for _, r := range snd2.got() {
			if r == "new4\n" {
				return true
			}
		}
		return false
	})
	got := snd2.got()
	t.Logf("sent after restart: %q", got)
	found := false
	for _, r := range got {
		if r == "new3\n" {
			found = true
		}
	}
	if !found {
		t.Fatalf("new3 (read but never acknowledged before the stop) was not sent after the restart: lost")
	}
}

func inoOf(t *testing.T, p string) uint64 {
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}
