package tail

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/ack"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/syncbuf"
)

// Lines of the spill stress test: 20-200 KiB, written in 2-16 KiB pieces,
// so that reads end mid-line and long runs are spilled (harvester.spill).
const (
	spillMinLine = 20 << 10
	spillMaxLine = 200 << 10
)

func spillMix(n uint64) uint64 { // splitmix64
	n += 0x9e3779b97f4a7c15
	n = (n ^ (n >> 30)) * 0xbf58476d1ce4e5b9
	n = (n ^ (n >> 27)) * 0x94d049bb133111eb
	return n ^ (n >> 31)
}

// spillLine returns line n of the writer with letter m: "m 0000000n " then
// "[m0000000n]" tags (a fragment names its line), each followed by its
// count in the line, ending with '\n'. (The count: with the tag alone, a
// line repeated 11 bytes over and over, and two contents of a copytruncated
// file that both began inside one long line had the same first KiB one
// time in 11: the identity a copy is matched by, which cannot tell them
// apart (docs/compat/tail.md). A copy decided late then took the newer
// content's offset.)
func spillLine(m byte, n int64) []byte {
	size := spillMinLine + int(spillMix(uint64(n)*8+uint64(m))%uint64(spillMaxLine-spillMinLine+1))
	b := make([]byte, 0, size)
	b = fmt.Appendf(b, "%c %08d ", m, n)
	var tag []byte
	for i := 0; len(b) < size-1; i++ {
		tag = fmt.Appendf(tag[:0], "[%c%08d]%06d", m, n, i)
		b = append(b, tag[:min(len(tag), size-1-len(b))]...)
	}
	return append(b, '\n')
}

// spillExpect is what line n should arrive as with a read buffer of max
// bytes: whole, or its first max bytes (a runaway).
func spillExpect(m byte, n int64, max int) []byte {
	l := spillLine(m, n)
	if len(l) > max {
		return l[:max]
	}
	return l
}

// spillWriter writes long lines in pieces to one file and rotates it
// mid-line. Its seq is the line being written: lines before it ended with
// '\n'.
type spillWriter struct {
	mode   string // "rename", "copytruncate", "create"
	letter byte
	dir    string
	// outOfPattern: rename sometimes renames out of the glob (let go) and
	// abandons lines (their prefix is the file's unterminated last line).
	outOfPattern, abandon bool
	rotations
	// abandoned lines: bytes written (no '\n'), and whether their file
	// was let go (out of the pattern or deleted: the prefix is sent).
	abandoned map[int64]int
	letGo     map[int64]bool
	// renamed: files renamed within the pattern (for a lost line's
	// report only; they stay to be read, so they excuse nothing).
	renamed []fileLife
	outRots int
	pieces  int
	bytes   int64
}

func spillGap(rng *rand.Rand) time.Duration {
	return time.Duration(10+rng.IntN(91)) * time.Millisecond
}

// run writes lines in pieces until ctx is done (finishing the line it is
// in). rename and create rotate mid-line and finish the line on the old
// descriptor before reopening (as a logger does), or abandon it; for
// copytruncate a separate rotator copies and truncates underneath.
func (w *spillWriter) run(ctx context.Context, t *testing.T, rng *rand.Rand) {
	open := func() *os.File {
		f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			t.Error(err)
		}
		return f
	}
	f := open()
	if f == nil {
		return
	}
	defer func() { f.Close() }()
	rotDone := w.startRotator(ctx, t, w.mode, rand.New(rand.NewPCG(rng.Uint64(), 3)), spillGap)
	next := time.Now().Add(spillGap(rng))
	created, firstSeq := time.Now(), int64(0)
	var ino uint64
	inoOf := func(f *os.File) uint64 {
		if fi, err := f.Stat(); err == nil {
			st, _ := statOf(fi)
			return st.key.ino
		}
		return 0
	}
	ino = inoOf(f)
	for ctx.Err() == nil {
		n := w.seq.Load()
		line := spillLine(w.letter, n)
		reopen := false
		for off := 0; off < len(line); {
			k := min(len(line)-off, 2<<10+rng.IntN(14<<10+1))
			if _, err := f.Write(line[off : off+k]); err != nil {
				t.Error(err)
				return
			}
			off += k
			w.mu.Lock()
			w.pieces++
			w.bytes += int64(k)
			w.mu.Unlock()
			time.Sleep(time.Millisecond) // writer pace, not synchronisation
			if off == len(line) || reopen || w.mode == "copytruncate" || ctx.Err() != nil || time.Now().Before(next) {
				continue
			}
			// Rotate mid-line.
			next = time.Now().Add(spillGap(rng))
			w.mu.Lock()
			w.rots++
			rot := w.rots
			w.mu.Unlock()
			letGo := false
			switch w.mode {
			case "rename":
				to := fmt.Sprintf("%s.%d", w.path, rot)
				if w.outOfPattern && rng.IntN(3) == 0 {
					to = filepath.Join(w.dir, fmt.Sprintf("r.old.%d", rot))
					letGo = true
					w.mu.Lock()
					w.outRots++
					w.mu.Unlock()
				}
				renamedAt := time.Now() // an open at or before this saw the file in the pattern
				mustRename(t, w.path, to)
				w.mu.Lock()
				life := fileLife{first: firstSeq, last: n, life: renamedAt.Sub(created), ino: ino, created: created, unlinked: renamedAt}
				if letGo {
					w.lives = append(w.lives, life)
				} else {
					w.renamed = append(w.renamed, life)
				}
				w.mu.Unlock()
			case "create":
				unlinkAt := time.Now()
				if err := os.Remove(w.path); err != nil {
					t.Error(err)
					return
				}
				letGo = true
				w.mu.Lock()
				w.lives = append(w.lives, fileLife{first: firstSeq, last: n, life: unlinkAt.Sub(created),
					ino: ino, created: created, unlinked: unlinkAt})
				w.mu.Unlock()
			}
			reopen = true
			if w.abandon && rng.IntN(4) == 0 {
				w.mu.Lock()
				w.abandoned[n], w.letGo[n] = off, letGo
				w.mu.Unlock()
				break
			}
		}
		w.seq.Add(1) // complete (or abandoned)
		if reopen {
			f.Close()
			created = time.Now()
			if f = open(); f == nil {
				return
			}
			ino = inoOf(f)
			firstSeq = w.seq.Load()
		}
	}
	if rotDone != nil {
		<-rotDone
	}
}

// spillTally classifies every record that arrives.
type spillTally struct {
	max int

	mu       sync.Mutex
	whole    map[byte]map[int64]int      // arrived as expected (whole, or a runaway's first max bytes)
	from     map[byte]map[int64][]string // where each whole arrival was read (for a duplicate's report)
	prefixes map[byte]map[int64][]int    // a proper prefix of the line (no '\n'): lengths
	frags    map[byte]map[int64]int      // not starting at the line's start (copytruncate split)
	bad      []string                    // merged, corrupt, unattributable
	// shortTails: records of a few bytes ending a line (a copytruncate
	// split just before the line's end), too short to name their line.
	shortTails int
	total      atomic.Int64
}

func newSpillTally(max int, letters ...byte) *spillTally {
	s := &spillTally{max: max, whole: map[byte]map[int64]int{}, from: map[byte]map[int64][]string{}, prefixes: map[byte]map[int64][]int{}, frags: map[byte]map[int64]int{}}
	for _, l := range letters {
		s.whole[l], s.from[l], s.prefixes[l], s.frags[l] = map[int64]int{}, map[int64][]string{}, map[int64][]int{}, map[int64]int{}
	}
	return s
}

// add classifies record r; where names the file and chunk it came from.
func (s *spillTally) add(r []byte, where func() string) {
	s.total.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(r) >= 11 && r[1] == ' ' && r[10] == ' ' && s.whole[r[0]] != nil {
		if n, err := strconv.ParseInt(string(r[2:10]), 10, 64); err == nil {
			m := r[0]
			exp := spillExpect(m, n, s.max)
			line := spillLine(m, n)
			switch {
			case bytes.Equal(r, exp):
				s.whole[m][n]++
				s.from[m][n] = append(s.from[m][n], where())
			case len(r) < len(exp) && bytes.Equal(r, line[:len(r)]):
				s.prefixes[m][n] = append(s.prefixes[m][n], len(r))
			default:
				s.bad = append(s.bad, fmt.Sprintf("line %c%d: %d bytes, want %d (%.40q...%.40q)", m, n, len(r), len(exp), r, r[max(0, len(r)-40):]))
			}
			return
		}
	}
	// A fragment: the first tag names its line.
	if i := bytes.IndexByte(r, '['); i >= 0 && len(r) >= i+11 && r[i+10] == ']' && s.frags[r[i+1]] != nil {
		if n, err := strconv.ParseInt(string(r[i+2:i+10]), 10, 64); err == nil {
			// Its bytes must be those of the line, ending with its '\n'
			// (or cut at the buffer's size: a runaway fragment).
			line := spillLine(r[i+1], n)
			if bytes.HasSuffix(line, r) || (len(r) == s.max && bytes.Contains(line, r)) {
				s.frags[r[i+1]][n]++
				return
			}
		}
	}
	if len(r) > 0 && len(r) <= 22 && r[len(r)-1] == '\n' {
		// The tail of a line split by copytruncate, too short to hold a
		// whole tag (lines are 20 KiB and more: nothing else is this short).
		s.shortTails++
		return
	}
	s.bad = append(s.bad, fmt.Sprintf("unattributable record of %d bytes: %.60q", len(r), r))
}

// spillRun is one tailer instance with its collector and acknowledgement
// tracker.
type spillRun struct {
	tl     *Tailer
	cancel context.CancelFunc
	done   chan struct{}
	coll   chan struct{}
	trk    *ack.Tracker
	trkEnd chan struct{}
}

type spillSaver struct {
	mu    sync.Mutex
	saved map[string]record.Position
}

// Save keeps one row per path, and, as the checkpoint store does, a
// file's row under a path deletes its rows under other paths.
func (m *spillSaver) Save(ps []record.Position) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, p := range ps {
		for path, q := range m.saved {
			if q.FileID == p.FileID && path != p.Path {
				delete(m.saved, path)
			}
		}
		m.saved[p.Path] = p
	}
	return nil
}

func (m *spillSaver) rows() []record.Position {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []record.Position
	for _, p := range m.saved {
		out = append(out, p)
	}
	return out
}

type spillRestart struct{ stop, start time.Time }

// TestSpillRotationStress is TestRotationStress with long lines written in
// pieces: reads end mid-line, runs longer than spillAt are spilled and read
// back when their '\n' arrives, at the buffer's size (runaway) or at let-go,
// while files are rotated by rename (in and out of the pattern),
// copytruncate and delete-and-create mid-line. SPILL_STRESS_SECONDS makes
// it longer.
func TestSpillRotationStress(t *testing.T) {
	dur := 4 * time.Second
	if s := os.Getenv("SPILL_STRESS_SECONDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatal(err)
		}
		dur = time.Duration(n) * time.Second
	} else if testing.Short() {
		t.Skip("stress test in -short mode")
	}
	t.Run("live", func(t *testing.T) { spillStress(t, dur, 256<<10, false) })
	t.Run("runaway", func(t *testing.T) { spillStress(t, dur, 128<<10, false) })
	t.Run("restarts", func(t *testing.T) { spillStress(t, dur, 256<<10, true) })
}

func spillStress(t *testing.T, dur time.Duration, bufSize int, restarts bool) {
	dir := t.TempDir()
	stats := flowstats.New("stress", "s", false)
	var logBuf syncbuf.Buffer
	var logger *slog.Logger
	if p := os.Getenv("SPILL_STRESS_LOG"); p != "" {
		logger = slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))
		defer func() { os.WriteFile(p+"."+filepath.Base(t.Name()), logBuf.Bytes(), 0o644) }()
	}
	opened := &opens{at: map[uint64][]time.Time{}}
	saver := &spillSaver{saved: map[string]record.Position{}}
	tally := newSpillTally(bufSize, 'r', 'c', 'd')

	var curMu sync.Mutex
	var cur *spillRun
	runs := 0
	start := func(resume []record.Position) *spillRun {
		runs++
		run := runs
		cfg := Config{FlowID: "stress", Dir: dir, Glob: "*.log*", MinPoll: 10 * time.Millisecond,
			MaxRefresh: time.Second, Stats: stats, ReadBufferBytes: bufSize, Logger: logger, Resume: resume}
		r := &spillRun{done: make(chan struct{}), coll: make(chan struct{}), trkEnd: make(chan struct{})}
		r.trk = ack.New("stress", saver, ack.WithSaveDelay(20*time.Millisecond), ack.WithFlushInterval(100*time.Millisecond), gapFails(t))
		cfg.OnBegin = r.trk.Seen
		tl, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		tl.linger = time.Second
		tl.onOpen = opened.add
		r.tl = tl
		ctx, cancel := context.WithCancel(context.Background())
		r.cancel = cancel
		tctx, tcancel := context.WithCancel(context.Background())
		go func() { defer close(r.trkEnd); r.trk.Run(tctx) }()
		out := make(chan *record.Chunk) // unbuffered: a chunk is received (and acknowledged) or not sent
		go func() { defer close(r.done); tl.Run(ctx, out) }()
		go func() {
			defer close(r.coll)
			defer tcancel()
			for {
				select {
				case <-r.done:
					return
				case c := <-out:
					r.trk.Add(c)
					for i := 0; i < c.Len(); i++ {
						tally.add(c.Record(i), func() string {
							return fmt.Sprintf("run %d %s %s chunk %d-%d", run, c.Source.PathNow(), c.Source.FileID, c.Start, c.End)
						})
					}
					c.Ack(c.Len())
					c.ReleaseData()
				}
			}
		}()
		return r
	}
	stop := func(r *spillRun) {
		r.cancel()
		<-r.done
		<-r.coll
		<-r.trkEnd // its last flush saved every acknowledged position
	}
	cur = start(nil)
	defer func() {
		curMu.Lock()
		defer curMu.Unlock()
		stop(cur)
	}()

	writers := []*spillWriter{
		{mode: "rename", letter: 'r', outOfPattern: !restarts, abandon: !restarts},
		{mode: "copytruncate", letter: 'c'},
		{mode: "create", letter: 'd', abandon: true},
	}
	for _, w := range writers {
		w.dir, w.path = dir, filepath.Join(dir, string(w.letter)+".log")
		w.abandoned, w.letGo = map[int64]int{}, map[int64]bool{}
	}

	wctx, wcancel := context.WithTimeout(context.Background(), dur)
	defer wcancel()
	var wg sync.WaitGroup
	for i, w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.run(wctx, t, rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(i))))
		}()
	}
	var restartsDone []spillRestart
	if restarts {
		rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 99))
		for {
			tm := time.NewTimer(time.Duration(300+rng.IntN(900)) * time.Millisecond)
			select {
			case <-wctx.Done():
				tm.Stop()
			case <-tm.C:
			}
			if wctx.Err() != nil {
				break
			}
			curMu.Lock()
			rs := spillRestart{stop: time.Now()}
			stop(cur)
			rs.start = time.Now()
			cur = start(saver.rows())
			curMu.Unlock()
			restartsDone = append(restartsDone, rs)
		}
	}
	wg.Wait()

	// Expected, per writer: every complete line once (whole or, longer
	// than the buffer, its first bytes); an abandoned line's prefix once
	// if its file was let go (none if it stays matched, or if longer than
	// the buffer: then the runaway's first bytes).
	// (create: deleted; rename: renamed out of the pattern, before the
	// tailer opened it: never read, inherently.)
	neverOpened := func(w *spillWriter, n int64) bool {
		if w.mode == "copytruncate" {
			return false
		}
		l, ok := w.fileOf(n)
		return ok && !opened.during(l.ino, l.created, l.unlinked)
	}
	// A deleted file's lines not read before a restart are gone with it:
	// a file deleted shortly before the stop (a deleted file is let go, its
	// last line sent, only after a linger period; the tailer may also be
	// behind), while the tailer was down, or after its start but before
	// it opened the file (its first scan takes a while; the file's inode
	// may then go to the next file at once: an open after the unlink is
	// that file's). That holds for a file created during the stop too (the
	// old run, cancelled, may still list and open it, but reads no more):
	// created before the new run started is what counts.
	goneAtRestart := func(w *spillWriter, n int64) bool {
		if w.mode != "create" {
			return false
		}
		l, ok := w.fileOf(n)
		if !ok {
			return false
		}
		for _, r := range restartsDone {
			if l.created.Before(r.start) && l.unlinked.After(r.stop.Add(-2*time.Second)) &&
				l.unlinked.Before(r.start.Add(time.Second)) && !opened.during(l.ino, r.start, l.unlinked) {
				return true
			}
		}
		return false
	}
	complete := func() bool {
		tally.mu.Lock()
		defer tally.mu.Unlock()
		for _, w := range writers {
			for i := w.seq.Load() - 1; i >= 0; i-- {
				w.mu.Lock()
				p, ab := w.abandoned[i]
				lg := w.letGo[i]
				w.mu.Unlock()
				switch {
				case ab && p < bufSize && !lg:
				case ab && p < bufSize:
					if len(tally.prefixes[w.letter][i]) == 0 && !neverOpened(w, i) && !goneAtRestart(w, i) {
						return false
					}
				default:
					if tally.whole[w.letter][i] == 0 && !w.risky(i) && !neverOpened(w, i) && !goneAtRestart(w, i) {
						return false
					}
				}
			}
		}
		return true
	}
	deadline := time.Now().Add(60 * time.Second)
	last, stableSince := int64(-1), time.Now()
	for time.Now().Before(deadline) && !complete() {
		n := tally.total.Load()
		if n != last {
			last, stableSince = n, time.Now()
		} else if time.Since(stableSince) > 5*time.Second {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if complete() {
		// Late duplicates and let-go records: a linger period and a copy
		// decision more, and some passes.
		curMu.Lock()
		tl := cur.tl
		curMu.Unlock()
		until := time.Now().Add(tl.linger + tl.copyWait + 500*time.Millisecond)
		n := tl.loops.Load()
		waitFor(t, "a linger period and copyWait", func() bool {
			return time.Now().After(until) && tl.loops.Load() >= n+5
		})
	}

	tally.mu.Lock()
	defer tally.mu.Unlock()
	for _, b := range tally.bad[:min(len(tally.bad), 10)] {
		t.Errorf("corrupt record: %s", b)
	}
	if len(tally.bad) > 0 {
		t.Errorf("%d records merged, corrupt or unattributable", len(tally.bad))
	}
	for _, w := range writers {
		n := w.seq.Load()
		var lost, dup, risky, never, gone, runaways, abandonedOK, abandonedHeld int
		var truncated, frags, fragsRisky int
		var firstLost, firstDup []int64
		for i := int64(0); i < n; i++ {
			w.mu.Lock()
			p, ab := w.abandoned[i]
			lg := w.letGo[i]
			w.mu.Unlock()
			c, prefs := tally.whole[w.letter][i], tally.prefixes[w.letter][i]
			if f := tally.frags[w.letter][i]; f > 0 {
				switch {
				case w.risky(i):
					fragsRisky += f
				default:
					frags += f
					t.Errorf("%s: line %d arrived as %d fragment(s) (not at risk)", w.mode, i, f)
				}
			}
			if ab && p < bufSize {
				// Its prefix: once if let go (and the file was read), else never.
				switch {
				case c != 0:
					t.Errorf("%s: abandoned line %d (%d bytes written) arrived whole %d times", w.mode, i, p, c)
				case !lg && len(prefs) == 0:
					abandonedHeld++
				case lg && len(prefs) == 1 && prefs[0] == p:
					abandonedOK++
				case lg && len(prefs) == 0 && (neverOpened(w, i) || goneAtRestart(w, i)):
					never++
				case lg && len(prefs) > 1 && prefs[0] == p:
					dup++
					t.Errorf("%s: abandoned line %d: prefix of %d bytes sent %d times", w.mode, i, p, len(prefs))
				default:
					truncated++
					t.Errorf("%s: abandoned line %d (%d bytes written, let go %v): prefixes sent %v", w.mode, i, p, lg, prefs)
					if len(prefs) == 0 && len(firstLost) < 8 {
						firstLost = append(firstLost, i) // (its file's life and the restarts are reported below)
					}
				}
				continue
			}
			if len(prefs) > 0 {
				truncated += len(prefs)
				t.Errorf("%s: line %d (%d bytes) arrived truncated: %v bytes", w.mode, i, len(spillLine(w.letter, i)), prefs)
			}
			if len(spillLine(w.letter, i)) > bufSize {
				runaways++
			}
			switch {
			case c == 0 && w.risky(i):
				risky++
			case c == 0 && neverOpened(w, i):
				never++
			case c == 0 && goneAtRestart(w, i):
				gone++
			case c == 0:
				lost++
				if len(firstLost) < 8 {
					firstLost = append(firstLost, i)
				}
			case c > 1:
				dup++
				if len(firstDup) < 8 {
					firstDup = append(firstDup, i)
					t.Logf("%s: line %d duplicated, read from: %v", w.mode, i, tally.from[w.letter][i])
				}
			}
		}
		w.mu.Lock()
		t.Logf("%-12s lines %5d (%4d MiB in %6d pieces) rotations %3d (out of pattern %2d) runaways %3d abandoned %2d (prefix sent at let-go %2d, held %2d) | lost %d dup %d truncated %d fragments %d | at risk: copytruncate-lost %d fragments %d, never opened %d, deleted while down %d",
			w.mode, n, w.bytes>>20, w.pieces, w.rots, w.outRots, runaways, len(w.abandoned), abandonedOK, abandonedHeld,
			lost, dup, truncated, frags, risky, fragsRisky, never, gone)
		w.mu.Unlock()
		if restarts && w.mode == "copytruncate" && dup > 0 {
			// A copy and truncation racing a stop can send a line twice
			// (docs/compat/tail.md; 0-3 per run, against 41-74 before
			// copies ending mid-line were anchored:
			// TestACopyEndingMidLineIsNotReadAgainAfterARestart).
			t.Logf("copytruncate: %d duplicated after restarts (first %v)", dup, firstDup)
			dup = 0
		}
		if lost > 0 || dup > 0 {
			t.Errorf("%s: %d lost (first %v), %d duplicated (first %v)", w.mode, lost, firstLost, dup, firstDup)
		}
		if len(firstLost) > 0 {
			l, ok := w.fileOf(firstLost[0])
			if !ok {
				w.mu.Lock()
				for _, r := range w.renamed {
					if firstLost[0] >= r.first && firstLost[0] <= r.last {
						l, ok = r, true
					}
				}
				w.mu.Unlock()
			}
			if ok {
				opened.mu.Lock()
				at := slices.Clone(opened.at[l.ino])
				opened.mu.Unlock()
				t0 := l.created
				if len(restartsDone) > 0 {
					t0 = restartsDone[0].stop
				}
				ms := func(x time.Time) int64 { return x.Sub(t0).Milliseconds() }
				t.Logf("%s: line %d's file: ino %d lines %d-%d created %d ms unlinked or renamed %d ms, opened at %v", w.mode, firstLost[0], l.ino, l.first, l.last, ms(l.created), ms(l.unlinked), func() (o []int64) {
					for _, x := range at {
						o = append(o, ms(x))
					}
					return o
				}())
				for _, r := range restartsDone {
					t.Logf("restart: stop %d ms start %d ms", ms(r.stop), ms(r.start))
				}
			}
		}
	}
	if restarts {
		t.Logf("restarts: %d", len(restartsDone))
	}
	t.Logf("records %d (short tails of copytruncate splits %d), discarded bytes %d, larger than buffer %d",
		tally.total.Load(), tally.shortTails, stats.BytesDiscarded.Load(), stats.RecordsLargerThanBuffer.Load())
	if t.Failed() {
		for _, f := range stats.Files() {
			if f.ReadOffset < f.Size {
				t.Logf("behind: %s %s read %d of %d", f.Path, f.FileID, f.ReadOffset, f.Size)
			}
		}
	}
}
