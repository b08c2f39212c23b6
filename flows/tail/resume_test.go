package tail

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/syncbuf"
)

func fileIDOf(t *testing.T, p string) string {
	t.Helper()
	return fileKeyOf(t, p).fileID()
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
	cfg.Resume = []record.Position{{Flow: "test", Path: p, FileID: fileIDOf(t, p), Offset: 3, Updated: time.Now(), JavaOnly: true}}
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

// rowsPredateFiles is for tests whose checkpoint rows claim to be saved
// before the test created their files: their files' birth times are not
// read (as on a file system that keeps none), else the rows would be taken
// for rows of files since deleted whose inodes the test's files took.
func rowsPredateFiles(tl *Tailer) { tl.birthTime = func(*os.File) (int64, bool) { return 0, false } }

// setMtime sets a file's modification (and access) time.
func setMtime(t *testing.T, p string, at time.Time) {
	t.Helper()
	if err := os.Chtimes(p, at, at); err != nil {
		t.Fatal(err)
	}
}

// afterClock returns a time after every inode change made in dir so far,
// and returns once changes made from now on are stamped after it: the
// kernel stamps inodes with a coarse clock, a tick behind time.Now.
func afterClock(t *testing.T, dir string) time.Time {
	t.Helper()
	probe := filepath.Join(dir, ".clock")
	stamp := func() time.Time {
		mustWrite(t, probe, "")
		defer os.Remove(probe)
		fi, err := os.Stat(probe)
		if err != nil {
			t.Fatal(err)
		}
		st, _ := statOf(fi)
		return st.changeTime
	}
	last := stamp()
	waitFor(t, "the clock past the last inode change", func() bool { return time.Now().After(last) })
	at := time.Now()
	waitFor(t, "inode stamps past that time", func() bool { return stamp().After(at) })
	return at
}

// This agent saves a row for every file it starts, so a file without one
// that changed or arrived after the last checkpoint is new to it: read from
// 0, even one moved into the directory with an older mtime (a rename sets
// its change time). One unchanged since (an old file whose row expired, or
// one an interrupted start never reached) starts at its end, and so does
// one renamed but last written before the rows' time to live (logrotate
// renaming old rotated files while the agent was down). A grace covers a
// file created just before the last save, which did not hold its row yet.
func TestAFileWithoutACheckpointIsReadFromItsStartWhenItChangedOrArrivedAfterTheLastCheckpoint(t *testing.T) {
	const grace = 300 * time.Millisecond
	dir, elsewhere := t.TempDir(), t.TempDir()
	a := filepath.Join(dir, "a.log")
	mustWrite(t, a, "a1\na2\n")
	old := filepath.Join(dir, "old.log")
	mustWrite(t, old, "o1\n")
	setMtime(t, old, time.Now().Add(-48*time.Hour))
	oldChange := afterClock(t, dir)
	waitFor(t, "the grace past old.log's change", func() bool { return time.Since(oldChange) > 2*grace })
	mustWrite(t, filepath.Join(dir, "just-before.log"), "j1\n")
	setMtime(t, filepath.Join(dir, "just-before.log"), time.Now().Add(-48*time.Hour))
	ckpt := afterClock(t, dir)
	staged := filepath.Join(elsewhere, "moved.log")
	mustWrite(t, staged, "m1\n")
	setMtime(t, staged, ckpt.Add(-time.Hour))
	if err := os.Rename(staged, filepath.Join(dir, "moved.log")); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(dir, "fresh.log"), "f1\n")
	rotated := filepath.Join(elsewhere, "rotated.log")
	mustWrite(t, rotated, "r1\n")
	setMtime(t, rotated, ckpt.Add(-10*24*time.Hour))
	if err := os.Rename(rotated, filepath.Join(dir, "rotated.log")); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(dir, "*.log")
	cfg.RowTTL = 7 * 24 * time.Hour
	cfg.StartAtEnd = true // not applied: the flow has checkpoints
	cfg.Resume = []record.Position{{Flow: "test", Path: a, FileID: fileIDOf(t, a),
		Fingerprint: fingerprint(headOf(t, a)), Offset: 6, Updated: ckpt}}
	c := startTailer(t, cfg, func(t *Tailer) { t.newGrace = grace })
	c.waitRecords(3)
	mustAppend(t, old, "o2\n")
	mustAppend(t, filepath.Join(dir, "rotated.log"), "r2\n")
	mustAppend(t, a, "a3\n")
	c.waitRecords(6)
	eq(t, c.recordsOf("rotated.log"), "r2\n")
	eq(t, c.recordsOf("just-before.log"), "j1\n")
	eq(t, c.recordsOf("moved.log"), "m1\n")
	eq(t, c.recordsOf("fresh.log"), "f1\n")
	eq(t, c.recordsOf("old.log"), "o2\n")
	eq(t, c.recordsOf("a.log"), "a3\n")
}

// The Java agent's rows other than its newest are used for a file at their
// own path: a file Java had left with lines unsent (it never goes back to
// an older file) resumes there, neither losing them nor sending the rest
// again, after an upgrade and after a downgrade and upgrade (when the
// newest row is this agent's).
func TestAnOlderJavaRowResumesTheFileAtItsOwnPath(t *testing.T) {
	for name, newestIsJavas := range map[string]bool{"upgrade": true, "downgrade and upgrade": false} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			now := time.Now()
			a := filepath.Join(dir, "a.log")
			mustWrite(t, a, "a1\n")
			b := filepath.Join(dir, "b.log")
			mustWrite(t, b, "b1\nb2\nb3\nb4\n")
			setMtime(t, b, now.Add(-30*time.Minute))
			setMtime(t, a, now.Add(-40*time.Minute))
			if !newestIsJavas {
				setMtime(t, b, now.Add(-50*time.Minute))
			}
			cfg := testConfig(dir, "*.log")
			newest := record.Position{Flow: "test", Path: a, FileID: fileIDOf(t, a), Offset: 3, Updated: now.Add(-time.Minute), JavaOnly: newestIsJavas}
			if !newestIsJavas {
				newest.Fingerprint = fingerprint(headOf(t, a))
			}
			cfg.Resume = []record.Position{newest,
				{Flow: "test", Path: b, FileID: fileIDOf(t, b), Offset: 6, Updated: now.Add(-2 * time.Hour), JavaOnly: true}}
			c := startTailer(t, cfg, rowsPredateFiles)
			c.waitRecords(2)
			mustAppend(t, a, "a2\n")
			c.waitRecords(3)
			eq(t, c.recordsOf("b.log"), "b3\n", "b4\n")
			eq(t, c.recordsOf("a.log"), "a2\n")
		})
	}
}

// Upgraded from a Java agent that was behind: Java read one file at a
// time, and the files newer than the one of its newest checkpoint were
// waiting their turn (spec 3.3, 3.5), so they are read from 0 even when
// last written before that checkpoint. Older files without a row, which
// Java had finished or passed over, start at their end.
func TestAfterAnUpgradeTheFilesJavaHadPendingAreReadFromTheirStart(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	done := filepath.Join(dir, "app.log.3")
	mustWrite(t, done, "z1\n")
	setMtime(t, done, now.Add(-2*time.Hour))
	current := filepath.Join(dir, "app.log.2")
	mustWrite(t, current, "a1\na2\na3\n")
	setMtime(t, current, now.Add(-time.Hour))
	pending := filepath.Join(dir, "app.log.1")
	mustWrite(t, pending, "b1\nb2\n")
	setMtime(t, pending, now.Add(-10*time.Minute))
	mustWrite(t, filepath.Join(dir, "app.log"), "c1\n")
	cfg := testConfig(dir, "app.log*")
	cfg.Resume = []record.Position{{Flow: "test", Path: current, FileID: fileIDOf(t, current),
		Offset: 3, Updated: now.Add(-2 * time.Minute), JavaOnly: true}}
	c := startTailer(t, cfg, rowsPredateFiles)
	c.waitRecords(5)
	mustAppend(t, done, "z2\n")
	c.waitRecords(6)
	eq(t, c.recordsOf("app.log.2"), "a2\n", "a3\n")
	eq(t, c.recordsOf("app.log.1"), "b1\n", "b2\n")
	eq(t, c.recordsOf("app.log"), "c1\n")
	eq(t, c.recordsOf("app.log.3"), "z2\n")
}

// The Java agent's older rows have no fingerprint: one whose inode a new
// file took would resume that file at a stale offset. Java resumes only its
// newest row (spec 4); this agent uses the others only for a file at their
// own path. The new file, newer than the one Java was reading, is read
// from 0.
func TestAfterAnUpgradeAnOlderJavaRowDoesNotResumeANewFileOnItsInode(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	rotated := filepath.Join(dir, "app.log.1")
	mustWrite(t, rotated, "old1\nold2\n")
	setMtime(t, rotated, now.Add(-61*time.Minute))
	cur := filepath.Join(dir, "app.log")
	mustWrite(t, cur, "new1\nnew2\nnew3\n")
	cfg := testConfig(dir, "app.log*")
	cfg.Resume = []record.Position{
		// Java's newest: the file it was reading, fully sent, since rotated.
		{Flow: "test", Path: cur, FileID: fileIDOf(t, rotated), Offset: 10, Updated: now.Add(-time.Hour), JavaOnly: true},
		// A day older, for a file since deleted, whose inode app.log took.
		{Flow: "test", Path: rotated, FileID: fileIDOf(t, cur), Offset: 10, Updated: now.Add(-25 * time.Hour), JavaOnly: true},
	}
	c := startTailer(t, cfg, rowsPredateFiles)
	c.waitRecords(3)
	mustAppend(t, cur, "new4\n")
	c.waitRecords(4)
	eq(t, c.recordsOf("app.log"), "new1\n", "new2\n", "new3\n", "new4\n")
	eq(t, c.recordsOf("app.log.1"))
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
	// then move it into place.
	mustRename(t, onFreedInode(t, dir, ino, "NEW content that is longer\n"), p)
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

// The first scan's starting rows are handed on only when it ends, so that a
// crash amid it saves none: saved alone, they would make the newest
// checkpoint newer than the files the scan had not reached, and the next
// start would take one written while the agent was down for an old one. A
// stop amid it does not cut it short: every file gets its row, as without
// the stop. They are handed on in one call, so that no checkpoint save can
// hold some of them without the others.
func TestAStopAmidTheFirstScanCompletesItAndHandsOnEveryRowInOneCall(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	a, m := filepath.Join(dir, "a.log"), filepath.Join(dir, "m.log")
	mustWrite(t, a, "a1\na2\n")
	mustWrite(t, m, "m1\n")
	setMtime(t, m, now.Add(-48*time.Hour))
	mustWrite(t, filepath.Join(dir, "y.log"), "y1\n") // not reached, old
	setMtime(t, filepath.Join(dir, "y.log"), now.Add(-48*time.Hour))
	setMtime(t, a, now.Add(-2*time.Hour))
	ckpt := afterClock(t, dir)
	mustWrite(t, filepath.Join(dir, "z.log"), "z1\n") // not reached, written while down
	cfg := testConfig(dir, "*.log")
	cfg.Resume = []record.Position{{Flow: "test", Path: a, FileID: fileIDOf(t, a),
		Fingerprint: fingerprint(headOf(t, a)), Offset: 3, Updated: ckpt}}
	var mu sync.Mutex
	var begun []string
	calls := 0
	cfg.OnBegin = func(ps ...record.Position) {
		mu.Lock()
		calls++
		for _, p := range ps {
			begun = append(begun, fmt.Sprintf("%s@%d", filepath.Base(p.Path), p.Offset))
		}
		mu.Unlock()
	}
	rows := func() []string { mu.Lock(); defer mu.Unlock(); return slices.Clone(begun) }

	started := make(chan *collector, 1) // the hook runs on the tailer's goroutine
	reached := make(chan []string, 1)
	c := startTailer(t, cfg, func(tl *Tailer) {
		tl.newGrace = 0 // the files' change times are just before the checkpoint
		open := tl.openFn
		tl.openFn = func(name string, flag int, perm os.FileMode) (*os.File, error) {
			if name == m { // a.log begun; y.log and z.log not yet (names in order)
				reached <- rows()
				(<-started).cancel()
			}
			return open(name, flag, perm)
		}
	})
	started <- c
	if early := <-reached; len(early) != 0 {
		t.Fatalf("starting rows %q handed on before the first scan ended", early)
	}
	c.stop()
	if got := rows(); !slices.Equal(got, []string{"a.log@3", "m.log@3", "y.log@3", "z.log@0"}) {
		t.Fatalf("starting rows %q, want a.log@3 m.log@3 y.log@3 z.log@0", got)
	}
	if mu.Lock(); calls != 1 {
		t.Fatalf("the first scan's rows handed on in %d calls, want 1", calls)
	}
	mu.Unlock()
}

// After an upgrade, when the file of Java's newest checkpoint is gone
// (deleted or compressed by a rotation while no agent ran), the files Java
// had pending, newer than that file as the checkpoint recorded it, are
// still read from 0 (Java itself loses them).
func TestAfterAnUpgradeTheFilesJavaHadPendingAreReadEvenWhenItsFileIsGone(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	pending := filepath.Join(dir, "app.log.1")
	mustWrite(t, pending, "b1\nb2\n")
	setMtime(t, pending, now.Add(-5*time.Minute))
	older := filepath.Join(dir, "app.log.3")
	mustWrite(t, older, "o1\n")
	setMtime(t, older, now.Add(-2*time.Hour))
	mustWrite(t, filepath.Join(dir, "app.log"), "c1\n")
	cfg := testConfig(dir, "app.log*")
	cfg.Resume = []record.Position{{Flow: "test", Path: filepath.Join(dir, "app.log.2"), FileID: "(dev=1,ino=999999)",
		ModTime: now.Add(-time.Hour), Size: 1000, Offset: 10, Updated: now.Add(-time.Minute), JavaOnly: true}}
	c := startTailer(t, cfg)
	c.waitRecords(3)
	mustAppend(t, older, "o2\n")
	c.waitRecords(4)
	eq(t, c.recordsOf("app.log.1"), "b1\n", "b2\n")
	eq(t, c.recordsOf("app.log"), "c1\n")
	eq(t, c.recordsOf("app.log.3"), "o2\n")
}

// A checkpointed file the first scan lists but cannot open, and a later
// scan opens, resumes at its checkpoint, not from 0: made readable while
// the agent runs (chmod, an ACL: no restart needed), renamed between the
// listing and the open (logrotate at start), or out of descriptors. Only on
// a row whose fingerprint covers the whole leading KiB: a Java row (none),
// or a short one, cannot tell a file rewritten meanwhile, or a new file on
// the inode, and that file is read from 0, as one found after start.
func TestACheckpointedFileTheFirstScanCannotOpenResumesAtItsCheckpointLater(t *testing.T) {
	long := strings.Repeat("x", 1100) + "\n"
	for name, tc := range map[string]struct {
		err         error
		java, short bool
		want        []string
	}{
		"made readable":          {err: syscall.EACCES, want: []string{"a3\n"}},
		"renamed at the listing": {err: syscall.ENOENT, want: []string{"a3\n"}},
		"out of descriptors":     {err: syscall.EMFILE, want: []string{"a3\n"}},
		"Java's row":             {err: syscall.EACCES, java: true, want: []string{long, "a2\n", "a3\n"}},
		"short fingerprint":      {err: syscall.EACCES, short: true, want: []string{"a1\n", "a2\n", "a3\n"}},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			a := filepath.Join(dir, "a.log")
			first := long
			if tc.short {
				first = "a1\n"
			}
			mustWrite(t, a, first+"a2\na3\n")
			cfg := testConfig(dir, "*.log")
			row := record.Position{Flow: "test", Path: a, FileID: fileIDOf(t, a), Offset: int64(len(first) + 3),
				Updated: time.Now(), JavaOnly: tc.java}
			if !tc.java {
				row.Fingerprint = fingerprint(headOf(t, a))
			}
			cfg.Resume = []record.Position{row}
			var refused atomic.Bool
			c := startTailer(t, cfg, func(tl *Tailer) {
				open := tl.openFn
				tl.openFn = func(name string, flag int, perm os.FileMode) (*os.File, error) {
					if name == a && refused.CompareAndSwap(false, true) {
						return nil, &os.PathError{Op: "open", Path: name, Err: tc.err}
					}
					return open(name, flag, perm)
				}
			})
			c.waitRecords(len(tc.want))
			eq(t, c.recordsOf("a.log"), tc.want...)
		})
	}
}

// Rotated between the first scan's listing and its open (logrotate's
// create: renamed, and a new file made at the name): the rotated file,
// found under its new name by the next scan, resumes at its checkpoint,
// and the new file is read from 0.
func TestAFileRotatedBetweenTheFirstListingAndItsOpenResumesAtItsCheckpoint(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.log")
	long := strings.Repeat("x", 1100) + "\n"
	mustWrite(t, a, long+"a2\na3\n")
	cfg := testConfig(dir, "a.log*")
	cfg.Resume = []record.Position{{Flow: "test", Path: a, FileID: fileIDOf(t, a),
		Fingerprint: fingerprint(headOf(t, a)), Offset: int64(len(long) + 3), Updated: time.Now()}}
	var rotated atomic.Bool
	c := startTailer(t, cfg, func(tl *Tailer) {
		open := tl.openFn
		tl.openFn = func(name string, flag int, perm os.FileMode) (*os.File, error) {
			if name == a && rotated.CompareAndSwap(false, true) {
				if err := os.Rename(a, a+".1"); err != nil {
					t.Error(err)
				}
				mustWrite(t, a, "b1\n")
			}
			return open(name, flag, perm)
		}
	})
	c.waitRecords(2)
	eq(t, c.recordsOf("a.log.1"), "a3\n")
	eq(t, c.recordsOf("a.log"), "b1\n")
}

// A stop waits for the first scan a few seconds at most: past that (a huge
// or slow directory) it stops as a crash would, handing on none of the
// scan's rows.
func TestAStopWaitsForASlowFirstScanOnlySoLong(t *testing.T) {
	dir := t.TempDir()
	for i := range 6 {
		mustWrite(t, filepath.Join(dir, fmt.Sprintf("f%d.log", i)), "x\n")
	}
	cfg := testConfig(dir, "*.log")
	var mu sync.Mutex
	var begun int
	cfg.OnBegin = func(ps ...record.Position) { mu.Lock(); begun += len(ps); mu.Unlock() }
	started := make(chan *collector, 1) // the hook runs on the tailer's goroutine
	var opens atomic.Int32
	c := startTailer(t, cfg, func(tl *Tailer) {
		tl.firstStopGrace = 50 * time.Millisecond
		open := tl.openFn
		tl.openFn = func(name string, flag int, perm os.FileMode) (*os.File, error) {
			if opens.Add(1) == 1 {
				(<-started).cancel()
			}
			time.Sleep(30 * time.Millisecond) // a slow file system
			return open(name, flag, perm)
		}
	})
	started <- c
	c.stop()
	mu.Lock()
	defer mu.Unlock()
	if n := opens.Load(); n >= 6 || begun != 0 {
		t.Fatalf("%d of 6 files opened, %d rows handed on; want the scan given up, no rows", n, begun)
	}
}
