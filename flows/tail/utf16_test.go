package tail

import (
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/syncbuf"
)

// A UTF-16 file (a Windows tool's log, PowerShell's > redirect) is cut at
// newline bytes, as in Java: its records are halves of characters, each
// but the first led by a zero byte, and nothing said why. The file's byte
// order mark is warned of, once, naming the file and the fix; a UTF-8 file
// is not. From a replay of OpenTelemetry filelog receiver reports (#14615).
func TestAFileBeginningWithAUTF16ByteOrderMarkIsWarnedOnce(t *testing.T) {
	dir := t.TempDir()
	utf16 := "\xff\xfeo\x00n\x00e\x00\n\x00t\x00w\x00o\x00\n\x00"
	mustWrite(t, filepath.Join(dir, "win.log"), utf16)
	mustWrite(t, filepath.Join(dir, "unix.log"), "\xef\xbb\xbfone\ntwo\n")
	var logs syncbuf.Buffer
	cfg := testConfig(dir, "*.log")
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	col := startTailer(t, cfg)
	col.waitRecords(4)
	mustAppend(t, filepath.Join(dir, "win.log"), "t\x00h\x00r\x00e\x00e\x00\n\x00")
	col.waitRecords(5)
	out := logs.String()
	if n := strings.Count(out, "File begins with a UTF-16 byte order mark"); n != 1 || !strings.Contains(out, "win.log") {
		t.Fatalf("warned %d times (want once, for win.log):\n%s", n, out)
	}
}
