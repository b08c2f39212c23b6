package tail

import (
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/syncbuf"
)

// A file truncated (`: > app.log`, `cp /dev/null app.log`, logrotate's
// copytruncate) while its writer, which did not open it with O_APPEND
// (`app > app.log`), goes on writing at its old offset: the file then
// begins with a hole of zero bytes as long as the old content. They went
// out as records of zero bytes cut at the record limit, the writer's next
// line cut off with them (lost). They are skipped, with a WARN, and every
// line the writer wrote is sent once. From a replay of LoongCollector
// reports (alibaba/loongcollector#1274).
func TestATruncatedFileWhoseWriterDoesNotAppendSkipsTheHoleAndKeepsEveryLine(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	w, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644) // `app > app.log`
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	before, after := lines("a", 0, 30000), lines("b", 0, 10)
	if _, err := w.WriteString(before); err != nil {
		t.Fatal(err)
	}
	var logs syncbuf.Buffer
	cfg := testConfig(dir, "app.log")
	cfg.ReadBufferBytes = 64 << 10
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	col := startTailer(t, cfg)
	col.waitRecords(30000)
	if err := os.Truncate(p, 0); err != nil { // `: > app.log`
		t.Fatal(err)
	}
	waitFor(t, "the truncation seen", func() bool { return strings.Contains(logs.String(), "File was truncated") })
	if _, err := w.WriteString(after); err != nil { // at the writer's offset: past a hole
		t.Fatal(err)
	}
	last := strings.SplitAfter(after, "\n")[9]
	waitFor(t, "the writer's lines after the truncation", func() bool { return countRecords(col.records())[last] > 0 })
	col.settle()
	seen := countRecords(col.records())
	wantLines(t, seen, before+after, 1, "")
	for r := range seen {
		if strings.ContainsRune(r, 0) {
			t.Fatalf("a record of zero bytes was sent (%d bytes)", len(r))
		}
	}
	if !strings.Contains(logs.String(), "skipped="+strconv.Itoa(len(before))) {
		t.Fatalf("no WARN of the %d zero bytes skipped:\n%s", len(before), logs.String())
	}
}
