package flows

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
)

// skipHeaderLines 2, and the agent stops after reading only the first
// header line. The checkpoint stays at 0 until both are read, so that the
// restart skips both: the chunk of the first line alone used to move it to
// 3, and the restart, with no header left to skip there, sent the second
// header line as a record.
func TestARestartBetweenHeaderLinesSkipsThemAll(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.log")
	writeFile(t, p, "h1\n")
	store := openStore(t)
	cfg := flowConfig(dir)
	cfg.SkipHeaderLines = 2
	cfg.MaxBufferAge = 50 * time.Millisecond
	snd := &memSender{}
	stats := flowstats.New(cfg.ID, "s", false)
	stop := startFlow(t, cfg, Deps{Sender: snd, Saver: store, Stats: stats})
	eventually(t, "h1 read and the file's row saved", func() bool {
		fs := stats.Files()
		ps, _ := store.Load(cfg.ID)
		return len(fs) == 1 && fs[0].ReadOffset == 3 && len(ps) == 1
	})
	stop()
	appendTo(t, p, "h2\nd1\n")
	ps, _ := store.Load(cfg.ID)
	snd2 := &memSender{}
	startFlow(t, cfg, Deps{Sender: snd2, Saver: store, Stats: flowstats.New(cfg.ID, "s", false), Resume: ps})
	eventually(t, "d1 sent", func() bool {
		for _, r := range snd2.got() {
			if r == "d1\n" {
				return true
			}
		}
		return false
	})
	if got := snd2.got(); len(got) != 1 {
		t.Fatalf("sent %q; want only d1 (h2 is the second of two header lines)", got)
	}
}
