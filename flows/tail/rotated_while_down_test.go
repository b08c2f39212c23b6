package tail

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

// An exact file name (filePattern /var/log/app.log, the most common
// layout) rotated by logrotate while the agent was down, with lines the
// agent had not sent: the renamed file is no longer listed, and its unsent
// lines were never read (Java loses them too). It is now read from its
// checkpoint to its end, once, if it is still in the directory and known
// as the row's file (fingerprint of the whole leading KiB, or for a short
// file a birth time from before the row was saved).
func TestAnExactNameRotatedWhileTheAgentWasDownHasItsUnsentLinesRead(t *testing.T) {
	for name, lines := range map[string]int{"long": 40, "short": 2} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			live := filepath.Join(dir, "app.log")
			sent := numbered(lines)
			mustWrite(t, live, sent)
			if name == "short" && !hasBirthTime(t, live) {
				t.Skip("the file system keeps no birth time")
			}
			row := record.Position{Flow: "test", Path: live, FileID: fileIDOf(t, live),
				Fingerprint: fingerprint(headOf(t, live)), Offset: int64(len(sent)), Updated: time.Now()}
			// While the agent is down: two more lines, then logrotate.
			mustAppend(t, live, "u1\nu2\n")
			mustRename(t, live, live+".1")
			mustWrite(t, live, "b0\n")
			cfg := testConfig(dir, "app.log")
			cfg.Resume = []record.Position{row}
			c := startTailer(t, cfg)
			c.waitRecords(3)
			c.settle()
			eq(t, c.recordsOf("app.log.1"), "u1\n", "u2\n")
			eq(t, c.recordsOf("app.log"), "b0\n")
		})
	}
}

// A file in the directory that took a checkpointed file's inode but is not
// that file (other first bytes) is not read.
func TestAnotherFileOnACheckpointedInodeOutsideThePatternIsNotRead(t *testing.T) {
	dir := t.TempDir()
	live := filepath.Join(dir, "app.log")
	mustWrite(t, live, strings.Repeat("a", 2000)+"\n")
	row := record.Position{Flow: "test", Path: live, FileID: fileIDOf(t, live),
		Fingerprint: fingerprint([]byte(strings.Repeat("b", 1024))), Offset: 10, Updated: time.Now()}
	mustRename(t, live, filepath.Join(dir, "other.txt"))
	mustWrite(t, live, "b0\n")
	cfg := testConfig(dir, "app.log")
	cfg.Resume = []record.Position{row}
	c := startTailer(t, cfg)
	c.waitRecords(1)
	c.settle()
	eq(t, c.records(), "b0\n")
}

// numbered is n numbered lines of 35 bytes (40 of them: a fingerprint of
// the whole leading KiB).
func numbered(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "a%02d %s\n", i, strings.Repeat("x", 30))
	}
	return b.String()
}

func hasBirthTime(t *testing.T, p string) bool {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, ok := birthTime(f)
	return ok
}
