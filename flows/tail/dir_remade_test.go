package tail

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The flow's directory removed and made again (`rm -rf app; mkdir app`)
// while a file of it is held open (deleted, its writer still appending:
// the agent reads it to its end): the open file keeps the old directory
// alive, so the kernel reports its removal (IN_DELETE_SELF) only when the
// file is closed, and the watch stayed on the old directory. Nothing told
// of the new one until the periodic rescan (10 s by default): new files
// were not opened on their creation, and one created and moved away
// meanwhile was never read. The directory's identity is checked every
// second now.
func TestANewFileInTheFlowDirectoryMadeAgainIsReadAtOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "app")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	x := filepath.Join(dir, "x.log")
	mustWrite(t, x, lines("x", 0, 5))
	cfg := testConfig(dir, "*.log")
	cfg.MaxRefresh = time.Minute // (no periodic rescan within the test)
	c := startTailer(t, cfg, func(tl *Tailer) { tl.linger = time.Minute })
	c.waitRecords(5)
	n := c.tl.scans.Load()
	if err := os.Remove(x); err != nil { // held open: lingers, deleted
		t.Fatal(err)
	}
	waitFor(t, "the scan after the delete", func() bool { return c.tl.scans.Load() > n })
	if err := os.Remove(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(dir, "job.log"), lines("j", 0, 5))
	if !waitWithin(5*time.Second, func() bool { return countPrefix(c.records(), "j-") == 5 }) {
		t.Fatalf("a file in the directory made again not read within 5 s: %d of 5", countPrefix(c.records(), "j-"))
	}
}
