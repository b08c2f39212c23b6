package checkpoint

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

// After the checkpoint file is deleted while running, Save writes back the
// rows it holds: not rows its own saves had deleted (a rename, an inode
// reused by a new file), which it wrote back in map order, sometimes over
// the current row (c.log lost, a.log@5000 back).
func TestRecreatedFileGetsTheCurrentRowsNotOnesSavesDeleted(t *testing.T) {
	bad := 0
	const trials = 20
	for i := range trials {
		path := filepath.Join(t.TempDir(), fmt.Sprintf("checkpoints%d", i))
		s, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		// a.log (inode 5) read to 5000, then deleted; c.log gets inode 5,
		// begun at 0: Save deletes a.log's row (same fileId).
		if err := s.Save([]record.Position{pos("/d/a.log", "(dev=803,ino=5)", 5000)}); err != nil {
			t.Fatal(err)
		}
		c := pos("/d/c.log", "(dev=803,ino=5)", 0)
		c.Fingerprint = "fp-c"
		if err := s.Save([]record.Position{c}); err != nil {
			t.Fatal(err)
		}
		before, _ := s.Load(testFlow)
		if len(before) != 1 || before[0].Path != "/d/c.log" {
			t.Fatalf("before: %+v", before)
		}
		for _, suf := range []string{"", "-wal", "-shm"} {
			os.Remove(path + suf)
		}
		err = s.Save([]record.Position{pos("/d/other.log", "(dev=803,ino=9)", 1)})
		if !errors.Is(err, ErrRecreated) {
			t.Fatalf("Save: %v", err)
		}
		after, _ := s.Load(testFlow)
		got := map[string]int64{}
		for _, p := range after {
			got[p.Path] = p.Offset
		}
		if _, ok := got["/d/c.log"]; !ok {
			bad++
			t.Logf("trial %d: rows after recreate %v: c.log's row is gone, deleted a.log@5000 is back", i, got)
		}
		s.Close()
	}
	if bad > 0 {
		t.Fatalf("%d of %d recreates lost the current row c.log@0 and resurrected a.log@5000", bad, trials)
	}
}

// A damaged file is refused at open, naming the file and what to do (it
// was accepted: every save then failed for the life of the process, with
// no advice).
func TestDamagedFileIsRefusedAtOpenSayingWhatToDo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "checkpoints")
	s := mustOpen(t, path)
	var ps []record.Position
	for i := range 50 {
		ps = append(ps, pos(fmt.Sprintf("/var/log/app/file-with-a-long-name-%04d.log", i), fmt.Sprintf("(dev=803,ino=%d)", 1000+i), 10))
	}
	if err := s.Save(ps); err != nil {
		t.Fatal(err)
	}
	var root, pageSize int64
	if err := s.db.QueryRow(`select rootpage from sqlite_master where name='GO_FILE_STATE_FILEID'`).Scan(&root); err != nil {
		t.Fatal(err)
	}
	if err := s.db.QueryRow(`pragma page_size`).Scan(&pageSize); err != nil {
		t.Fatal(err)
	}
	s.Close()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	junk := make([]byte, pageSize)
	for i := range junk {
		junk[i] = 0xA5
	}
	if _, err := f.WriteAt(junk, (root-1)*pageSize); err != nil {
		t.Fatal(err)
	}
	f.Close()

	s2, err := Open(path)
	if err == nil {
		s2.Close()
		t.Fatal("Open accepted a damaged checkpoint file (every save would fail)")
	}
	if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "damaged") || !strings.Contains(err.Error(), "move it away") {
		t.Fatalf("error %q does not name the file, the damage and what to do", err)
	}
}

// The Java agent keeps its connection in a transaction (autoCommit=false):
// after reading its checkpoint it holds a SHARED lock until its next commit.
func TestOpenOfAFileLockedByAnotherProcessSaysWhatToDo(t *testing.T) {
	path := filepath.Join(t.TempDir(), "checkpoints")
	db := javaDB(t, path)
	if _, err := db.Exec(javaDDL); err != nil {
		t.Fatal(err)
	}
	javaSave(t, db, testFlow, "/d/a", "(dev=1,ino=1)", 1, 10, 10)
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRow(`select count(*) from FILE_CHECKPOINTS`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path, WithBusyTimeout(200*time.Millisecond))
	if err == nil {
		s.Close()
		t.Fatal("Open succeeded while another process holds a lock")
	}
	t.Logf("Open: %v", err)
	if !strings.Contains(err.Error(), path) || !strings.Contains(strings.ToLower(err.Error()), "another process") {
		t.Fatalf("error %q does not say another process (a Java agent?) holds the file, nor what to do", err)
	}
}

// The checkpoint directory removed while running (rm -rf of the state
// directory) is recreated with the file and every position, as a removed
// file is (every save failed until the restart, which lost them all).
func TestCheckpointDirectoryRemovedWhileRunningIsRecreated(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "aws-kinesis-agent")
	path := filepath.Join(dir, "checkpoints")
	s := mustOpen(t, path)
	if err := s.Save([]record.Position{pos("/var/log/a.log", "(dev=803,ino=1)", 100)}); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	err := s.Save([]record.Position{pos("/var/log/b.log", "(dev=803,ino=2)", 200)})
	t.Logf("Save after the directory was removed: %v", err)
	s.Close()
	s2 := mustOpen(t, path) // the restart
	ps, _ := s2.Load(testFlow)
	if len(ps) != 2 {
		t.Fatalf("after a restart: %+v, want a.log@100 and b.log@200 (a deleted file alone is recreated with them)", ps)
	}
}

// The expiry that now runs every hour while the agent runs keeps the
// write-back of the rows it does not delete: a checkpoint file deleted
// while running is recreated with every known position, not only those
// saved since the last expiry (a quiet file's row was lost, and a restart
// read it again or started it at its end). The expired rows' write-back
// goes with them. From a review.
func TestAnExpiryKeepsTheWriteBackOfTheRowsItDoesNotDelete(t *testing.T) {
	path := filepath.Join(t.TempDir(), "checkpoints")
	s := mustOpen(t, path)
	if err := s.Save([]record.Position{pos("/var/log/a.log", "(dev=803,ino=1)", 100), pos("/var/log/b.log", "(dev=803,ino=2)", 200),
		pos("/var/log/old.log", "(dev=803,ino=3)", 300)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec(`update FILE_CHECKPOINTS set lastUpdated = strftime('%Y-%m-%d %H:%M:%f', 'now', '-8 days') where path = '/var/log/old.log'`); err != nil {
		t.Fatal(err)
	}
	if n, err := s.DeleteExpired(7); err != nil || n != 1 {
		t.Fatalf("DeleteExpired = %d, %v; want 1", n, err)
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
	}
	if err := s.Save([]record.Position{pos("/var/log/a.log", "(dev=803,ino=1)", 150)}); !errors.Is(err, ErrRecreated) {
		t.Fatalf("Save after the file was deleted: %v, want ErrRecreated", err)
	}
	s.Close()
	ps, err := mustOpen(t, path).Load(testFlow)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, p := range ps {
		got[p.Path] = p.Offset
	}
	if len(got) != 2 || got["/var/log/a.log"] != 150 || got["/var/log/b.log"] != 200 {
		t.Fatalf("positions after the recreate: %v, want a.log 150 and b.log 200 (old.log expired)", got)
	}
}
