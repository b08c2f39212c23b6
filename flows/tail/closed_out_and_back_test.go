package tail

import (
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
