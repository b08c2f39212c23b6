package tail

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/syncbuf"
)

// logrotate's copytruncate of a quiet log, whose descriptor was closed for
// inactivity: the copy continues at the offset already sent (spec §3.4
// case 3), as for an open file; it was sent again whole.
func TestCopytruncateOfAFileClosedForInactivityContinuesTheCopyAtTheOffsetRead(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	mustWrite(t, p, lines("a", 0, 50))
	var logs syncbuf.Buffer
	cfg := testConfig(dir, "app.log*")
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	c := startTailer(t, cfg, func(tl *Tailer) { tl.inactive = 300 * time.Millisecond })
	c.waitRecords(50)
	waitFor(t, "closed for inactivity", func() bool { return !c.tl.isOpen(p) })
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, p+".1", string(data)) // the copy
	mustTruncate(t, p, 0)
	mustAppend(t, p, lines("b", 0, 5))
	waitFor(t, "the copy recognised", func() bool {
		return strings.Contains(logs.String(), "File is a copy of a truncated file; continuing at the offset already read")
	})
	waitFor(t, "b lines", func() bool { return len(c.recordsOf("app.log")) >= 55 })
	c.settle()
	if got := c.records(); len(got) != 55 || len(c.recordsOf("app.log.1")) != 0 {
		t.Fatalf("%d records (%d from the copy), want 50 + 5 and nothing from the copy", len(got), len(c.recordsOf("app.log.1")))
	}
}
