package tail

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A file closed for inactivity that is renamed out of the pattern and back
// (or missed by one listing, as in the race test below) resumes where it
// was read, as a let-go file does: it was dropped without a ghost (relocate
// skips an unchanged file) and read again from 0 when it came back.
func TestAClosedFileRenamedOutOfThePatternAndBackIsNotReadAgain(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.log")
	mustWrite(t, p, lines("a", 0, 200)) // 1800 bytes: a whole leading KiB
	cfg := testConfig(dir, "*.log")
	c := startTailer(t, cfg, func(tl *Tailer) { tl.inactive = 200 * time.Millisecond })
	c.waitRecords(200)
	waitFor(t, "closed for inactivity", func() bool { return !c.tl.isOpen(p) })
	tmp := filepath.Join(dir, "a.tmp")
	mustRename(t, p, tmp)
	waitFor(t, "the file let go", func() bool { return len(cfg.Stats.Files()) == 0 })
	mustRename(t, tmp, p)
	mustAppend(t, p, "x\n")
	waitFor(t, "x", func() bool { r := c.records(); return len(r) > 200 && r[len(r)-1] == "x\n" })
	c.settle()
	if n := len(c.records()); n != 201 {
		t.Fatalf("%d records, want 201 (the file was read again from 0)", n)
	}
}

// A closed file deleted (gone from the directory when its scan drops it) is
// not remembered: a new file that takes its freed inode (ext4 gives it at
// once) and starts with the same whole KiB (a long header, a banner) is
// read from its start, not resumed at the deleted file's offset (a loss).
func TestAClosedFileDeletedIsNotRememberedForANewFileOnItsInode(t *testing.T) {
	dir, p, head, cfg, c, ino := closedJobLog(t)
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the file let go", func() bool { return len(cfg.Stats.Files()) == 0 })
	mustRename(t, onFreedInode(t, dir, ino, head+"run 2\n"), p)
	waitFor(t, "run 2", func() bool { r := c.records(); return len(r) > 200 && r[len(r)-1] == "run 2\n" })
	c.settle()
	if n := len(c.records()); n != 401 {
		t.Fatalf("%d records, want 401 (the new file read from its start)", n)
	}
}

// closedJobLog starts a tailer on a directory holding job.log (200 lines,
// a whole leading KiB: head), waits until they arrived and the file was
// closed for inactivity, and returns the directory, job.log's path, head,
// the tailer's configuration and collector, and job.log's file id.
func closedJobLog(t *testing.T) (dir, p, head string, cfg Config, c *collector, ino string) {
	t.Helper()
	dir = t.TempDir()
	p = filepath.Join(dir, "job.log")
	head = lines("h", 0, 200)
	mustWrite(t, p, head)
	cfg = testConfig(dir, "*.log")
	c = startTailer(t, cfg, func(tl *Tailer) { tl.inactive = 200 * time.Millisecond })
	c.waitRecords(200)
	waitFor(t, "closed for inactivity", func() bool { return !c.tl.isOpen(p) })
	return dir, p, head, cfg, c, fileIDOf(t, p)
}
