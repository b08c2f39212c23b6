package reliability

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/kinesistest"
)

// mountTmpfs mounts a tmpfs with opts on a new directory and unmounts it
// when the test ends; it skips the test when mounting is not permitted.
func mountTmpfs(t *testing.T, opts string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "mnt")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", opts, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v: %s); the scenario needs root and mount permission", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	return dir
}

// TestCheckpointFileUnusableAtStartExitsWithErrorNamingPath starts the agent
// with a checkpointFile it cannot create: its parent is a regular file, or
// it is on a read-only file system. The agent exits 1 at once with an error
// naming the path (nothing is read, so nothing can be lost).
func TestCheckpointFileUnusableAtStartExitsWithErrorNamingPath(t *testing.T) {
	parallel(t)
	s := newSetup(t, 1)
	writeSeqFile(t, filepath.Join(s.logs, "app.log"), 0, 10)

	notDir := filepath.Join(s.dir, "regular-file")
	if err := os.WriteFile(notDir, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{"parent is a regular file": filepath.Join(notDir, "checkpoints")}
	if ro := mountTmpfsOrEmpty(t, "ro,size=1m"); ro != "" {
		cases["read-only file system"] = filepath.Join(ro, "checkpoints")
	}
	for name, path := range cases {
		s.top["checkpointFile"] = path
		p := s.startWith(nil)
		code := p.wait(t, 20*time.Second)
		out := p.stderr.String()
		t.Logf("%s: exit %d, stderr %q", name, code, strings.TrimSpace(out))
		if code != 1 || !strings.Contains(out, path) {
			t.Errorf("%s: exit %d with stderr %q; want exit 1 and an error naming %s", name, code, out, path)
		}
	}
}

// mountTmpfsOrEmpty is mountTmpfs returning "" instead of skipping.
func mountTmpfsOrEmpty(t *testing.T, opts string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "mnt")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := exec.Command("mount", "-t", "tmpfs", "-o", opts, "tmpfs", dir).Run(); err != nil {
		t.Logf("no read-only tmpfs here: %v", err)
		return ""
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	return dir
}

// fill writes a file in dir until the file system is full.
func fill(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "filler")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return p
			}
			t.Fatal(err)
		}
	}
}

// TestCheckpointDiskFullKeepsShippingAndLosesNothing puts the checkpoint
// file on a small tmpfs and fills it while lines keep coming: shipping goes
// on, the failing saves are logged naming the file, SIGKILL while the disk
// is full loses nothing after a restart, and once there is space again the
// checkpoint advances (a clean restart sends no duplicates).
func TestCheckpointDiskFullKeepsShippingAndLosesNothing(t *testing.T) {
	parallel(t)
	mnt := mountTmpfs(t, "size=1m")
	s := newSetup(t, 1)
	s.ckpt = filepath.Join(mnt, "checkpoints")
	logFile := filepath.Join(s.logs, "app.log")
	const n1, n2, n3 = 3000, 3000, 2000
	w := writeSeq(t, logFile, 0, n1, 1000)
	p := s.start()
	w.wait(t, time.Minute)
	s.waitAllSeq(n1, 60*time.Second)
	// Let the first checkpoint land, then fill the disk.
	waitFor(5*time.Second, 100*time.Millisecond, func() bool { fi, err := os.Stat(s.ckpt); return err == nil && fi.Size() > 0 })
	filler := fill(t, mnt)
	w = writeSeq(t, logFile, n1, n2, 1000)
	w.wait(t, time.Minute)
	tl := s.waitAllSeq(n1+n2, 60*time.Second)
	if m, _ := tl.missing(0, n1+n2); m > 0 {
		t.Fatalf("with the checkpoint disk full, %d lines did not ship", m)
	}
	if !waitFor(10*time.Second, 100*time.Millisecond, func() bool { return strings.Contains(p.log(), s.ckpt) }) {
		t.Errorf("no log line names the checkpoint file %s while saving fails\n%s", s.ckpt, tail(p.log(), 3000))
	}
	if !p.running() {
		t.Fatalf("agent exited while the checkpoint disk was full\n%s", p.stderr.String())
	}
	p.kill(t)
	errLines := strings.Count(p.log(), "ERROR")

	// Space again; restart: what was not checkpointed is sent again, nothing lost.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	p = s.start()
	tl = s.waitAllSeq(n1+n2, 60*time.Second)
	s.requireAllSeq(tl, n1+n2)
	// The checkpoint advances again: a clean stop and restart sends no more
	// duplicates. Count after the stop: re-sends may still be in flight
	// when the last missing line arrives.
	p.term(t, 15*time.Second)
	dupsAfterFull := countSeq(kinesistest.ReadAll(t, s.client, s.stream)).dups()
	p = s.start()
	w = writeSeq(t, logFile, n1+n2, n3, 1000)
	w.wait(t, time.Minute)
	tl = s.waitAllSeq(n1+n2+n3, 60*time.Second)
	p.term(t, 15*time.Second)
	tl = s.final()
	s.requireAllSeq(tl, n1+n2+n3)
	t.Logf("checkpoint disk full (tmpfs 1 MiB): %d lines shipped while full, %d ERROR lines while full, SIGKILL while full then restart: 0 lost, %d duplicates; after space returned and a clean restart: %d more duplicates",
		n2, errLines, dupsAfterFull, tl.dups()-dupsAfterFull)
	if tl.dups() != dupsAfterFull {
		t.Errorf("the clean restart after the disk had space again sent %d duplicates: the checkpoint did not advance (duplicated: %s)", tl.dups()-dupsAfterFull, tl.dupRanges())
	}
}

// TestCorruptCheckpointFileFailsClearlyAndRecoveryLosesNothing overwrites
// the checkpoint file with garbage: the agent exits 1 naming the file (no
// crash loop that reads and drops data), and the documented recovery
// (move the file aside, restart) ships every line.
func TestCorruptCheckpointFileFailsClearlyAndRecoveryLosesNothing(t *testing.T) {
	parallel(t)
	s := newSetup(t, 1)
	const n = 2000
	writeSeqFile(t, filepath.Join(s.logs, "app.log"), 0, n)
	if err := os.MkdirAll(filepath.Dir(s.ckpt), 0o755); err != nil {
		t.Fatal(err)
	}
	garbage := []byte(strings.Repeat("this is not an SQLite database\x00\xff", 200))
	if err := os.WriteFile(s.ckpt, garbage, 0o644); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // a restarting service manager gets the same answer each time
		p := s.startWith(nil)
		code := p.wait(t, 20*time.Second)
		out := p.stderr.String()
		if code != 1 || !strings.Contains(out, s.ckpt) {
			t.Fatalf("corrupt checkpoint file: exit %d, stderr %q; want exit 1 naming %s", code, out, s.ckpt)
		}
		if i == 0 {
			t.Logf("corrupt checkpoint: exit %d, stderr %q", code, strings.TrimSpace(out))
		}
	}
	if got := len(countSeq(kinesistest.ReadAll(t, s.client, s.stream)).counts); got != 0 {
		t.Fatalf("%d lines were sent by an agent that refused to start", got)
	}
	// Recovery (docs/RELIABILITY.md): move the file aside and start again.
	if err := os.Rename(s.ckpt, s.ckpt+".corrupt"); err != nil {
		t.Fatal(err)
	}
	p := s.start()
	tl := s.waitAllSeq(n, 60*time.Second)
	p.term(t, 15*time.Second)
	tl = s.final()
	s.requireAllSeq(tl, n)
}

// TestDamagedCheckpointDatabaseFailsClearlyOrResumesWithoutLoss ships a
// file, stops the agent, then damages the real checkpoint database (its
// second half overwritten) and appends lines: the agent either exits 1
// naming the file, after which the documented recovery (move the file and
// its -wal/-shm aside) ships everything, or it starts and ships everything;
// in no case is a line lost.
func TestDamagedCheckpointDatabaseFailsClearlyOrResumesWithoutLoss(t *testing.T) {
	parallel(t)
	s := newSetup(t, 1)
	const n1, n2 = 1000, 1000
	logFile := filepath.Join(s.logs, "app.log")
	writeSeqFile(t, logFile, 0, n1)
	p := s.start()
	s.waitAllSeq(n1, 60*time.Second)
	p.term(t, 15*time.Second)
	fi, err := os.Stat(s.ckpt)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(s.ckpt, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	junk := []byte(strings.Repeat("\xde\xad\xbe\xef", int(fi.Size()/8+1)))
	if _, err := f.WriteAt(junk[:fi.Size()/2], fi.Size()/2); err != nil {
		t.Fatal(err)
	}
	f.Close()
	w := writeSeq(t, logFile, n1, n2, 10_000)
	w.wait(t, time.Minute)
	p = s.startWith(nil)
	var outcome string
	if !waitFor(20*time.Second, 10*time.Millisecond, func() bool {
		return !p.running() || strings.Contains(p.log(), "Startup completed")
	}) {
		t.Fatal("agent neither started nor exited")
	}
	if p.running() {
		outcome = "started on the damaged file"
	} else {
		code := p.state.ExitCode()
		out := p.stderr.String()
		if code != 1 || !strings.Contains(out, s.ckpt) {
			t.Fatalf("damaged checkpoint database: exit %d, stderr %q; want exit 1 naming %s", code, out, s.ckpt)
		}
		outcome = fmt.Sprintf("exit %d: %q; recovered by moving the file aside", code, strings.TrimSpace(out))
		for _, sfx := range []string{"", "-wal", "-shm"} {
			if err := os.Rename(s.ckpt+sfx, s.ckpt+sfx+".corrupt"); err != nil && !errors.Is(err, os.ErrNotExist) {
				t.Fatal(err)
			}
		}
		p = s.start()
	}
	tl := s.waitAllSeq(n1+n2, 60*time.Second)
	p.term(t, 15*time.Second)
	tl = s.final()
	s.requireAllSeq(tl, n1+n2)
	t.Logf("damaged checkpoint database (second half overwritten): %s; 0 lost, %d duplicates", outcome, tl.dups())
}
