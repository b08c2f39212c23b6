package tail

import (
	"path/filepath"
	"testing"
	"time"
)

// A quiet file (descriptor closed for inactivity) rewritten in place with
// content that begins with the old first line (`cmd > out.log` run again):
// the new content is read from 0. The read content kept for a copytruncate
// copy must not be matched by the file itself (the new line was skipped as
// "a copy of what was read").
func TestClosedFileRewrittenInPlaceWithAPrefixOfItsOldContentIsReadAgain(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.log")
	mustWrite(t, p, "alert-1\nalert-2\n")
	c := startTailer(t, testConfig(dir, "out.log"), func(tl *Tailer) { tl.inactive = 300 * time.Millisecond })
	c.waitRecords(2)
	waitFor(t, "closed for inactivity", func() bool { return !c.tl.isOpen(p) })
	mustWrite(t, p, "alert-1\n") // truncate and write, same inode
	waitFor(t, "the new content read", func() bool { return len(c.records()) >= 3 })
	c.settle()
	eq(t, c.records(), "alert-1\n", "alert-2\n", "alert-1\n")
}
