package tail

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A file followed through a symbolic link whose target is in another
// directory (cronolog, svlogd, a Tomcat-style "current" link: app.log ->
// /data/app/2026-11-21.log) is quiet long enough to be closed for
// inactivity, gets its day's last line, and the link is re-pointed at the
// next day's file. The closed file was no longer named by any entry of the
// flow's directory, and its last line was lost. Files begun through a link
// now keep their descriptor.
func TestAFileFollowedThroughASymlinkGetsItsLastLineBeforeTheLinkIsRepointed(t *testing.T) {
	for _, notify := range []bool{true, false} {
		t.Run(map[bool]string{true: "inotify", false: "polling"}[notify], func(t *testing.T) {
			dir, data := t.TempDir(), t.TempDir()
			link := filepath.Join(dir, "app.log")
			d1, d2 := filepath.Join(data, "2026-11-21.log"), filepath.Join(data, "2026-11-22.log")
			mustWrite(t, d1, lines("a", 0, 200))
			if err := os.Symlink(d1, link); err != nil {
				t.Fatal(err)
			}
			c := startTailer(t, testConfig(dir, "app.log"), func(tl *Tailer) {
				tl.inactive = 50 * time.Millisecond
				tl.noNotify = !notify
			})
			c.waitRecords(200)
			time.Sleep(150 * time.Millisecond)      // quiet for longer than the inactivity close (not a wait for a result)
			mustAppend(t, d1, lines("a", 200, 201)) // 23:59:59
			mustWrite(t, d2, lines("b", 0, 1))      // 00:00:00: the new day's file, the link moved
			tmp := filepath.Join(dir, ".app.log.tmp")
			if err := os.Symlink(d2, tmp); err != nil {
				t.Fatal(err)
			}
			mustRename(t, tmp, link)
			waitFor(t, "b-000000", func() bool { return len(c.records()) >= 201 && hasRecord(c.records(), lines("b", 0, 1)) })
			c.settle()
			if got := c.records(); len(got) != 202 {
				t.Fatalf("got %d records, want 202: the old day's last line lost", len(got))
			}
		})
	}
}

func hasRecord(rs []string, want string) bool {
	for _, r := range rs {
		if r == want {
			return true
		}
	}
	return false
}
