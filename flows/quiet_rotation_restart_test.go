package flows

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/ack"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/tail"
)

// Flow's wiring (OnBegin=Seen, Add on receipt, Ack on delivery). backdate: ReadAt 11 min
// back = a file quiet for idleEvictAfter. pause: the process loop stops taking chunks (outage).
func quietPipe(t *testing.T, dir string, sv ack.Saver, resume []record.Position, backdate bool) (stats *flowstats.Flow, pause chan struct{}, got func() []string, stop func()) {
	return pipeOn(t, dir, "app.log*", sv, resume, backdate)
}

// pipeOn is quietPipe on the files of dir that glob matches.
func pipeOn(t *testing.T, dir, glob string, sv ack.Saver, resume []record.Position, backdate bool) (stats *flowstats.Flow, pause chan struct{}, got func() []string, stop func()) {
	stats, pause, got, _, stop = routedPipe(t, dir, glob, sv, resume, backdate, nil)
	return
}

// routedPipe is pipeOn where route, when set, decides for each chunk by
// its file's path: not added to the tracker at all (waits behind a
// backlog), or its acknowledgement held until release is called.
func routedPipe(t *testing.T, dir, glob string, sv ack.Saver, resume []record.Position, backdate bool,
	route func(path string) (add, holdAck bool)) (stats *flowstats.Flow, pause chan struct{}, got func() []string, release, stop func()) {
	stats, pause = flowstats.New("f", "s", false), make(chan struct{})
	tr := ack.New("f", sv, ack.WithFlushInterval(20*time.Millisecond))
	tl, err := tail.New(tail.Config{FlowID: "f", Dir: dir, Glob: glob, MinPoll: 20 * time.Millisecond,
		MaxRefresh: time.Second, Resume: resume, Stats: stats, OnBegin: tr.Seen})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	actx, acancel := context.WithCancel(context.Background())
	out, tdone, adone := make(chan *record.Chunk), make(chan struct{}), make(chan struct{})
	var mu sync.Mutex
	var recs []string
	var held []*record.Chunk
	go func() { defer close(tdone); tl.Run(ctx, out) }()
	go func() { defer close(adone); tr.Run(actx) }()
	go func() {
		for {
			select {
			case <-tdone:
				return
			case <-pause:
				return
			case c := <-out:
				if backdate {
					c.ReadAt = c.ReadAt.Add(-11 * time.Minute)
				}
				add, holdAck := true, false
				if route != nil {
					add, holdAck = route(c.Source.PathNow())
				}
				if !add {
					continue
				}
				n := c.Len()
				tr.Add(c)
				mu.Lock()
				for i := 0; i < n; i++ {
					recs = append(recs, string(c.Record(i)))
				}
				if holdAck {
					held = append(held, c)
				}
				mu.Unlock()
				if !holdAck {
					c.Ack(n)
				}
			}
		}
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-tdone; acancel(); <-adone; tr.Flush() }) }
	t.Cleanup(stop)
	got = func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), recs...) }
	release = func() {
		mu.Lock()
		h := held
		held = nil
		mu.Unlock()
		for _, c := range h {
			c.Ack(c.Len())
		}
	}
	return
}

// A file quiet for longer than the acknowledgement stage's idle eviction
// (10 min), renamed by rotation while its next chunk waits behind a down
// destination, then a restart: the rename must still be saved under the
// new name (the tracker keeps the state of a file the tailer still tails),
// or the restart finds no row for app.log.1 and starts it at its end,
// losing a2 and a3.
func TestQuietFileRotatedDuringAnOutageKeepsItsUnsentLinesAcrossARestart(t *testing.T) {
	dir := t.TempDir()
	live := filepath.Join(dir, "app.log")
	writeFile(t, live, "a0\na1\n")
	store := openStore(t)
	row := func(path string) (record.Position, bool) {
		ps, _ := store.Load("f")
		for _, p := range ps {
			if p.Path == path {
				return p, true
			}
		}
		return record.Position{}, false
	}
	stats, pause, got, stop := quietPipe(t, dir, store, nil, true)
	eventually(t, "a0, a1 delivered and saved", func() bool {
		p, ok := row(live)
		return len(got()) == 2 && ok && p.Offset == 6
	})
	pause <- struct{}{} // the destination is down
	appendTo(t, live, "a2\na3\n")
	eventually(t, "a2, a3 read", func() bool { return stats.RecordsParsed.Load() == 4 })
	if err := os.Rename(live, live+".1"); err != nil {
		t.Fatal(err)
	}
	writeFile(t, live, "b0\n")
	eventually(t, "the rotated file's row saved under its new name", func() bool {
		p, ok := row(live + ".1")
		return ok && p.Offset == 6
	})
	stop() // SIGTERM
	ps, _ := store.Load("f")
	_, _, got2, _ := quietPipe(t, dir, store, ps, false)
	eventually(t, "a2, a3 and b0 after the restart", func() bool { return len(got2()) >= 3 })
	if all := append(got(), got2()...); len(all) != 5 {
		t.Errorf("delivered %q, want a0..a3 and b0 (rows %+v)", all, ps)
	}
}
