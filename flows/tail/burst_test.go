package tail

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// Thousands of files appearing at once while the agent runs (a wildcard
// over many jobs' or pods' logs): each new file was compared with every
// live file by an fstat and a read of its first bytes, in one scan, so
// the scan took minutes (4,000 files: 2,218 read after 10 s; 8,000: 6,050
// of 16,000 lines after 167 s), no file of the flow was read meanwhile (a
// busy file beside them stalled) and a stop outlasted systemd's timeout.
// Only a live file whose first bytes the new one begins with is checked
// now. From a replay of Datadog Agent and rsyslog reports
// (DataDog/datadog-agent#2317, rsyslog/rsyslog#3758).
func TestABurstOfNewFilesDoesNotStallTheFlow(t *testing.T) {
	dir := t.TempDir()
	c := startTailer(t, testConfig(dir, "*.log"))
	busy := filepath.Join(dir, "busy.log")
	mustAppend(t, busy, "busy 0\n")
	c.waitRecords(1)
	const n = 4000
	for i := 0; i < n; i++ {
		mustWrite(t, filepath.Join(dir, fmt.Sprintf("f%05d.log", i)), fmt.Sprintf("f%d\n", i))
	}
	mustAppend(t, busy, "busy 1\n")
	waitFor(t, "the busy file's line and every new file's", func() bool {
		gotBusy, got := false, 0
		for _, r := range c.records() {
			gotBusy = gotBusy || r == "busy 1\n"
			if strings.HasPrefix(r, "f") {
				got++
			}
		}
		return gotBusy && got == n
	})
}
