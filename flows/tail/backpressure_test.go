package tail

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

// holdsOpen reports whether this process has a descriptor on path (Linux).
func holdsOpen(path string) bool {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return false
	}
	for _, e := range ents {
		if l, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name())); err == nil && l == path {
			return true
		}
	}
	return false
}

// While the consumer does not read (back-pressure), the tailer blocks in
// its send; a file created and deleted meanwhile is still held open and
// read once the consumer catches up. Nothing is lost.
func TestBackPressureBlocksWithoutLossAndStillHoldsNewFiles(t *testing.T) {
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		t.Skip("needs /proc")
	}
	dir := t.TempDir()
	a := filepath.Join(dir, "a.log")
	big := lines("a", 0, 20000) // ~180 KiB per 20k lines of 9 bytes: several chunks
	mustWrite(t, a, big+big)
	tl, err := New(testConfig(dir, "*.log"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := make(chan *record.Chunk) // unbuffered: the first send blocks
	done := make(chan struct{})
	go func() { defer close(done); tl.Run(ctx, out) }()
	defer func() { cancel(); <-done }()

	first := <-out // the tailer is now blocked on the next send
	b := filepath.Join(dir, "b.log")
	mustWrite(t, b, "b1\nb2\n")
	waitFor(t, "b.log held open during the blocked send", func() bool { return holdsOpen(b) })
	if err := os.Remove(b); err != nil {
		t.Fatal(err)
	}
	recs := map[string]int{}
	count := func(c *record.Chunk) {
		for i := 0; i < c.Len(); i++ {
			recs[string(c.Record(i))]++
		}
		c.ReleaseData()
	}
	count(first)
	want := 2*20000 + 2
	total := func() int {
		n := 0
		for _, v := range recs {
			n += v
		}
		return n
	}
	for total() < want {
		count(<-out)
	}
	if recs["b1\n"] != 1 || recs["b2\n"] != 1 {
		t.Fatalf("deleted file's lines: %d %d", recs["b1\n"], recs["b2\n"])
	}
	for _, l := range strings.SplitAfter(big, "\n")[:3] {
		if recs[l] != 2 {
			t.Fatalf("line %q seen %d times", l, recs[l])
		}
	}
}

// Chunks carry many records: one channel send per read, not per line.
func TestChunksCarryManyRecords(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "a.log"), lines("x", 0, 100000)) // 1 MB
	c := startTailer(t, testConfig(dir, "*.log"))
	c.waitRecords(100000)
	chunks := c.snapshot()
	if len(chunks) > 10 {
		t.Fatalf("%d chunks for 1 MB", len(chunks))
	}
	c.checkContiguous()
}
