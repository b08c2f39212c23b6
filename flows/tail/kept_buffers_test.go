package tail

import (
	"path/filepath"
	"strings"
	"testing"
)

// One line of megabytes grew the tailer's read buffer (and the file's
// pending-bytes buffer, while its end had not arrived) to its size for the
// agent's life: 7 to 9 MiB kept after one 4 MiB line, per flow.
func TestTheTailerKeepsNoBufferOfMegabytesAfterALongLine(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.log")
	long := strings.Repeat("x", 4<<20)
	mustWrite(t, p, long[:3<<20]) // the line's start, then the rest in a later write
	c := startTailer(t, testConfig(dir, "*.log"))
	waitFor(t, "the line's start read", func() bool { return c.tl.pumps.Load() > 0 })
	mustAppend(t, p, long[3<<20:]+"\nshort\n")
	c.waitRecords(2)
	c.stop()
	kept := cap(c.tl.scratch)
	for _, h := range c.tl.files {
		kept += cap(h.pend)
	}
	if kept > 2<<20 {
		t.Fatalf("the tailer keeps %.1f MiB of buffers after one 4 MiB line", float64(kept)/(1<<20))
	}
}
