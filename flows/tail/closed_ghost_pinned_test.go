package tail

import (
	"os"
	"path/filepath"
	"testing"
)

// A closed file renamed out of the pattern is remembered with a descriptor
// (as a let-go file is), so that its inode cannot go to a new file while
// it is: deleted later (the next run removing job.log.old), its freed
// inode was taken by a new job.log with the same leading KiB, which was
// resumed at the old file's offset (its first lines lost; found by review).
func TestANewFileOnTheInodeOfARememberedClosedFileIsReadFromItsStart(t *testing.T) {
	dir, p, head, cfg, c, ino := closedJobLog(t)
	old := filepath.Join(dir, "job.log.old") // out of the pattern, still in the directory
	mustRename(t, p, old)
	waitFor(t, "the file let go", func() bool { return len(cfg.Stats.Files()) == 0 })
	c.settle()
	if err := os.Remove(old); err != nil {
		t.Fatal(err)
	}
	// The ghost's descriptor keeps the inode: the new file gets another
	// one (if the file system gave the same one, it was not pinned).
	for range 20 {
		tmp := filepath.Join(dir, "tmp.x")
		mustWrite(t, tmp, head+"run 2\n")
		if fileIDOf(t, tmp) == ino {
			t.Fatal("the remembered file's inode went to a new file")
		}
		if err := os.Remove(tmp); err != nil {
			t.Fatal(err)
		}
	}
	mustWrite(t, p, head+"run 2\n")
	waitFor(t, "run 2", func() bool { r := c.records(); return len(r) > 200 && r[len(r)-1] == "run 2\n" })
	c.settle()
	if n := len(c.records()); n != 401 {
		t.Fatalf("%d records, want 401 (the new job.log read from its start)", n)
	}
}
