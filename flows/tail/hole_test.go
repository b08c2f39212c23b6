package tail

import (
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

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

// copytruncate under a writer that did not open its log with O_APPEND
// (`app > app.log`): after the truncation the writer's next write lands at
// its old offset, leaving a hole of NUL bytes before it: the first bytes
// changed, the file restarted at 0, and the hole went out with the line.
// From a replay of logrotate reports (logrotate/logrotate#363, #591).
func TestACopytruncateUnderAWriterWithoutAppendSendsTheNewLineWithoutTheHole(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	old := lines("old", 0, 100)
	mustWrite(t, p, old)
	c := startTailer(t, testConfig(dir, "app.log*"))
	c.waitRecords(100)
	// logrotate copytruncate
	data, _ := os.ReadFile(p)
	mustWrite(t, p+".1", string(data))
	mustTruncate(t, p, 0)
	// the writer (no O_APPEND) writes its next line at its own offset
	f, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("new-000000\n"), int64(len(old))); err != nil {
		t.Fatal(err)
	}
	f.Close()
	got := c.waitRecords(101)
	last := got[len(got)-1]
	if strings.ContainsRune(last, 0) || last != "new-000000\n" {
		t.Fatalf("last record is %d bytes (%d NULs), want %q", len(last), strings.Count(last, "\x00"), "new-000000\n")
	}
}

// As TestATruncatedFileWhoseWriterDoesNotAppendSkipsTheHoleAndKeepsEveryLine,
// but the file was quiet and closed for inactivity when truncated: its new
// content begins at 0 as another file's would, not through a truncation
// seen, and the hole went out (1,350,000 zero bytes in one record). Every
// file begun at 0 is checked. From a review.
func TestAFileTruncatedWhileClosedForInactivitySkipsTheHole(t *testing.T) {
	// (5 lines: a hole under 512 bytes, its old content known; a review.)
	for _, n := range []int{150000, 5} {
		t.Run(strconv.Itoa(n), func(t *testing.T) { truncatedWhileClosed(t, n) })
	}
}

func truncatedWhileClosed(t *testing.T, n int) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	w, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	before, after := lines("a", 0, n), lines("b", 0, 10)
	w.WriteString(before)
	var logs syncbuf.Buffer
	cfg := testConfig(dir, "app.log*")
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	col := startTailer(t, cfg, func(tl *Tailer) { tl.inactive = 300 * time.Millisecond })
	col.waitRecords(n)
	waitFor(t, "closed for inactivity", func() bool { return !col.tl.isOpen(p) })
	os.Truncate(p, 0)
	w.WriteString(after)
	last := strings.SplitAfter(after, "\n")[9]
	waitFor(t, "the writer's lines", func() bool {
		for _, r := range col.records() {
			if strings.HasSuffix(r, last) {
				return true
			}
		}
		return false
	})
	col.settle()
	nul := 0
	for _, r := range col.records() {
		if strings.ContainsRune(r, 0) {
			nul++
		}
	}
	if nul > 0 {
		t.Fatalf("%d records with zero bytes were sent", nul)
	}
}

// A file begun at 0 whose first bytes are a few zero bytes of text (UTF-16BE
// without a byte order mark) keeps them: only a run of a sector's zero
// bytes at least is taken for a hole there. From a review.
func TestAFileBegunAtZeroKeepsAFewLeadingZeroBytes(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "a.log"), "\x00H\x00i\x00\n\x00X\x00\n")
	c := startTailer(t, testConfig(dir, "*.log"))
	got := c.waitRecords(2)
	if strings.Join(got, "") != "\x00H\x00i\x00\n\x00X\x00\n" {
		t.Fatalf("records %q: leading bytes dropped", got)
	}
}
