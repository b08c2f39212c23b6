package flows

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/batch"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
)

// skipHeaderLines 2; h1 is read alone, then h2 and d1 arrive together and
// d1 is not acknowledged before a clean stop. The first chunk sent starts
// where the unsent header bytes start (0), so the file's row stays at 0
// and the restart skips both header lines again. It started at 3 (after
// h1, before h2), saved at once as the file's first row: the restart
// resumed there with no header left to skip and sent h2.
func TestHeaderLinesSplitAcrossReadsAreSkippedAfterARestart(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.log")
	writeFile(t, p, "h1\n")
	store := openStore(t)
	cfg := flowConfig(dir)
	cfg.SkipHeaderLines = 2
	cfg.MaxBufferAge = 50 * time.Millisecond
	snd := &memSender{hold: func(b *batch.Batch) bool {
		for _, e := range b.Entries {
			if strings.HasPrefix(string(e.Data), "d1") {
				return true
			}
		}
		return false
	}}
	stats := flowstats.New(cfg.ID, "s", false)
	stop := startFlow(t, cfg, Deps{Sender: snd, Saver: store, Stats: stats})
	eventually(t, "h1 read", func() bool {
		fs := stats.Files()
		return len(fs) == 1 && fs[0].ReadOffset == 3
	})
	appendTo(t, p, "h2\nd1\n")
	eventually(t, "d1 parsed", func() bool { return stats.RecordsParsed.Load() == 1 })
	eventually(t, "every byte consumed counted", func() bool { return stats.BytesParsed.Load() == 9 })
	stop()
	ps, _ := store.Load(cfg.ID)
	if len(ps) != 1 || ps[0].Offset != 0 {
		t.Fatalf("rows after stop %+v; want one at offset 0 (d1 unacknowledged)", ps)
	}
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
		t.Fatalf("sent %q after restart; want only d1 (h2 is the second header line)", got)
	}
}
