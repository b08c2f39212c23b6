package tail

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/syncbuf"
)

func fileIDOf(t *testing.T, p string) string {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := statOf(fi)
	return st.key.fileID()
}

func headOf(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b[:min(len(b), fpMax)]
}

func TestResumeContinuesAtCheckpointOffset(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.log")
	mustWrite(t, p, "l1\nl2\nl3\n")
	cfg := testConfig(dir, "*.log")
	cfg.StartAtEnd = true // ignored for a checkpointed file
	cfg.Resume = []record.Position{{
		Flow: "test", Path: filepath.Join(dir, "old-name.log"), FileID: fileIDOf(t, p),
		Fingerprint: fingerprint(headOf(t, p)[:3]), Offset: 3, Updated: time.Now(),
	}}
	c := startTailer(t, cfg)
	eq(t, c.waitRecords(2), "l2\n", "l3\n")
	if g := c.snapshot()[0]; g.start != 3 {
		t.Fatalf("first chunk starts at %d", g.start)
	}
}

// A Java checkpoint has no fingerprint: FileID alone decides.
func TestResumeFromJavaCheckpointWithoutFingerprint(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.log")
	mustWrite(t, p, "l1\nl2\n")
	cfg := testConfig(dir, "*.log")
	cfg.Resume = []record.Position{{Flow: "test", Path: p, FileID: fileIDOf(t, p), Offset: 3, Updated: time.Now()}}
	c := startTailer(t, cfg)
	eq(t, c.waitRecords(1), "l2\n")
}

// Truncated while the agent was down: Java exits 1; we restart at 0.
func TestResumeFileShorterThanCheckpointRestartsAtZero(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.log")
	mustWrite(t, p, "new\n")
	cfg := testConfig(dir, "*.log")
	cfg.Resume = []record.Position{{Flow: "test", Path: p, FileID: fileIDOf(t, p), Offset: 100, Updated: time.Now()}}
	c := startTailer(t, cfg)
	eq(t, c.waitRecords(1), "new\n")
}

// The checkpoint's inode now belongs to another file (different leading
// bytes): its offset is not applied.
func TestResumeIsNotFooledByInodeReuse(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.log")
	mustWrite(t, p, "brand new file, line one\nline two\n")
	cfg := testConfig(dir, "*.log")
	cfg.Resume = []record.Position{{
		Flow: "test", Path: p, FileID: fileIDOf(t, p),
		Fingerprint: fingerprint([]byte("the old file had other bytes\n")), Offset: 25,
		Updated: time.Now().Add(-time.Hour),
	}}
	c := startTailer(t, cfg)
	eq(t, c.waitRecords(2), "brand new file, line one\n", "line two\n")
}

// Files without a checkpoint: read from 0 when written after the newest
// checkpoint (while the agent was down), else from their end.
func TestResumeUncheckpointedFilesByModificationTime(t *testing.T) {
	dir := t.TempDir()
	ckpt := time.Now().Add(-time.Minute)
	a := filepath.Join(dir, "a.log")
	mustWrite(t, a, "a1\na2\n")
	old := filepath.Join(dir, "old.log")
	mustWrite(t, old, "o1\n")
	if err := os.Chtimes(old, ckpt.Add(-time.Hour), ckpt.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	fresh := filepath.Join(dir, "fresh.log")
	mustWrite(t, fresh, "f1\n")
	cfg := testConfig(dir, "*.log")
	cfg.Resume = []record.Position{{Flow: "test", Path: a, FileID: fileIDOf(t, a), Offset: 6, Updated: ckpt}}
	c := startTailer(t, cfg)
	eq(t, c.waitRecords(1), "f1\n")
	mustAppend(t, old, "o2\n")
	mustAppend(t, a, "a3\n")
	c.waitRecords(3)
	eq(t, c.recordsOf("old.log"), "o2\n")
	eq(t, c.recordsOf("a.log"), "a3\n")
}

// A closed (inactive) file whose inode is reused by a new file at a
// matching name is read from 0, not from the old offset.
func TestInodeReuseAfterCloseDoesNotResumeOldOffset(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.log")
	mustWrite(t, p, "old content line\n")
	var logs syncbuf.Buffer
	cfg := testConfig(dir, "*.log")
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	// Polling (rescans 1 s apart): the swap below happens between two
	// listings, so the tailer sees the known inode with other content.
	c := startTailer(t, cfg, func(tl *Tailer) { tl.inactive = 50 * time.Millisecond; tl.noNotify = true })
	c.waitRecords(1)
	waitFor(t, "descriptor closed", func() bool { return !c.tl.isOpen(p) })
	ino := fileIDOf(t, p)
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	// Get the freed inode for a new file under a name that does not match,
	// then move it into place (common on ext4/tmpfs).
	tmp := filepath.Join(dir, "tmp.x")
	var reused bool
	for i := 0; i < 50 && !reused; i++ {
		mustWrite(t, tmp, "NEW content that is longer\n")
		if reused = fileIDOf(t, tmp) == ino; !reused {
			if err := os.Remove(tmp); err != nil {
				t.Fatal(err)
			}
		}
	}
	if !reused {
		t.Skip("file system did not reuse the inode")
	}
	mustRename(t, tmp, p)
	got := c.waitRecords(2)
	eq(t, got[1:], "NEW content that is longer\n")
	if !strings.Contains(string(logs.Bytes()), "inode reused") {
		t.Log("the swap straddled a rescan; identity check not exercised this time")
	}
}

// A quiet file whose descriptor was closed, that receives its last lines
// and is renamed out of the pattern (in the same directory) before the
// next rescan, is found again by its identity and read to its end.
func TestClosedFileRenamedOutOfThePatternAfterItsLastWriteIsReadToItsEnd(t *testing.T) {
	for _, notify := range []bool{true, false} {
		t.Run(map[bool]string{true: "inotify", false: "polling"}[notify], func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "a.log")
			mustWrite(t, p, lines("l", 0, 200)) // 1,800 bytes: more than the 1 KiB fingerprint
			c := startTailer(t, testConfig(dir, "*.log"), func(tl *Tailer) {
				tl.inactive = 50 * time.Millisecond
				tl.linger = 100 * time.Millisecond
				tl.noNotify = !notify
			})
			c.waitRecords(200)
			waitFor(t, "descriptor closed", func() bool { return !c.tl.isOpen(p) })
			mustAppend(t, p, lines("l", 200, 202))
			mustRename(t, p, filepath.Join(dir, "a.log.1"))
			got := c.waitRecords(202)
			eq(t, got[200:], "l-000200\n", "l-000201\n")
			// Let go once read and quiet, not kept open.
			waitFor(t, "the renamed file let go", func() bool {
				c.tl.openMu.Lock()
				defer c.tl.openMu.Unlock()
				return len(c.tl.open) == 0
			})
		})
	}
}

// A closed file that is deleted while its inode goes at once to a file
// outside the pattern (ext4 reuses inodes) must not make that file be read:
// neither when the closed file was empty nor when the stranger starts with
// the same few bytes.
func TestClosedFileDeletedAndItsInodeReusedOutsideThePatternIsNotRead(t *testing.T) {
	for _, content := range []string{"", "hdr\n"} {
		for _, notify := range []bool{true, false} {
			name := map[bool]string{true: "inotify", false: "polling"}[notify] + "/" + map[bool]string{true: "empty", false: "short"}[content == ""]
			t.Run(name, func(t *testing.T) {
				dir := t.TempDir()
				p := filepath.Join(dir, "a.log")
				mustWrite(t, p, content)
				c := startTailer(t, testConfig(dir, "*.log"), func(tl *Tailer) {
					tl.inactive = 50 * time.Millisecond
					tl.noNotify = !notify
				})
				waitFor(t, "opened", func() bool { return c.tl.isOpen(p) })
				waitFor(t, "descriptor closed", func() bool { return !c.tl.isOpen(p) })
				ino := fileIDOf(t, p)
				if err := os.Remove(p); err != nil {
					t.Fatal(err)
				}
				q := filepath.Join(dir, "secret.txt")
				mustWrite(t, q, content+"NOT-IN-THE-GLOB\n")
				if fileIDOf(t, q) != ino {
					t.Skip("file system did not reuse the inode")
				}
				c.tl.poke(true) // a full rescan, then a few more iterations
				c.settle()
				for _, r := range c.records() {
					if strings.Contains(r, "NOT-IN-THE-GLOB") {
						t.Fatalf("read %q from %s, which does not match *.log", r, q)
					}
				}
			})
		}
	}
}
