// Package ack turns acknowledgements of records into checkpoints.
//
// The processing stage of a flow hands every chunk to Tracker.Add, in read
// order per file. Senders acknowledge records with Chunk.Ack (an atomic
// decrement). When a chunk and every earlier chunk of the same file are
// fully acknowledged, the file's position moves to that chunk's End. It
// never moves past a chunk with unacknowledged records, whatever the order
// in which senders finish: this closes the Java agent's checkpoint gap
// (Java checkpoints the highest finished buffer, skipping older ones still
// being retried).
//
// Positions are kept in memory and written in one Saver.Save call (one
// transaction) for all files that moved: within the save delay (200 ms)
// after a position moves, and at every flush interval (1 s). A failed Save
// keeps them dirty for the next flush; nothing is lost, and the error is
// logged at most once a minute.
//
// The package owns the per-file acknowledgement queues; it does not read
// files, decide which files to resume, or open the checkpoint database.
package ack

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

// DefaultFlushInterval is the period of Run's regular flush (statistics,
// retries of a failed save, idle eviction).
const DefaultFlushInterval = time.Second

// DefaultSaveDelay is how soon after a position moves Run saves it (at
// most one save per delay while positions keep moving). The Java agent
// commits after every delivered buffer; saving a moved position within
// 200 ms keeps the records re-sent after a crash (kill -9, power loss) to
// those of the last 200 ms, at ~5 SQLite commits a second under load.
const DefaultSaveDelay = 200 * time.Millisecond

// errorLogInterval bounds how often a failing Save is logged.
const errorLogInterval = time.Minute

// Saver writes positions durably, all or none (checkpoint.Store satisfies
// it). Save must not keep ps after it returns.
type Saver interface {
	Save(ps []record.Position) error
}

// Option configures a Tracker.
type Option func(*Tracker)

// WithFlushInterval sets how often Run saves dirty positions (default 1 s).
func WithFlushInterval(d time.Duration) Option {
	return func(t *Tracker) {
		if d > 0 {
			t.interval = d
		}
	}
}

// WithSaveDelay sets how soon Run saves a position that moved (default
// DefaultSaveDelay); a delay at or above the flush interval leaves saving
// to the regular flush.
func WithSaveDelay(d time.Duration) Option {
	return func(t *Tracker) {
		if d > 0 {
			t.saveDelay = d
		}
	}
}

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(t *Tracker) {
		if l != nil {
			t.log = l
		}
	}
}

// WithGapReport sets a function called when a chunk does not start where
// the file's previous chunk ended, or a Source's first chunk not at its
// Start: records the tailer skipped (a bug). The file's saved position is
// held before them either way. Tests use it to fail.
func WithGapReport(f func(path string, from, to int64)) Option {
	return func(t *Tracker) { t.onGap = f }
}

// WithStats makes the tracker keep AckedOffset and OldestUnacked of the
// flow's file states current (files are keyed by FileID and must have been
// registered with SetFile by the tailer). They are refreshed at every flush
// (each flush interval), which keeps the flowstats lock off the
// acknowledgement path.
func WithStats(s *flowstats.Flow) Option {
	return func(t *Tracker) { t.stats = s }
}

// Tracker follows the acknowledgement of chunks of one flow and saves the
// acknowledged position of each file. Its methods are safe for concurrent
// use.
type Tracker struct {
	flowID    string
	saver     Saver
	interval  time.Duration
	saveDelay time.Duration
	moved     chan struct{} // a position moved since the last flush (capacity 1)
	log       *slog.Logger
	stats     *flowstats.Flow
	doneFn    func(*record.Chunk) // t.done, bound once (a method value allocates)
	onGap     func(path string, from, to int64)

	mu    sync.Mutex
	files map[*record.Source]*fileState
	// byID is the current (newest) state of each file id: a truncated file
	// or a reused inode gets a new Source, which supersedes the older one.
	byID map[string]*fileState

	pending atomic.Int64 // chunks added and not yet popped as acknowledged

	// seen holds starting positions of files the tailer has begun but not
	// read yet, by path: a file begun later at the same name replaces an
	// earlier one's (renamed away meanwhile), as its row would. Saved
	// once, unless a chunk of the file is tracked by then.
	seen map[string]record.Position
	// seenAt is the path of each file id's entry in seen: a file's later
	// starting row is under its current name (renamed), and replaces its
	// earlier one. Both saved, in map order, the earlier could come last
	// and put the row back under the old name (a row of a file id deletes
	// its rows under other paths), where the next file of that name
	// writes over it.
	seenAt map[string]string

	flushMu    sync.Mutex // one flush at a time; guards the fields below
	buf        []record.Position
	seenBuf    []record.Position
	all        []record.Position
	refs       []*fileState
	vers       []uint64
	failures   int // consecutive failed saves
	lastErrLog time.Time
}

// fileState is the acknowledgement state of one file (one Source).
type fileState struct {
	src *record.Source
	// queue[head:] are the chunks not yet known complete, in read order.
	queue []*record.Chunk
	head  int

	has     bool // offset/modTime/size hold an acknowledged position
	offset  int64
	modTime time.Time
	size    int64

	ver        uint64     // bumped whenever the position moves
	savedVer   uint64     // ver of the last saved position
	savedPath  string     // path the position was last saved under
	lastAdd    time.Time  // ReadAt of the newest chunk added (idle eviction)
	superseded bool       // a newer Source of the same file id exists: never save again
	pred       *fileState // copytruncate original still in flight: cap the saved offset at its own
	// end is the End of the last chunk added (hasEnd): the next one must
	// start there. A gap (records the tailer skipped, a bug) holds the
	// saved position at gapAt, before the first one, for good: after a
	// restart they are read again (duplicates, not a loss).
	end, gapAt  int64
	hasEnd, gap bool
	statsDirty  bool // AckedOffset or OldestUnacked changed since the last flush
}

// New returns a Tracker for the flow flowID that saves through saver.
func New(flowID string, saver Saver, opts ...Option) *Tracker {
	t := &Tracker{
		flowID:    flowID,
		saver:     saver,
		interval:  DefaultFlushInterval,
		saveDelay: DefaultSaveDelay,
		moved:     make(chan struct{}, 1),
		log:       slog.New(slog.DiscardHandler),
		files:     map[*record.Source]*fileState{},
		byID:      map[string]*fileState{},
		seen:      map[string]record.Position{},
		seenAt:    map[string]string{},
	}
	for _, o := range opts {
		o(t)
	}
	t.log = t.log.With("component", "Checkpointer["+flowID+"]")
	t.doneFn = t.done
	return t
}

// Add starts tracking c, which must have a Source and must come after every
// chunk of the same file already added (chunks of different files may
// interleave). Add arms c's acknowledgement count with c.Track(c.Len(), ...);
// records are then acknowledged with c.Ack. A chunk of zero records (skipped
// header lines, discarded bytes) counts as acknowledged at once. Add must
// be called before any record of c is acknowledged (before its records are
// handed on, including records a converter skips), and c must not be reused
// until it is fully acknowledged.
func (t *Tracker) Add(c *record.Chunk) {
	if c.Source == nil {
		panic("ack: Tracker.Add: chunk without Source")
	}
	// Track before queueing: a queued chunk always has its real count, so
	// another chunk's completion never mistakes it for acknowledged. A
	// completion that runs before the chunk is queued finds nothing to do;
	// the advance below catches up.
	c.Track(c.Len(), t.doneFn)

	firstRow := false
	t.mu.Lock()
	fs := t.files[c.Source]
	if fs == nil {
		fs = &fileState{src: c.Source}
		t.files[c.Source] = fs
		// A newer Source of the same file (truncated and restarted, or a
		// reused inode) supersedes the older one: its late acknowledgements
		// must not overwrite the new row.
		if old := t.byID[c.Source.FileID]; old != nil {
			old.superseded = true
		}
		t.byID[c.Source.FileID] = fs
	}
	if pred := c.Source.Predecessor; !fs.has && pred != nil {
		// Read once, at the Source's first chunk; dropped after, so that a
		// file that goes out of the pattern and back again and again does
		// not keep every earlier Source reachable through the chain.
		c.Source.Predecessor = nil
		// A copytruncate copy continues its original: its bytes before
		// c.Start are the original's, some maybe still in flight. Start at
		// what the original has acknowledged, and hold the position there
		// until the original's chunks are all acknowledged (see Flush).
		if pfs := t.files[pred]; pfs != nil && pfs.head < len(pfs.queue) {
			fs.pred = pfs
			start := c.Start
			if pfs.has && pfs.offset < start {
				start = pfs.offset
			}
			fs.offset, fs.modTime, fs.size = start, c.ModTime, c.Size
			fs.has = true
			fs.ver++
			firstRow = true
		}
	}
	gapFrom := int64(-1)
	switch {
	case fs.hasEnd:
		if c.Start > fs.end {
			gapFrom = fs.end
		}
	case c.Source.Start >= 0 && c.Start > c.Source.Start && !c.Source.Released():
		// (A released Source's state may have been evicted since its last
		// chunk: a truncation's held record follows it, from where it
		// ended, not from Start.)
		gapFrom = c.Source.Start
	}
	if gapFrom >= 0 && (!fs.gap || gapFrom < fs.gapAt) {
		fs.gap, fs.gapAt = true, gapFrom
	} else {
		gapFrom = -1
	}
	fs.end, fs.hasEnd = c.End, true
	if !fs.has {
		// Everything before the first chunk's Start is done (checkpointed
		// earlier, or skipped on purpose by END_OF_FILE). Saving it now
		// gives every file being read a row, so that after a crash a file
		// whose chunks were never acknowledged resumes here instead of
		// being taken for a file that appeared while the agent was down.
		fs.offset, fs.modTime, fs.size = c.Start, c.ModTime, c.Size
		fs.has = true
		fs.ver++
		firstRow = true
	}
	fs.lastAdd = c.ReadAt
	wasEmpty := fs.head == len(fs.queue)
	fs.queue = append(fs.queue, c)
	t.pending.Add(1)
	moved := firstRow
	if t.advanceLocked(fs) {
		moved = true // c was complete already (no records to send)
	} else if wasEmpty {
		fs.statsDirty = true // c is now the oldest unacknowledged chunk
	}
	t.mu.Unlock()
	if gapFrom >= 0 {
		path := c.Source.PathNow()
		t.log.Error("Records of a file were skipped before they were sent (a bug: please report it); its checkpoint is held before them, so that a restart reads them again",
			"path", path, "fileId", c.Source.FileID, "from", gapFrom, "to", c.Start)
		if t.onGap != nil {
			t.onGap(path, gapFrom, c.Start)
		}
	}
	if moved {
		t.signalMoved()
	}
}

// signalMoved tells Run that a position moved (or a file got its first
// row), so that it is saved within the save delay.
func (t *Tracker) signalMoved() {
	select {
	case t.moved <- struct{}{}:
	default:
	}
}

// Seen records the position where the tailer begins a file, before any of
// its records is read (it may wait behind a backlog for a while). It is
// saved within the save delay unless a chunk of the file is tracked by
// then, so that after a crash "no row" means "never seen": a file begun but
// not yet read resumes at its start instead of being taken for a file
// present at first start (which END_OF_FILE would skip). Several
// positions are recorded at once: no save holds only some of them. Safe for
// concurrent use.
func (t *Tracker) Seen(ps ...record.Position) {
	t.mu.Lock()
	for _, p := range ps {
		if t.trackedLocked(p) {
			continue // a chunk of it is tracked: its own position is saved
		}
		p.Flow = t.flowID
		if old, ok := t.seenAt[p.FileID]; ok && old != p.Path && t.seen[old].FileID == p.FileID {
			delete(t.seen, old)
		}
		if q, ok := t.seen[p.Path]; ok && q.FileID != p.FileID && t.seenAt[q.FileID] == p.Path {
			delete(t.seenAt, q.FileID) // (another file's, replaced: the name is this one's now)
		}
		t.seen[p.Path] = p
		t.seenAt[p.FileID] = p.Path
	}
	t.mu.Unlock()
	t.signalMoved()
}

// forgetSeenLocked deletes seen's entry p under path.
func (t *Tracker) forgetSeenLocked(path string, p record.Position) {
	delete(t.seen, path)
	if t.seenAt[p.FileID] == path {
		delete(t.seenAt, p.FileID)
	}
}

// trackedLocked reports whether the file of the starting row p has chunks
// tracked, whose positions are saved instead. The state of another file
// with the same id does not count: a deleted file's state is kept for a
// while (idleEvictAfter), and ext4 gives its inode to the next new file at
// once. The fingerprint tells them apart (a file's own may differ too, when
// its head has grown since: its starting row is then saved once more, in
// the same save as its position, which wins). Nor does a detached state
// (out of the pattern, or content before a truncation), whose position is
// not saved: a file let go and back, or rewritten with the same first
// bytes, would have no row until its first chunk.
func (t *Tracker) trackedLocked(p record.Position) bool {
	fs := t.byID[p.FileID]
	return fs != nil && fs.src.Fingerprint() == p.Fingerprint && !fs.src.Detached()
}

// Pending is the number of chunks added whose position has not been
// reached yet (unacknowledged, or waiting behind an unacknowledged chunk of
// the same file). The flow stops reading while it is too high.
func (t *Tracker) Pending() int64 { return t.pending.Load() }

// done is the completion callback of every tracked chunk: one lock per chunk.
func (t *Tracker) done(c *record.Chunk) {
	moved := false
	t.mu.Lock()
	if fs := t.files[c.Source]; fs != nil {
		moved = t.advanceLocked(fs)
	}
	t.mu.Unlock()
	if moved {
		t.signalMoved()
	}
}

// advanceLocked pops the fully acknowledged chunks at the head of the
// file's queue and moves the position to the End of the last one. It
// reports whether the position moved.
func (t *Tracker) advanceLocked(fs *fileState) bool {
	moved := false
	for fs.head < len(fs.queue) {
		c := fs.queue[fs.head]
		if c.Outstanding() > 0 {
			break
		}
		fs.queue[fs.head] = nil
		fs.head++
		t.pending.Add(-1)
		// Set, not max: a Source read again from a lower offset is
		// followed there. (The tailer gives a truncated file a new Source
		// now; this stays for any other producer.)
		fs.offset, fs.modTime, fs.size = c.End, c.ModTime, c.Size
		fs.has = true
		moved = true
	}
	switch {
	case fs.head == len(fs.queue): // popped entries are already nil
		fs.queue, fs.head = fs.queue[:0], 0
	case fs.head >= 32 && fs.head*2 >= len(fs.queue):
		n := copy(fs.queue, fs.queue[fs.head:])
		clear(fs.queue[n:])
		fs.queue, fs.head = fs.queue[:n], 0
	}
	if moved {
		fs.ver++
		fs.statsDirty = true
	}
	return moved
}

func (t *Tracker) updateStatsLocked(fs *fileState) {
	fs.statsDirty = false
	if t.stats == nil {
		return
	}
	var oldest time.Time
	if fs.head < len(fs.queue) {
		oldest = fs.queue[fs.head].ReadAt
	}
	has, off := fs.has, fs.offset
	t.stats.UpdateFile(fs.src.FileID, func(s *flowstats.FileState) {
		if has {
			s.AckedOffset = off
		}
		s.OldestUnacked = oldest
	})
}

// dropLocked forgets the state of a file (its row stays in the store).
func (t *Tracker) dropLocked(fs *fileState) {
	delete(t.files, fs.src)
	if t.byID[fs.src.FileID] == fs {
		delete(t.byID, fs.src.FileID)
	}
}

func (t *Tracker) dirtyLocked(fs *fileState, path string) bool {
	return fs.has && (fs.ver != fs.savedVer || path != fs.savedPath)
}

// Position returns the acknowledged position of src (ok is false when no
// chunk of it has been fully acknowledged yet).
func (t *Tracker) Position(src *record.Source) (p record.Position, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fs := t.files[src]
	if fs == nil || !fs.has {
		return record.Position{}, false
	}
	return t.positionLocked(fs, src.PathNow(), time.Time{}), true
}

func (t *Tracker) positionLocked(fs *fileState, path string, now time.Time) record.Position {
	off := fs.offset
	if fs.gap && fs.gapAt < off {
		off = fs.gapAt
	}
	return record.Position{
		Flow:        t.flowID,
		Path:        path,
		FileID:      fs.src.FileID,
		Fingerprint: fs.src.Fingerprint(),
		ModTime:     fs.modTime,
		Size:        fs.size,
		Offset:      off,
		Updated:     now,
	}
}

// evictableLocked reports whether fs may be forgotten: fully acknowledged,
// idle, and released by the tailer (which tails it no more).
func (t *Tracker) evictableLocked(fs *fileState, now time.Time) bool {
	return fs.head == len(fs.queue) && now.Sub(fs.lastAdd) >= idleEvictAfter && fs.src.Released()
}

// idleEvictAfter is how long a clean, fully acknowledged file's state is
// kept after its last chunk.
const idleEvictAfter = 10 * time.Minute

// Flush saves, in one Save call, the position of every file that moved or
// was renamed since it was last saved. On error the positions stay dirty
// and are saved by a later Flush.
func (t *Tracker) Flush() error {
	t.flushMu.Lock()
	defer t.flushMu.Unlock()

	now := time.Now()
	t.buf, t.refs, t.vers = t.buf[:0], t.refs[:0], t.vers[:0]
	var oldest time.Time // of the flow's unacknowledged chunks
	t.mu.Lock()
	for src, fs := range t.files {
		if fs.head < len(fs.queue) {
			if r := fs.queue[fs.head].ReadAt; !r.IsZero() && (oldest.IsZero() || r.Before(oldest)) {
				oldest = r
			}
		}
		if fs.statsDirty && !fs.superseded {
			// (A superseded state, the content before a truncation, must
			// not write over the current content's entry: same file id.)
			t.updateStatsLocked(fs)
		}
		path := src.PathNow()
		if fs.pred != nil && fs.pred.head == len(fs.pred.queue) {
			fs.pred = nil
			fs.ver++ // the held-back position may be saved now
		}
		if fs.superseded {
			if fs.head == len(fs.queue) {
				t.dropLocked(fs)
			}
			continue
		}
		if src.Detached() {
			// Out of the pattern: its last name may be another file's,
			// whose row this one must not overwrite. Saved again if the
			// file comes back into the pattern.
			if t.evictableLocked(fs, now) {
				t.dropLocked(fs)
			}
			continue
		}
		if !t.dirtyLocked(fs, path) {
			// A file the tailer has forgotten, whose state is saved, fully
			// acknowledged and idle is dropped: this bounds memory when
			// files come and go (a new file per api_caller run, rotation).
			// A file still tailed keeps its state however quiet it is: a
			// rename must be saved under the new name even while its next
			// chunk waits behind a blocked destination (a restart would
			// otherwise find no row for it and start it at its end).
			if t.evictableLocked(fs, now) {
				t.dropLocked(fs)
			}
			continue
		}
		p := t.positionLocked(fs, path, now)
		if fs.pred != nil && fs.pred.has && fs.pred.offset < p.Offset {
			p.Offset = fs.pred.offset
		}
		t.buf = append(t.buf, p)
		t.refs = append(t.refs, fs)
		t.vers = append(t.vers, fs.ver)
	}
	if t.stats != nil {
		if oldest.IsZero() {
			t.stats.OldestUnacked.Clear()
		} else {
			t.stats.OldestUnacked.Store(oldest)
		}
	}
	// Starting positions of files begun but not read: saved first, so that
	// a real position of the same file in this Save wins.
	t.seenBuf = t.seenBuf[:0]
	for k, p := range t.seen {
		if t.trackedLocked(p) { // a chunk of it is tracked now
			t.forgetSeenLocked(k, p)
			continue
		}
		p.Updated = now
		t.seenBuf = append(t.seenBuf, p)
	}
	t.mu.Unlock()
	if len(t.buf) == 0 && len(t.seenBuf) == 0 {
		return nil
	}
	toSave := t.buf
	if len(t.seenBuf) > 0 {
		toSave = append(append(t.all[:0], t.seenBuf...), t.buf...)
		t.all = toSave
	}

	if err := t.saver.Save(toSave); err != nil {
		t.failures++
		if t.lastErrLog.IsZero() || now.Sub(t.lastErrLog) >= errorLogInterval {
			t.lastErrLog = now
			t.log.Error("Failed to save checkpoints; will retry",
				"files", len(t.buf), "consecutiveFailures", t.failures, "error", err)
		}
		clear(t.refs) // do not pin states between flushes
		return fmt.Errorf("flow %s: save %d checkpoints: %w", t.flowID, len(t.buf), err)
	}
	if t.failures > 0 {
		t.log.Info("Saving checkpoints succeeded again", "failedAttempts", t.failures)
		t.failures, t.lastErrLog = 0, time.Time{}
	}

	t.mu.Lock()
	for _, p := range t.seenBuf {
		if t.seen[p.Path].FileID == p.FileID {
			t.forgetSeenLocked(p.Path, p)
		}
	}
	for i, fs := range t.refs {
		fs.savedVer = t.vers[i]
		fs.savedPath = t.buf[i].Path
	}
	t.mu.Unlock()
	clear(t.refs)
	return nil
}

// Run saves positions until ctx is done, then flushes a last time and
// returns: a position that moved is saved within the save delay (at most
// one save per delay while positions keep moving), and everything else
// dirty at every flush interval. It returns nil, or the error of the last
// flush (positions acknowledged but not saved). Errors of earlier flushes
// are logged and retried, never returned.
func (t *Tracker) Run(ctx context.Context) error {
	tick := time.NewTicker(t.interval)
	defer tick.Stop()
	var wait *time.Timer // the save delay running after a move, or nil
	defer func() {
		if wait != nil {
			wait.Stop()
		}
	}()
	var waitC <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return t.Flush()
		case <-tick.C:
		case <-t.moved:
			if waitC == nil && t.saveDelay < t.interval {
				if wait == nil {
					wait = time.NewTimer(t.saveDelay)
				} else {
					wait.Reset(t.saveDelay)
				}
				waitC = wait.C
			}
			continue
		case <-waitC:
			waitC = nil
		}
		_ = t.Flush() // logged by Flush, retried at the next flush
	}
}
