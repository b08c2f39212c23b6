package tail

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

// BenchmarkTailerThroughput measures file bytes to chunks on the channel
// (read, split, copy into pooled chunk buffers), 200-byte lines.
func BenchmarkTailerThroughput(b *testing.B) {
	dir := b.TempDir()
	p := filepath.Join(dir, "a.log")
	data := benchData(200, 64<<20/200)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		cfg := testConfig(dir, "*.log")
		cfg.MinPoll = time.Millisecond
		tl, err := New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		out := make(chan *record.Chunk, 16)
		done := make(chan struct{})
		go func() { defer close(done); tl.Run(ctx, out) }()
		var records int
		for c := range out {
			records += c.Len()
			end := c.End
			c.ReleaseData()
			if end == int64(len(data)) {
				break
			}
		}
		cancel()
		<-done
		if records != len(data)/200 {
			b.Fatalf("%d records", records)
		}
	}
}
