package flows

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/batch"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
)

func fileIDOf(t *testing.T, p string) string {
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	return fmt.Sprintf("(dev=%x,ino=%d)", uint64(st.Dev), st.Ino)
}

// Destination down (reading blocked), a file begun but not read yet (its
// only row is the starting row Seen) is rotated within the pattern
// (app.log -> app.log.1, new app.log) before the agent is stopped. Its
// starting row follows it to app.log.1. It stayed under app.log, where the
// new file's starting row replaced it: after the restart the rotated file
// had no row and was begun at its end, as if present at first start.
func TestTheStartingRowOfAFileRenamedBeforeItIsReadFollowsIt(t *testing.T) {
	dir := t.TempDir()
	blk := filepath.Join(dir, "app.logz")
	live := filepath.Join(dir, "app.log")
	writeFile(t, blk, "x1\n")
	store := openStore(t)
	cfg := flowConfig(dir)
	cfg.Glob = "app.log*"
	cfg.ID = "kinesis:s:" + live + "*"
	cfg.MaxBufferAge = 50 * time.Millisecond
	snd := &memSender{hold: func(b *batch.Batch) bool { return true }} // destination down
	stats := flowstats.New(cfg.ID, "s", false)
	stop := startFlow(t, cfg, Deps{Sender: snd, Saver: store, Stats: stats, MaxPendingChunks: 1})
	// Fill the pipeline until the tailer blocks in send.
	for i := 2; i <= 5; i++ {
		eventually(t, "x parsed", func() bool { return stats.RecordsParsed.Load() == int64(i-1) })
		appendTo(t, blk, fmt.Sprintf("x%d\n", i))
	}
	eventually(t, "x5 parsed (tailer now blocked in send)", func() bool { return stats.RecordsParsed.Load() == 5 })

	writeFile(t, live, "a1\na2\n")
	aID := fileIDOf(t, live)
	eventually(t, "A's starting row saved", func() bool {
		ps, _ := store.Load(cfg.ID)
		for _, p := range ps {
			if p.Path == live && p.FileID == aID {
				return true
			}
		}
		return false
	})
	if err := os.Rename(live, live+".1"); err != nil {
		t.Fatal(err)
	}
	writeFile(t, live, "b1\n")
	// A distinct, later modification time for the new file.
	if fi, err := os.Stat(live + ".1"); err != nil {
		t.Fatal(err)
	} else if err := os.Chtimes(live, time.Time{}, fi.ModTime().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	bID := fileIDOf(t, live)
	eventually(t, "B's starting row saved", func() bool {
		ps, _ := store.Load(cfg.ID)
		for _, p := range ps {
			if p.Path == live && p.FileID == bID {
				return true
			}
		}
		return false
	})
	stop()
	ps, _ := store.Load(cfg.ID)
	for _, p := range ps {
		t.Logf("row: %s %s offset=%d", p.Path, p.FileID, p.Offset)
	}
	if got := snd.got(); len(got) != 0 {
		t.Fatalf("sent before restart: %q", got)
	}
	snd2 := &memSender{}
	startFlow(t, cfg, Deps{Sender: snd2, Saver: store, Stats: flowstats.New(cfg.ID, "s", false), Resume: ps})
	eventually(t, "x1..x5 and b1 sent", func() bool { return len(snd2.got()) >= 6 })
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) && len(snd2.got()) < 8 {
		time.Sleep(20 * time.Millisecond)
	}
	got := strings.Join(snd2.got(), "")
	t.Logf("sent after restart: %q", got)
	if !strings.Contains(got, "a1\n") || !strings.Contains(got, "a2\n") {
		t.Fatalf("a1/a2 (never sent, app.log renamed to app.log.1) not sent after restart: lost")
	}
}
