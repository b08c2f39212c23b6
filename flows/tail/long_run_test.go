package tail

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

// A long-running agent sees a new file per run (api_caller) and files that
// cannot be read, or dangling links, come and go: once gone from the
// listing they leave no entry behind (the unreadable and warned maps grew
// by one per file for the life of the agent).
func TestFilesGoneFromTheListingLeaveNoTraceInTheTailer(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(dir, "*.log")
	begun := make(chan struct{}, 1000)
	cfg.OnBegin = func(ps ...record.Position) {
		for range ps {
			begun <- struct{}{}
		}
	}
	c := startTailer(t, cfg, func(tl *Tailer) {
		tl.openFn = openDenying(func(name string) bool { return strings.HasPrefix(filepath.Base(name), "secure-") })
	})
	const n = 200
	for i := 0; i < n; i++ {
		mustWrite(t, filepath.Join(dir, fmt.Sprintf("secure-%d.log", i)), "s\n")
		if err := os.Symlink(filepath.Join(dir, "nowhere"), filepath.Join(dir, fmt.Sprintf("link-%d.log", i))); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < n; i++ {
		select {
		case <-begun:
		case <-time.After(10 * time.Second):
			t.Fatalf("%d of %d unreadable files given a row", i, n)
		}
	}
	c.settle()
	for i := 0; i < n; i++ {
		os.Remove(filepath.Join(dir, fmt.Sprintf("secure-%d.log", i)))
		os.Remove(filepath.Join(dir, fmt.Sprintf("link-%d.log", i)))
	}
	// Two full scans after the removal (MaxRefresh 500 ms in tests).
	scans := c.tl.scans.Load()
	waitFor(t, "two more scans", func() bool { return c.tl.scans.Load() >= scans+2 })
	c.settle()
	c.stop()
	if len(c.tl.unreadable) > 0 || len(c.tl.warned) > 1 {
		t.Fatalf("after %d unreadable files and %d dangling links were removed: unreadable %d, warned %d entries",
			n, n, len(c.tl.unreadable), len(c.tl.warned))
	}
}

// A file deleted and let go, or archived (renamed out of the pattern),
// let go and deleted only then, never comes back: a new file with the same
// first bytes is read from 0, whichever inode it gets. It was taken for
// the old file "coming back" when it got the freed inode (ext4 reuses
// inodes at once), and its lines were skipped. (The let-go file's ghost
// now holds its descriptor, so its inode cannot be reused meanwhile.)
func TestANewFileWithTheFirstBytesOfADeletedOneIsReadFromItsStart(t *testing.T) {
	for name, goAway := range map[string]func(t *testing.T, c *collector, cfg Config, a string){
		"deleted": func(t *testing.T, c *collector, cfg Config, a string) {
			if err := os.Remove(a); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the deleted file let go", func() bool { return len(cfg.Stats.Files()) == 0 })
		},
		"archived, let go, then deleted": func(t *testing.T, c *collector, cfg Config, a string) {
			archived := strings.TrimSuffix(a, ".log") + ".done" // out of the pattern
			mustRename(t, a, archived)
			waitFor(t, "the archived file let go", func() bool { return len(cfg.Stats.Files()) == 0 })
			c.settle()
			if err := os.Remove(archived); err != nil {
				t.Fatal(err)
			}
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := testConfig(dir, "*.log")
			c := startTailer(t, cfg)
			a := filepath.Join(dir, "run-1.log")
			mustWrite(t, a, "status=OK\n")
			c.waitRecords(1)
			ino := inodeOf(t, a)
			goAway(t, c, cfg, a)
			b, tmp := filepath.Join(dir, "run-2.log"), filepath.Join(dir, "tmp")
			reused := false
			for i := 0; i < 200 && !reused; i++ {
				mustWrite(t, tmp, "status=OK\n") // outside the pattern
				if reused = inodeOf(t, tmp) == ino; !reused {
					os.Remove(tmp)
				}
			}
			if reused {
				mustRename(t, tmp, b) // the dangerous case: same inode, same first bytes
			} else {
				mustWrite(t, b, "status=OK\n")
			}
			waitFor(t, "run-2.log read", func() bool { return len(c.recordsOf("run-2.log")) == 1 })
		})
	}
}

func inodeOf(t *testing.T, p string) uint64 {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}
