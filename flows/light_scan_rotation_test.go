package flows

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
)

// Glob app.log*, logrotate "rotate 1" (app.log.1 deleted, app.log ->
// app.log.1, new app.log) while the tailer is blocked in send (light
// scans only). The deleted X (path app.log.1) is out of the pattern once
// its name is listed for another file (the renamed Y), so its late
// acknowledgement is not saved under app.log.1 over Y's row. It was (the
// light scan detached only files whose name a new file took): Y, never
// acknowledged, then had no row after a clean stop and was begun at its
// end after the restart.
func TestALateAckOfADeletedFileKeepsTheRowOfTheFileRenamedToItsName(t *testing.T) {
	dir := t.TempDir()
	live := filepath.Join(dir, "app.log")
	rot := live + ".1"
	writeFile(t, rot, "x1\n")
	store := openStore(t)
	cfg := flowConfig(dir)
	cfg.Glob = "app.log*"
	cfg.ID = "kinesis:s:" + live + "*"
	cfg.MaxBufferAge = 50 * time.Millisecond
	snd := &gateSender{holdPrefix: "x", neverPrefix: "y", release: make(chan struct{}), heldSeen: make(chan struct{})}
	stats := flowstats.New(cfg.ID, "s", false)
	stop := startFlow(t, cfg, Deps{Sender: snd, Saver: store, Stats: stats, Senders: 4, MaxPendingChunks: 2})
	select {
	case <-snd.heldSeen:
	case <-time.After(10 * time.Second):
		t.Fatal("x batch never sent")
	}
	xID := fileIDOf(t, rot)
	writeFile(t, live, "y1\n")
	yID := fileIDOf(t, live)
	eventually(t, "y1 parsed", func() bool { return stats.RecordsParsed.Load() == 2 })
	for i := 2; i <= 5; i++ {
		appendTo(t, live, fmt.Sprintf("y%d\n", i))
		eventually(t, "y parsed", func() bool { return stats.RecordsParsed.Load() == int64(i+1) })
	}
	// The tailer is now blocked in send (y2 waits in process, y3 y4 in the channel).
	// logrotate rotate 1:
	if err := os.Remove(rot); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(live, rot); err != nil {
		t.Fatal(err)
	}
	writeFile(t, live, "z1\n")
	zID := fileIDOf(t, live)
	rowIs := func(path, id string) bool {
		ps, _ := store.Load(cfg.ID)
		for _, p := range ps {
			if p.Path == path && p.FileID == id {
				return true
			}
		}
		return false
	}
	eventually(t, "Y's row under app.log.1 and Z's under app.log", func() bool { return rowIs(rot, yID) && rowIs(live, zID) })
	close(snd.release) // X's batch is acknowledged at last
	eventually(t, "x1 sent", func() bool { return len(snd.got()) >= 1 })
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) && !rowIs(rot, xID) {
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	ps, _ := store.Load(cfg.ID)
	for _, p := range ps {
		who := map[string]string{xID: "X(deleted)", yID: "Y", zID: "Z"}[p.FileID]
		t.Logf("row: %s %s offset=%d", filepath.Base(p.Path), who, p.Offset)
	}
	snd2 := &memSender{}
	startFlow(t, cfg, Deps{Sender: snd2, Saver: store, Stats: flowstats.New(cfg.ID, "s", false), Resume: ps, Senders: 2})
	appendTo(t, live, "z2\n")
	eventually(t, "z2 sent", func() bool { return strings.Contains(strings.Join(snd2.got(), ""), "z2\n") })
	deadline = time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) && !strings.Contains(strings.Join(snd2.got(), ""), "y5\n") {
		time.Sleep(10 * time.Millisecond)
	}
	got := strings.Join(snd2.got(), "")
	t.Logf("sent after restart: %q", got)
	for i := 1; i <= 5; i++ {
		if !strings.Contains(got, fmt.Sprintf("y%d\n", i)) {
			t.Fatalf("y%d (never acknowledged) not sent after the restart: lost", i)
		}
	}
}
