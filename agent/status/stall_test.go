package status

import (
	"strings"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
)

// A low-volume flow: last success an hour ago, idle since (nothing pending).
// A new line is read now and waits in the batch (maxBufferAgeMillis, 60 s
// by default) before it is sent. /healthz does not report a stall for data
// pending for 0 seconds (it did: a probe restarting the agent on 503, as
// OBSERVABILITY.md suggests, restarted a healthy agent), and does once the
// data has waited DefaultStallAfter; unread bytes alike.
func TestFreshDataAfterALongIdleSpellIsNotAStall(t *testing.T) {
	start, clock, f, url := caughtUpFlow(t)

	clock.Set(start.Add(time.Hour))
	if code, body := get(t, url); code != 200 {
		t.Fatalf("idle flow: %d %q", code, body)
	}
	// One new line written and read just now, not yet acknowledged.
	now := clock.Now()
	f.UpdateFile("1", func(s *flowstats.FileState) { s.Size, s.ReadOffset, s.OldestUnacked = 120, 120, now })
	// (A restart probe on 503, as OBSERVABILITY.md shows, would restart a
	// healthy agent.)
	noStallUntilStallAfter(t, clock, url, "data read just now after an idle hour")
	// Acknowledged; then bytes appear that are not read (a stuck tailer).
	f.UpdateFile("1", func(s *flowstats.FileState) { s.AckedOffset, s.OldestUnacked = 120, time.Time{} })
	if code, body := get(t, url); code != 200 {
		t.Fatalf("nothing pending: %d %q", code, body)
	}
	f.UpdateFile("1", func(s *flowstats.FileState) { s.Size = 200 })
	noStallUntilStallAfter(t, clock, url, "unread bytes seen for the first time")
}

// With rare probes: a probe that once caught unread bytes (read a moment
// later, sent, success) must not leave its time behind for the next probe,
// an hour later, that again catches a fresh line before the tailer reads
// it: that line is pending for 0 s, no stall (it answered 503).
func TestUnreadBytesSeenByAnEarlierProbeDoNotMakeAStallAfterASuccess(t *testing.T) {
	start, clock, f, url := caughtUpFlow(t)

	// Probe 1 lands between a write and the tailer's read.
	clock.Set(start.Add(time.Hour))
	f.UpdateFile("1", func(s *flowstats.FileState) { s.Size = 120 })
	if code, body := get(t, url); code != 200 {
		t.Fatalf("probe 1: %d %q", code, body)
	}
	// Read, sent, acknowledged a minute later (no probe meanwhile).
	sent := clock.Now().Add(time.Minute)
	f.UpdateFile("1", func(s *flowstats.FileState) { s.ReadOffset, s.AckedOffset = 120, 120 })
	f.LastSuccess.Store(sent)
	// An hour of quiet; probe 2 lands between the next write and its read.
	clock.Set(sent.Add(time.Hour))
	f.UpdateFile("1", func(s *flowstats.FileState) { s.Size = 140 })
	if code, body := get(t, url); code != 200 {
		t.Errorf("probe 2, a line written just now: /healthz %d %q", code, strings.TrimSpace(body))
	}
}

// noStallUntilStallAfter checks that data that became pending now is no
// stall (200), and is one once it has waited DefaultStallAfter (503).
func noStallUntilStallAfter(t *testing.T, clock *fakeClock, url, what string) {
	t.Helper()
	if code, body := get(t, url); code != 200 {
		t.Errorf("%s: /healthz %d %q, want 200", what, code, strings.TrimSpace(body))
	}
	clock.Set(clock.Now().Add(DefaultStallAfter))
	if code, _ := get(t, url); code != 503 {
		t.Errorf("%s, then %s without a successful send: /healthz %d, want 503", what, DefaultStallAfter, code)
	}
}

// caughtUpFlow serves /healthz for one flow whose file is read and
// acknowledged to its end, last successful send at start; the clock is
// the test's.
func caughtUpFlow(t *testing.T) (start time.Time, clock *fakeClock, f *flowstats.Flow, url string) {
	t.Helper()
	start = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	clock = &fakeClock{t: start}
	f = flowstats.New("k:s:/l/*", "s", false)
	f.SetFile(flowstats.FileState{FileID: "1", Path: "/l/x", Size: 100, ReadOffset: 100, AckedOffset: 100})
	f.LastSuccess.Store(start)
	s, err := New("127.0.0.1:0", false, []*flowstats.Flow{f}, WithClock(clock.Now), WithStartTime(start))
	if err != nil {
		t.Fatal(err)
	}
	return start, clock, f, serve(t, s) + "/healthz"
}

// Between the tailer's read (ReadOffset moves at once) and the
// acknowledgement stage's next stats flush (OldestUnacked set up to a
// second later), a new line after an idle hour is read but unacknowledged
// with no pending time yet: pending since now, no stall (it answered 503
// measured from the success an hour ago).
func TestALineReadButNotYetReportedUnacknowledgedIsNoStall(t *testing.T) {
	start, clock, f, url := caughtUpFlow(t)
	clock.Set(start.Add(time.Hour))
	f.UpdateFile("1", func(s *flowstats.FileState) { s.Size, s.ReadOffset = 120, 120 }) // OldestUnacked not set yet
	noStallUntilStallAfter(t, clock, url, "a line read just now, not yet reported unacknowledged")
}

// Records of a file the tailer has let go (deleted or rotated away while
// the destination was down) have no per-file entry any more; the flow's
// oldest unacknowledged time still makes them pending: a stall once they
// wait DefaultStallAfter without a successful send (it answered 200).
func TestUnacknowledgedRecordsOfADeletedFileStillCountAsPending(t *testing.T) {
	start, clock, f, url := caughtUpFlow(t)
	read := start.Add(time.Minute)
	f.OldestUnacked.Store(read)
	f.DropFile("1")
	clock.Set(read.Add(time.Second))
	if code, body := get(t, url); code != 200 {
		t.Fatalf("pending for a second: %d %q", code, body)
	}
	clock.Set(read.Add(DefaultStallAfter + time.Second))
	if code, body := get(t, url); code != 503 {
		t.Errorf("unacknowledged for %s with no success: /healthz %d %q, want 503", DefaultStallAfter, code, strings.TrimSpace(body))
	}
	f.OldestUnacked.Clear()
	if code, _ := get(t, url); code != 200 {
		t.Errorf("all acknowledged: /healthz %d, want 200", code)
	}
}
