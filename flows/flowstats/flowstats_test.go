package flowstats

import (
	"strings"
	"testing"
	"time"
)

// The moments /healthz measures stalls from (the last successful send, the
// oldest unacknowledged read) come back with a monotonic clock reading, so
// that Go measures time from them on the monotonic clock, which a step of
// the wall clock (an NTP step after boot, a VM restored from a snapshot)
// does not move: stored as wall-clock nanoseconds, a step forward reported
// a healthy agent stalled for the size of the step (and the documented
// watchdog restarted it), a step back hid a real stall as long. Their wall
// reading agrees with the current wall clock, for display.
func TestInstantsAreMeasuredOnTheMonotonicClock(t *testing.T) {
	f := New("k:s:/l/*", "s", false)
	sent := time.Now()
	f.LastSuccess.Store(sent)
	time.Sleep(2 * time.Millisecond)
	now := time.Now()
	at, ok := f.LastSuccess.At(now)
	if !ok {
		t.Fatal("LastSuccess unset after Store")
	}
	if !strings.Contains(at.String(), " m=") {
		t.Fatalf("LastSuccess %v has no monotonic reading: time measured from it follows wall-clock steps", at)
	}
	if d := now.Sub(at); d != now.Sub(sent) {
		t.Fatalf("now - LastSuccess = %v, want %v", d, now.Sub(sent))
	}
	if got, want := at.Round(0), now.Round(0).Add(-now.Sub(sent)); !got.Equal(want) {
		t.Fatalf("LastSuccess's wall reading %v, want now's less the time elapsed, %v", got, want)
	}

	before := sent.Add(-time.Hour) // a read time before the flow's counters existed
	f.OldestUnacked.Store(before)
	if at, ok := f.OldestUnacked.At(now); !ok || !at.Equal(before) {
		t.Fatalf("OldestUnacked %v (set %v), want %v", at, ok, before)
	}
	f.OldestUnacked.Clear()
	if at, ok := f.OldestUnacked.At(now); ok {
		t.Fatalf("OldestUnacked %v after Clear, want unset", at)
	}
}
