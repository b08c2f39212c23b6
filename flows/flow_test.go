package flows

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/config"
	"github.com/kinesis-agent-go/aws-kinesis-agent/checkpoint"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/batch"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
	"github.com/kinesis-agent-go/aws-kinesis-agent/processors"
)

// memSender records what it is sent and acknowledges unless told to hold.
type memSender struct {
	mu      sync.Mutex
	records []string
	hold    func(b *batch.Batch) bool // true: keep this batch unacknowledged until ctx ends
	delay   time.Duration             // each call takes this long
}

func (m *memSender) Send(ctx context.Context, b *batch.Batch) error {
	if m.hold != nil && m.hold(b) {
		<-ctx.Done()
		return ctx.Err()
	}
	if m.delay > 0 {
		select {
		case <-time.After(m.delay):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	m.mu.Lock()
	for _, e := range b.Entries {
		m.records = append(m.records, string(e.Data))
	}
	m.mu.Unlock()
	for _, e := range b.Entries {
		e.Chunk.Ack(1)
	}
	return nil
}

func (m *memSender) got() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.records...)
}

// memSaver keeps the last saved position per path.
type memSaver struct {
	mu    sync.Mutex
	saved map[string]record.Position
}

func (m *memSaver) Save(ps []record.Position) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range ps {
		m.saved[p.Path] = p
	}
	return nil
}

func (m *memSaver) offset(path string) int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if p, ok := m.saved[path]; ok {
		return p.Offset
	}
	return -1
}

func flowConfig(dir string) config.Flow {
	return config.Flow{
		ID: "kinesis:s:" + dir + "/*.log", Kind: config.Kinesis, Destination: "s",
		Dir: dir, Glob: "*.log", InitialPosition: config.StartOfFile,
		MaxBufferAge: time.Second, MaxBufferSizeRecords: 500, MaxBufferSizeBytes: 5 << 20,
		RetryInitialBackoff: 10 * time.Millisecond, RetryMaxBackoff: 100 * time.Millisecond,
		TruncatedRecordTerminator: "\n", MinTimeBetweenFilePolls: 20 * time.Millisecond,
		MaxTimeBetweenFileTrackerRefresh: time.Second, PartitionKeyOption: config.PartitionRandom,
	}
}

func startFlow(t *testing.T, cfg config.Flow, deps Deps) (stop func()) {
	t.Helper()
	if deps.Stats == nil {
		deps.Stats = flowstats.New(cfg.ID, cfg.Destination, false)
	}
	deps.CheckpointInterval = 20 * time.Millisecond
	deps.ShutdownTimeout = time.Second
	f, err := New(cfg, deps)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Error("flow did not stop")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Records LOGTOJSON drops are never sent, yet their bytes count as done:
// the checkpoint reaches the end of the file.
func TestSkippedRecordsAdvanceTheCheckpointPastThem(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.log")
	content := "Mar 12 12:00:08 server2 rcd[308]: one\nnot syslog at all\nMar 12 12:01:02 server4 snort: two\n"
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := []processors.Option{{Key: "t", Name: "LOGTOJSON", LogFormat: "SYSLOG"}}
	chain, err := processors.Build(opts, processors.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	snd, sv := &memSender{}, &memSaver{saved: map[string]record.Position{}}
	cfg := flowConfig(dir)
	stats := flowstats.New(cfg.ID, "s", false)
	startFlow(t, cfg, Deps{Sender: snd, Saver: sv, Chain: chain, Stats: stats})
	eventually(t, "checkpoint at the end of the file", func() bool { return sv.offset(p) == int64(len(content)) })
	got := snd.got()
	if len(got) != 2 || !strings.Contains(got[0]+got[1], `"message":"one"`) {
		t.Fatalf("sent %q, want the two syslog records as JSON", got)
	}
	if stats.RecordsSkipped.Load() != 1 || stats.RecordsTransformed.Load() != 2 {
		t.Fatalf("skipped %d transformed %d, want 1 and 2", stats.RecordsSkipped.Load(), stats.RecordsTransformed.Load())
	}
}

// While a batch stays unacknowledged and later ones succeed, chunks pile up
// behind it; past MaxPendingChunks the flow stops reading.
func TestReadingPausesWhileTooManyChunksWaitBehindAnUndeliveredBatch(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.log")
	var sb strings.Builder
	const total = 200000 // about 3.5 MB: many 256 KiB chunks
	for i := 0; i < total; i++ {
		fmt.Fprintf(&sb, "line number %08d\n", i)
	}
	if err := os.WriteFile(p, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	first := true
	var mu sync.Mutex
	snd := &memSender{hold: func(b *batch.Batch) bool { // hold the very first batch
		mu.Lock()
		defer mu.Unlock()
		h := first
		first = false
		return h
	}}
	sv := &memSaver{saved: map[string]record.Position{}}
	cfg := flowConfig(dir)
	stats := flowstats.New(cfg.ID, "s", false)
	stop := startFlow(t, cfg, Deps{Sender: snd, Saver: sv, Stats: stats, Senders: 4, MaxPendingChunks: 2})
	// Small reads make many chunks; reading must stop long before the end.
	eventually(t, "some records sent", func() bool { return len(snd.got()) > 0 })
	// Reading may run ahead by the bounded hand-off (a few chunks), then it
	// must stop: wait until the count holds still for 300 ms.
	last := int64(-1)
	eventually(t, "reading to pause", func() bool {
		now := stats.RecordsParsed.Load()
		if now == last {
			return true
		}
		last = now
		time.Sleep(300 * time.Millisecond)
		return false
	})
	stop()
	if last >= total/2 {
		t.Fatalf("parsed %d of %d records while the first batch was held: reading did not pause", last, total)
	}
	if off := sv.offset(p); off > 0 {
		t.Fatalf("checkpoint moved to %d past an unacknowledged first batch", off)
	}
}

// At shutdown the partly filled batch is handed to a sender and delivered
// within the shutdown timeout, instead of being read again after restart.
func TestShutdownDeliversThePartlyFilledBatch(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.log")
	if err := os.WriteFile(p, []byte("one\ntwo\nthree\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// One sender, busy for 300 ms with the first (full) batch of two
	// records when the shutdown starts; the third record waits in the
	// partly filled batch.
	snd, sv := &memSender{delay: 300 * time.Millisecond}, &memSaver{saved: map[string]record.Position{}}
	cfg := flowConfig(dir)
	cfg.MaxBufferAge = time.Minute // never sealed by age during the test
	cfg.MaxBufferSizeRecords = 2
	stats := flowstats.New(cfg.ID, "s", false)
	stop := startFlow(t, cfg, Deps{Sender: snd, Saver: sv, Stats: stats, Senders: 1})
	eventually(t, "the three records parsed", func() bool { return stats.RecordsParsed.Load() == 3 })
	time.Sleep(50 * time.Millisecond) // the first batch is now with the sender
	if n := len(snd.got()); n != 0 {
		t.Fatalf("%d records sent before the sender's delay", n)
	}
	stop()
	if got := snd.got(); len(got) != 3 {
		t.Fatalf("sent at shutdown: %q, want the three records", got)
	}
	if off := sv.offset(p); off != 14 {
		t.Fatalf("final checkpoint %d, want 14", off)
	}
}

// openStore opens a checkpoint store in a fresh directory, closed when the
// test ends.
func openStore(t *testing.T) *checkpoint.Store {
	t.Helper()
	store, err := checkpoint.Open(filepath.Join(t.TempDir(), "ckpt"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

// writeFile creates (or replaces) the file p with content.
func writeFile(t *testing.T, p, content string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// appendTo appends s to the file p.
func appendTo(t *testing.T, p, s string) {
	t.Helper()
	f, err := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}
