package tail

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

// A quiet file whose descriptor was closed for inactivity is deleted and
// a new file created at its name takes its inode (ext4 reuses a freed inode
// at once) and starts with the same bytes: a job's log recreated with
// `rm -f job.log; job > job.log`, or logrotate deleting a quiet rotation
// while `create` makes the new log. The new file was taken for the old one
// grown and its first bytes were never sent (Java keeps its file open, so
// the inode cannot be reused under it, and reads the new file from 0). Its
// birth time tells it from the old file.
func TestAClosedFileDeletedAndRecreatedOnItsInodeWithTheSameFirstLineIsReadFromItsStart(t *testing.T) {
	needBirthTimes(t)

	// Polling: the swap happens between two listings, every time.
	t.Run("polling", func(t *testing.T) {
		dir := t.TempDir()
		p := filepath.Join(dir, "job.log")
		mustWrite(t, p, "status=OK\n")
		c := startTailer(t, testConfig(dir, "*.log"), func(tl *Tailer) {
			tl.inactive = 50 * time.Millisecond
			tl.noNotify = true
		})
		c.waitRecords(1)
		waitFor(t, "the descriptor closed", func() bool { return !c.tl.isOpen(p) })
		ino := fileIDOf(t, p)
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
		mustRename(t, onFreedInode(t, dir, ino, "status=OK\nrun 2 done\n"), p)
		waitFor(t, "run 2 done", func() bool { return len(c.records()) >= 2 })
		c.settle()
		eq(t, c.records(), "status=OK\n", "status=OK\n", "run 2 done\n")
	})

	// With inotify, as a job does it (rm, then write at the same name): the
	// deletion and the new file race the tailer's scan, so several rounds.
	t.Run("inotify", func(t *testing.T) {
		reused, lost := 0, 0
		for range 10 {
			dir := t.TempDir()
			p := filepath.Join(dir, "job.log")
			mustWrite(t, p, "status=OK\n")
			c := startTailer(t, testConfig(dir, "*.log"), func(tl *Tailer) { tl.inactive = 50 * time.Millisecond })
			c.waitRecords(1)
			waitFor(t, "the descriptor closed", func() bool { return !c.tl.isOpen(p) })
			ino := fileIDOf(t, p)
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
			mustWrite(t, p, "status=OK\nrun 2 done\n")
			if fileIDOf(t, p) == ino {
				reused++
			}
			waitFor(t, "run 2 done", func() bool { return len(c.records()) >= 2 })
			c.settle()
			if len(c.records()) != 3 {
				lost++
			}
			c.stop()
		}
		if lost > 0 {
			t.Fatalf("the inode was reused in %d of 10 rounds; the new file's first line was lost in %d", reused, lost)
		}
	})
}

// The same recreate while the agent is down: a row saved for a 10-byte
// file has a 10-byte fingerprint, which the new file on the same inode
// matches, so it was resumed at offset 10 and its first line lost (Java,
// resuming by inode alone, loses it too). A file born after its row was
// saved is not the row's file.
func TestAFileRecreatedOnItsInodeWhileTheAgentWasDownIsReadFromItsStart(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "job.log")
	mustWrite(t, p, "status=OK\n")
	ino := fileIDOf(t, p)
	saved := time.Now().Add(-5 * time.Second) // the job ran, its log was saved, then the agent stopped
	row := record.Position{Flow: "test", Path: p, FileID: ino, Fingerprint: fingerprint([]byte("status=OK\n")),
		Offset: 10, ModTime: saved, Size: 10, Updated: saved}
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	tmp := onFreedInode(t, dir, ino, "status=OK\nrun 2 done\n")
	if f, err := os.Open(tmp); err != nil {
		t.Fatal(err)
	} else if _, ok := birthTime(f); f.Close() != nil || !ok {
		t.Skip("the file system keeps no birth time")
	}
	mustRename(t, tmp, p)
	cfg := testConfig(dir, "*.log")
	cfg.StartAtEnd = true
	cfg.Resume = []record.Position{row}
	c := startTailer(t, cfg)
	c.waitRecords(2)
	c.settle()
	eq(t, c.records(), "status=OK\n", "run 2 done\n")
}

// onFreedInode writes content to a new file of dir, out of any test's
// pattern, until it gets the inode ino of a file just deleted (ext4 and
// tmpfs give it out at once), and returns its path; the test is skipped
// when the file system does not.
func onFreedInode(t *testing.T, dir, ino, content string) string {
	t.Helper()
	tmp := filepath.Join(dir, "tmp.x")
	for range 50 {
		mustWrite(t, tmp, content)
		if fileIDOf(t, tmp) == ino {
			return tmp
		}
		if err := os.Remove(tmp); err != nil {
			t.Fatal(err)
		}
	}
	t.Skip("the file system did not reuse the inode")
	return ""
}

// needBirthTimes skips the test where the file system keeps no birth time.
func needBirthTimes(t *testing.T) {
	t.Helper()
	probe := filepath.Join(t.TempDir(), "probe")
	mustWrite(t, probe, "")
	if f, err := os.Open(probe); err != nil {
		t.Fatal(err)
	} else if _, ok := birthTime(f); f.Close() != nil || !ok {
		t.Skip("the file system keeps no birth time")
	}
}
