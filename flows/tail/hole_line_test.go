package tail

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

// A crash that extended a log before its data reached the disk leaves
// zero bytes after the last line written, and the next line is written
// after them: the zeros are skipped (a WARN), not sent glued to that line.
func TestZeroBytesAfterALineAreSkippedAndTheNextLineIsSentAlone(t *testing.T) {
	for name, mid := range map[string]string{
		"hole":                    strings.Repeat("\x00", 8192),
		"hole longer than a read": strings.Repeat("\x00", 600<<10),
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "app.log")
			mustWrite(t, p, "before the power loss\n"+mid)
			c := startTailer(t, testConfig(dir, "app.log"))
			c.waitRecords(1)
			f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.WriteString("after the reboot\n"); err != nil {
				t.Fatal(err)
			}
			c.waitRecords(2)
			c.settle()
			got := c.records()
			want := []string{"before the power loss\n", "after the reboot\n"}
			if len(got) != len(want) {
				t.Fatalf("got %d records, want %d", len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("record %d = %q (%d zero bytes), want %q", i, trunc(got[i]), strings.Count(got[i], "\x00"), want[i])
				}
			}
		})
	}
}

// A few zero bytes at the start of a line are data (UTF-16BE text, a
// binary-ish line): sent byte for byte.
func TestAFewZeroBytesAtTheStartOfALineAreSent(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	line := strings.Repeat("\x00", 100) + "x\n"
	mustWrite(t, p, "a\n"+line+"b\n")
	c := startTailer(t, testConfig(dir, "app.log"))
	c.waitRecords(3)
	c.settle()
	if got := c.records(); len(got) != 3 || got[1] != line {
		t.Fatalf("records %q, want the second to be the line with its 100 zero bytes", got)
	}
}

func trunc(s string) string {
	if len(s) > 80 {
		return s[:40] + "…" + s[len(s)-40:]
	}
	return s
}

// A hole longer than a read: the first run sends a chunk that ends inside
// it (at chunkCap, with the line before it), a position the agent saves
// when it stops before its next read (a stop while that chunk's send
// waits). The restart resumes there, 100 zero bytes before the next line:
// too short to be taken for a hole "at the start of a line", they are sent
// glued to that line, which the run without a restart sent alone.
func TestARestartAtAPositionInsideAHoleSkipsTheRestOfIt(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	before, after := "before the power loss\n", "after the reboot\n"
	content := before + strings.Repeat("\x00", chunkCap-len(before)+100) + after
	mustWrite(t, p, content)
	c := startTailer(t, testConfig(dir, "app.log"))
	eq(t, c.waitRecords(2), before, after)
	found := false
	for _, g := range c.snapshot() {
		if g.end == chunkCap {
			found = true
		}
		for i, r := range g.records {
			if r == after && g.offsets[i] != int64(len(content)-len(after)) {
				t.Errorf("offset of the line after the hole %d, want %d", g.offsets[i], len(content)-len(after))
			}
		}
	}
	c.stop()
	if !found {
		t.Fatalf("no chunk ended at %d: %+v", chunkCap, c.snapshot())
	}
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(dir, "app.log")
	cfg.Resume = []record.Position{{Flow: "test", Path: p, FileID: fileIDOf(t, p), Fingerprint: fingerprint(headOf(t, p)),
		Offset: chunkCap, Size: fi.Size(), ModTime: fi.ModTime(), Updated: time.Now()}}
	c2 := startTailer(t, cfg)
	got := c2.waitRecords(1)
	if got[0] != after {
		t.Fatalf("after the restart: %q (%d zero bytes), want %q", trunc(got[0]), strings.Count(got[0], "\x00"), after)
	}
}

// The same inside a copytruncate: the original is truncated while the
// chunk that ends inside its hole (at chunkCap) waits to be sent, before
// the read of the rest. The copy is begun there, 100 zero bytes before the
// next line, and sends them glued to it (a copy begun in a runaway's
// discarded rest goes on discarding it: ghost.discarding; a hole's state
// is not handed on).
func TestACopyBegunInsideAHoleSkipsTheRestOfIt(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	before, after := "before the power loss\n", "after the reboot\n"
	content := before + strings.Repeat("\x00", chunkCap-len(before)+100) + after
	mustWrite(t, p, content)
	tl, out, _ := runUnreceived(t, testConfig(dir, "app.log*"))
	waitFor(t, "the first chunk's send to wait", func() bool { return tl.sendWaits.Load() > 0 })
	mustWrite(t, p+".1", content)
	mustTruncate(t, p, 0)
	var mu sync.Mutex
	var recs []string
	go func() {
		for c := range out {
			mu.Lock()
			for i := 0; i < c.Len(); i++ {
				recs = append(recs, string(c.Record(i)))
			}
			mu.Unlock()
			c.ReleaseData()
		}
	}()
	waitFor(t, "two records", func() bool { mu.Lock(); defer mu.Unlock(); return len(recs) >= 2 })
	mu.Lock()
	defer mu.Unlock()
	if recs[0] != before || recs[1] != after {
		var show []string
		for _, r := range recs {
			show = append(show, trunc(r))
		}
		t.Fatalf("records %q (%d), want %q then %q", show, len(recs), before, after)
	}
}

// A copy begun inside the discarded rest of a line longer than the buffer,
// just after a zero byte of it: the rest is discarded up to its '\n', and
// the next line keeps its leading zero bytes (not taken for a hole's rest).
func TestACopyBegunInARunawayAfterAZeroByteKeepsTheNextLinesLeadingZeros(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	cfg := testConfig(dir, "app.log*")
	cfg.ReadBufferBytes = 100 << 10
	mustWrite(t, p, "")
	c := startTailer(t, cfg)
	waitFor(t, "open", func() bool { return c.tl.isOpen(p) })
	whole := run(120<<10-1) + "\x00"
	mustAppend(t, p, whole)
	waitFor(t, "the runaway's first bytes", func() bool { return len(c.records()) == 1 })
	c.settle()
	mustWrite(t, p+".1", whole+"rest\n\x00\x00next\n")
	mustTruncate(t, p, 0)
	waitFor(t, "next", func() bool { return len(c.records()) >= 2 })
	c.settle()
	eqLong(t, c.records(), whole[:100<<10], "\x00\x00next\n")
}
