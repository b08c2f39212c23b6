package ack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/checkpoint"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

const flow = "kinesis:s:/d/app.log*"

// memSaver records every Save; it can be told to fail.
type memSaver struct {
	mu    sync.Mutex
	calls int
	saved map[string]record.Position // by path, last saved
	sizes []int
	fail  int // fail this many more calls
}

func newMemSaver() *memSaver { return &memSaver{saved: map[string]record.Position{}} }

func (m *memSaver) Save(ps []record.Position) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if m.fail > 0 {
		m.fail--
		return errors.New("disk full")
	}
	m.sizes = append(m.sizes, len(ps))
	for _, p := range ps {
		m.saved[p.Path] = p
	}
	return nil
}

func (m *memSaver) get(path string) (record.Position, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.saved[path]
	return p, ok
}

func (m *memSaver) callCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.calls
}

func src(path string, ino uint64) *record.Source {
	return record.NewSource(flow, path, fmt.Sprintf("(dev=803,ino=%d)", ino), 0x803, ino, fmt.Sprintf("fp%d", ino))
}

// chunk returns a chunk of n records covering [start, end) of s.
func chunk(s *record.Source, start, end int64, n int) *record.Chunk {
	c := &record.Chunk{Source: s, Start: start, End: end, Size: end + 100,
		ModTime: time.UnixMilli(1_700_000_000_000 + end), ReadAt: time.Unix(1_700_000_000, start)}
	for i := range n {
		c.Ends = append(c.Ends, i+1)
	}
	c.Data = make([]byte, n)
	return c
}

func offset(t *testing.T, tr *Tracker, s *record.Source) int64 {
	t.Helper()
	p, ok := tr.Position(s)
	if !ok {
		return -1
	}
	return p.Offset
}

func TestOutOfOrderAcksNeverMovePastUnacknowledgedChunk(t *testing.T) {
	tr := New(flow, newMemSaver())
	s := src("/d/app.log", 1)
	c1, c2, c3 := chunk(s, 0, 100, 3), chunk(s, 100, 200, 2), chunk(s, 200, 300, 4)
	for _, c := range []*record.Chunk{c1, c2, c3} {
		tr.Add(c)
	}
	// The newest chunk finishes first (Java would checkpoint 300 here).
	c3.Ack(4)
	if got := offset(t, tr, s); got != 0 {
		t.Fatalf("offset after acking only chunk 3 = %d, want 0 (the first chunk's start)", got)
	}
	c1.Ack(2) // one record of chunk 1 still outstanding
	c2.Ack(2)
	if got := offset(t, tr, s); got != 0 {
		t.Fatalf("offset with chunk 1 partly acknowledged = %d, want 0", got)
	}
	c1.Ack(1)
	if got := offset(t, tr, s); got != 300 {
		t.Fatalf("offset after all acks = %d, want 300", got)
	}
}

func TestPositionStopsAtFirstUnacknowledgedChunk(t *testing.T) {
	tr := New(flow, newMemSaver())
	s := src("/d/app.log", 1)
	cs := []*record.Chunk{chunk(s, 0, 10, 1), chunk(s, 10, 20, 1), chunk(s, 20, 30, 1), chunk(s, 30, 40, 1)}
	for _, c := range cs {
		tr.Add(c)
	}
	cs[0].Ack(1)
	cs[2].Ack(1)
	cs[3].Ack(1)
	if got := offset(t, tr, s); got != 10 {
		t.Fatalf("offset = %d, want 10 (chunk 2 unacknowledged)", got)
	}
	cs[1].Ack(1)
	if got := offset(t, tr, s); got != 40 {
		t.Fatalf("offset = %d, want 40", got)
	}
}

func TestFilesAdvanceIndependently(t *testing.T) {
	tr := New(flow, newMemSaver())
	a, b := src("/d/a.log", 1), src("/d/b.log", 2)
	a1, b1, a2, b2 := chunk(a, 0, 10, 1), chunk(b, 0, 50, 1), chunk(a, 10, 20, 1), chunk(b, 50, 60, 1)
	for _, c := range []*record.Chunk{a1, b1, a2, b2} { // interleaved read order
		tr.Add(c)
	}
	b1.Ack(1)
	b2.Ack(1)
	a2.Ack(1)
	if got := offset(t, tr, b); got != 60 {
		t.Errorf("b offset = %d, want 60", got)
	}
	if got := offset(t, tr, a); got != 0 {
		t.Errorf("a offset = %d, want 0, a1's start (a1 outstanding)", got)
	}
}

func TestZeroRecordChunksAdvance(t *testing.T) {
	tr := New(flow, newMemSaver())
	s := src("/d/app.log", 1)
	tr.Add(chunk(s, 0, 40, 0)) // skipped header lines
	if got := offset(t, tr, s); got != 40 {
		t.Fatalf("offset after zero-record chunk = %d, want 40", got)
	}
	c := chunk(s, 40, 50, 1)
	tr.Add(c)
	tr.Add(chunk(s, 50, 70, 0)) // discarded bytes behind an unacknowledged chunk
	if got := offset(t, tr, s); got != 40 {
		t.Fatalf("offset = %d, want 40 (chunk 40-50 outstanding)", got)
	}
	c.Ack(1)
	if got := offset(t, tr, s); got != 70 {
		t.Fatalf("offset = %d, want 70", got)
	}
}

func TestPositionFollowsTruncatedFileBackwards(t *testing.T) {
	tr := New(flow, newMemSaver())
	s := src("/d/app.log", 1)
	tr.Add(chunk(s, 0, 500, 0))
	tr.Add(chunk(s, 0, 20, 0)) // tailer restarted the truncated file at 0
	if got := offset(t, tr, s); got != 20 {
		t.Fatalf("offset = %d, want 20", got)
	}
}

func TestConcurrentAcksFromManyGoroutines(t *testing.T) {
	const (
		files     = 3
		chunksPer = 300
		records   = 7
		senders   = 8
	)
	tr := New(flow, newMemSaver())
	type rec struct{ c *record.Chunk }
	var all []rec
	var chunks [files][]*record.Chunk
	srcs := make([]*record.Source, files)
	for f := range files {
		srcs[f] = src(fmt.Sprintf("/d/f%d", f), uint64(f))
	}
	for i := range chunksPer {
		for f := range files {
			n := records
			if i%10 == 0 {
				n = 0
			}
			c := chunk(srcs[f], int64(i*100), int64(i*100+100), n)
			chunks[f] = append(chunks[f], c)
			tr.Add(c)
			for range n {
				all = append(all, rec{c})
			}
		}
	}
	rand.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })

	// Watch the invariant while acks arrive: every chunk ending at or before
	// an observed position is fully acknowledged.
	stop := make(chan struct{})
	var violations atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			for f := range files {
				p, ok := tr.Position(srcs[f])
				if !ok {
					continue
				}
				for _, c := range chunks[f] {
					if c.End <= p.Offset && c.Outstanding() != 0 {
						violations.Add(1)
					}
				}
			}
		}
	})
	var senderWG sync.WaitGroup
	per := (len(all) + senders - 1) / senders
	for g := range senders {
		lo, hi := g*per, min((g+1)*per, len(all))
		senderWG.Go(func() {
			for _, r := range all[lo:hi] {
				r.c.Ack(1)
			}
		})
	}
	senderWG.Wait()
	close(stop)
	wg.Wait()
	if v := violations.Load(); v != 0 {
		t.Errorf("%d observations of a position past an unacknowledged chunk", v)
	}
	for f := range files {
		if got := offset(t, tr, srcs[f]); got != chunksPer*100 {
			t.Errorf("file %d offset = %d, want %d", f, got, chunksPer*100)
		}
	}
}

func TestFlushBatchesAllFilesIntoOneSave(t *testing.T) {
	ms := newMemSaver()
	tr := New(flow, ms)
	var srcs []*record.Source
	for f := range 5 {
		srcs = append(srcs, src(fmt.Sprintf("/d/f%d", f), uint64(f)))
	}
	for i := range 200 {
		for _, s := range srcs {
			c := chunk(s, int64(i*10), int64(i*10+10), 2)
			tr.Add(c)
			c.Ack(1)
			c.Ack(1)
		}
	}
	if ms.callCount() != 0 {
		t.Fatalf("Save called %d times before Flush", ms.callCount())
	}
	if err := tr.Flush(); err != nil {
		t.Fatal(err)
	}
	if ms.calls != 1 || ms.sizes[0] != 5 {
		t.Fatalf("1000 chunks -> %d Save calls of sizes %v; want 1 call of 5 positions", ms.calls, ms.sizes)
	}
	for f, s := range srcs {
		p, ok := ms.get(s.PathNow())
		if !ok || p.Offset != 2000 || p.Flow != flow || p.FileID != s.FileID || p.Fingerprint != s.Fingerprint() ||
			p.Size != 2100 || p.ModTime.UnixMilli() != 1_700_000_002_000 {
			t.Errorf("file %d saved %+v", f, p)
		}
	}
	// Nothing moved: no Save.
	if err := tr.Flush(); err != nil {
		t.Fatal(err)
	}
	if ms.callCount() != 1 {
		t.Errorf("Flush with nothing dirty called Save (%d calls)", ms.callCount())
	}
}

func TestRunSavesFewTimesForManyChunks(t *testing.T) {
	ms := newMemSaver()
	tr := New(flow, ms, WithFlushInterval(20*time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- tr.Run(ctx) }()
	s := src("/d/app.log", 1)
	const n = 5000
	for i := range n {
		c := chunk(s, int64(i), int64(i+1), 1)
		tr.Add(c)
		c.Ack(1)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if p, ok := ms.get("/d/app.log"); ok && p.Offset == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("position never saved")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if c := ms.callCount(); c >= n/10 {
		t.Errorf("%d chunks caused %d Save calls; want batching", n, c)
	}
}

func TestRunFlushesOnShutdown(t *testing.T) {
	ms := newMemSaver()
	tr := New(flow, ms, WithFlushInterval(time.Hour))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- tr.Run(ctx) }()
	s := src("/d/app.log", 1)
	c := chunk(s, 0, 123, 2)
	tr.Add(c)
	c.Ack(2)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	if p, ok := ms.get("/d/app.log"); !ok || p.Offset != 123 {
		t.Errorf("saved on shutdown: %+v, %v; want offset 123", p, ok)
	}
}

// countingHandler counts log records by level.
type countingHandler struct {
	mu     sync.Mutex
	counts map[slog.Level]int
}

func (h *countingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *countingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	h.counts[r.Level]++
	h.mu.Unlock()
	return nil
}
func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countingHandler) WithGroup(string) slog.Handler      { return h }

func TestFailedSaveIsRetriedWithNothingLost(t *testing.T) {
	ms := newMemSaver()
	ms.fail = 3
	h := &countingHandler{counts: map[slog.Level]int{}}
	tr := New(flow, ms, WithLogger(slog.New(h)))
	s := src("/d/app.log", 1)
	c := chunk(s, 0, 100, 1)
	tr.Add(c)
	c.Ack(1)
	for i := range 3 {
		if err := tr.Flush(); err == nil {
			t.Fatalf("Flush %d succeeded with a failing Saver", i)
		}
	}
	// More progress while the store is failing.
	c2 := chunk(s, 100, 250, 1)
	tr.Add(c2)
	c2.Ack(1)
	if err := tr.Flush(); err != nil {
		t.Fatal(err)
	}
	if p, ok := ms.get("/d/app.log"); !ok || p.Offset != 250 {
		t.Errorf("saved after recovery: %+v, %v; want 250", p, ok)
	}
	if h.counts[slog.LevelError] != 1 {
		t.Errorf("%d error lines for 3 failures within a minute; want 1", h.counts[slog.LevelError])
	}
	if h.counts[slog.LevelInfo] != 1 {
		t.Errorf("%d info lines; want 1 recovery line", h.counts[slog.LevelInfo])
	}
}

func TestRenamedFileIsSavedUnderItsNewPath(t *testing.T) {
	ms := newMemSaver()
	tr := New(flow, ms)
	s := src("/d/app.log", 1)
	c := chunk(s, 0, 100, 1)
	tr.Add(c)
	c.Ack(1)
	if err := tr.Flush(); err != nil {
		t.Fatal(err)
	}
	s.SetPath("/d/app.log.1")
	if err := tr.Flush(); err != nil {
		t.Fatal(err)
	}
	if p, ok := ms.get("/d/app.log.1"); !ok || p.Offset != 100 || p.FileID != s.FileID {
		t.Errorf("after rename: %+v, %v", p, ok)
	}
	if ms.callCount() != 2 {
		t.Errorf("Save calls = %d, want 2", ms.callCount())
	}
}

func TestStatsShowAckedOffsetAndOldestUnacked(t *testing.T) {
	st := flowstats.New(flow, "s", false)
	s := src("/d/app.log", 1)
	st.SetFile(flowstats.FileState{Path: s.PathNow(), FileID: s.FileID})
	tr := New(flow, newMemSaver(), WithStats(st))
	file := func() flowstats.FileState {
		for _, f := range st.Files() {
			if f.FileID == s.FileID {
				return f
			}
		}
		t.Fatal("file state gone")
		return flowstats.FileState{}
	}
	c1, c2 := chunk(s, 0, 100, 1), chunk(s, 100, 200, 1)
	tr.Add(c1)
	tr.Flush()
	if f := file(); !f.OldestUnacked.Equal(c1.ReadAt) || f.AckedOffset != 0 {
		t.Errorf("after Add: %+v", f)
	}
	tr.Add(c2)
	c1.Ack(1)
	tr.Flush()
	if f := file(); !f.OldestUnacked.Equal(c2.ReadAt) || f.AckedOffset != 100 {
		t.Errorf("after ack 1: %+v", f)
	}
	c2.Ack(1)
	tr.Flush()
	if f := file(); !f.OldestUnacked.IsZero() || f.AckedOffset != 200 {
		t.Errorf("after ack 2: %+v", f)
	}
}

func TestTrackerWithStoreResumesAcknowledgedOffset(t *testing.T) {
	path := filepath.Join(t.TempDir(), "checkpoints")
	st, err := checkpoint.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	tr := New(flow, st, WithFlushInterval(time.Hour))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- tr.Run(ctx) }()
	s := src("/d/app.log", 1)
	c1, c2 := chunk(s, 0, 100, 2), chunk(s, 100, 200, 2)
	tr.Add(c1)
	tr.Add(c2)
	c1.Ack(2)
	c2.Ack(1) // one record of c2 never delivered
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	st.Close()

	st, err = checkpoint.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ps, err := st.Load(flow)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 || ps[0].Offset != 100 || ps[0].FileID != s.FileID || ps[0].Fingerprint != s.Fingerprint() {
		t.Errorf("Load = %+v; want app.log@100", ps)
	}
}

// A file renamed while the agent was down resumes (tail matches it by file
// id) under its new name: its first chunk saves the row under that name,
// before any acknowledgement, and acknowledged chunks move it on.
func TestResumedFileRenamedWhileDownIsSavedUnderNewPath(t *testing.T) {
	ms := newMemSaver()
	tr := New(flow, ms)
	renamed := src("/d/app.log.1", 1) // the store's row says /d/app.log at 500
	c := chunk(renamed, 500, 650, 1)
	tr.Add(c)
	if err := tr.Flush(); err != nil {
		t.Fatal(err)
	}
	if p, ok := ms.get("/d/app.log.1"); !ok || p.Offset != 500 || p.FileID != renamed.FileID {
		t.Fatalf("saved %+v, %v; want the new path at the resumed offset 500", p, ok)
	}
	c.Ack(1)
	if err := tr.Flush(); err != nil {
		t.Fatal(err)
	}
	if p, _ := ms.get("/d/app.log.1"); p.Offset != 650 {
		t.Errorf("offset = %d, want 650", p.Offset)
	}
}

// Many files: starting positions and supersede checks go through the file
// id index, and a file id's newest Source is the only one that saves.
func TestThousandsOfSeenFilesAreSavedOnceEach(t *testing.T) {
	ms := newMemSaver()
	tr := New(flow, ms)
	const n = 5000
	for i := 0; i < n; i++ {
		tr.Seen(record.Position{Path: fmt.Sprintf("/d/f%d.log", i), FileID: fmt.Sprintf("(dev=803,ino=%d)", 10000+i)})
	}
	s := src("/d/f0.log", 10000) // f0 is now read: its chunk takes over
	c := chunk(s, 0, 10, 1)
	tr.Add(c)
	c.Ack(1)
	if err := tr.Flush(); err != nil {
		t.Fatal(err)
	}
	if len(ms.saved) != n {
		t.Fatalf("%d rows, want %d", len(ms.saved), n)
	}
	if p := ms.saved["/d/f0.log"]; p.Offset != 10 {
		t.Fatalf("f0 row at %d, want 10 (its chunk, not the seen start)", p.Offset)
	}
}

func TestIdleCleanFileStateIsDroppedOnceReleasedAndTrackingRestartsAtAbsoluteOffsets(t *testing.T) {
	saver := newMemSaver()
	tr := New(flow, saver, WithGapReport(func(path string, from, to int64) {
		t.Errorf("gap %d-%d reported: a released Source's chunk after its state was dropped continues where it ended", from, to)
	}))
	s := src("/d/app.log.1", 7)
	s.Start = 0              // as the tailer sets it
	c := chunk(s, 0, 100, 2) // ReadAt long ago: idle at once
	tr.Add(c)
	c.Ack(2)
	if err := tr.Flush(); err != nil { // saves offset 100
		t.Fatal(err)
	}
	states := func() int {
		tr.mu.Lock()
		defer tr.mu.Unlock()
		return len(tr.files)
	}
	if err := tr.Flush(); err != nil { // clean and idle, but still tailed: kept
		t.Fatal(err)
	}
	if n := states(); n != 1 {
		t.Fatalf("%d file states: an idle file still tailed was dropped (its rename would not be saved)", n)
	}
	s.SetPath("/d/app.log.2") // renamed while idle: saved under the new name
	if err := tr.Flush(); err != nil {
		t.Fatal(err)
	}
	if p, ok := saver.get("/d/app.log.2"); !ok || p.Offset != 100 {
		t.Fatalf("after the rename: %+v, want offset 100 under the new name", p)
	}
	s.Release()                        // the tailer forgot it
	if err := tr.Flush(); err != nil { // clean, idle and released: dropped
		t.Fatal(err)
	}
	if n := states(); n != 0 {
		t.Fatalf("%d file states kept after the file was released, want 0", n)
	}
	n := 0
	// More data later: tracking restarts and saves the absolute end offset.
	c2 := chunk(s, 100, 150, 1)
	c2.ReadAt = time.Now()
	tr.Add(c2)
	c2.Ack(1)
	if err := tr.Flush(); err != nil {
		t.Fatal(err)
	}
	if p, ok := saver.get("/d/app.log.2"); !ok || p.Offset != 150 {
		t.Fatalf("saved position %+v, want offset 150", p)
	}
	tr.mu.Lock()
	n = len(tr.files)
	tr.mu.Unlock()
	if n != 1 {
		t.Fatalf("a recently active file was dropped (%d states)", n)
	}
}

// A file whose chunks were read but never acknowledged (outage, crash) must
// still get a row at its first chunk's start, so that a restart resumes it
// there rather than treating it as a file that appeared while the agent was
// down (which may start at its end).
func TestAFileReadButNeverAcknowledgedIsSavedAtItsStart(t *testing.T) {
	saver := newMemSaver()
	tr := New(flow, saver)
	s := src("/d/b.log", 9)
	tr.Add(chunk(s, 40, 140, 3)) // never acknowledged
	if err := tr.Flush(); err != nil {
		t.Fatal(err)
	}
	p, ok := saver.get("/d/b.log")
	if !ok || p.Offset != 40 {
		t.Fatalf("row = %+v (saved %v), want offset 40 before any acknowledgement", p, ok)
	}
}

// After a truncation the tailer reads the same file as a new Source; late
// acknowledgements of the old Source must not overwrite the new row.
func TestASupersededSourceNeverOverwritesItsSuccessorsRow(t *testing.T) {
	saver := newMemSaver()
	tr := New(flow, saver)
	old := src("/d/app.log", 5)
	oc := chunk(old, 0, 500, 2)
	tr.Add(oc)
	fresh := src("/d/app.log", 5) // same path and file id, new Source
	nc := chunk(fresh, 0, 30, 1)
	tr.Add(nc)
	nc.Ack(1)
	if err := tr.Flush(); err != nil {
		t.Fatal(err)
	}
	oc.Ack(2) // the old content is acknowledged late
	for i := 0; i < 3; i++ {
		if err := tr.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if p, _ := saver.get("/d/app.log"); p.Offset != 30 {
		t.Fatalf("row offset %d, want 30 (the new content), not the superseded 500", p.Offset)
	}
}

func TestPendingCountsChunksUntilTheirPositionIsReached(t *testing.T) {
	tr := New(flow, newMemSaver())
	s := src("/d/p.log", 3)
	c1, c2 := chunk(s, 0, 10, 1), chunk(s, 10, 20, 1)
	tr.Add(c1)
	tr.Add(c2)
	c2.Ack(1) // behind the unacknowledged c1: still pending
	if got := tr.Pending(); got != 2 {
		t.Fatalf("Pending = %d, want 2", got)
	}
	c1.Ack(1)
	if got := tr.Pending(); got != 0 {
		t.Fatalf("Pending = %d after all acks, want 0", got)
	}
}

// A copytruncate copy continues its original at the offset read so far,
// while the original's last chunks may still be in flight: the copy's row
// must not pass what the original has acknowledged until they are.
func TestACopytruncateCopyIsHeldAtItsOriginalsAcknowledgedOffset(t *testing.T) {
	saver := newMemSaver()
	tr := New(flow, saver)
	orig := src("/d/app.log", 1)
	o1, o2 := chunk(orig, 0, 100, 1), chunk(orig, 100, 200, 1)
	tr.Add(o1)
	tr.Add(o2)
	o1.Ack(1) // [100,200) still in flight when the file is copied and truncated
	cp := src("/d/app.log.1", 2)
	cp.Predecessor = orig
	c1 := chunk(cp, 200, 300, 1)
	tr.Add(c1)
	c1.Ack(1)
	if err := tr.Flush(); err != nil {
		t.Fatal(err)
	}
	if p, ok := saver.get("/d/app.log.1"); !ok || p.Offset != 100 {
		t.Fatalf("copy row %+v (saved %v), want offset 100 while the original's [100,200) is in flight", p, ok)
	}
	o2.Ack(1)
	if err := tr.Flush(); err != nil {
		t.Fatal(err)
	}
	if p, _ := saver.get("/d/app.log.1"); p.Offset != 300 {
		t.Fatalf("copy row offset %d after the original drained, want 300", p.Offset)
	}
}

// A file the tailer has begun but not read yet gets a row at its start; a
// tracked chunk of the same file takes over.
func TestSeenFilesAreSavedAtTheirStartUntilAChunkTakesOver(t *testing.T) {
	saver := newMemSaver()
	tr := New(flow, saver)
	tr.Seen(record.Position{Path: "/d/b.log", FileID: "(dev=803,ino=4)", Offset: 0})
	if err := tr.Flush(); err != nil {
		t.Fatal(err)
	}
	if p, ok := saver.get("/d/b.log"); !ok || p.Offset != 0 || p.Flow != flow {
		t.Fatalf("row %+v (saved %v), want flow %s offset 0", p, ok, flow)
	}
	calls := saver.callCount()
	if err := tr.Flush(); err != nil {
		t.Fatal(err)
	}
	if saver.callCount() != calls {
		t.Fatal("a seen position was saved again")
	}
	// Seen and a real position of the same file in one flush: the real one wins.
	s := src("/d/c.log", 5)
	tr.Seen(record.Position{Path: "/d/c.log", FileID: s.FileID, Offset: 0})
	c := chunk(s, 0, 80, 1)
	tr.Add(c)
	c.Ack(1)
	if err := tr.Flush(); err != nil {
		t.Fatal(err)
	}
	if p, _ := saver.get("/d/c.log"); p.Offset != 80 {
		t.Fatalf("c.log row offset %d, want 80", p.Offset)
	}
}

// A position that moves is saved within the save delay, not at the next
// regular flush: after a crash, only the records of the last moments are
// sent again.
func TestRunSavesAMovedPositionWithinTheSaveDelayNotTheFlushInterval(t *testing.T) {
	ms := newMemSaver()
	tr := New(flow, ms, WithFlushInterval(time.Hour), WithSaveDelay(20*time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- tr.Run(ctx) }()
	s := src("/d/app.log", 1)
	prev := int64(0)
	for i, end := range []int64{100, 250, 400} {
		c := chunk(s, prev, end, 3) // (contiguous: a gap holds the position)
		prev = end
		tr.Add(c)
		c.Ack(3)
		waitSaved(t, ms, "/d/app.log", end, fmt.Sprintf("move %d without a flush tick", i))
	}
	if c := ms.callCount(); c != 3 {
		t.Errorf("%d saves for 3 moves, want 3", c)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// Positions that keep moving are saved at most once per save delay.
func TestRunSavesAtMostOncePerSaveDelayWhilePositionsKeepMoving(t *testing.T) {
	ms := newMemSaver()
	tr := New(flow, ms, WithFlushInterval(time.Hour), WithSaveDelay(50*time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- tr.Run(ctx) }()
	s := src("/d/app.log", 1)
	const n = 500
	start := time.Now()
	tick := time.NewTicker(100 * time.Microsecond)
	for i := range n {
		<-tick.C
		c := chunk(s, int64(i), int64(i+1), 1)
		tr.Add(c)
		c.Ack(1)
	}
	tick.Stop()
	waitSaved(t, ms, "/d/app.log", n, "last position")
	elapsed := time.Since(start)
	if c, limit := ms.callCount(), int(elapsed/(50*time.Millisecond))+2; c > limit {
		t.Errorf("%d saves in %v of moves, want at most %d (one per 50 ms)", c, elapsed, limit)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// A file's first row, and a chunk complete when it is added (header lines
// only: no records), are saved within the save delay too.
func TestRunSavesAFirstRowAndAnEmptyChunkWithinTheSaveDelay(t *testing.T) {
	ms := newMemSaver()
	tr := New(flow, ms, WithFlushInterval(time.Hour), WithSaveDelay(20*time.Millisecond))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- tr.Run(ctx) }()
	s := src("/d/first.log", 1)
	tr.Add(chunk(s, 500, 600, 2)) // unacknowledged: the row is the chunk's start
	waitSaved(t, ms, "/d/first.log", 500, "first row without a flush tick")
	h := src("/d/header.log", 2)
	tr.Add(chunk(h, 0, 40, 0)) // header lines only
	waitSaved(t, ms, "/d/header.log", 40, "empty chunk without a flush tick")
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// waitSaved polls until path is saved at offset off, for at most 10 s.
func waitSaved(t *testing.T, ms *memSaver, path string, off int64, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for p, ok := ms.get(path); !ok || p.Offset != off; p, ok = ms.get(path) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: %s at %d not saved (saved %+v, %v)", what, path, off, p, ok)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// After a truncation (copytruncate), a late acknowledgement of the old
// content must not write over the file's stats entry (same file id), which
// now describes the new content: its lag and oldest unacknowledged time
// stay visible to /healthz and the gauges.
func TestLateAckOfTruncatedContentDoesNotHideTheNewContentsLag(t *testing.T) {
	st := flowstats.New(flow, "s", false)
	tr := New(flow, newMemSaver(), WithStats(st))
	old := src("/d/app.log", 1)
	st.SetFile(flowstats.FileState{Path: "/d/app.log", FileID: old.FileID, Size: 1000})
	c1 := chunk(old, 0, 1000, 1)
	tr.Add(c1)
	st.UpdateFile(old.FileID, func(s *flowstats.FileState) { s.ReadOffset = 1000 })
	_ = tr.Flush()
	// tailer.truncated(): same file id, offsets back to 0, then a new Source.
	st.UpdateFile(old.FileID, func(s *flowstats.FileState) { s.ReadOffset, s.AckedOffset, s.Size = 0, 0, 100 })
	cur := record.NewSource(flow, "/d/app.log", old.FileID, 0x803, 1, "fpnew")
	tr.Add(chunk(cur, 0, 100, 1))
	st.UpdateFile(old.FileID, func(s *flowstats.FileState) { s.ReadOffset = 100 })
	_ = tr.Flush()
	c1.Ack(1) // old content delivered; new chunk still pending
	_ = tr.Flush()
	if fs := st.Files()[0]; fs.ReadOffset-fs.AckedOffset != 100 || fs.OldestUnacked.IsZero() {
		t.Errorf("want lag 100 and an OldestUnacked; got %+v", fs)
	}
}

// The flow-level oldest unacknowledged time covers every tracked chunk,
// also of files whose per-file stats entry is gone (let go by the tailer
// after deletion), so that /healthz and the age gauge still see them.
func TestFlowOldestUnackedCoversChunksOfEveryFile(t *testing.T) {
	st := flowstats.New(flow, "s", false)
	tr := New(flow, newMemSaver(), WithStats(st))
	gone := src("/d/deleted.log", 1)
	c := chunk(gone, 0, 100, 1)
	read := time.Now().Add(-time.Hour)
	c.ReadAt = read
	tr.Add(c)
	st.DropFile(gone.FileID) // the tailer let the file go
	if err := tr.Flush(); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.OldestUnacked.At(time.Now()); !got.Equal(read) {
		t.Fatalf("OldestUnacked %v, want the deleted file's chunk's read time %v", got, read)
	}
	c.Ack(1)
	if err := tr.Flush(); err != nil {
		t.Fatal(err)
	}
	if got, ok := st.OldestUnacked.At(time.Now()); ok {
		t.Fatalf("OldestUnacked %v after every chunk was acknowledged, want unset", got)
	}
}

// A Source's predecessor is read at its first chunk and then dropped: a
// file that goes out of the pattern and back, again and again, must not
// keep every earlier Source reachable through the chain.
func TestPredecessorIsDroppedAfterTheSourcesFirstChunk(t *testing.T) {
	tr := New(flow, newMemSaver())
	first := src("/d/app.log", 1)
	c1 := chunk(first, 0, 100, 1)
	tr.Add(c1)
	second := src("/d/app.log", 1)
	second.Predecessor = first
	tr.Add(chunk(second, 100, 200, 1))
	if second.Predecessor != nil {
		t.Fatal("the predecessor is still referenced after the Source's first chunk")
	}
	c1.Ack(1)
}

// A file renamed before its starting row was saved, then the next file of
// its old name begun (logrotate's new app.log), all within one save delay:
// the renamed file keeps its row, under its new name. Both of its starting
// rows saved in one Save, in map order, the old name's could come last and
// take the row back there (the store keeps a file id's row under one path),
// where the new app.log's row then replaced it: the renamed file, rowless,
// was taken for an old one at the next start.
func TestAFileRenamedBeforeItsStartingRowIsSavedKeepsItsRowUnderTheNewName(t *testing.T) {
	st, err := checkpoint.Open(filepath.Join(t.TempDir(), "checkpoints"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for i := range 20 { // (map order: the old row came last about half the time)
		tr := New(flow, st, WithFlushInterval(time.Hour))
		ino := uint64(100 + 2*i)
		old, renamed := fmt.Sprintf("/d/app%d.log", i), fmt.Sprintf("/d/app%d.log.1", i)
		a, b := fmt.Sprintf("(dev=803,ino=%d)", ino), fmt.Sprintf("(dev=803,ino=%d)", ino+1)
		tr.Seen(record.Position{Path: old, FileID: a, Fingerprint: "fpA", Offset: 40})
		tr.Seen(record.Position{Path: renamed, FileID: a, Fingerprint: "fpA", Offset: 40})
		if err := tr.Flush(); err != nil {
			t.Fatal(err)
		}
		tr.Seen(record.Position{Path: old, FileID: b, Fingerprint: "fpB", Offset: 0})
		if err := tr.Flush(); err != nil {
			t.Fatal(err)
		}
		ps, err := st.Load(flow)
		if err != nil {
			t.Fatal(err)
		}
		var rowA *record.Position
		for _, p := range ps {
			if p.FileID == a {
				rowA = &p
			}
		}
		if rowA == nil || rowA.Path != renamed || rowA.Offset != 40 {
			t.Fatalf("round %d: the renamed file's row is %+v, want %s@40 (rows %+v)", i, rowA, renamed, ps)
		}
	}
}

// The index of starting rows by file id holds nothing once they are saved,
// also when a name's row was replaced by another file's before the save
// (a log rotated within the save delay, again and again).
func TestTheStartingRowsIndexIsEmptyOnceTheyAreSaved(t *testing.T) {
	tr := New(flow, newMemSaver(), WithFlushInterval(time.Hour))
	for i := range 5 {
		tr.Seen(record.Position{Path: "/d/app.log", FileID: fmt.Sprintf("(dev=803,ino=%d)", 10+i)})
		tr.Seen(record.Position{Path: fmt.Sprintf("/d/app.log.%d", i), FileID: fmt.Sprintf("(dev=803,ino=%d)", 20+i)})
	}
	if err := tr.Flush(); err != nil {
		t.Fatal(err)
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if len(tr.seen) != 0 || len(tr.seenAt) != 0 {
		t.Fatalf("after the save: %d starting rows, %d index entries, want none", len(tr.seen), len(tr.seenAt))
	}
}

// A file whose tracked state is detached (let go out of the pattern, or its
// content before a truncation: its position is not saved) gets its
// starting row saved when it begins again with the same first bytes (back
// into the pattern, rewritten alike): the detached state cannot stand in
// for it, or the file had no row until its first chunk.
func TestAStartingRowIsSavedThoughADetachedStateOfTheSameFileExists(t *testing.T) {
	ms := newMemSaver()
	tr := New(flow, ms, WithFlushInterval(time.Hour))
	s := src("/d/app.log", 7)
	c := chunk(s, 0, 100, 1)
	tr.Add(c)
	c.Ack(1)
	if err := tr.Flush(); err != nil {
		t.Fatal(err)
	}
	s.SetDetached(true) // let go out of the pattern
	tr.Seen(record.Position{Path: "/d/app.log.1", FileID: s.FileID, Fingerprint: s.Fingerprint(), Offset: 100})
	if err := tr.Flush(); err != nil {
		t.Fatal(err)
	}
	if p, ok := ms.get("/d/app.log.1"); !ok || p.Offset != 100 {
		t.Fatalf("starting row %+v (saved %v), want /d/app.log.1@100", p, ok)
	}
}

// Records the tailer skipped (a chunk not starting where the file's last
// one ended, or a Source's first chunk past its Start) are a bug upstream:
// the file's position is held before them for good, so that a restart
// reads them again (duplicates, not a loss), and the gap is reported.
func TestAGapBeforeAChunkHoldsThePositionBeforeItAndIsReported(t *testing.T) {
	for _, tc := range []struct {
		name        string
		start       int64 // the Source's Start
		chunks      [][2]int64
		want        int64
		wantFrom    int64
		wantReports int
	}{
		{"contiguous", 0, [][2]int64{{0, 100}, {100, 200}}, 200, -1, 0},
		{"between chunks", 0, [][2]int64{{0, 100}, {150, 250}, {250, 300}}, 100, 100, 1},
		{"before the first chunk", 40, [][2]int64{{90, 200}, {200, 300}}, 40, 40, 1},
		{"first chunk at its start", 40, [][2]int64{{40, 200}}, 200, -1, 0},
		{"start unknown", -1, [][2]int64{{90, 200}}, 200, -1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ms := newMemSaver()
			var reports []int64
			tr := New(flow, ms, WithGapReport(func(path string, from, to int64) { reports = append(reports, from) }))
			s := src("/d/app.log", 1)
			s.Start = tc.start
			for _, r := range tc.chunks {
				c := chunk(s, r[0], r[1], 1)
				tr.Add(c)
				c.Ack(1)
			}
			if err := tr.Flush(); err != nil {
				t.Fatal(err)
			}
			if p, _ := ms.get("/d/app.log"); p.Offset != tc.want {
				t.Errorf("saved offset %d, want %d", p.Offset, tc.want)
			}
			if len(reports) != tc.wantReports || tc.wantReports > 0 && reports[0] != tc.wantFrom {
				t.Errorf("gap reports %v, want %d from %d", reports, tc.wantReports, tc.wantFrom)
			}
		})
	}
}
