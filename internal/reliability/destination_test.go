package reliability

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/faultproxy"
)

// rssSampler samples VmRSS of a process every 250 ms until stopped.
type rssSampler struct {
	mu      sync.Mutex
	samples []int
	cancel  context.CancelFunc
	done    chan struct{}
}

func sampleRSS(pid int) *rssSampler {
	ctx, cancel := context.WithCancel(context.Background())
	r := &rssSampler{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		tick := time.NewTicker(250 * time.Millisecond)
		defer tick.Stop()
		for {
			if kb, err := rssKB(pid); err == nil {
				r.mu.Lock()
				r.samples = append(r.samples, kb)
				r.mu.Unlock()
			}
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return r
}

// stop returns the first, the maximum and the last sample (KiB).
func (r *rssSampler) stop() (first, peak, last int) {
	r.cancel()
	<-r.done
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.samples {
		peak = max(peak, s)
	}
	if len(r.samples) > 0 {
		first, last = r.samples[0], r.samples[len(r.samples)-1]
	}
	return first, peak, last
}

// maxRSSGrowthKB is how much the agent's RSS may grow while it cannot send:
// reading stops when the bounded queues are full, so the growth is a few
// batches and buffers, not the backlog.
const maxRSSGrowthKB = 24 << 10

// TestDestinationDownNothingLostMemoryFlatCPULowRetriesBackOff takes the
// destination away while lines keep coming: first every PutRecords answers
// 500, then connections are refused. Everything arrives once it is back;
// RSS stays flat, CPU stays low and the calls during the outage are few.
func TestDestinationDownNothingLostMemoryFlatCPULowRetriesBackOff(t *testing.T) {
	parallel(t)
	outage := pick(10*time.Second, 2*time.Minute)
	const rate = 1000
	s := newSetup(t, 1)
	proxy, err := faultproxy.New(s.kinesaliteEndpoint())
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	g := newGate(t, hostPort(proxy.URL()))
	s.endpoint = g.url()
	s.envCreds = true
	s.top["maxSendingThreads"] = 4
	lines := rate * int(2*outage/time.Second+6)
	w := writeSeq(t, filepath.Join(s.logs, "app.log"), 0, lines, rate)
	p := s.start()
	if !waitFor(20*time.Second, 50*time.Millisecond, func() bool { return proxy.Calls() >= 2 }) {
		t.Fatal("no PutRecords call before the outage")
	}

	rss := sampleRSS(p.pid())
	cpu0, err := cpuTime(p.pid())
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	// Half the outage: every PutRecords answers 500 (the backoff starts
	// from nothing here, so the calls counted show its ramp).
	proxy.SetPlan(func(int, int) faultproxy.Fault { return faultproxy.Fault{Status: 500} })
	calls0 := proxy.Calls()
	waitFor(outage/2, 100*time.Millisecond, func() bool { return !p.running() })
	calls500 := proxy.Calls() - calls0
	// Other half: connections refused.
	g.down()
	waitFor(outage-time.Since(start), 100*time.Millisecond, func() bool { return !p.running() })
	g.up(t)
	proxy.SetPlan(nil)
	took := time.Since(start)
	cpu1, err := cpuTime(p.pid())
	if err != nil {
		t.Fatalf("agent died during the outage: %v", err)
	}
	first, peak, _ := rss.stop()

	w.wait(t, 5*time.Minute)
	tl := s.waitAllSeq(lines, pick(90*time.Second, 5*time.Minute))
	p.term(t, 15*time.Second)
	tl = s.final()
	s.requireAllSeq(tl, lines)

	cpuPerMin := (cpu1 - cpu0).Seconds() / took.Minutes()
	half := took / 2
	callsPerSec := float64(calls500) / half.Seconds()
	t.Logf("destination down %v (%v HTTP 500 + %v refused) with %d lines/s written: %d lines, 0 lost, %d duplicates; RSS %d KiB at start, peak %d KiB (+%d KiB); CPU %.2f s per minute of outage; %d PutRecords calls in %v of 500s (%.2f/s)",
		took.Round(time.Second), half.Round(time.Second), half.Round(time.Second), rate, lines, tl.dups(), first, peak, peak-first, cpuPerMin, calls500, half.Round(time.Second), callsPerSec)
	if peak-first > maxRSSGrowthKB {
		t.Errorf("RSS grew by %d KiB during the outage (from %d to %d), want <= %d", peak-first, first, peak, maxRSSGrowthKB)
	}
	// Low: a tenth of one core at most while waiting (a busy loop is a whole core).
	if cpuPerMin > 6 {
		t.Errorf("the agent used %.2f CPU-seconds per minute of outage, want <= 6", cpuPerMin)
	}
	// Backoff: 100 ms doubling to 10 s, shared by the flow's senders, at most
	// 2 SDK attempts per send: a few calls a second at first, then one every
	// few seconds; a busy loop would be hundreds a second.
	if callsPerSec > 10 {
		t.Errorf("%d PutRecords calls in %v while every call failed (%.1f/s): not backing off", calls500, half, callsPerSec)
	}
}

// TestSustainedThrottlingEverythingArrivesOnceAndThrottleLogIsSummarised
// fails half the entries of every PutRecords call with
// ProvisionedThroughputExceededException for a while: every line arrives
// exactly once and the log has far fewer throttling lines than throttled
// records.
func TestSustainedThrottlingEverythingArrivesOnceAndThrottleLogIsSummarised(t *testing.T) {
	parallel(t)
	dur := pick(10*time.Second, time.Minute)
	const rate = 1000
	s := newSetup(t, 2)
	proxy, err := faultproxy.New(s.kinesaliteEndpoint())
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	s.endpoint = proxy.URL()
	s.envCreds = true
	lines := rate * int(dur/time.Second)
	throttleUntil := time.Now().Add(dur + 2*time.Second)
	proxy.SetPlan(func(call, n int) faultproxy.Fault {
		if time.Now().After(throttleUntil) {
			return faultproxy.Fault{}
		}
		var idx []int
		for i := call % 2; i < n; i += 2 {
			idx = append(idx, i)
		}
		return faultproxy.Fault{FailEntries: idx}
	})
	w := writeSeq(t, filepath.Join(s.logs, "app.log"), 0, lines, rate)
	p := s.start()
	w.wait(t, 5*time.Minute)
	tl := s.waitAllSeq(lines, pick(90*time.Second, 5*time.Minute))
	p.term(t, 15*time.Second)
	tl = s.final()
	s.requireAllSeq(tl, lines)

	throttled := 0
	for _, f := range proxy.Faults() {
		throttled += len(f.FailEntries)
	}
	// The stream and directory names carry the test's name ("Throttling"):
	// take them out before counting.
	logText := strings.NewReplacer(s.stream, "STREAM", s.dir, "DIR").Replace(p.log())
	logLines := len(regexp.MustCompile(`(?im)^.*throttl.*$`).FindAllString(logText, -1))
	t.Logf("throttling %v (half the entries of each call): %d lines, 0 lost, %d duplicates; %d records throttled in %d calls; %d log lines mention throttling",
		dur, lines, tl.dups(), throttled, proxy.Calls(), logLines)
	if d := tl.dups(); d != 0 {
		t.Errorf("%d duplicates, want 0 (only failed entries may be retried)", d)
	}
	if throttled < 100 {
		t.Fatalf("only %d records were throttled: the test proves nothing", throttled)
	}
	if logLines == 0 || logLines > 2+int(dur/(30*time.Second)) {
		t.Errorf("%d log lines mention throttling for %d throttled records, want a summary (1..%d)", logLines, throttled, 2+int(dur/(30*time.Second)))
	}
}

// TestSlowDestinationNoTimeoutsMemoryBoundedEverythingArrives delays every
// PutRecords answer by seconds while lines keep coming: nothing times out
// into loss or duplicates, memory stays bounded, everything arrives.
func TestSlowDestinationNoTimeoutsMemoryBoundedEverythingArrives(t *testing.T) {
	parallel(t)
	dur := pick(10*time.Second, time.Minute)
	const delay = 3 * time.Second
	const rate = 1000
	s := newSetup(t, 1)
	proxy, err := faultproxy.New(s.kinesaliteEndpoint())
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	s.endpoint = proxy.URL()
	proxy.SetPlan(func(int, int) faultproxy.Fault { return faultproxy.Fault{Delay: delay} })
	lines := rate * int(dur/time.Second)
	p := s.start()
	rss := sampleRSS(p.pid())
	w := writeSeq(t, filepath.Join(s.logs, "app.log"), 0, lines, rate)
	w.wait(t, 5*time.Minute)
	tl := s.waitAllSeq(lines, pick(90*time.Second, 5*time.Minute))
	first, peak, _ := rss.stop()
	p.term(t, 15*time.Second)
	tl = s.final()
	s.requireAllSeq(tl, lines)
	t.Logf("slow destination (every call delayed %v) for %v at %d lines/s: %d lines, 0 lost, %d duplicates, %d calls; RSS %d KiB at start, peak %d KiB (+%d KiB)",
		delay, dur, rate, lines, tl.dups(), proxy.Calls(), first, peak, peak-first)
	if d := tl.dups(); d != 0 {
		t.Errorf("%d duplicates: a call timed out after the destination stored it", d)
	}
	if peak-first > maxRSSGrowthKB {
		t.Errorf("RSS grew by %d KiB (from %d to %d), want <= %d", peak-first, first, peak, maxRSSGrowthKB)
	}
}
