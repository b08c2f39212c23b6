package reliability

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/ack"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/faultproxy"
)

// Batch settings of the kill tests: small batches make the duplicate bound
// meaningful.
const (
	killBatchRecords = 100
	killSenders      = 4 // maxSendingThreads with one flow: senders per flow
)

// TestSIGKILLWhileShippingLosesNothingAndDuplicatesOnlyInFlight kills the
// agent with SIGKILL at random moments while lines are still being written,
// restarts it each time, and reads every record back: no line is lost, and
// the duplicates stay within what can be in flight when the process dies.
func TestSIGKILLWhileShippingLosesNothingAndDuplicatesOnlyInFlight(t *testing.T) {
	parallel(t)
	lines := pick(20_000, 200_000)
	cycles := pick(5, 12)
	rate := pick(2_500, 8_000)
	s := newSetup(t, 2)
	s.top["maxSendingThreads"] = killSenders
	s.flow["maxBufferSizeRecords"] = killBatchRecords
	logFile := filepath.Join(s.logs, "app.log")

	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	p := s.start()
	w := writeSeq(t, logFile, 0, lines, rate)
	var killedAt []string
	for c := 0; c < cycles; c++ {
		// Kill at a random line count inside this cycle's share of the input.
		at := int64(lines*c/cycles + r.IntN(lines/cycles))
		if !waitFor(2*time.Minute, 5*time.Millisecond, func() bool { return w.next.Load() >= at }) {
			t.Fatalf("writer did not reach line %d", at)
		}
		killedAt = append(killedAt, strconv.FormatInt(w.next.Load(), 10))
		p.kill(t)
		p = s.start()
	}
	w.wait(t, 5*time.Minute)
	tl := s.waitAllSeq(lines, pick(60*time.Second, 5*time.Minute))
	p.term(t, 15*time.Second)
	tl = s.final()
	s.requireAllSeq(tl, lines)

	// Bound per kill: every batch that can be in flight (senders sending,
	// batches queued for them, the one being built), one chunk (a checkpoint
	// moves by whole chunks of at most 256 KiB, so the acknowledged part of
	// a partly acknowledged chunk is sent again), and what was acknowledged
	// but not saved yet (flows/ack saves a moved position within its save
	// delay; with 100 ms for the commit itself, that much writing).
	inFlight := killBatchRecords * (2*killSenders + 1)
	chunkLines := (256 << 10) / len(seqLine(0))
	unsaved := int(int64(rate) * int64(ack.DefaultSaveDelay+100*time.Millisecond) / int64(time.Second))
	perKill := inFlight + chunkLines + unsaved
	d := tl.dups()
	t.Logf("SIGKILL: %d lines, %d kills at lines %s; 0 lost; %d duplicates (%.0f per kill; bound per kill %d = %d in-flight + %d chunk + %d acknowledged, not yet saved)",
		lines, cycles, strings.Join(killedAt, ","), d, float64(d)/float64(cycles), perKill, inFlight, chunkLines, unsaved)
	if d > cycles*perKill {
		t.Fatalf("%d duplicates after %d kills, more than %d per kill", d, cycles, perKill)
	}
}

// TestSIGTERMUnderLoadExitsWithinShutdownTimeoutAndLosesNothing stops the
// agent with SIGTERM while sends are slow (each call delayed) and while the
// destination refuses connections; each time it must exit within
// shutdownTimeoutMillis plus a margin, and after a restart every line
// arrives.
func TestSIGTERMUnderLoadExitsWithinShutdownTimeoutAndLosesNothing(t *testing.T) {
	parallel(t)
	const shutdown = 3 * time.Second
	const margin = 2 * time.Second
	lines := pick(10_000, 100_000)
	s := newSetup(t, 1)
	proxy, err := faultproxy.New(s.kinesaliteEndpoint())
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	g := newGate(t, hostPort(proxy.URL()))
	s.endpoint = g.url()
	s.top["shutdownTimeoutMillis"] = int(shutdown / time.Millisecond)
	s.top["maxSendingThreads"] = killSenders
	s.flow["maxBufferSizeRecords"] = killBatchRecords
	logFile := filepath.Join(s.logs, "app.log")
	w := writeSeq(t, logFile, 0, lines, pick(2_500, 10_000))

	// 1: slow destination, sends in flight at SIGTERM.
	proxy.SetPlan(func(int, int) faultproxy.Fault { return faultproxy.Fault{Delay: 1500 * time.Millisecond} })
	p := s.start()
	waitFor(10*time.Second, 50*time.Millisecond, func() bool { return proxy.Calls() >= killSenders })
	took1 := p.term(t, shutdown+margin)

	// 2: destination refusing connections at SIGTERM.
	proxy.SetPlan(nil)
	p = s.start()
	waitFor(10*time.Second, 50*time.Millisecond, func() bool { return proxy.Calls() >= killSenders+4 })
	g.down()
	// Wait until a send has failed against the refused port.
	waitFor(10*time.Second, 50*time.Millisecond, func() bool { return strings.Contains(p.log(), "refused") })
	took2 := p.term(t, shutdown+margin)
	g.up(t)

	p = s.start()
	w.wait(t, 5*time.Minute)
	tl := s.waitAllSeq(lines, pick(60*time.Second, 5*time.Minute))
	took3 := p.term(t, shutdown+margin)
	tl = s.final()
	s.requireAllSeq(tl, lines)
	for i, p := range s.procs {
		if c := p.state.ExitCode(); c != 0 {
			t.Errorf("run %d exited %d after SIGTERM, want 0\n%s", i, c, p.stderr.String())
		}
	}
	t.Logf("SIGTERM: exit took %v (slow destination), %v (destination down), %v (idle); shutdownTimeout %v; %d lines, 0 lost, %d duplicates",
		took1.Round(time.Millisecond), took2.Round(time.Millisecond), took3.Round(time.Millisecond), shutdown, lines, tl.dups())
}

// TestSIGKILLAcrossRenameRotationLosesNothing rotates the log by rename
// (app.log -> app.log.<k>, new app.log) every few thousand lines while the
// agent (initialPosition START_OF_FILE) is killed with SIGKILL at random
// moments and restarted: every line of every file arrives.
func TestSIGKILLAcrossRenameRotationLosesNothing(t *testing.T) {
	parallel(t)
	sigkillAcrossRotation(t, "START_OF_FILE")
}

// TestSIGKILLAcrossRenameRotationWithEndOfFileLosesNothing is the same with
// the default initialPosition END_OF_FILE, killed only after the flow's
// first checkpoint was saved: before it, a restart positions at the end of
// the files and skips what was not yet sent, exactly as the Java agent does
// (spec 3.5; see docs/RELIABILITY.md).
func TestSIGKILLAcrossRenameRotationWithEndOfFileLosesNothing(t *testing.T) {
	parallel(t)
	sigkillAcrossRotation(t, "END_OF_FILE")
}

func sigkillAcrossRotation(t *testing.T, initialPosition string) {
	lines := pick(12_000, 150_000)
	cycles := pick(5, 12)
	rotateEvery := pick(2_000, 7_000)
	const rate = 2_500
	s := newSetup(t, 2)
	s.top["maxSendingThreads"] = killSenders
	s.flow["maxBufferSizeRecords"] = killBatchRecords
	s.flow["filePattern"] = filepath.Join(s.logs, "app.log*")
	s.flow["initialPosition"] = initialPosition
	logFile := filepath.Join(s.logs, "app.log")

	var written atomic.Int64
	done := make(chan error, 1)
	begin := make(chan struct{})
	// The file exists (empty) before the agent starts, so that END_OF_FILE
	// positions at its start; lines come once the agent tails it.
	if err := os.WriteFile(logFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	go func() {
		<-begin
		f, err := os.OpenFile(logFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			done <- err
			return
		}
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		rotations := 0
		var buf []byte
		for i := 0; i < lines; {
			<-tick.C
			buf = buf[:0]
			for j := 0; j < rate/100 && i < lines; j++ {
				buf = append(buf, seqLine(i)...)
				i++
				if i%rotateEvery == 0 {
					if _, err := f.Write(buf); err != nil {
						done <- err
						return
					}
					buf = buf[:0]
					f.Close()
					rotations++
					if err := os.Rename(logFile, fmt.Sprintf("%s.%d", logFile, rotations)); err != nil {
						done <- err
						return
					}
					if f, err = os.OpenFile(logFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644); err != nil {
						done <- err
						return
					}
				}
			}
			if _, err := f.Write(buf); err != nil {
				done <- err
				return
			}
			written.Store(int64(i))
		}
		f.Close()
		done <- nil
	}()

	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 2))
	var killedAt []int64
	p := s.start()
	if !waitFor(10*time.Second, 10*time.Millisecond, func() bool { return strings.Contains(p.log(), "Started tailing file") }) {
		t.Fatal("the agent did not start tailing app.log")
	}
	close(begin)
	if initialPosition == "END_OF_FILE" {
		// Past the Java-parity window: wait for the first checkpoint row.
		flowID := "kinesis:" + s.stream + ":" + s.flow["filePattern"].(string)
		if !waitFor(30*time.Second, 100*time.Millisecond, func() bool { return len(loadCheckpoints(t, s.ckpt, flowID)) > 0 }) {
			t.Fatal("no checkpoint row after 30s")
		}
	}
	for c := 0; c < cycles; c++ {
		at := int64(lines*c/cycles + r.IntN(lines/cycles))
		if !waitFor(2*time.Minute, 5*time.Millisecond, func() bool { return written.Load() >= at }) {
			t.Fatalf("writer did not reach line %d", at)
		}
		killedAt = append(killedAt, written.Load())
		p.kill(t)
		p = s.start()
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Minute):
		t.Fatal("writer not done")
	}
	tl := s.waitAllSeq(lines, pick(60*time.Second, 5*time.Minute))
	p.term(t, 15*time.Second)
	tl = s.final()
	s.requireAllSeq(tl, lines)
	t.Logf("SIGKILL across rename rotation (%s): %d lines in %d files, %d kills (at lines %v): 0 lost, %d duplicates: %s",
		initialPosition, lines, lines/rotateEvery+1, cycles, killedAt, tl.dups(), tl.dupRanges())
	if os.Getenv("REL_DEBUG") != "" { // the tailer's view of each run
		var b strings.Builder
		for i, pr := range s.procs {
			fmt.Fprintf(&b, "--- run %d\n", i)
			for _, l := range strings.Split(pr.log(), "\n") {
				if strings.Contains(l, "FileTailer") && !strings.Contains(l, "Progress") && !strings.Contains(l, "behind") {
					b.WriteString(l[:23] + l[strings.Index(l, "]:")+2:] + "\n")
				}
			}
		}
		t.Log(strings.ReplaceAll(b.String(), s.logs, ""))
	}
}
