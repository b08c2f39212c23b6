package tail

import (
	"context"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/ack"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

// ackedRun is a tailer whose every chunk is tracked by an acknowledgement
// tracker and acknowledged at once, so that what a stop saves can be read
// from the saver.
type ackedRun struct {
	records                 atomic.Int64
	done, collDone, trkDone chan struct{}
	tcancel                 context.CancelFunc
}

// runAcked runs tl until ctx ends, each chunk tracked by trk (which saves
// at its last flush after the stop, or as configured), counted and
// acknowledged; onRecord, if not nil, sees every record.
func runAcked(ctx context.Context, tl *Tailer, trk *ack.Tracker, onRecord func([]byte)) *ackedRun {
	r := &ackedRun{done: make(chan struct{}), collDone: make(chan struct{}), trkDone: make(chan struct{})}
	tctx, tcancel := context.WithCancel(context.Background())
	r.tcancel = tcancel
	go func() { defer close(r.trkDone); trk.Run(tctx) }()
	out := make(chan *record.Chunk)
	go func() { defer close(r.done); tl.Run(ctx, out) }()
	go func() {
		defer close(r.collDone)
		for {
			select {
			case <-r.done:
				return
			case c := <-out:
				trk.Add(c)
				r.records.Add(int64(c.Len()))
				if onRecord != nil {
					for i := 0; i < c.Len(); i++ {
						onRecord(c.Record(i))
					}
				}
				c.Ack(c.Len())
				c.ReleaseData()
			}
		}
	}()
	return r
}

// stopped waits (10 s at most) for the tailer to return, then for the
// collector and the tracker's last flush.
func (r *ackedRun) stopped(t *testing.T, what string) {
	t.Helper()
	select {
	case <-r.done:
	case <-time.After(10 * time.Second):
		t.Fatalf("the tailer did not stop within 10 s (%s)", what)
	}
	<-r.collDone
	r.tcancel()
	<-r.trkDone
}

// wantRow checks the saver's row for the file now at path: under path, at
// offset (else a restart sends its lines again).
func wantRow(t *testing.T, saver *spillSaver, path string, offset int64) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := statOf(fi)
	for _, r := range saver.rows() {
		if r.FileID == st.key.fileID() {
			if r.Path != path || r.Offset != offset {
				t.Fatalf("row of the file at %s: %s @ %d, want %s @ %d (else a restart sends its lines again)", path, r.Path, r.Offset, path, offset)
			}
			return
		}
	}
	t.Fatalf("no row for the file at %s (rows %+v): a restart would send its lines again", path, saver.rows())
}

// heldRun is a tailer whose chunks the test takes from out itself, or
// never (a destination that is down), with a tracker saving to saver.
type heldRun struct {
	tl    *Tailer
	trk   *ack.Tracker
	stats *flowstats.Flow
	out   chan *record.Chunk // unbuffered
	stop  func()             // stops the tailer, then the tracker after its last flush
}

func startHeld(t *testing.T, dir string, saver ack.Saver, resume ...record.Position) *heldRun {
	t.Helper()
	r := &heldRun{stats: flowstats.New("test", "s", false), out: make(chan *record.Chunk)}
	cfg := testConfig(dir, "*.log*")
	cfg.Stats = r.stats
	cfg.Resume = resume
	r.trk = ack.New("test", saver, ack.WithSaveDelay(10*time.Millisecond), ack.WithFlushInterval(50*time.Millisecond), gapFails(t))
	cfg.OnBegin = r.trk.Seen
	tl, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r.tl = tl
	ctx, cancel := context.WithCancel(context.Background())
	tctx, tcancel := context.WithCancel(context.Background())
	trkDone, done := make(chan struct{}), make(chan struct{})
	go func() { defer close(trkDone); r.trk.Run(tctx) }()
	go func() { defer close(done); tl.Run(ctx, r.out) }()
	var once sync.Once
	r.stop = func() { once.Do(func() { cancel(); <-done; tcancel(); <-trkDone }) }
	t.Cleanup(r.stop)
	return r
}
