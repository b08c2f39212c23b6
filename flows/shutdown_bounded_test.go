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
