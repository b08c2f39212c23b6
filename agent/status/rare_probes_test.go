package status

import (
	"strings"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
)

// With rare probes: a probe that once caught unread bytes (read a moment
// later, sent, success) must not leave its time behind for the next probe,
// an hour later, that again catches a fresh line before the tailer reads
// it: that line is pending for 0 s, no stall (it answered 503).
func TestUnreadBytesSeenByAnEarlierProbeDoNotMakeAStallAfterASuccess(t *testing.T) {
	start := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := &fakeClock{t: start}
	f := flowstats.New("k:s:/l/*", "s", false)
	f.SetFile(flowstats.FileState{FileID: "1", Path: "/l/x", Size: 100, ReadOffset: 100, AckedOffset: 100})
	f.LastSuccess.Store(start.UnixNano())
	s, err := New("127.0.0.1:0", false, []*flowstats.Flow{f}, WithClock(clock.Now), WithStartTime(start))
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, s) + "/healthz"

	// Probe 1 lands between a write and the tailer's read.
	clock.Set(start.Add(time.Hour))
	f.UpdateFile("1", func(s *flowstats.FileState) { s.Size = 120 })
	if code, body := get(t, url); code != 200 {
		t.Fatalf("probe 1: %d %q", code, body)
	}
	// Read, sent, acknowledged a minute later (no probe meanwhile).
	sent := clock.Now().Add(time.Minute)
	f.UpdateFile("1", func(s *flowstats.FileState) { s.ReadOffset, s.AckedOffset = 120, 120 })
	f.LastSuccess.Store(sent.UnixNano())
	// An hour of quiet; probe 2 lands between the next write and its read.
	clock.Set(sent.Add(time.Hour))
	f.UpdateFile("1", func(s *flowstats.FileState) { s.Size = 140 })
	if code, body := get(t, url); code != 200 {
		t.Errorf("probe 2, a line written just now: /healthz %d %q", code, strings.TrimSpace(body))
	}
}
