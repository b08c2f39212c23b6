package tail

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

// While nothing takes the tailer's chunks (destination down, senders
// retrying), the file keeps growing, and "bytes behind" (the 'Tailer is X
// MB behind' line, /metrics, /status) grows with it, as Java computes it
// from the file's size at report time. It used to stay where the tailer
// last read.
func TestBytesBehindGrowsWhileTheTailerWaitsToSend(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.log")
	mustWrite(t, a, "first\nsecond\n")
	cfg, stop := tailerInItsFirstSend(t, dir)
	defer stop()

	const grow = 1 << 20
	f, err := os.OpenFile(a, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(strings.Repeat(strings.Repeat("x", 1023)+"\n", grow>>10)); err != nil {
		t.Fatal(err)
	}
	f.Close()
	waitFor(t, "bytes behind to grow by the appended MiB", func() bool {
		behind, _ := cfg.Stats.BytesBehind()
		return behind >= grow
	})
}

// A chunk the stop drops (the flow no longer takes it) is not counted as
// parsed: the last progress line and /status said one chunk more than ever
// entered the flow.
func TestAChunkDroppedAtTheStopIsNotCountedAsParsed(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "a.log"), "first\nsecond\n")
	cfg, stop := tailerInItsFirstSend(t, dir)
	stop()
	if r, b := cfg.Stats.RecordsParsed.Load(), cfg.Stats.BytesParsed.Load(); r != 0 || b != 0 {
		t.Errorf("after a stop that dropped the only chunk: parsed %d records, %d bytes; want 0, 0", r, b)
	}
}

// tailerInItsFirstSend starts a tailer on dir's *.log whose output nobody
// reads, and waits until it holds its first chunk; stop stops it.
func tailerInItsFirstSend(t *testing.T, dir string) (cfg Config, stop func()) {
	t.Helper()
	cfg = testConfig(dir, "*.log")
	tl, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan *record.Chunk) // nobody reads: the first send waits
	done := make(chan struct{})
	go func() { defer close(done); tl.Run(ctx, out) }()
	waitFor(t, "the tailer waiting in its first send", func() bool { return cfg.Stats.RecordsParsed.Load() > 0 })
	return cfg, func() { cancel(); <-done }
}
