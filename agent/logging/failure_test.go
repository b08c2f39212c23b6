package logging

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeClock is the Output's clock in these tests.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

// newWithClock opens a logger on path reporting to the returned buffer,
// with a fake clock.
func newWithClock(t *testing.T, path string) (*slog.Logger, *Output, *bytes.Buffer, *fakeClock) {
	t.Helper()
	var report bytes.Buffer
	l, out, err := NewReporting(path, slog.LevelInfo, &report)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { out.Close() })
	c := &fakeClock{t: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)}
	out.mu.Lock()
	out.now = c.now
	out.checkAt = c.t.Add(reopenCheck)
	out.mu.Unlock()
	return l, out, &report, c
}

// failingWriter fails every write while fail is set.
type failingWriter struct {
	fail bool
	buf  bytes.Buffer
}

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.fail {
		return 0, &os.PathError{Op: "write", Path: "agent.log", Err: syscall.ENOSPC}
	}
	return w.buf.Write(p)
}

func TestALogFileThatCannotBeWrittenIsReportedOnStderr(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	var report bytes.Buffer
	logger, out, err := NewReporting("/dev/full", slog.LevelInfo, &report)
	if err != nil {
		t.Fatal(err)
	}
	logger.Error("Failed to save checkpoints; will retry")
	logger.Error("Failed to save checkpoints; will retry")
	out.Close()
	got := report.String()
	if !strings.Contains(got, "/dev/full") || !strings.Contains(got, "no space left on device") {
		t.Fatalf("nothing on stderr naming the file and the error: %q", got)
	}
	if n := strings.Count(got, "\n"); n != 1 {
		t.Errorf("%d lines on stderr for two failed writes within a minute, want 1: %q", n, got)
	}
}

func TestLogLinesLostWhileTheFileFailsAreToldOnceAMinuteAndCountedWhenItWorksAgain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.log")
	l, out, report, clock := newWithClock(t, path)
	fw := &failingWriter{fail: true}
	out.mu.Lock()
	out.w = fw
	out.mu.Unlock()

	for i := 0; i < 5; i++ { // 5 lines within 50 s: one line told
		l.Error("lost")
		clock.advance(10 * time.Second)
	}
	if n := strings.Count(report.String(), "\n"); n != 1 {
		t.Fatalf("%d lines told within the first minute, want 1: %q", n, report)
	}
	clock.advance(10 * time.Second) // 60 s after the first failure
	l.Error("lost")
	lines := strings.Split(strings.TrimSuffix(report.String(), "\n"), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], "Still cannot write the log file "+path) || !strings.Contains(lines[1], "6 log lines lost") {
		t.Fatalf("after a minute of failures, want a second line counting 6 lost: %q", lines)
	}

	fw.fail = false
	l.Info("back")
	l.Info("and on")
	lines = strings.Split(strings.TrimSuffix(report.String(), "\n"), "\n")
	if len(lines) != 3 || !strings.Contains(lines[2], "Writing the log file "+path+" works again; 6 log lines were lost") {
		t.Fatalf("want one line telling that writing works again: %q", lines)
	}
	file := fw.buf.String()
	if !strings.Contains(file, "WARN Agent: 6 log lines before this one were lost") || strings.Index(file, "lost") > strings.Index(file, "back") {
		t.Errorf("the log file does not count the lost lines before the first line written again: %q", file)
	}

	fw.fail = true // a new run of failures: told a minute after the last line told (a flapping file)
	l.Error("lost again")
	if n := strings.Count(report.String(), "\n"); n != 3 {
		t.Errorf("a new failure right after the recovery was told at once: %q", report)
	}
	clock.advance(failureReportEvery)
	l.Error("lost again")
	if n := strings.Count(report.String(), "\n"); n != 4 || !strings.Contains(report.String(), "Cannot write the log file "+path+": write agent.log: no space left on device; its lines are lost") {
		t.Errorf("a new failure a minute after the recovery was not told: %q", report)
	}
}

func TestAFailedReopenIsReportedOnStderr(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "logs")
	path := filepath.Join(dir, "agent.log")
	l, out, report, _ := newWithClock(t, path)
	l.Info("before")
	// The directory is replaced by a plain file: the reopen cannot succeed
	// (also as root, where permissions would not stop it).
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := out.Reopen(); err == nil {
		t.Fatal("Reopen succeeded")
	}
	if got := report.String(); !strings.Contains(got, "Cannot reopen the log file "+path) {
		t.Fatalf("a failed reopen was not told on stderr: %q", got)
	}
}

func TestADeletedLogFileIsMadeAgainWithinTenSeconds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.log")
	l, _, report, clock := newWithClock(t, path)
	l.Info("before")
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	l.Info("into the deleted file")
	clock.advance(reopenCheck)
	l.Info("after")
	b, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(b), "after") || strings.Contains(string(b), "before") {
		t.Fatalf("log file after its deletion: %q, %v", b, err)
	}
	if !strings.Contains(report.String(), "was deleted or replaced; reopened it") {
		t.Errorf("the reopen was not told: %q", report)
	}
}

func TestALogFileReplacedWithoutSIGHUPIsReopened(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.log")
	l, _, _, clock := newWithClock(t, path)
	l.Info("before")
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, nil, 0o640); err != nil { // logrotate's create
		t.Fatal(err)
	}
	clock.advance(reopenCheck)
	l.Info("after")
	if b, _ := os.ReadFile(path); !strings.Contains(string(b), "after") {
		t.Fatalf("the new file was not reopened: %q", b)
	}
}

func TestALogFileRenamedAwayIsLeftForSIGHUP(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.log")
	l, _, report, clock := newWithClock(t, path)
	l.Info("before")
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	clock.advance(reopenCheck)
	l.Info("after")
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a file was made under the name logrotate has not created yet: %v", err)
	}
	if b, _ := os.ReadFile(path + ".1"); !strings.Contains(string(b), "after") {
		t.Errorf("renamed file: %q", b)
	}
	if report.Len() != 0 {
		t.Errorf("told: %q", report)
	}
}

func TestALogDirectoryDeletedIsToldOnceAndNotMadeAgain(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "logs")
	path := filepath.Join(dir, "agent.log")
	l, _, report, clock := newWithClock(t, path)
	l.Info("before")
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		clock.advance(reopenCheck)
		l.Info("into the deleted file")
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the deleted directory was made again: %v", err)
	}
	got := report.String()
	if strings.Count(got, "\n") != 1 || !strings.Contains(got, "The log file "+path+" was deleted and cannot be made again") {
		t.Fatalf("want one line telling the deleted directory: %q", got)
	}
	if err := os.Mkdir(dir, 0o755); err != nil { // the administrator makes it again
		t.Fatal(err)
	}
	clock.advance(reopenCheck)
	l.Info("after")
	if b, _ := os.ReadFile(path); !strings.Contains(string(b), "after") {
		t.Errorf("not reopened once the directory was back: %q", b)
	}
}

func TestWritingTheLogFileDoesNotAllocate(t *testing.T) {
	out, err := OpenReporting(filepath.Join(t.TempDir(), "agent.log"), &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	line := []byte("2026-11-21 12:00:30.123+0000 INFO Agent: x\n")
	if n := testing.AllocsPerRun(100, func() { _, _ = out.Write(line) }); n != 0 {
		t.Errorf("%v allocations per write", n)
	}
}

// A log file that flaps between full and not (space freed and taken again)
// is told on stderr about once a minute, not at every flip.
func TestAFlappingLogFileIsToldAboutOnceAMinute(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.log")
	l, out, report, clock := newWithClock(t, path)
	fw := &failingWriter{}
	out.mu.Lock()
	out.w = fw
	out.mu.Unlock()
	for i := 0; i < 100; i++ {
		fw.fail = true
		l.Error("lost")
		fw.fail = false
		l.Info("written")
		clock.advance(500 * time.Millisecond)
	}
	if n := strings.Count(report.String(), "\n"); n > 4 {
		t.Fatalf("%d lines on stderr within 50 s of a flapping log file, want a few:\n%s", n, report.String())
	}
	if !strings.Contains(report.String(), "Cannot write the log file") || !strings.Contains(report.String(), "works again") {
		t.Fatalf("the first failure and its recovery were not told:\n%s", report.String())
	}
}

// shortWriter writes half of each line and fails while fail is set, as a
// full disk takes what fits.
type shortWriter struct {
	fail bool
	buf  []byte
}

func (w *shortWriter) Write(p []byte) (int, error) {
	if w.fail {
		n := len(p) / 2
		w.buf = append(w.buf, p[:n]...)
		return n, &os.PathError{Op: "write", Path: "agent.log", Err: syscall.ENOSPC}
	}
	w.buf = append(w.buf, p...)
	return len(p), nil
}

// After a write that left part of a line, the line counting the lines lost
// starts a line of its own.
func TestTheLostLinesWarningStartsALineAfterAShortWrite(t *testing.T) {
	l, out, _, _ := newWithClock(t, filepath.Join(t.TempDir(), "agent.log"))
	sw := &shortWriter{fail: true}
	out.mu.Lock()
	out.w = sw
	out.mu.Unlock()
	l.Error("Failed to save checkpoints")
	sw.fail = false
	l.Info("back")
	levels := regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}[+-]\d{4} [A-Z]`)
	for _, line := range strings.Split(strings.TrimSuffix(string(sw.buf), "\n"), "\n") {
		if len(levels.FindAllString(line, -1)) > 1 {
			t.Fatalf("a line holding two log lines: %q", line)
		}
	}
}

// A log file replaced by something this user cannot open is not told as
// a deleted directory.
func TestAReplacedLogFileThatCannotBeOpenedIsToldAsSuch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "agent.log")
	l, _, report, clock := newWithClock(t, path)
	l.Info("before")
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(path, 0o755); err != nil {
		t.Fatal(err)
	}
	clock.advance(reopenCheck)
	l.Info("after")
	s := report.String()
	if strings.Contains(s, "make its directory again") || !strings.Contains(s, "cannot be opened") {
		t.Fatalf("told %q", s)
	}
}
