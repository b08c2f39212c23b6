package flows

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

// The in-flight byte budget (8 MiB) first counted whole batches, so that
// 500 records of 4 KiB, a 2 MiB batch, kept only 4 of the 8 senders busy,
// halving throughput against a slow (high-latency) destination. Only the
// bytes of a batch beyond 1 MiB count.
func TestRecordsOfAFewKilobytesStillUseEverySender(t *testing.T) {
	dir := t.TempDir()
	line := strings.Repeat("x", 4<<10-1) + "\n"
	if err := os.WriteFile(filepath.Join(dir, "a.log"), []byte(strings.Repeat(line, 8000)), 0o644); err != nil {
		t.Fatal(err)
	}
	snd := &peakSender{memSender: memSender{delay: 10 * time.Millisecond}, hold: 8}
	sv := &memSaver{saved: map[string]record.Position{}}
	cfg := flowConfig(dir)
	stop := startFlow(t, cfg, Deps{Sender: snd, Saver: sv, Senders: 8,
		Stats: flowstats.New(cfg.ID, "s", false)})
	defer stop()
	eventually(t, "every line delivered", func() bool { return len(snd.got()) == 8000 })
	snd.mu.Lock()
	defer snd.mu.Unlock()
	if snd.max < 8 {
		t.Fatalf("at most %d of 8 senders busy at once (peak %.1f MiB in flight) with 4 KiB records", snd.max, float64(snd.peak)/(1<<20))
	}
}
