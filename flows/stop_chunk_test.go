package flows

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/batch"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

// slowSender: every send takes d (a destination slower than the reader);
// a send cut by its ctx returns the error and acknowledges nothing.
type slowSender struct {
	d     time.Duration
	calls atomic.Int32
	acked atomic.Int64
	cut   atomic.Int32
}

func (s *slowSender) Send(ctx context.Context, b *batch.Batch) error {
	s.calls.Add(1)
	select {
	case <-time.After(s.d):
	case <-ctx.Done():
		s.cut.Add(1)
		return ctx.Err()
	}
	s.acked.Add(int64(len(b.Entries)))
	for _, e := range b.Entries {
		e.Chunk.Ack(1)
	}
	return nil
}

// A stop finishes the chunk it is in (see TestACleanStopSavesThePositionOfEveryAcknowledgedRecord),
// but not with a destination too slow to take the rest in time: a chunk of
// 20 batches, each send 300 ms, a shutdown timeout of 1 s. Fed until the
// deadline, the last batch handed on was always cut by it ("Not all
// executing send tasks finished cleanly"), for a chunk that could not
// complete anyway. Feeding ends half way, leaving the sends under way the
// rest. From a review of the fix.
func TestAStopInAChunkTooSlowToFinishLeavesItsSendsUncut(t *testing.T) {
	// (450 ms: the open batch of the unfinished chunk's records, handed on
	// after feeding ended, was cut in turn; a second review.)
	for _, d := range []time.Duration{300 * time.Millisecond, 450 * time.Millisecond} {
		t.Run(d.String(), func(t *testing.T) { stopInASlowChunk(t, d) })
	}
}

func stopInASlowChunk(t *testing.T, d time.Duration) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.log"), strings.Repeat(strings.Repeat("x", 999)+"\n", 40))
	cfg := flowConfig(dir)
	cfg.MaxBufferAge = time.Minute
	cfg.MaxBufferSizeBytes = 2500
	stats := flowstats.New(cfg.ID, "s", false)
	s := &slowSender{d: d}
	saver := &memSaver{saved: map[string]record.Position{}}
	f, err := New(cfg, Deps{Sender: s, Saver: saver, Stats: stats, Senders: 1, ShutdownTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	cancel, done := goRun(f)
	eventually(t, "first send", func() bool { return s.calls.Load() >= 1 })
	cancel()
	start := time.Now()
	<-done
	took := time.Since(start)
	off := saver.offset(filepath.Join(dir, "a.log"))
	acked := s.acked.Load()
	resent := acked
	if off > 0 {
		resent = acked - off/1000
	}
	t.Logf("stop took %v; batches handed %d, cut %d; records acknowledged %d; checkpoint %d (%d lines); acknowledged records to be re-sent after restart: %d; SendsUnfinished=%v",
		took.Round(10*time.Millisecond), s.calls.Load(), s.cut.Load(), acked, off, off/1000, resent, f.SendsUnfinished())
	if f.SendsUnfinished() {
		t.Errorf("the stop cut a send (Not all executing send tasks finished cleanly)")
	}
}

// randSender acks after a random delay (honouring ctx), recording every
// acknowledged line and counting deliveries.
type randSender struct {
	mu    sync.Mutex
	max   time.Duration
	acked map[string]int
	calls atomic.Int32
}

func (s *randSender) Send(ctx context.Context, b *batch.Batch) error {
	s.calls.Add(1)
	select {
	case <-time.After(time.Duration(mrand.Int64N(int64(s.max) + 1))):
	case <-ctx.Done():
		return ctx.Err()
	}
	s.mu.Lock()
	for _, e := range b.Entries {
		s.acked[string(e.Data)]++
	}
	s.mu.Unlock()
	for _, e := range b.Entries {
		e.Chunk.Ack(1)
	}
	return nil
}

// Stops at random moments, with random batch sizes and ages, 1 to 3
// senders, raw or processed records, a pending-chunk limit of 1 or not, and
// shutdown timeouts of 0, 30 ms and 300 ms: the checkpoint never covers a
// line that was not acknowledged, no line is delivered twice in one run,
// and the stop ends within its timeout (with a margin for a loaded
// machine). From a review of the stop's fix.
func TestStopsAtRandomMomentsNeverCheckpointAnUnacknowledgedLineNorDeliverOneTwice(t *testing.T) {
	for iter := 0; iter < 40; iter++ {
		dir := t.TempDir()
		var sb strings.Builder
		for i := 0; i < 3000; i++ {
			fmt.Fprintf(&sb, "%07d %s\n", i, strings.Repeat("y", 91)) // 100 bytes
		}
		writeFile(t, filepath.Join(dir, "a.log"), sb.String())
		cfg := flowConfig(dir)
		cfg.MaxBufferAge = time.Duration(1+mrand.IntN(50)) * time.Millisecond
		cfg.MaxBufferSizeRecords = 1 + mrand.IntN(60)
		stats := flowstats.New(cfg.ID, "s", false)
		s := &randSender{max: time.Duration(mrand.IntN(20)) * time.Millisecond, acked: map[string]int{}}
		saver := &memSaver{saved: map[string]record.Position{}}
		timeouts := []time.Duration{0, 30 * time.Millisecond, 300 * time.Millisecond}
		st := timeouts[mrand.IntN(3)]
		deps := Deps{Sender: s, Saver: saver, Stats: stats, Senders: 1 + mrand.IntN(3), ShutdownTimeout: st, CheckpointInterval: 10 * time.Millisecond}
		processed := mrand.IntN(2) == 0
		if processed {
			deps.Chain = addMetadata(t)
		}
		if mrand.IntN(3) == 0 {
			deps.MaxPendingChunks = 1
		}
		f, err := New(cfg, deps)
		if err != nil {
			t.Fatal(err)
		}
		cancel, done := goRun(f)
		// The stop comes after a random number of lines was read.
		at := int64(mrand.IntN(3000))
		eventually(t, "lines read", func() bool { return stats.RecordsParsed.Load() >= at })
		cancel()
		start := time.Now()
		select {
		case <-done:
		case <-time.After(st + 3*time.Second):
			t.Fatalf("iter %d: Run has not returned %v after the stop (timeout %v)", iter, time.Since(start), st)
		}
		if took := time.Since(start); took > st+2*time.Second {
			t.Errorf("iter %d: stop took %v, timeout %v", iter, took, st)
		}
		off := saver.offset(filepath.Join(dir, "a.log"))
		s.mu.Lock()
		for i := 0; int64(i)*100 < off; i++ {
			line := fmt.Sprintf("%07d %s\n", i, strings.Repeat("y", 91))
			found := s.acked[line] > 0
			if !found {
				for k, n := range s.acked {
					if n > 0 && strings.Contains(k, fmt.Sprintf("%07d ", i)) {
						found = true
						break
					}
				}
			}
			if !found {
				t.Fatalf("iter %d (processed %v, timeout %v): checkpoint %d covers line %d, never acknowledged: LOST", iter, processed, st, off, i)
			}
		}
		for k, n := range s.acked {
			if n > 1 {
				t.Fatalf("iter %d: %q delivered %d times in one run", iter, k, n)
			}
		}
		s.mu.Unlock()
	}
}
