package reliability

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/faultproxy"
)

// TestSIGKILLWithNewFileWaitingBehindBacklogLosesNothing creates a new file
// while the agent is back-pressured by a slow destination (it has not read
// the new file yet) and kills the agent after a checkpoint was saved for
// the busy file: after the restart the new file's lines arrive too
// (initialPosition START_OF_FILE).
func TestSIGKILLWithNewFileWaitingBehindBacklogLosesNothing(t *testing.T) {
	parallel(t)
	s := newSetup(t, 1)
	proxy, err := faultproxy.New(s.kinesaliteEndpoint())
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	s.endpoint = proxy.URL()
	s.top["maxSendingThreads"] = 1
	s.flow["maxBufferSizeRecords"] = 200
	proxy.SetPlan(func(int, int) faultproxy.Fault { return faultproxy.Fault{Delay: 700 * time.Millisecond} })
	const na, nb = 30_000, 100
	a := filepath.Join(s.logs, "a.log")
	writeSeqFile(t, a, 0, na)
	p := s.start()
	flowID := "kinesis:" + s.stream + ":" + filepath.Join(s.logs, "*.log")
	if !waitFor(30*time.Second, 100*time.Millisecond, func() bool { return len(loadCheckpoints(t, s.ckpt, flowID)) > 0 }) {
		t.Fatal("no checkpoint for a.log")
	}
	b := filepath.Join(s.logs, "b.log")
	writeSeqFile(t, b, na, nb)
	fi, err := os.Stat(b)
	if err != nil {
		t.Fatal(err)
	}
	// Wait for a checkpoint saved after b.log was written (a.log still moving).
	if !waitFor(30*time.Second, 100*time.Millisecond, func() bool {
		for _, p := range loadCheckpoints(t, s.ckpt, flowID) {
			if p.Updated.After(fi.ModTime().Add(time.Second)) {
				return true
			}
		}
		return false
	}) {
		t.Fatal("no checkpoint after b.log was written")
	}
	rows := loadCheckpoints(t, s.ckpt, flowID)
	p.kill(t)
	proxy.SetPlan(nil)
	p = s.start()
	tl := s.waitAllSeq(na+nb, 60*time.Second)
	p.term(t, 15*time.Second)
	if m, _ := tl.missing(0, na+nb); m > 0 {
		t.Logf("checkpoint rows at the kill: %+v", rows)
	}
	s.requireAllSeq(tl, na+nb)
	t.Logf("new file behind a backlog, SIGKILL: %d + %d lines, 0 lost, %d duplicates", na, nb, tl.dups())
}
