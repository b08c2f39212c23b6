package flows

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
)

// copytruncate rotation with a pattern that matches the copy (app.log*),
// the agent having kept up: the copy holds only bytes already delivered
// and yields no record. Its row still moves to where its original was
// acknowledged; it used to stay at the 0 reported when the copy was begun,
// and a restart sent the whole copy again.
func TestACopytruncateCopyOfDeliveredLinesIsNotSentAgainAfterARestart(t *testing.T) {
	dir := t.TempDir()
	live := filepath.Join(dir, "app.log")
	content := "a1\na2\na3\n"
	writeFile(t, live, content)
	store := openStore(t)
	cfg := flowConfig(dir)
	cfg.Glob = "app.log*"
	cfg.ID = "kinesis:s:" + live + "*"
	cfg.MaxBufferAge = 50 * time.Millisecond

	snd := &memSender{}
	stats := flowstats.New(cfg.ID, "s", false)
	stop := startFlow(t, cfg, Deps{Sender: snd, Saver: store, Stats: stats, Senders: 2})
	eventually(t, "3 lines sent", func() bool { return len(snd.got()) == 3 })
	// copytruncate
	if err := os.WriteFile(live+".1", []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(live, 0); err != nil {
		t.Fatal(err)
	}
	// Wait for the copy to be decided (copyWait is 2 s) and its row to reach
	// where the original was acknowledged.
	eventually(t, "copy's row at the original's acknowledged offset", func() bool {
		ps, _ := store.Load(cfg.ID)
		for _, p := range ps {
			if p.Path == live+".1" && p.Offset == int64(len(content)) {
				return true
			}
		}
		return false
	})
	stop()
	if got := snd.got(); len(got) != 3 {
		t.Fatalf("before restart sent %q", got)
	}
	ps, err := store.Load(cfg.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		t.Logf("saved row: path=%s fileId=%s offset=%d", p.Path, p.FileID, p.Offset)
	}
	snd2 := &memSender{}
	stop2 := startFlow(t, cfg, Deps{Sender: snd2, Saver: store, Stats: flowstats.New(cfg.ID, "s", false), Resume: ps, Senders: 2})
	defer stop2()
	appendTo(t, live, "b1\n")
	eventually(t, "b1 sent", func() bool {
		for _, r := range snd2.got() {
			if r == "b1\n" {
				return true
			}
		}
		return false
	})
	if got := snd2.got(); len(got) != 1 {
		t.Fatalf("after restart sent %q, want only b1: the copy's lines were all delivered before", got)
	}
}
