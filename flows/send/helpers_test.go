package send

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/batch"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/faultproxy"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/kinesistest"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/syncbuf"
)

func TestMain(m *testing.M) { kinesistest.Main(m) }

// logBuf is a concurrency-safe slog sink.
type logBuf struct{ syncbuf.Buffer }

func (l *logBuf) count(level, substr string) int {
	n := 0
	for _, line := range strings.Split(l.String(), "\n") {
		if strings.Contains(line, "level="+level) && strings.Contains(line, substr) {
			n++
		}
	}
	return n
}

func newLogger(l *logBuf) *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// calls records every observed call.
type calls struct {
	mu sync.Mutex
	c  []flowstats.Call
}

func (c *calls) ObserveCall(x flowstats.Call) {
	c.mu.Lock()
	c.c = append(c.c, x)
	c.mu.Unlock()
}

func (c *calls) all() []flowstats.Call {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]flowstats.Call(nil), c.c...)
}

// sleeps records backoff delays without sleeping.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration, _ <-chan struct{}) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// proxied is kinesalite with a fault proxy in front and a stream.
type proxied struct {
	proxy  *faultproxy.Proxy
	client *kinesis.Client // through the proxy, RetryerNoQuota
	direct *kinesis.Client
	stream string
}

func newProxied(t *testing.T, shards int) *proxied {
	t.Helper()
	ep := kinesistest.Endpoint(t)
	direct := kinesistest.Client(t, ep)
	stream := kinesistest.CreateStream(t, direct, shards)
	p, err := faultproxy.New(ep)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	c := kinesis.NewFromConfig(kinesistest.Config(), func(o *kinesis.Options) {
		o.BaseEndpoint = aws.String(p.URL())
		o.Retryer = RetryerNoQuota()
	})
	return &proxied{proxy: p, client: c, direct: direct, stream: stream}
}

// tracked returns a chunk expecting n acks.
func tracked(n int) *record.Chunk {
	c := &record.Chunk{Source: record.NewSource("flow", "/tmp/app.log", "(dev=1,ino=1)", 1, 1, "")}
	c.Track(n, func(*record.Chunk) {})
	return c
}

func lines(n int, prefix string) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = []byte(fmt.Sprintf("%s-%05d\n", prefix, i))
	}
	return out
}

// batches feeds recs through a builder and returns the sealed batches.
func batches(bl *batch.Builder, recs [][]byte, c *record.Chunk) []*batch.Batch {
	var out []*batch.Batch
	for _, r := range recs {
		if full := bl.Add(r, c); full != nil {
			out = append(out, full)
		}
		if bl.Due(time.Now()) {
			out = append(out, bl.Flush(time.Now()))
		}
	}
	if last := bl.Flush(time.Now()); last != nil {
		out = append(out, last)
	}
	return out
}

func sendAll(t *testing.T, s Sender, bs []*batch.Batch) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, b := range bs {
		if err := s.Send(ctx, b); err != nil {
			t.Fatalf("Send: %v", err)
		}
	}
}

// exactlyOnce checks that got holds each of want exactly once.
func exactlyOnce(t *testing.T, got, want [][]byte) {
	t.Helper()
	seen := map[string]int{}
	for _, g := range got {
		seen[string(g)]++
	}
	for _, w := range want {
		if seen[string(w)] != 1 {
			t.Fatalf("record %q stored %d times", w, seen[string(w)])
		}
	}
	if len(got) != len(want) {
		t.Fatalf("stored %d records, want %d", len(got), len(want))
	}
}
