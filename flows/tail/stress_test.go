package tail

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/syncbuf"
)

// rotations is what a stress writer of one file records: the line it is
// at, and what its rotations put at risk.
type rotations struct {
	path string
	seq  atomic.Int64 // next sequence number to write
	mu   sync.Mutex
	// copytruncate: sequence ranges written while a copy was being made
	// (lines in them may be lost, inherently).
	atRisk [][2]int64
	lives  []fileLife // files let go (deleted, renamed out): their lines and lifetime
	rots   int
}

// stressWriter appends sequence-numbered lines to one file and rotates it.
type stressWriter struct {
	mode string // "rename", "copytruncate", "create"
	rotations
}

func (w *stressWriter) line(n int64) string {
	return fmt.Sprintf("%s %08d %s\n", w.mode, n, strings.Repeat("p", int(n%50)))
}

// run writes until ctx is done. For rename and create the writer rotates
// itself (as a logger reopening its file); for copytruncate a separate
// rotator copies and truncates underneath the writer.
func (w *stressWriter) run(ctx context.Context, t *testing.T, rng *rand.Rand) {
	f, err := os.OpenFile(w.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Error(err)
		return
	}
	defer func() { f.Close() }()
	rotDone := w.startRotator(ctx, t, w.mode, rand.New(rand.NewPCG(rng.Uint64(), 2)), gap)
	next := time.Now().Add(gap(rng))
	created, firstSeq := time.Now(), int64(0)
	for ctx.Err() == nil {
		n := w.seq.Load()
		if _, err := f.WriteString(w.line(n)); err != nil {
			t.Error(err)
			return
		}
		w.seq.Add(1)
		time.Sleep(100 * time.Microsecond) // writer pace (~5k lines/s), not synchronisation
		if w.mode == "copytruncate" || time.Now().Before(next) {
			continue
		}
		next = time.Now().Add(gap(rng))
		w.rots++
		if os.Getenv("TAIL_STRESS_DEBUG") != "" {
			if fi, err := f.Stat(); err == nil {
				st, _ := statOf(fi)
				fmt.Fprintf(os.Stderr, "WRITER %s rotation %d ino %d ends before seq %d size %d\n", w.mode, w.rots, st.key.ino, w.seq.Load(), fi.Size())
			}
		}
		switch w.mode {
		case "rename":
			mustRename(t, w.path, fmt.Sprintf("%s.%d", w.path, w.rots))
			// A few more lines land in the renamed file before the reopen.
			for i := 0; i < 3; i++ {
				n := w.seq.Add(1) - 1
				f.WriteString(w.line(n))
			}
		case "create":
			var ino uint64
			if fi, err := f.Stat(); err == nil {
				st, _ := statOf(fi)
				ino = st.key.ino
			}
			unlinkAt := time.Now() // an open at or before this saw the file
			if err := os.Remove(w.path); err != nil {
				t.Error(err)
				return
			}
			w.mu.Lock()
			w.lives = append(w.lives, fileLife{first: firstSeq, last: w.seq.Load() - 1,
				life: unlinkAt.Sub(created), ino: ino, created: created, unlinked: unlinkAt})
			w.mu.Unlock()
		}
		f.Close()
		created = time.Now() // before the create: no open of this file precedes it
		if f, err = os.OpenFile(w.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644); err != nil {
			t.Error(err)
			return
		}
		firstSeq = w.seq.Load()
	}
	if rotDone != nil {
		<-rotDone
	}
}

type fileLife struct {
	first, last       int64
	life              time.Duration
	ino               uint64
	created, unlinked time.Time
}

// opens records when the tailer opened which inode.
type opens struct {
	mu sync.Mutex
	at map[uint64][]time.Time
}

func (o *opens) add(k fileKey) {
	now := time.Now()
	o.mu.Lock()
	o.at[k.ino] = append(o.at[k.ino], now)
	o.mu.Unlock()
}

// during reports whether ino was opened within [from, to].
func (o *opens) during(ino uint64, from, to time.Time) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, t := range o.at[ino] {
		if !t.Before(from) && !t.After(to) {
			return true
		}
	}
	return false
}

// fileOf returns the life of the file that held line n.
func (w *rotations) fileOf(n int64) (fileLife, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, l := range w.lives {
		if n >= l.first && n <= l.last {
			return l, true
		}
	}
	return fileLife{}, false
}

func gap(rng *rand.Rand) time.Duration {
	return time.Duration(5+rng.IntN(46)) * time.Millisecond
}

// startRotator starts copyTruncateLoop for the copytruncate mode; the
// channel it returns (nil otherwise) is closed when the loop has ended.
func (w *rotations) startRotator(ctx context.Context, t *testing.T, mode string, rng *rand.Rand, gap func(*rand.Rand) time.Duration) chan struct{} {
	if mode != "copytruncate" {
		return nil
	}
	done := make(chan struct{})
	go w.copyTruncateLoop(ctx, t, rng, gap, done)
	return done
}

// copyTruncateLoop copies and truncates the file every gap until ctx is
// done, recording the lines written meanwhile as at risk.
func (w *rotations) copyTruncateLoop(ctx context.Context, t *testing.T, rng *rand.Rand, gap func(*rand.Rand) time.Duration, done chan struct{}) {
	defer close(done)
	for i := 1; ; i++ {
		tm := time.NewTimer(gap(rng))
		select {
		case <-ctx.Done():
			tm.Stop()
			return
		case <-tm.C:
		}
		lo := w.seq.Load()
		if err := copyFile(w.path, fmt.Sprintf("%s.%d", w.path, i)); err != nil {
			t.Error(err)
			return
		}
		mustTruncate(t, w.path, 0)
		hi := w.seq.Load()
		if os.Getenv("TAIL_STRESS_DEBUG") != "" {
			fmt.Fprintf(os.Stderr, "ROTATOR copy %d seqs %d..%d\n", i, lo, hi)
		}
		w.mu.Lock()
		w.atRisk = append(w.atRisk, [2]int64{lo, hi})
		w.rots++
		w.mu.Unlock()
	}
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func (w *rotations) risky(n int64) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, r := range w.atRisk {
		if n >= r[0] && n <= r[1] {
			return true
		}
	}
	return false
}

// TestRotationStress writes sequence-numbered lines to three files rotated
// by rename, copytruncate and delete-and-create at random 5-50 ms gaps, and
// counts lost and duplicated lines. TAIL_STRESS_SECONDS makes it longer.
func TestRotationStress(t *testing.T) {
	dur := 2 * time.Second
	if s := os.Getenv("TAIL_STRESS_SECONDS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatal(err)
		}
		dur = time.Duration(n) * time.Second
	} else if testing.Short() {
		t.Skip("stress test in -short mode")
	}
	dir := t.TempDir()
	cfg := Config{FlowID: "stress", Dir: dir, Glob: "*.log*", MinPoll: 10 * time.Millisecond,
		MaxRefresh: time.Second, Stats: flowstats.New("stress", "s", false)}
	var logBuf syncbuf.Buffer
	if os.Getenv("TAIL_STRESS_DEBUG") != "" {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	} else if os.Getenv("TAIL_STRESS_LOG") != "" {
		cfg.Logger = slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))
		defer func() { os.WriteFile(os.Getenv("TAIL_STRESS_LOG"), logBuf.Bytes(), 0o644) }()
	}
	tl, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tl.linger = time.Second
	opened := &opens{at: map[uint64][]time.Time{}}
	tl.onOpen = opened.add

	writers := []*stressWriter{{mode: "rename"}, {mode: "copytruncate"}, {mode: "create"}}
	for i, w := range writers {
		w.path = filepath.Join(dir, []string{"r.log", "c.log", "d.log"}[i])
	}
	for _, w := range writers {
		mustWrite(t, w.path, "")
	}

	var mu sync.Mutex
	seen := map[string]map[int64]int{}
	for _, w := range writers {
		seen[w.mode] = map[int64]int{}
	}
	malformed := 0
	var total atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan *record.Chunk, 8)
	runDone := make(chan struct{})
	go func() { defer close(runDone); tl.Run(ctx, out) }()
	collDone := make(chan struct{})
	go func() {
		defer close(collDone)
		for {
			select {
			case <-runDone:
				return
			case c := <-out:
				mu.Lock()
				for i := 0; i < c.Len(); i++ {
					f := strings.Fields(string(c.Record(i)))
					if len(f) < 2 || seen[f[0]] == nil {
						malformed++
						continue
					}
					n, err := strconv.ParseInt(f[1], 10, 64)
					if err != nil {
						malformed++
						continue
					}
					seen[f[0]][n]++
				}
				mu.Unlock()
				total.Add(int64(c.Len()))
				c.ReleaseData()
			}
		}
	}()
	defer func() { cancel(); <-runDone; <-collDone }()

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
	wg.Wait()

	var written int64
	for _, w := range writers {
		written += w.seq.Load()
	}
	// Wait until every line not inherently at risk has arrived, or the
	// count stops moving (bounded).
	complete := func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, w := range writers {
			for i := w.seq.Load() - 1; i >= 0; i-- {
				if seen[w.mode][i] == 0 && !w.risky(i) {
					return false
				}
			}
		}
		return true
	}
	deadline := time.Now().Add(30 * time.Second)
	last, stableSince := int64(-1), time.Now()
	for time.Now().Before(deadline) && !complete() {
		n := total.Load()
		if n != last {
			last, stableSince = n, time.Now()
		} else if time.Since(stableSince) > 5*time.Second {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if complete() {
		// Give late duplicates a chance to show: a file whose start is
		// deferred (possible copy) is decided within copyWait.
		until := time.Now().Add(tl.copyWait + 500*time.Millisecond)
		n := tl.loops.Load()
		waitFor(t, "decisions deferred at most copyWait", func() bool {
			return time.Now().After(until) && tl.loops.Load() >= n+5
		})
	}

	mu.Lock()
	defer mu.Unlock()
	if malformed > 0 {
		t.Errorf("%d malformed records", malformed)
	}
	for _, w := range writers {
		n := w.seq.Load()
		var lost, dup, risky int
		var firstLost []int64
		for i := int64(0); i < n; i++ {
			switch c := seen[w.mode][i]; {
			case c == 0 && w.risky(i):
				risky++
			case c == 0:
				lost++
				if len(firstLost) < 5 || os.Getenv("TAIL_STRESS_DEBUG") != "" {
					firstLost = append(firstLost, i)
				}
			case c > 1:
				dup++
				if os.Getenv("TAIL_STRESS_DEBUG") != "" && dup < 20 {
					t.Logf("dup %s %d x%d", w.mode, i, c)
				}
			}
		}
		t.Logf("%-12s lines %6d rotations %4d lost %d dup %d lost-between-copy-and-truncate %d",
			w.mode, n, w.rots, lost, dup, risky)
		// A deleted file can only be read if the tailer opened it before
		// the unlink; on an overloaded machine (8 test processes on 2
		// cores) the watcher goroutine may not run within a 5-50 ms file
		// lifetime. Lines of delete-and-create files that the tailer never
		// opened are reported, not failed (unless TAIL_STRESS_STRICT);
		// lines lost from a file it did open are a bug.
		var neverOpened int
		if w.mode == "create" {
			for i := int64(0); i < n; i++ {
				if seen[w.mode][i] != 0 || w.risky(i) {
					continue
				}
				if l, ok := w.fileOf(i); ok && !opened.during(l.ino, l.created, l.unlinked) {
					neverOpened++
				}
			}
			if neverOpened > 0 {
				t.Logf("create: %d lines were in files deleted before the tailer could open them", neverOpened)
			}
		}
		tolerated := os.Getenv("TAIL_STRESS_STRICT") == "" && lost == neverOpened
		if (lost > 0 && !tolerated) || dup > 0 {
			var lives []string
			if w.mode == "create" {
				for _, n := range firstLost {
					l, _ := w.fileOf(n)
					lives = append(lives, fmt.Sprintf("%d:%v:ino=%d", n, l.life, l.ino))
				}
			}
			t.Errorf("%s: %d lost (first %v), %d duplicated; lifetimes of their files %v", w.mode, lost, firstLost, dup, lives)
		}
	}
	if t.Failed() {
		behind := 0
		for _, f := range cfg.Stats.Files() {
			if f.ReadOffset < f.Size {
				if behind < 10 {
					t.Logf("behind: %s %s read %d of %d", f.Path, f.FileID, f.ReadOffset, f.Size)
				}
				behind++
			}
		}
		t.Logf("files tracked %d, behind %d, loops %d", len(cfg.Stats.Files()), behind, tl.loops.Load())
	}
}
