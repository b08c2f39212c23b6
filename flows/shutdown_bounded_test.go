package flows

import (
	"context"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/batch"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
	"github.com/kinesis-agent-go/aws-kinesis-agent/processors"
)

// goRun runs f until cancel is called; done receives Run's result.
func goRun(f *Flow) (cancel context.CancelFunc, done <-chan error) {
	ctx, cancel := context.WithCancel(context.Background())
	d := make(chan error, 1)
	go func() { d <- f.Run(ctx) }()
	return cancel, d
}

// runUntilStopped starts f, waits for cond, cancels, and fails unless Run
// returns within limit of the cancellation (spec §5.9: the stop waits up to
// the shutdown timeout for in-flight sends).
func runUntilStopped(t *testing.T, f *Flow, what string, cond func() bool, limit time.Duration) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	eventually(t, what, cond)
	cancel()
	start := time.Now()
	select {
	case <-done:
	case <-time.After(limit):
		t.Errorf("Run has not returned %v after cancellation", limit)
		<-done
		t.Logf("Run returned %v after cancellation", time.Since(start).Round(100*time.Millisecond))
	}
}

// With every sender stuck on a destination that is down, a batch sealed by
// its byte limit leaves the record that did not fit in a new open batch: the
// stop has two batches to hand over and must release both at the deadline
// (it waited for ever on the second).
func TestStopWithDestinationDownAndByteSealedBatchIsBoundedByShutdownTimeout(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.log"), strings.Repeat(strings.Repeat("x", 999)+"\n", 10))
	cfg := flowConfig(dir)
	cfg.MaxBufferAge = time.Minute
	cfg.MaxBufferSizeBytes = 2500 // two lines per batch: the third seals it
	stats := flowstats.New(cfg.ID, "s", false)
	var held atomic.Int32
	down := &memSender{hold: func(*batch.Batch) bool { held.Add(1); return true }} // Send returns only when its ctx ends
	saver := &memSaver{saved: map[string]record.Position{}}
	f, err := New(cfg, Deps{Sender: down, Saver: saver, Stats: stats, Senders: 1, ShutdownTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	// The process loop is blocked handing over the second batch.
	runUntilStopped(t, f, "records parsed and one batch in the sender", func() bool {
		return stats.RecordsParsed.Load() == 10 && held.Load() >= 1
	}, 10*time.Second)
	if off := saver.offset(filepath.Join(dir, "a.log")); off > 0 {
		t.Errorf("nothing was acknowledged, checkpoint at %d", off)
	}
}

// A stop does not wait for the rest of a chunk whose records are slow to
// convert (here each line runs into the backtracking engine's 2 s match
// timeout): the records not yet processed are read again after a restart.
func TestStopDoesNotWaitForTheRestOfASlowChunk(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.log"), strings.Repeat(strings.Repeat("a", 40)+"!\n", 10))
	chain, err := processors.Build([]processors.Option{{Key: "k", Name: "LOGTOJSON", LogFormat: "COMMONAPACHELOG",
		MatchPattern: `^(?=a)(a+)+b$`, HasMatchPattern: true,
		CustomFieldNames: []string{"x"}, HasCustomFieldNames: true}}, processors.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := flowConfig(dir)
	stats := flowstats.New(cfg.ID, "s", false)
	saver := &memSaver{saved: map[string]record.Position{}}
	f, err := New(cfg, Deps{Sender: &memSender{}, Saver: saver, Chain: chain, Stats: stats, Senders: 1, ShutdownTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	runUntilStopped(t, f, "records parsed", func() bool { return stats.RecordsParsed.Load() == 10 }, 5*time.Second)
	if off := saver.offset(filepath.Join(dir, "a.log")); off > 0 {
		t.Errorf("the chunk was not processed whole, checkpoint at %d", off)
	}
}

// With shutdownTimeoutMillis 0 a send still in flight at the stop is cut at
// once, and the stop says so (Java: "Not all executing send tasks finished
// cleanly by shutdown"); without a deadline timer it was not reported. A
// stop with nothing in flight says nothing.
func TestAStopWithoutShutdownTimeoutReportsTheSendsItCut(t *testing.T) {
	for _, inFlight := range []bool{true, false} {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "a.log"), strings.Repeat("line\n", 10))
		cfg := flowConfig(dir)
		stats := flowstats.New(cfg.ID, "s", false)
		var held atomic.Int32
		sender := &memSender{hold: func(*batch.Batch) bool { held.Add(1); return inFlight }}
		saver := &memSaver{saved: map[string]record.Position{}}
		f, err := New(cfg, Deps{Sender: sender, Saver: saver, Stats: stats, Senders: 1, ShutdownTimeout: 0})
		if err != nil {
			t.Fatal(err)
		}
		runUntilStopped(t, f, "one batch in the sender", func() bool { return held.Load() >= 1 }, 10*time.Second)
		if f.SendsUnfinished() != inFlight {
			t.Errorf("send in flight at the stop: %v; SendsUnfinished() = %v", inFlight, f.SendsUnfinished())
		}
	}
}

// answerLaterSender delivers and acknowledges every batch, but holds the second
// until release is closed: a destination briefly slower than the reader,
// as while the agent catches up on a backlog.
type answerLaterSender struct {
	calls   atomic.Int32
	release chan struct{}
	sent    atomic.Int64
}

func (g *answerLaterSender) Send(ctx context.Context, b *batch.Batch) error {
	if g.calls.Add(1) == 2 {
		<-g.release
	}
	g.sent.Add(int64(len(b.Entries)))
	for _, e := range b.Entries {
		e.Chunk.Ack(1)
	}
	return nil
}

// A clean stop (every send answered well within the shutdown timeout) saves
// the position of every record the destination acknowledged. A chunk's
// position moves only at its end, and the stop left the rest of the chunk
// being processed unsent: all of the chunk's records delivered before the
// stop were sent again after the restart (713 to 2,155 lines per SIGTERM of
// an agent behind its files; README promises re-sends only of records in
// flight when sends are cut). From a review of the Java agent's pull
// requests (container stops).
func TestACleanStopSavesThePositionOfEveryAcknowledgedRecord(t *testing.T) {
	for _, processed := range []bool{false, true} {
		t.Run(map[bool]string{false: "raw", true: "processed"}[processed], func(t *testing.T) {
			dir := t.TempDir()
			// Ten lines read as one chunk, two lines per batch.
			writeFile(t, filepath.Join(dir, "a.log"), strings.Repeat(strings.Repeat("x", 999)+"\n", 10))
			cfg := flowConfig(dir)
			cfg.MaxBufferAge = time.Minute
			cfg.MaxBufferSizeBytes = 2500
			stats := flowstats.New(cfg.ID, "s", false)
			g := &answerLaterSender{release: make(chan struct{})}
			saver := &memSaver{saved: map[string]record.Position{}}
			deps := Deps{Sender: g, Saver: saver, Stats: stats, Senders: 1, ShutdownTimeout: 10 * time.Second}
			if processed {
				deps.Chain = addMetadata(t)
			}
			f, err := New(cfg, deps)
			if err != nil {
				t.Fatal(err)
			}
			cancel, done := goRun(f)
			// The second batch is with the sender: the process loop waits
			// to hand over the third, in the middle of the chunk.
			eventually(t, "the second batch in the sender", func() bool { return g.calls.Load() >= 2 })
			cancel()
			close(g.release) // the destination answers: nothing is cut
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("Run has not returned 20 s after the stop")
			}
			sent, off := g.sent.Load(), saver.offset(filepath.Join(dir, "a.log"))
			if sent == 0 || off != sent*1000 {
				t.Fatalf("%d records acknowledged, but the checkpoint is at %d bytes (%d lines): the rest would be sent again after a restart", sent, off, off/1000)
			}
			if f.SendsUnfinished() {
				t.Error("a send was reported cut, but every send was answered")
			}
		})
	}
}
