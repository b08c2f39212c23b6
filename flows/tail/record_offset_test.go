package tail

import (
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/syncbuf"
)

// Chunks say where in the file each record starts, also past bytes that
// are no record (a header line, the discarded rest of a line longer than
// the read buffer), and the "Detected record larger than buffer size"
// WARN names the offset of the line it cut: with the path alone a user
// cannot find it in a file of hundreds of megabytes (tail -c +<offset+1>).
func TestRecordOffsetsAndTheRunawayWarningSayWhereInTheFileRecordsStart(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	var logs syncbuf.Buffer
	cfg := testConfig(dir, "app.log")
	cfg.ReadBufferBytes = 100 << 10
	cfg.SkipHeaderLines = 1
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	mustWrite(t, p, "")
	c := startTailer(t, cfg)
	waitFor(t, "open", func() bool { return c.tl.isOpen(p) })
	huge := run(120 << 10)
	mustAppend(t, p, "header\nok\n"+huge+"\nafter\n")
	waitFor(t, "after", func() bool { return len(c.records()) == 3 })
	c.settle()

	var offsets []int64
	for _, g := range c.snapshot() {
		offsets = append(offsets, g.offsets...)
	}
	hugeAt := int64(len("header\nok\n"))
	want := []int64{int64(len("header\n")), hugeAt, hugeAt + int64(len(huge)) + 1}
	if len(offsets) != 3 || offsets[0] != want[0] || offsets[1] != want[1] || offsets[2] != want[2] {
		t.Errorf("record offsets %v, want %v (ok, the long line, after)", offsets, want)
	}
	if got := logs.String(); !strings.Contains(got, "Detected record larger than buffer size") ||
		!strings.Contains(got, "offset="+strconv.FormatInt(hugeAt, 10)+" ") {
		t.Errorf("no runaway WARN with offset=%d:\n%s", hugeAt, got)
	}
}
