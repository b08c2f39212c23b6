package tail

import (
	"os"
	"path/filepath"
	"testing"
)

// A quiet file that leaves the pattern (a.log -> a.tmp) is let go after
// linger; when it comes back under a matching name (a.tmp -> a.log) it
// resumes where it was read up to, as the same inode with the same first
// bytes, instead of being read again from 0 as a new file (duplicates).
func TestAFileLetGoThatComesBackResumesWhereItWasRead(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.log")
	mustWrite(t, p, "x1\nx2\n")
	cfg := testConfig(dir, "*.log")
	c := startTailer(t, cfg)
	eq(t, c.waitRecords(2), "x1\n", "x2\n")
	tmp := filepath.Join(dir, "a.tmp")
	if err := os.Rename(p, tmp); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the file let go", func() bool { return len(cfg.Stats.Files()) == 0 })
	if err := os.Rename(tmp, p); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, p, "x3\n")
	eq(t, c.waitRecords(3), "x1\n", "x2\n", "x3\n")
}
