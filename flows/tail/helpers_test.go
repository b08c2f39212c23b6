package tail

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/ack"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
	"github.com/kinesis-agent-go/aws-kinesis-agent/processors/javaregex"
)

// openDenying is an openFn that refuses (EACCES, as for a file the agent
// may not read) every name deny reports, and opens the others.
func openDenying(deny func(name string) bool) func(string, int, os.FileMode) (*os.File, error) {
	return func(name string, flag int, perm os.FileMode) (*os.File, error) {
		if deny(name) {
			return nil, &os.PathError{Op: "open", Path: name, Err: syscall.EACCES}
		}
		return os.OpenFile(name, flag, perm)
	}
}

func mustWrite(t testing.TB, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustAppend(t testing.TB, path, data string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(data); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func mustRename(t testing.TB, from, to string) {
	t.Helper()
	if err := os.Rename(from, to); err != nil {
		t.Fatal(err)
	}
}

func mustTruncate(t testing.TB, path string, size int64) {
	t.Helper()
	if err := os.Truncate(path, size); err != nil {
		t.Fatal(err)
	}
}

func mustRegexp(t testing.TB, p string) *javaregex.Regexp {
	t.Helper()
	re, err := javaregex.Compile(p, 0)
	if err != nil {
		t.Fatal(err)
	}
	return re
}

// got is one chunk as the collector saw it.
type got struct {
	src     *record.Source
	path    string
	records []string
	offsets []int64 // of the records in the file (Chunk.RecordOffset)
	start   int64
	end     int64
}

// collector runs a tailer and keeps every chunk it sends.
type collector struct {
	t      testing.TB
	tl     *Tailer
	cancel context.CancelFunc
	done   chan struct{}

	mu     sync.Mutex
	chunks []got
}

// testConfig returns a fast-polling config for dir/glob.
func testConfig(dir, glob string) Config {
	return Config{
		FlowID:     "test",
		Dir:        dir,
		Glob:       glob,
		MinPoll:    10 * time.Millisecond,
		MaxRefresh: 500 * time.Millisecond,
		Stats:      flowstats.New("test", "s", false),
	}
}

func startTailer(t testing.TB, cfg Config, tune ...func(*Tailer)) *collector {
	t.Helper()
	tl, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tl.linger = 300 * time.Millisecond
	tl.mlIdle = 200 * time.Millisecond
	tl.copyWait = 500 * time.Millisecond
	for _, f := range tune {
		f(tl)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &collector{t: t, tl: tl, cancel: cancel, done: make(chan struct{})}
	out := make(chan *record.Chunk, 4)
	go func() {
		defer close(c.done)
		if err := tl.Run(ctx, out); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	go func() {
		for {
			select {
			case <-c.done:
				return
			case ch := <-out:
				g := got{src: ch.Source, start: ch.Start, end: ch.End}
				if ch.Source != nil {
					g.path = ch.Source.PathNow()
				}
				for i := 0; i < ch.Len(); i++ {
					g.records = append(g.records, string(ch.Record(i)))
					g.offsets = append(g.offsets, ch.RecordOffset(i))
				}
				ch.ReleaseData()
				c.mu.Lock()
				c.chunks = append(c.chunks, g)
				c.mu.Unlock()
			}
		}
	}()
	t.Cleanup(c.stop)
	return c
}

func (c *collector) stop() {
	c.cancel()
	<-c.done
}

// records returns every record so far, in arrival order.
func (c *collector) records() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, g := range c.chunks {
		out = append(out, g.records...)
	}
	return out
}

// recordsOf returns the records read from files whose current path has the base name.
func (c *collector) recordsOf(base string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, g := range c.chunks {
		if g.src != nil && filepath.Base(g.src.PathNow()) == base {
			out = append(out, g.records...)
		}
	}
	return out
}

func (c *collector) snapshot() []got {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]got(nil), c.chunks...)
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitRecords waits until exactly want records arrived (and no more
// arrive within a short settle period) and returns them.
func (c *collector) waitRecords(want int) []string {
	c.t.Helper()
	waitFor(c.t, fmt.Sprintf("%d records", want), func() bool { return len(c.records()) >= want })
	c.settle()
	got := c.records()
	if len(got) != want {
		c.t.Fatalf("got %d records, want %d: %.200q", len(got), want, got)
	}
	return got
}

// settle waits until the tailer has completed a few more loop iterations
// (each one reads every open file to its end and rescans when asked).
func (c *collector) settle() {
	c.t.Helper()
	n := c.tl.loops.Load()
	waitFor(c.t, "tailer iterations", func() bool { return c.tl.loops.Load() >= n+3 })
}

// endOf returns the highest End offset seen for files with the base name.
func (c *collector) endOf(base string) int64 {
	var end int64 = -1
	for _, g := range c.snapshot() {
		if g.src != nil && filepath.Base(g.src.PathNow()) == base && g.end > end {
			end = g.end
		}
	}
	return end
}

// checkContiguous asserts that, per Source, chunks tile the file: each
// Start is the previous End.
func (c *collector) checkContiguous() {
	c.t.Helper()
	last := map[*record.Source]int64{}
	for _, g := range c.snapshot() {
		if p, ok := last[g.src]; ok && g.start != p {
			c.t.Errorf("%s: chunk starts at %d, previous ended at %d", g.path, g.start, p)
		}
		if g.end < g.start {
			c.t.Errorf("%s: chunk end %d before start %d", g.path, g.end, g.start)
		}
		last[g.src] = g.end
	}
}

func eq(t testing.TB, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\x00") != strings.Join(want, "\x00") || len(got) != len(want) {
		t.Fatalf("records\n got %q\nwant %q", got, want)
	}
}

func lines(prefix string, from, to int) string {
	var b bytes.Buffer
	for i := from; i < to; i++ {
		fmt.Fprintf(&b, "%s-%06d\n", prefix, i)
	}
	return b.String()
}

// bySource returns the records grouped by Source, sources in order of
// their first chunk.
func (c *collector) bySource() [][]string {
	idx := map[*record.Source]int{}
	var out [][]string
	for _, g := range c.snapshot() {
		i, ok := idx[g.src]
		if !ok {
			i = len(out)
			idx[g.src] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], g.records...)
	}
	return out
}

// gapFails makes an acknowledgement tracker fail t when a chunk does not
// start where its file's previous one ended (records the tailer skipped).
func gapFails(t testing.TB) ack.Option {
	return ack.WithGapReport(func(path string, from, to int64) {
		t.Errorf("the tailer skipped %s's bytes %d-%d: a chunk does not start where the one before ended", path, from, to)
	})
}

// drainInto counts, in seen, the records of the chunks waiting on out now.
func drainInto(out <-chan *record.Chunk, seen map[string]int) {
	for {
		select {
		case c := <-out:
			for i := 0; i < c.Len(); i++ {
				seen[string(c.Record(i))]++
			}
			c.ReleaseData()
		default:
			return
		}
	}
}
