package reliability

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/faultproxy"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/kinesistest"
)

// nobody is the unprivileged user of the permission test.
const nobody = 65534

// TestUnreadableFileIsReportedOthersShipAndItShipsOnceReadable runs the
// agent as an unprivileged user (uid 65534; root reads any file) with one
// readable and one unreadable file: the readable one ships, the unreadable
// one is reported naming its path without stopping the agent, and once it
// is made readable its lines arrive too.
func TestUnreadableFileIsReportedOthersShipAndItShipsOnceReadable(t *testing.T) {
	parallel(t)
	if os.Getuid() != 0 {
		t.Skip("needs root to run the agent as uid 65534; as a normal user chmod 000 already applies")
	}
	s := newSetup(t, 1)
	// Let uid 65534 reach its files: the test directories, its state and log files.
	for d := s.dir; d != filepath.Dir(os.TempDir()) && d != "/"; d = filepath.Dir(d) {
		if d == os.TempDir() {
			break
		}
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	state := filepath.Dir(s.ckpt)
	if err := os.MkdirAll(state, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{state, s.dir} {
		if err := os.Chown(p, nobody, nobody); err != nil {
			t.Fatal(err)
		}
	}
	readable := filepath.Join(s.logs, "a.log")
	unreadable := filepath.Join(s.logs, "b.log")
	writeSeqFile(t, readable, 0, 1000)
	writeSeqFile(t, unreadable, 1000, 1000)
	if err := os.Chmod(unreadable, 0); err != nil {
		t.Fatal(err)
	}
	p := s.startWith(&syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}})
	p.waitReady(t)
	tl := s.waitAllSeq(1000, 60*time.Second)
	if m, some := tl.missing(0, 1000); m > 0 {
		t.Fatalf("readable file: %d lines missing (%v)", m, some)
	}
	if !waitFor(10*time.Second, 100*time.Millisecond, func() bool {
		return regexp.MustCompile(`(?i)permission denied.*` + regexp.QuoteMeta(unreadable) + `|` + regexp.QuoteMeta(unreadable) + `.*permission denied`).MatchString(p.log())
	}) {
		t.Errorf("no log line names %s with permission denied:\n%s", unreadable, tail(p.log(), 3000))
	}
	if n := len(countSeq(readAllStream(t, s)).counts); n != 1000 {
		t.Errorf("%d distinct lines arrived while b.log was unreadable, want 1000", n)
	}
	if err := os.Chmod(unreadable, 0o644); err != nil {
		t.Fatal(err)
	}
	tl = s.waitAllSeq(2000, 60*time.Second)
	p.term(t, 15*time.Second)
	tl = s.final()
	s.requireAllSeq(tl, 2000)
	t.Logf("permission denied as uid %d: readable file shipped (1000 lines), unreadable one reported, shipped after chmod (1000 lines), %d duplicates; %d log lines mention it",
		nobody, tl.dups(), strings.Count(p.log(), unreadable))
}

// TestFileDeletedWhileBeingReadDeliversWhatWasRead deletes a large file
// while the agent is reading it (sends are slowed so that it is mid-file):
// every record the agent read is delivered, and they form the start of the
// file without gaps.
func TestFileDeletedWhileBeingReadDeliversWhatWasRead(t *testing.T) {
	parallel(t)
	s := newSetup(t, 1)
	proxy, err := faultproxy.New(s.kinesaliteEndpoint())
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	s.endpoint = proxy.URL()
	proxy.SetPlan(func(int, int) faultproxy.Fault { return faultproxy.Fault{Delay: 300 * time.Millisecond} })
	s.top["maxSendingThreads"] = 2
	const n = 60_000
	path := filepath.Join(s.logs, "big.log")
	writeSeqFile(t, path, 0, n)
	p := s.start()
	if !waitFor(20*time.Second, 20*time.Millisecond, func() bool { return proxy.Calls() >= 1 }) {
		t.Fatal("no call")
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	proxy.SetPlan(nil)
	// Wait until every record the agent read has been sent (its counters
	// are in the progress line it logs at shutdown; poll the stream until
	// it stops growing and then stop the agent).
	var last int
	waitFor(60*time.Second, time.Second, func() bool {
		got := len(countSeq(readAllStream(t, s)).counts)
		done := got == last && got > 0
		last = got
		return done || got == n
	})
	p.term(t, 15*time.Second)
	tl := countSeq(readAllStream(t, s))
	got := len(tl.counts)
	if m, some := tl.missing(0, got); m > 0 {
		t.Fatalf("records delivered are not the start of the file: %d gaps in [0,%d) (%v)", m, got, some)
	}
	parsed, sent := progressCounts(t, p.log())
	t.Logf("file deleted while being read (after the first call): %d of %d lines delivered (the agent parsed %d, sent %d), %d duplicates, %d bad records",
		got, n, parsed, sent, tl.dups(), len(tl.bad))
	if parsed != sent || got != parsed {
		t.Errorf("the agent parsed %d records and sent %d; %d distinct arrived: what was read must be delivered", parsed, sent, got)
	}
	if len(tl.bad) > 0 {
		t.Errorf("%d records are not lines of the file", len(tl.bad))
	}
}

func readAllStream(t *testing.T, s *setup) [][]byte {
	t.Helper()
	return kinesistest.ReadAll(t, s.client, s.stream)
}

var progressRE = regexp.MustCompile(`Tailer has parsed (\d+) records .* has successfully sent (\d+) records`)

// progressCounts is parsed and sent of the last Tailer Progress line.
func progressCounts(t *testing.T, log string) (parsed, sent int) {
	t.Helper()
	m := progressRE.FindAllStringSubmatch(log, -1)
	if len(m) == 0 {
		t.Fatalf("no Tailer Progress line in the log:\n%s", tail(log, 2000))
	}
	last := m[len(m)-1]
	parsed, _ = strconv.Atoi(last[1])
	sent, _ = strconv.Atoi(last[2])
	return parsed, sent
}

// TestOddDirectoryEntriesDoNotStopTailing puts a directory, a FIFO, a
// dangling symlink and a symlink to a file elsewhere next to a regular file,
// all matching the pattern: the regular file and the symlink's target ship
// exactly once, nothing hangs on the FIFO, the agent stops on SIGTERM.
func TestOddDirectoryEntriesDoNotStopTailing(t *testing.T) {
	parallel(t)
	s := newSetup(t, 1)
	writeSeqFile(t, filepath.Join(s.logs, "a.log"), 0, 1000)
	elsewhere := filepath.Join(s.dir, "elsewhere")
	if err := os.MkdirAll(elsewhere, 0o755); err != nil {
		t.Fatal(err)
	}
	writeSeqFile(t, filepath.Join(elsewhere, "real.txt"), 1000, 1000)
	if err := os.Symlink(filepath.Join(elsewhere, "real.txt"), filepath.Join(s.logs, "link.log")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(s.dir, "nowhere"), filepath.Join(s.logs, "dangling.log")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(s.logs, "dir.log"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeSeqFile(t, filepath.Join(s.logs, "dir.log", "inner.log"), 5000, 10)
	if err := syscall.Mkfifo(filepath.Join(s.logs, "pipe.log"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := s.start()
	tl := s.waitAllSeq(2000, 60*time.Second)
	// A late regular file is still picked up next to the odd entries.
	writeSeqFile(t, filepath.Join(s.logs, "late.log"), 2000, 500)
	tl = s.waitAllSeq(2500, 60*time.Second)
	took := p.term(t, 10*time.Second)
	tl = s.final()
	s.requireAllSeq(tl, 2500)
	if d := tl.dups(); d != 0 {
		t.Errorf("%d duplicates (the symlink target must be read once)", d)
	}
	t.Logf("odd entries (directory, FIFO, dangling symlink, symlink to a file elsewhere): 2500 lines from the regular files and the symlink target, 0 lost, %d duplicates, SIGTERM exit in %v",
		tl.dups(), took.Round(time.Millisecond))
}

// TestThousandsOfFilesAllShip puts 2,000 small files in the directory
// (soak: 10,000): every line of every file arrives exactly once.
func TestThousandsOfFilesAllShip(t *testing.T) {
	parallel(t)
	files := pick(2_000, 10_000)
	const per = 5
	s := newSetup(t, 2)
	for i := 0; i < files; i++ {
		writeSeqFile(t, filepath.Join(s.logs, fmt.Sprintf("f%05d.log", i)), i*per, per)
	}
	start := time.Now()
	p := s.start()
	tl := s.waitAllSeq(files*per, pick(90*time.Second, 5*time.Minute))
	took := time.Since(start)
	p.term(t, 15*time.Second)
	tl = s.final()
	s.requireAllSeq(tl, files*per)
	if d := tl.dups(); d != 0 {
		t.Errorf("%d duplicates", d)
	}
	t.Logf("%d files of %d lines: %d lines, 0 lost, %d duplicates, all arrived %v after start", files, per, files*per, tl.dups(), took.Round(100*time.Millisecond))
}
