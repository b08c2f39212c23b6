package flows

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/batch"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

// peakSender records the most bytes inside Send at once.
type peakSender struct {
	memSender
	mu         sync.Mutex
	now, peak  int
	calls, max int
	// hold > 0: each send waits until hold sends are in flight at once,
	// or no send has started for 2 s (the flow holds back the next one),
	// so that the peak does not depend on how fast the flow fills batches
	// on a loaded machine.
	hold      int
	held      bool
	reached   chan struct{}
	lastStart time.Time
}

func (p *peakSender) Send(ctx context.Context, b *batch.Batch) error {
	p.mu.Lock()
	p.now += b.Bytes
	p.calls++
	p.peak, p.max = max(p.peak, p.now), max(p.max, p.calls)
	if p.hold > 0 && p.reached == nil {
		p.reached = make(chan struct{})
	}
	reached := p.reached
	if p.hold > 0 && p.calls == p.hold && !p.held {
		p.held = true
		close(p.reached)
	}
	p.lastStart = time.Now()
	p.mu.Unlock()
	for reached != nil {
		select {
		case <-reached:
			reached = nil
		case <-ctx.Done():
			reached = nil
		case <-time.After(50 * time.Millisecond):
			p.mu.Lock()
			if time.Since(p.lastStart) >= 2*time.Second {
				reached = nil
			}
			p.mu.Unlock()
		}
	}
	defer func() {
		p.mu.Lock()
		p.now -= b.Bytes
		p.calls--
		p.mu.Unlock()
	}()
	return p.memSender.Send(ctx, b)
}

// With records of tens of kilobytes every batch fills to the call's byte
// limit (5 MiB), and Senders of them were in flight at once, with their
// request bodies: 104 MB of RSS for one flow, 280 MB for three. The bytes
// in flight are bounded (MaxInflightBytes), whatever the number of senders.
func TestTheBytesOfBatchesInFlightAreBoundedWhateverTheSenders(t *testing.T) {
	dir := t.TempDir()
	line := strings.Repeat("x", 60<<10) + "\n"
	if err := os.WriteFile(filepath.Join(dir, "a.log"), []byte(strings.Repeat(line, 400)), 0o644); err != nil {
		t.Fatal(err)
	}
	snd := &peakSender{memSender: memSender{delay: 50 * time.Millisecond}}
	sv := &memSaver{saved: map[string]record.Position{}}
	cfg := flowConfig(dir)
	const budget = 6 << 20 // one full batch at a time
	stop := startFlow(t, cfg, Deps{Sender: snd, Saver: sv, Senders: 8, MaxInflightBytes: budget,
		Stats: flowstats.New(cfg.ID, "s", false)})
	defer stop()
	eventually(t, "every line delivered", func() bool { return len(snd.got()) == 400 })
	snd.mu.Lock()
	defer snd.mu.Unlock()
	if snd.peak > budget {
		t.Fatalf("%.1f MiB in flight at once (%d calls), want at most %d MiB", float64(snd.peak)/(1<<20), snd.max, budget>>20)
	}
}
