package tail

import (
	"path/filepath"
	"testing"
)

// A line longer than the read buffer goes out as its first bytes, and its
// rest is discarded up to its '\n'. When the file was copied and truncated
// (copytruncate) in the middle of that rest, the copy began there with a
// fresh splitter and sent the rest as a record of its own. From a stress
// test of long lines under rotation.
func TestTheRestOfARunawayLineIsNotSentFromItsCopytruncateCopy(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	cfg := testConfig(dir, "app.log*")
	cfg.ReadBufferBytes = 100 << 10
	mustWrite(t, p, "")
	c := startTailer(t, cfg)
	waitFor(t, "open", func() bool { return c.tl.isOpen(p) })
	whole := run(120 << 10)
	mustAppend(t, p, whole)
	waitFor(t, "the runaway's first bytes", func() bool { return len(c.records()) == 1 })
	c.settle()
	mustWrite(t, p+".1", whole+"rest\nnext\n") // the line ends, copied and truncated before the tailer reads on
	mustTruncate(t, p, 0)
	waitFor(t, "next", func() bool { return len(c.records()) >= 2 })
	c.settle()
	eqLong(t, c.records(), whole[:100<<10], "next\n")
	if n := cfg.Stats.BytesDiscarded.Load(); n != int64(len(whole))-100<<10+5 {
		t.Errorf("BytesDiscarded = %d, want %d (the rest of the line, in the original and then the copy)", n, int64(len(whole))-100<<10+5)
	}
}
