package flows

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

// The chunks at MaxPendingChunks may be pending only because their records
// sit in the open batch. The process loop, whose age timer seals that
// batch, sends it before it waits for acknowledgements; it used to wait
// first, and nothing was ever sent again.
func TestAPendingLimitReachedByTheOpenBatchDoesNotStallTheFlow(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.log")
	writeFile(t, p, "one\n")
	snd, sv := &memSender{}, &memSaver{saved: map[string]record.Position{}}
	cfg := flowConfig(dir)
	cfg.MaxBufferAge = 30 * time.Second
	stats := flowstats.New(cfg.ID, "s", false)
	startFlow(t, cfg, Deps{Sender: snd, Saver: sv, Stats: stats, MaxPendingChunks: 2})
	for i, l := range []string{"two\n", "three\n"} {
		// One chunk per line: each is written once the one before is read.
		eventually(t, "previous line parsed", func() bool { return stats.RecordsParsed.Load() == int64(i+1) })
		appendTo(t, p, l)
	}
	eventually(t, "the first two lines sent", func() bool { return len(snd.got()) >= 2 })
}
