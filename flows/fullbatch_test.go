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

// A record of maxBufferSizeBytes arriving behind another seals the batch
// before it and fills a new one on its own. That full batch is sent at
// once, not after maxBufferAgeMillis (here 30 s; the test waits 15 s).
func TestABatchFilledByOneRecordIsSentWithoutWaitingForItsAge(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.log")
	if err := os.WriteFile(p, []byte("small\n"+strings.Repeat("x", 199)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	snd, sv := &memSender{}, &memSaver{saved: map[string]record.Position{}}
	cfg := flowConfig(dir)
	cfg.MaxBufferSizeBytes = 100
	cfg.MaxBufferAge = 30 * time.Second
	startFlow(t, cfg, Deps{Sender: snd, Saver: sv, Stats: flowstats.New(cfg.ID, "s", false)})
	eventually(t, "both records sent", func() bool { return len(snd.got()) == 2 })
}
