package tail

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
	"github.com/kinesis-agent-go/aws-kinesis-agent/processors/javaregex"
)

// Config configures the tailer of one flow.
type Config struct {
	FlowID    string
	Dir, Glob string
	// StartAtEnd is initialPosition END_OF_FILE: files present at the first
	// start without a checkpoint are read from the end of their last
	// complete line.
	StartAtEnd      bool
	SkipHeaderLines int
	// MultiLineStart is multiLineStartPattern (nil = one line per record).
	MultiLineStart *javaregex.Regexp
	// Footer is fileFooterPattern (nil = none).
	Footer *javaregex.Regexp
	// AggregatedRecordSizeBytes is Firehose aggregation (0 = off).
	AggregatedRecordSizeBytes int
	// ReadBufferBytes is the longest record (5 MiB Kinesis, 4 MiB Firehose).
	ReadBufferBytes int
	// MultiLineFlushBytes (0 = off) is the size at which a multi-line
	// record still waiting for its next start line is emitted anyway, at a
	// line end: the destination's record limit, so that a busy file whose
	// pattern rarely matches has its lines split, never cut.
	MultiLineFlushBytes int
	// MinPoll is minTimeBetweenFilePollsMillis, MaxRefresh is
	// maxTimeBetweenFileTrackerRefreshMillis.
	MinPoll, MaxRefresh time.Duration
	// Resume holds the checkpoints of this flow (may be empty).
	Resume []record.Position
	// RowTTL is checkpointTimeToLiveDays (0: no limit): a file without a
	// checkpoint last modified longer ago than this may be an old file
	// whose row expired, and its change time does not make it new.
	RowTTL time.Duration
	Stats  *flowstats.Flow
	Logger *slog.Logger
	// OnBegin, when set, is called from the tailer's goroutine whenever
	// the start offset of a file is decided, before any of its records is
	// read (which may wait behind a backlog). The flow saves it as the
	// file's checkpoint, so that after a crash a file begun but not yet
	// read resumes at its start. It must not block. A copytruncate copy is
	// reported at offset 0 (its real start depends on the original's
	// in-flight records; see record.Source.Predecessor). The first scan's
	// come in one call once it is complete, so that no save holds only some
	// of them.
	OnBegin func(...record.Position)
}

const (
	defaultReadBuffer = 5 << 20
	defaultMinPoll    = 100 * time.Millisecond
	defaultMaxRefresh = 10 * time.Second
	// chunkCap is the capacity of pooled chunk buffers and the size of one
	// read. Four to six chunks exist at once (reading, queued, processing,
	// pooled): 128 KiB against 256 KiB measured -1.3 to -2.0 MB peak RSS
	// for +0 to +6 % CPU on a million lines (e2ebench raw and csv, 3
	// interleaved rounds).
	chunkCap = 128 << 10
	// smallChunk is the buffer class for chunks made from little data.
	smallChunk = 16 << 10
	// spillAt: an unterminated run (no '\n' in it) longer than this, left
	// at the end of a file, is not held in memory but read back from the
	// file when a '\n' or the read buffer's size ends it (harvester.spill).
	// Held, every such file cost up to the read buffer (5 MiB) and every
	// small write to it copied the run again: ten '\r'-only progress logs
	// written in 2 KiB pieces every 5 ms took 14 % of a core and 108 MB
	// (docs/PERFORMANCE.md, fourteenth session).
	spillAt = smallChunk
	// maxReadsPerTurn bounds how much one file is read before the others get a turn.
	maxReadsPerTurn = 16
	// coalesce is the pause after an iteration that read every file it read
	// to its end (caught up), so that a busy writer yields chunks of many
	// records rather than one per write. Measured on live append at 50,000
	// lines/s (internal/cmd/e2ebench -scenarios live): 10 ms 4.0
	// CPU-µs/line, p99 delay 17 ms; 50 ms 3.1 CPU-µs/line, p99 57 ms,
	// +3.5 MB private RSS. An iteration that stopped before the end of a
	// file (maxReadsPerTurn) is followed at once: a backlog is read without
	// pauses.
	coalesce = 50 * time.Millisecond

	// errRepeat: iterations failing with the same error log it once in
	// this long.
	errRepeat = time.Minute
)

// Tailer follows every file of one flow.
type Tailer struct {
	cfg   Config
	log   *slog.Logger
	glob  *globMatcher
	pool  *record.BufPool // chunk buffers of chunkCap
	small *record.BufPool // chunk buffers of smallChunk

	// Timing rules (fields so tests can shorten them).
	mlIdle   time.Duration // multi-line record flushed after this much idleness
	linger   time.Duration // a file no longer matched is let go after this much idleness
	inactive time.Duration // a matched idle file's descriptor is closed after this
	copyWait time.Duration // how long a possible copytruncate copy waits for the truncation
	ghostTTL time.Duration // how long a truncated file's identity is remembered
	// newGrace: a file without a row changed up to this long before the
	// last checkpoint is still taken for a new one (inode times come from
	// a coarse clock; a save may land between a file's creation and its
	// own starting row).
	newGrace time.Duration
	// firstStopGrace bounds how long a stop waits for the first scan.
	firstStopGrace time.Duration
	openFn         func(name string, flag int, perm os.FileMode) (*os.File, error)
	noNotify       bool // tests: behave as if inotify were unavailable
	birthTime      func(*os.File) (int64, bool)
	// passReadsOnly (tests): no reader goroutine for write events; only the
	// passes' own reads (takeWriteEvents) see them.
	passReadsOnly bool
	onOpen        func(fileKey)    // tests: told of every descriptor taken on a file
	orphaned      int              // harvesters with orphans (harvester.orphans)
	afterList     func()           // tests: run between a full scan's listing and its stats
	afterRelist   func()           // tests: the same for the scan's second listing
	beforeSize    func(*harvester) // tests: run before pump's fstat
	afterSize     func(*harvester) // tests: run between pump's fstat and its first read
	afterRead     func(*harvester) // tests: run between a read and its head check
	beforeBack    func(*harvester) // tests: run before a spilled run's read-back (after pump's head check; at let-go)
	// fsType returns the statfs f_type of a directory (fsTypeOf; tests: a
	// network file system).
	fsType func(dir string) (int64, error)
	// remoteFS names the network or FUSE file system the flow's directory
	// is on (checkRemoteFS), "" for a local one. Owned by the Run goroutine.
	remoteFS string
	// remoteChecked: the directory's file system type was read (it
	// existed); until then it is tried every second.
	remoteChecked bool
	// addFileWatch replaces notifier.addFile (tests: a file that cannot be watched).
	addFileWatch func(path string, f *os.File, mask uint32) (int32, error)

	// Owned by the Run goroutine.
	files   map[fileKey]*harvester
	ghosts  []ghost
	listed  map[string]bool // paths of the last scan's listing (reused: scans are frequent)
	waiting map[fileKey]*waitState
	// fdShort: a light scan (a send waits) ran out of descriptors; light
	// scans, and the watcher's opens of files on their creation, open no
	// more files until the next full scan (see freeHeld).
	fdShort atomic.Bool
	// fdFree: the watcher's open of a created file ran out of descriptors:
	// the next light scan gives some back (freeHeld runs on the Run
	// goroutine only).
	fdFree atomic.Bool
	// fdOpenLogged: when an open failing for want of descriptors was last
	// logged.
	fdOpenLogged time.Time
	warned       map[string]string // path -> the problem already logged
	scratch      []byte
	head         []byte
	first        bool
	resume       map[string][]record.Position // by FileID
	// unreadable are the files given a starting row while they could not
	// be opened (reportUnreadable), once each.
	unreadable map[fileKey]bool
	hadRows    bool // the flow had checkpoint rows at start
	// ownRows: it has rows of its own; ownNewest: the newest of their
	// Updated;
	// adopted: the rows taken over from flows no longer configured, by
	// their glob (see record.Position.AdoptedGlob). A file without a row
	// is placed against the newest row that tells of it (newestFor).
	ownRows   bool
	ownNewest time.Time
	adopted   []adoptedRows
	// rewritten: files whose inode was found holding another content
	// while closed: begun at 0 again, their hole is any run of zeros.
	rewritten map[fileKey]bool
	newest    time.Time // newest checkpoint Updated
	// rotatedAway: the file resumeRotatedAway is starting (harvester.ownName)
	rotatedAway map[fileKey]bool
	clockBack   bool              // newest is later than the clock at start
	java        *javaStart        // the newest checkpoint is the Java agent's
	firstRows   []record.Position // starting rows of the first scan, not handed on yet
	lateStart   map[fileKey]bool  // checkpointed files the first scan listed but could not open
	order       []*harvester
	evBuf       []byte        // takeWriteEvents' read buffer
	evs         []notifyEvent // takeWriteEvents' events
	// unwatched counts tracked files without a write watch (watchWrites).
	unwatched int
	errs      int
	lastErr   error
	// errLogged, errLoggedAt: the error of failing iterations last logged,
	// and when. The same error is logged again after errRepeat only.
	errLogged   string
	errLoggedAt time.Time
	// stuck is what the last full scan could not do (list the directory,
	// open a matched file): it keeps ConsecutiveErrors rising between
	// scans, logged once when it began; scanErr collects it during a scan.
	stuck, scanErr error

	lastScan time.Time
	rescanAt time.Time
	nextFull time.Time    // when a pass next reads every open file (the poll safety net)
	pass     uint64       // passes of the loop started
	sendTick *time.Ticker // light-scan period while a send is blocked
	shownAt  time.Time    // the last showSizes
	watcher  watcher

	wake    chan struct{}
	links   atomic.Bool   // a matching entry is a symlink (concerns: its target may have any name)
	idling  chan struct{} // the loop waits for a change (write notifications are wanted)
	scanReq atomic.Bool
	// lightReq: a rescan was asked for since the last light scan a wake-up
	// ran while a send waits (see send); scanReq stays set for the full
	// scan after.
	lightReq atomic.Bool
	openMu   sync.Mutex
	open     map[string]int // paths with an open descriptor: how many (for the watcher)
	// held: the write watches of closed files whose descriptor a light
	// scan holds for the full scan (holdChanged), under openMu; cleared by
	// each full scan. Their writes need that scan, not another light one.
	held map[int32]bool
	// written: write watches with events since the last pass; writtenAll:
	// events were lost (an overflow). Both under openMu. writtenPass is the
	// map the current pass reads (Run goroutine): the two are swapped.
	written     map[int32]bool
	writtenAll  bool
	writtenPass map[int32]bool
	preMu       sync.Mutex
	pre         map[fileKey]*preopened // opened by the watcher, not yet taken
	running     atomic.Bool
	loops       atomic.Int64 // completed loop iterations (tests wait on it)
	// writeWakes counts wake-ups for writes to open files (tests).
	writeWakes atomic.Int64
	// writeReads counts reads of write notifications (tests).
	writeReads atomic.Int64
	// dirChecked: when the watched directory's identity was last checked
	// (watcher.stale).
	dirChecked time.Time
	// scans counts directory scans, full and light (tests).
	scans atomic.Int64
	// lightScans counts the light ones (tests).
	lightScans atomic.Int64
	// sendWaits counts sends that had to wait for the consumer (tests).
	sendWaits atomic.Int64
	// pumps counts files read by passes of the loop (tests).
	pumps atomic.Int64
}

// harvester is the state of one file identity.
type harvester struct {
	key    fileKey
	fileID string
	path   string
	f      *os.File
	wd     int32 // its write watch (watchWrites); 0: none
	inOpen bool  // counted in t.open (setOpen)
	// unwatched: its write watch could not be added (counted in t.unwatched)
	unwatched bool
	src       *record.Source
	pred      *record.Source // predecessor for the next Source (copytruncate copy)
	// copyOf is the Source's predecessor, kept on the tailer's side (send):
	// the acknowledgement stage clears Source.Predecessor once it has read
	// it, on its own goroutine, so the tailer must not read that again.
	copyOf *record.Source
	// startRow: the offset of the starting row reported for the current
	// content (0 for a copy and after a truncation): where a restart
	// resumes it until a chunk of it reaches the acknowledgement stage.
	startRow int64
	// beginOff: the offset its current content began to be read at (0
	// after a truncation): its Source's Start.
	beginOff int64
	head     []byte // the file's first bytes (up to fpMax) as last verified
	// seeks: the first and last bytes of each of the current content's
	// last reads (seekSamples), newest at seekNext-1: a truncation's
	// ghost keeps them, and a file taken for its copy must hold them
	// there too (see holdsSeek).
	seeks    [seekSamples]seekSample
	seekNext int
	// win: the last bytes read of the current content (up to winLen,
	// read one after the other), ending at winEnd: a truncation's ghost
	// keeps them too (see holdsSeek).
	win    []byte
	winEnd int64
	born   int64  // its birth time (birthTime); 0: not known
	offset int64  // next byte to read
	pend   []byte // bytes [offset-len(pend), offset) read but not yet accounted for
	spill  int64  // or [offset-spill, offset), not held (spillAt): no '\n' in them, pend empty
	// orphans: the chunks of a truncated content's last multi-line record,
	// taken from pend by truncated (which cannot send): sent at the next
	// pump, and before any newer chunk of this file or of its copy (send).
	orphans []*record.Chunk
	// orphansOf is the copyOf of the content the orphans are from: its
	// original's orphans go out before them.
	orphansOf *record.Source
	sp        *splitter
	size      int64
	modTime   time.Time
	// waitSize: the largest size a blocked send's fstat (showSizes) saw of
	// the content read since the last pump, its first bytes checked; 0:
	// none. Passes do not run while a send waits: a copytruncate then
	// finds size stale, and the bytes written meanwhile, in the copy only,
	// went uncounted. waitStop: it saw the file shrink or its first bytes
	// change (another content): waitSize stays.
	waitSize int64
	waitStop bool
	// holeCheck: truncated, or begun at 0, and its content not read yet:
	// a writer without O_APPEND (`cmd > file`) goes on at its old offset,
	// and the file then begins with a hole of zero bytes, which is
	// skipped (see skipHole). holeMin: the shortest run of zero bytes
	// taken for a hole (a truncation seen: any; a file begun at 0: a
	// sector's, not a UTF-16BE text's first zero byte).
	holeCheck bool
	holeMin   int64
	// holeSkipped: zero bytes of a run at the start of a line dropped so
	// far (see holeRunMin), from file offset holeFrom: told once the run
	// ends.
	holeSkipped, holeFrom int64
	// ownName: begun out of the pattern at start by its checkpoint
	// (resumeRotatedAway): its position is saved under its own name, which
	// no file of the pattern has.
	ownName bool
	// viaLink: begun through a symbolic link. Never closed for inactivity:
	// once the link names another file (cronolog, svlogd, a Tomcat
	// "current" link re-pointed at rotation), a closed file with a last
	// line could not be found again, its target being in any directory.
	viaLink bool

	matched    bool
	undecided  bool      // found after start; its start offset is not settled yet
	lastData   time.Time // when bytes were last read (or the file was opened)
	active     bool      // its last read gave data (or a rescan saw it grow)
	pumped     uint64    // the pass that last read it; 0: none yet
	idleFlushd bool      // the multi-line idle flush ran for the current pending data
	hdrFrom    int64     // start of header bytes consumed but not sent; -1: none
	lastEnds   int       // records in the last chunk (capacity hint)
	// readBackErr: since when reading its unheld last line back at let-go
	// has failed (zero: it has not).
	readBackErr time.Time
	// anchorDue: a copy's Source has its predecessor and no chunk yet: its
	// first chunk moves its row from the 0 reported at its start.
	anchorDue bool
}

func (h *harvester) done() int64 { return h.offset - h.unaccounted() }

// What a file keeps of its last reads, to tell a truncated file's copy
// from a look-alike (another file with the same first KiB: a shared CSV
// header), as Splunk's seekCRC does: its last winLen bytes read, and the
// first and last seekLen bytes of each of its last seekSamples reads. A
// copytruncate copy holds every byte of the original up to its own end;
// only the reads between the moment the copy reached the end of the file
// and the truncation (rare: logrotate truncates right after copying) may
// end past the copy's end. See holdsSeek.
const (
	seekLen     = 64
	seekSamples = 4
	// winLen is how many of the last bytes read a file keeps in a row.
	winLen = 1024
	// seekEvidence is how many bytes past its first KiB a copy must
	// match (see holdsSeek).
	seekEvidence = 16
)

// seekSample keeps the bytes of one read, [start, end): its first hn
// bytes and its last tn.
type seekSample struct {
	start, end int64
	hn, tn     int
	h, t       [seekLen]byte
}

// noteRead keeps what a read gave: b, the bytes read just before end.
func (h *harvester) noteRead(b []byte, end int64) {
	s := &h.seeks[h.seekNext]
	s.start, s.end = end-int64(len(b)), end
	s.hn = copy(s.h[:], b)
	s.tn = copy(s.t[:], b[max(0, len(b)-seekLen):])
	h.seekNext = (h.seekNext + 1) % seekSamples
	if h.winEnd != end-int64(len(b)) {
		h.win = h.win[:0] // (not following them: a hole skipped)
	}
	h.winEnd = end
	if len(b) > winLen {
		b = b[len(b)-winLen:]
	}
	if h.win == nil {
		h.win = make([]byte, 0, winLen)
	}
	if drop := len(h.win) + len(b) - winLen; drop > 0 {
		h.win = h.win[:copy(h.win, h.win[drop:])]
	}
	h.win = append(h.win, b...)
}

// forgetReads drops the bytes kept (a new content, read from off).
func (h *harvester) forgetReads(off int64) {
	h.seeks = [seekSamples]seekSample{}
	h.seekNext = 0
	h.win, h.winEnd = h.win[:0], off
}

// samples returns the samples kept, newest first.
func (h *harvester) samples() []seekSample {
	var out []seekSample
	for i := 1; i <= seekSamples; i++ {
		if s := h.seeks[(h.seekNext+seekSamples-i)%seekSamples]; s.end > s.start {
			out = append(out, s)
		}
	}
	return out
}

// seenSize is the largest size seen of the content read: by the last pump,
// or since by a blocked send's fstat.
func (h *harvester) seenSize() int64 { return max(h.size, h.waitSize) }

// unaccounted is how many bytes before h.offset were read but not yet
// accounted for (pend or spill).
func (h *harvester) unaccounted() int64 { return h.spill + int64(len(h.pend)) }

// ghost remembers what was read of a file, for one of two ends:
//   - truncated (f nil): its copytruncate copy, another inode with the same
//     first bytes, resumes where reading stopped; the file itself (key)
//     is never its own copy, whatever its new first bytes;
//   - let go out of the pattern (f set): if it comes back, as the same
//     inode, it resumes there. f holds its descriptor for the ghost's life,
//     so that its inode cannot go to a new file meanwhile: the same inode
//     is then the same file.
type ghost struct {
	head []byte
	done int64
	at   time.Time
	path string
	src  *record.Source // the content lifetime that was read up to done
	key  fileKey        // the file's identity
	f    *os.File       // a let-go file's descriptor; nil for a truncated file
	// size: a truncated file's size last seen before its truncation; the
	// bytes from done to size were never read (sent only if a copy turns up).
	size int64
	// seeks: a truncated file's samples of its last reads, newest first,
	// and win its last bytes read, ending at winEnd (its harvester's); a
	// copy holds them there.
	seeks  []seekSample
	win    []byte
	winEnd int64
	// discarding: done is inside a line longer than the read buffer, whose
	// rest was being discarded (its first bytes went out as a record).
	discarding bool
	// stale: let go because its descriptor died (a stale NFS handle), so
	// f is nil: a file met again with its inode number is this one only
	// if it begins with the bytes read (head), as ever; else it is a new
	// file that got the number, read from 0.
	stale bool
}

// letGo reports whether g is a let-go file's (not a truncated file's).
func (g ghost) letGo() bool { return g.f != nil || g.stale }

// forget closes what g holds.
func (g ghost) forget() {
	if g.f != nil {
		g.f.Close()
	}
}

type waitState struct {
	first time.Time // when the file was first seen undecided
	since time.Time // when its size last changed
	size  int64
}

// maxCopyWaits bounds how many copyWait periods a growing file may stay
// undecided: a live log whose first bytes equal another file's (a long
// fixed header) must not wait for as long as it keeps growing.
const maxCopyWaits = 5

// New validates cfg and returns a tailer.
func New(cfg Config) (*Tailer, error) {
	if cfg.Dir == "" || cfg.Glob == "" {
		return nil, errors.New("tail: Dir and Glob are required")
	}
	if abs, err := filepath.Abs(cfg.Dir); err == nil {
		cfg.Dir = abs
	}
	g, err := compileGlob(cfg.Glob)
	if err != nil {
		return nil, fmt.Errorf("tail: flow %s: %w", cfg.FlowID, err)
	}
	if cfg.ReadBufferBytes <= 0 {
		cfg.ReadBufferBytes = defaultReadBuffer
	}
	if cfg.MinPoll <= 0 {
		cfg.MinPoll = defaultMinPoll
	}
	if cfg.MaxRefresh <= 0 {
		cfg.MaxRefresh = defaultMaxRefresh
	}
	if cfg.SkipHeaderLines < 0 {
		cfg.SkipHeaderLines = 0
	}
	if cfg.Stats == nil {
		cfg.Stats = flowstats.New(cfg.FlowID, "", false)
	}
	lg := cfg.Logger
	if lg == nil {
		lg = slog.New(slog.DiscardHandler)
	}
	lg = lg.With("component", "FileTailer["+cfg.FlowID+"]")
	t := &Tailer{
		cfg:            cfg,
		log:            lg,
		glob:           g,
		pool:           record.NewBufPool(chunkCap),
		small:          record.NewBufPool(smallChunk),
		mlIdle:         max(time.Second, 4*cfg.MinPoll),
		linger:         max(5*time.Second, 4*cfg.MinPoll),
		inactive:       max(time.Minute, cfg.MaxRefresh),
		copyWait:       max(2*time.Second, 4*cfg.MinPoll),
		ghostTTL:       time.Minute,
		newGrace:       2 * time.Second,
		firstStopGrace: 3 * time.Second,
		openFn:         os.OpenFile,
		birthTime:      birthTime,
		fsType:         fsTypeOf,
		files:          map[fileKey]*harvester{},
		waiting:        map[fileKey]*waitState{},
		warned:         map[string]string{},
		head:           make([]byte, fpMax),
		first:          true,
		resume:         map[string][]record.Position{},
		unreadable:     map[fileKey]bool{},
		lateStart:      map[fileKey]bool{},
		rotatedAway:    map[fileKey]bool{},
		wake:           make(chan struct{}, 1),
		idling:         make(chan struct{}, 1),
		open:           map[string]int{},
		pre:            map[fileKey]*preopened{},
	}
	newest := -1
	for i, p := range cfg.Resume {
		if p.AdoptedGlob == "" || g.match(filepath.Base(p.Path)) {
			t.resume[p.FileID] = append(t.resume[p.FileID], p)
		} // else the edited flow's newest row, out of this pattern: it tells
		// the time and Java's position only, and resumes no file (on its
		// inode by now may be another file of this pattern).
		if newest < 0 || p.Updated.After(cfg.Resume[newest].Updated) {
			newest = i
		}
		if p.AdoptedGlob == "" {
			t.ownRows = true
			if p.Updated.After(t.ownNewest) {
				t.ownNewest = p.Updated
			}
			continue
		}
		i := slices.IndexFunc(t.adopted, func(a adoptedRows) bool { return a.glob == p.AdoptedGlob })
		if i < 0 {
			m := GlobMatcher(p.AdoptedGlob)
			if m == nil {
				continue
			}
			t.adopted = append(t.adopted, adoptedRows{glob: p.AdoptedGlob, match: m})
			i = len(t.adopted) - 1
		}
		if p.Updated.After(t.adopted[i].newest) {
			t.adopted[i].newest = p.Updated
		}
	}
	if newest >= 0 {
		t.hadRows = true
		t.newest = cfg.Resume[newest].Updated
		if cfg.Resume[newest].JavaOnly {
			t.java = &javaStart{row: cfg.Resume[newest]}
		} else if now := time.Now(); t.newest.After(now.Add(t.newGrace)) {
			// (Within the grace, the usual rule still reads a file written
			// while the agent was down: a restart within a small step back.)
			t.clockBack = true
			lg.Warn("The newest checkpoint is later than the clock: the clock was set back since it was saved. "+
				"Files without a checkpoint are read from their start, unless last written before checkpointTimeToLiveDays",
				"checkpointSaved", t.newest.UTC().Format(time.RFC3339), "now", now.UTC().Format(time.RFC3339))
		}
	}
	return t, nil
}

// Run follows the flow's files and sends chunks of records on out until
// ctx is done. Sending blocks when the consumer is slow (back-pressure: the
// files are the buffer). Run closes nothing; it may be called once.
func (t *Tailer) Run(ctx context.Context, out chan<- *record.Chunk) error {
	if !t.running.CompareAndSwap(false, true) {
		return errors.New("tail: Run called twice")
	}
	t.startWatcher(ctx)
	defer t.stopAll()
	t.scan(ctx, false)
	for ctx.Err() == nil {
		t.takeWriteEvents()
		now := time.Now()
		if now.Sub(t.dirChecked) >= time.Second {
			t.dirChecked = now
			if t.watcher.stale() {
				t.scanReq.Store(true) // (its ensure watches the new one)
				t.checkRemoteFS()     // (re-pointed, or mounted over)
			} else if !t.remoteChecked {
				t.checkRemoteFS() // (the directory missing so far: a share mounted late)
			}
		}
		if t.scanReq.Swap(false) || now.Sub(t.lastScan) >= t.scanEvery() ||
			(!t.rescanAt.IsZero() && !now.Before(t.rescanAt)) {
			t.scan(ctx, false)
		}
		read, behind := int64(0), false
		t.pass++
		written, full := t.takeWritten(now)
		turn := t.turnOrder(full, written, now)
		for _, h := range turn {
			if ctx.Err() != nil {
				break
			}
			n, caughtUp := t.pump(ctx, h, out)
			read += n
			behind = behind || !caughtUp
		}
		t.housekeep(ctx, out, turn)
		t.endIteration()
		t.loops.Add(1)
		switch {
		case read == 0:
			t.idle(ctx, t.cfg.MinPoll)
		case !behind:
			t.pause(ctx, coalesce)
		}
	}
	return nil
}

// pause lets a busy writer's lines accumulate for d, but ends early when a
// rescan is requested (a file was created, renamed or removed).
func (t *Tailer) pause(ctx context.Context, d time.Duration) {
	if t.scanReq.Load() {
		return // asked while this iteration ran (a send's light scan keeps the request, not the wake-up)
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tm.C:
			return
		case <-t.wake:
			if t.scanReq.Load() {
				return
			}
		}
	}
}

// idle waits for a change notification or d, at most until the next
// rescan or full pass is due.
func (t *Tailer) idle(ctx context.Context, d time.Duration) {
	for _, at := range [...]time.Time{t.rescanAt, t.nextFull} {
		if !at.IsZero() {
			if until := time.Until(at); until < d {
				d = max(until, time.Millisecond)
			}
		}
	}
	if t.scanReq.Load() {
		return // asked while this iteration ran
	}
	t.openMu.Lock()
	marked := len(t.written) > 0 || t.writtenAll
	t.openMu.Unlock()
	if marked {
		// Writes marked for the next pass: their wake-up may be gone, taken
		// by a send this pass blocked in (an idle flush, a let-go's last
		// line), and nothing else would wake the loop before MinPoll.
		return
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case t.idling <- struct{}{}:
	default:
	}
	select {
	case <-ctx.Done():
	case <-t.wake:
	case <-tm.C:
	}
}

// scanEvery is the period of the full directory rescan.
func (t *Tailer) scanEvery() time.Duration {
	if t.watcher.active() && t.unwatched == 0 && !t.watcher.rescanTargets() && t.remoteFS == "" {
		return t.cfg.MaxRefresh
	}
	return min(t.cfg.MaxRefresh, time.Second)
}

func (t *Tailer) endIteration() {
	switch {
	case t.errs > 0:
		n := t.cfg.Stats.ConsecutiveErrors.Add(1)
		// (Java logs it at every iteration, ten a second: a directory it
		// cannot list buried its log. The count goes on in the metrics.)
		if msg, now := t.lastErr.Error(), time.Now(); msg != t.errLogged || now.Sub(t.errLoggedAt) >= errRepeat {
			t.errLogged, t.errLoggedAt = msg, now
			t.log.Error("Error when processing current input file or when tracking its status",
				"consecutive_errors", n, "err", t.lastErr)
		}
	case t.stuck != nil:
		// Still failing (a directory that cannot be listed, a file that
		// cannot be opened): the next scan retries; an iteration between
		// scans must not reset the count, or alarms on it never fire.
		t.cfg.Stats.ConsecutiveErrors.Add(1)
	default:
		t.cfg.Stats.ConsecutiveErrors.Store(0)
		t.errLogged = "" // (a new run of errors is logged at once)
	}
	t.errs = 0
	t.lastErr = nil
}

func (t *Tailer) fail(err error) {
	t.errs++
	t.lastErr = err
}

// takeWritten returns the write watches with events since the last pass,
// and whether this pass is full: it reads every open file. A pass is full
// when the flow polls, when write events were lost, and at least every
// MinPoll: the safety net for writes inotify does not report (network
// file systems, writes through mmap).
func (t *Tailer) takeWritten(now time.Time) (map[int32]bool, bool) {
	clear(t.writtenPass) // the previous pass's, done with: it collects the next
	t.openMu.Lock()
	written, all := t.written, t.writtenAll
	t.written, t.writtenAll = t.writtenPass, false
	t.openMu.Unlock()
	t.writtenPass = written
	if all || !now.Before(t.nextFull) || !t.watcher.active() {
		t.nextFull = now.Add(t.cfg.MinPoll)
		return written, true
	}
	return written, false
}

// markWritten records a write event of watch wd for the next pass.
func (t *Tailer) markWritten(wd int32) {
	t.openMu.Lock()
	defer t.openMu.Unlock()
	if t.written == nil {
		t.written = map[int32]bool{}
	}
	t.written[wd] = true
}

// markLost records that write events were lost: the next pass is full.
func (t *Tailer) markLost() {
	t.openMu.Lock()
	t.writtenAll = true
	t.openMu.Unlock()
}

// due reports whether a pass that is not full reads h: a file whose last
// read gave data, one not read yet, one without a write watch, one a
// write event names, and one housekeep is about to judge (so that it
// judges by a fresh size). Others are quiet: with many of them beside a
// busy file, reading each on every pass cost an fstat and a read per file
// (500 quiet files: +58 % CPU on the live append, docs/PERFORMANCE.md).
func (t *Tailer) due(h *harvester, written map[int32]bool, now time.Time) bool {
	return h.active || h.pumped == 0 || h.wd == 0 || written[h.wd] || t.settling(h, now)
}

// settling reports whether housekeep acts on h at now: a multi-line
// record to flush for idleness, a file to let go or to close. Those
// decisions need h read in the same pass.
func (t *Tailer) settling(h *harvester, now time.Time) bool {
	if h.f == nil || h.undecided || h.offset < h.size {
		return false
	}
	idle := now.Sub(h.lastData)
	// (A spilled run holds no '\n': the idle flush, which takes a record
	// ending with one, has nothing to do then.)
	return (t.cfg.MultiLineStart != nil && len(h.pend) > 0 && !h.idleFlushd && idle >= t.mlIdle) ||
		(!h.matched && idle >= t.linger) || (h.matched && !h.viaLink && idle >= t.inactive)
}

// turnOrder returns the open harvesters the pass reads (all of them when
// full, else those due), least recently modified first, so that a rotated
// backlog drains before the file that replaced it.
func (t *Tailer) turnOrder(full bool, written map[int32]bool, now time.Time) []*harvester {
	clear(t.order) // no dropped harvester stays reachable from a spare slot
	t.order = t.order[:0]
	for _, h := range t.files {
		if h.f != nil && !h.undecided && (full || t.due(h, written, now)) {
			t.order = append(t.order, h)
		} else if h.f == nil && h.wd != 0 && written[h.wd] {
			// Written while it was being closed for inactivity (the event
			// was read while it was still open), or a closed file whose
			// path an open one shares (a rotated file still read under the
			// live name: the reader goroutine tells a closed file by path):
			// the rescan reopens it, at once.
			t.scanReq.Store(true)
			t.lightReq.Store(true)
		}
	}
	slices.SortFunc(t.order, func(a, b *harvester) int {
		if c := a.modTime.Compare(b.modTime); c != 0 {
			return c
		}
		return cmpString(a.path, b.path)
	})
	return t.order
}

// typeName names the type of a file that is not a regular one, for a log
// line (FileMode's String, "d---------", reads as permissions 000).
func typeName(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "directory"
	case m&os.ModeNamedPipe != 0:
		return "named pipe"
	case m&os.ModeSocket != 0:
		return "socket"
	case m&os.ModeCharDevice != 0:
		return "character device"
	case m&os.ModeDevice != 0:
		return "block device"
	}
	return "irregular file"
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (t *Tailer) stopAll() {
	t.watcher.close()
	t.preMu.Lock()
	for _, p := range t.pre {
		// (Opened on its creation, or found by a scan at a listed name.)
		t.log.Debug("Stopped before a file handed to the next scan was started", "path", p.path, "fileId", p.st.key.fileID())
		p.f.Close()
	}
	t.pre = nil
	t.preMu.Unlock()
	for _, h := range t.files {
		if h.f != nil {
			h.f.Close()
			h.f = nil
		}
	}
	var listed []string
	for _, g := range t.ghosts {
		// Its copy has not been seen yet, and the wait ends here: nothing
		// after a restart knows the bytes were taken. Unless the copy is
		// among the files matched already (the stop came before the scan
		// that would take it): a restart reads it whole.
		if !g.letGo() && g.size > g.done {
			if listed == nil {
				listed, _ = MatchingFiles(t.cfg.Dir, t.cfg.Glob)
			}
			if p, st, head := t.copyAmong(g, listed); p != "" && t.cfg.OnBegin != nil && !t.first {
				// Its starting row, at 0, makes the restart read it whole:
				// rowless, a file older than the rows the stop saves
				// (its drain takes up to shutdownTimeoutMillis) starts at
				// its end.
				t.onBegin(record.Position{Flow: t.cfg.FlowID, Path: p, FileID: st.key.fileID(), Fingerprint: fingerprint(head), ModTime: st.modTime, Size: st.size, Offset: 0})
				t.log.Info("Stopped before the copy of a file truncated before it was read to its end was read: it is read whole after a restart (its lines sent before are sent again)",
					"path", g.path, "copy", p, "offset", g.done)
			} else {
				t.warnUnsent(g, "The agent stopped before a copy of a file truncated or replaced before it was read to its end appeared among the files matched: its unread bytes were not sent", time.Since(g.at).Round(time.Millisecond))
			}
		}
		g.forget()
	}
	t.ghosts = nil
}

// copyAmong returns the first of paths that is another file than g's, not
// begun by this tailer (or only held, undecided), that begins with the
// bytes g read first and holds bytes past what was read (its copy), with
// its stat and first bytes; "" if none.
func (t *Tailer) copyAmong(g ghost, paths []string) (string, fileStat, []byte) {
	buf := make([]byte, fpMax)
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		fi, err := f.Stat()
		head, herr := readHead(f, buf)
		f.Close()
		if err != nil || herr != nil {
			continue
		}
		st, ok := statOf(fi)
		if !ok || st.key == g.key || st.size <= g.done {
			continue // (shorter: an older copy, not one with the unread bytes)
		}
		if h := t.files[st.key]; h != nil && !h.undecided {
			continue // read already, its own row saved
		}
		if len(head) >= len(g.head) && bytes.Equal(head[:len(g.head)], g.head) {
			return p, st, head
		}
	}
	return "", fileStat{}, nil
}

// warnUnsent logs, at WARN, the bytes a truncated file's ghost g knows were
// never read (its last size seen past what was read), when no copy of the
// file turned up to read them from: a copytruncate whose copy went where
// the pattern does not reach (olddir), while the agent was behind.
func (t *Tailer) warnUnsent(g ghost, msg string, waited time.Duration) {
	if g.letGo() || g.size <= g.done {
		return
	}
	t.log.Warn(msg, "path", g.path, "fileId", g.key.fileID(), "offset", g.done, "size", g.size, "unsent", g.size-g.done, "waited", waited)
}

// setOpen counts h in (or out of) the open descriptors of its path. Two
// files can share a path for a while: a rotated file lingers under the
// live name until it is let go, while the new file is read under it.
func (t *Tailer) setOpen(h *harvester, open bool) {
	if h.inOpen == open {
		return
	}
	h.inOpen = open
	t.openMu.Lock()
	if open {
		t.open[h.path]++
	} else if t.open[h.path]--; t.open[h.path] <= 0 {
		delete(t.open, h.path)
	}
	t.openMu.Unlock()
}

func (t *Tailer) isOpen(path string) bool {
	t.openMu.Lock()
	defer t.openMu.Unlock()
	return t.open[path] > 0
}

// poke wakes the loop; scan asks for a directory rescan.
func (t *Tailer) poke(scan bool) {
	if scan {
		t.scanReq.Store(true)
		t.lightReq.Store(true)
	}
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

// warnOnce logs a problem with path once (again if the problem changes).
func (t *Tailer) warnOnce(level slog.Level, path, problem string, args ...any) {
	t.warnOnceAs(level, path, path, problem, args...)
}

// warnOnceAs is warnOnce for a problem with path (none if "") remembered
// under key: two problems of one path logged in turn (the directory that
// can be neither watched nor listed, at every rescan) would each be a
// change of the other's.
func (t *Tailer) warnOnceAs(level slog.Level, key, path, problem string, args ...any) {
	if t.warned[key] == problem {
		return
	}
	t.warned[key] = problem
	if path != "" {
		args = append([]any{"path", path}, args...)
	}
	t.log.Log(context.Background(), level, problem, args...)
}

// Keys of warnings that are not one file's (see warnOnceAs).
const (
	watchDirKey     = "\x00watchdir"     // the directory cannot be watched
	watchFilesKey   = "\x00watch"        // a file cannot be watched for writes
	watchTargetsKey = "\x00watchTargets" // a link target's directory cannot be watched
	fdsKey          = "\x00fds"          // out of descriptors
	fdsHeldKey      = "\x00fdsHeld"      // out of descriptors while a send waits
)

// ---------------------------------------------------------------- scanning

// scan lists the directory and reconciles the tracked files with it. A
// light scan (run while a send is blocked) only opens new files and notes
// renames, so that files deleted soon after creation are still held open.
func (t *Tailer) scan(ctx context.Context, light bool) {
	t.scans.Add(1)
	t.lightReq.Store(false) // (changes from now on ask again)
	now := time.Now()
	if light {
		t.lightScans.Add(1)
		if t.fdFree.Swap(false) {
			t.freeHeld()
		}
	} else {
		t.fdFree.Store(false)
		t.fdShort.Store(false)
		t.openMu.Lock()
		clear(t.held)
		t.openMu.Unlock()
		t.lastScan = now
		t.rescanAt = time.Time{}
		t.scanErr = nil
		defer func() { t.stuck = t.scanErr }()
	}
	t.watcher.ensure(t)
	pre := t.takePreopened()
	defer func() {
		for _, p := range pre {
			p.f.Close()
		}
	}()
	names, links, err := listNames(t.cfg.Dir, t.glob)
	if err != nil && (errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE)) && t.shed() > 0 {
		// Out of descriptors (let-go files' held the last ones): the
		// listing is what finds new files; shed frees let-go files first.
		names, links, err = listNames(t.cfg.Dir, t.glob)
	}
	t.links.Store(links)
	if err == nil {
		t.watcher.syncTargets(t, names, links)
	}
	if err != nil {
		t.warnOnce(slog.LevelError, t.cfg.Dir, "Cannot list directory", "err", err)
		t.fail(err)
		t.scanErr = err
		// A file deleted meanwhile is read only through the descriptor
		// taken for it (opened on its creation, found at a listed name,
		// held by a light scan while a send waits): they wait for the
		// next scan. A full scan gives a closed file its own back first
		// (read, then closed when idle, as a reopen by name would be): it
		// needs no listing, and is read while the listing keeps failing.
		// The others wait for a listing that succeeds: only it can tell
		// whether they are in the pattern (started without, one still
		// there could be read twice).
		for k, p := range pre {
			delete(pre, k)
			if h := t.files[k]; !light && h != nil && h.f == nil && t.holdsSame(h, p.f) {
				t.takeBack(h, p, now)
			} else {
				t.handToNextScan(p)
			}
		}
		return
	}
	if t.warned[t.cfg.Dir] != "" {
		delete(t.warned, t.cfg.Dir)
	}
	seen := make(map[fileKey]bool, len(names))
	if t.listed == nil {
		t.listed = make(map[string]bool, len(names))
	}
	listed := t.listed
	clear(listed)
	type cand struct { // a file of the listing not tracked yet
		path string
		st   fileStat
	}
	var fresh []cand
	var kept map[fileKey]bool // of the first scan's first listing only (see the second)
	reconcile := func(names []string) {
		for _, n := range names {
			p := filepath.Join(t.cfg.Dir, n)
			fi, err := os.Stat(p)
			if err != nil {
				// (A link: not a file renamed away between the two calls
				// and another renamed onto its name, a logrotate shift.)
				if li, lerr := os.Lstat(p); lerr == nil && os.IsNotExist(err) && li.Mode()&os.ModeSymlink != 0 {
					// (One followed until now: its target renamed away, a
					// rotation whose new file is not made yet. Normal on a
					// Kubernetes node, once per rotation: not a warning.)
					level := slog.LevelWarn
					for _, h := range t.files {
						if h.viaLink && h.path == p {
							level = slog.LevelDebug
							break
						}
					}
					t.warnOnce(level, p, "Skipping dangling symbolic link")
				} else if !os.IsNotExist(err) {
					t.warnOnce(slog.LevelError, p, "Cannot stat file", "err", err)
				}
				continue
			}
			if !fi.Mode().IsRegular() {
				t.warnOnce(slog.LevelWarn, p, "Skipping matching entry that is not a regular file", "type", typeName(fi.Mode()))
				continue
			}
			st, ok := statOf(fi)
			listed[p] = true
			if !ok || seen[st.key] {
				continue // a second name (hard or symbolic link) of a file already listed
			}
			seen[st.key] = true
			if h := t.files[st.key]; h != nil {
				if st.size != h.size {
					// Kept current for "bytes behind" (log, /metrics, /status)
					// while reading waits, as during an outage: the tailer's
					// own size moves only when it reads.
					size := st.size
					t.cfg.Stats.UpdateFile(h.fileID, func(s *flowstats.FileState) { s.Size = size })
				}
				if light {
					h.matched, h.ownName = true, false // (back in the pattern: its name is the pattern's again)
					t.setPath(h, p)
					if h.f == nil && !h.undecided && pre[st.key] == nil && !h.unchangedAt(st) && !t.fdShort.Load() {
						t.holdChanged(h, p)
					}
					continue
				}
				if t.refresh(h, p, st) {
					continue
				}
				t.drop(h, "file at this identity was replaced (inode reused)")
			}
			fresh = append(fresh, cand{p, st})
		}
	}
	if t.afterList != nil && !light {
		t.afterList()
	}
	reconcile(names)
	if t.relistNeeded(seen, listed, light) {
		// A file renamed between the listing and the stats (logrotate
		// renaming app.log while a new app.log is created) is in neither:
		// taken for gone, it would be out of the pattern, its position
		// unsaved, until the next scan, and a stop meanwhile would
		// resume it from an older row (duplicates); at the first scan, a
		// file with a checkpoint would start as a new one. One more
		// listing, reconciled afresh, finds it under its new name (and
		// gives the files the first one saw their names now).
		if again, _, err := listNames(t.cfg.Dir, t.glob); err == nil {
			t.log.Debug("Listed the directory again (a tracked file or a checkpoint's file is missing)", "first", t.first, "files", len(again))
			if t.afterRelist != nil && !light {
				t.afterRelist()
			}
			var before []cand
			if t.first {
				before = slices.Clone(fresh)
			}
			names = again
			clear(seen)
			clear(listed)
			fresh = fresh[:0]
			reconcile(names)
			for _, c := range before {
				if !seen[c.st.key] {
					// Found by the first listing, not by this one: renamed
					// between this listing and its stat. Dropped, it was
					// taken for a new file at the next scan and read from
					// 0; its start now finds it gone or replaced at that
					// name, and a later scan resumes it at its checkpoint
					// (lateStart). Not with a descriptor opened on its
					// creation: that would start it under the old name,
					// which is another file's now.
					fresh = append(fresh, c)
					if kept == nil {
						kept = map[fileKey]bool{}
					}
					kept[c.st.key] = true
				}
			}
		}
	}
	if !light {
		var lost map[fileKey]*harvester // closed files gone from the listing
		for k, h := range t.files {
			if seen[k] {
				continue
			}
			if h.undecided {
				t.unmatch(h)
				t.decide(h, now, false) // gone from the listing: it is no copy to wait for
			}
			if h.matched {
				t.unmatch(h)
				t.log.Debug("File no longer matched; reading it to its end before letting it go", "path", h.path)
			}
			if h.f == nil {
				if lost == nil {
					lost = map[fileKey]*harvester{}
				}
				lost[k] = h
			}
		}
		if len(lost) > 0 {
			// Descriptors handed since this scan took them (by this scan's
			// own opens and reopens, or the watcher): one of a lost file
			// is taken back below, in this scan, before it is dropped.
			t.preMu.Lock()
			for k := range lost {
				if p := t.pre[k]; p != nil {
					if pre == nil {
						pre = map[fileKey]*preopened{}
					}
					if pre[k] == nil {
						pre[k] = p
					} else {
						p.f.Close()
					}
					delete(t.pre, k)
				}
			}
			t.preMu.Unlock()
		}
		for k, h := range lost {
			// Its descriptor handed to this scan (opened at another name,
			// listed or created: renamed there, then deleted or renamed on):
			// taken back, and read from where it was, to its end. Started
			// as a new file, it was read again from 0.
			p := pre[k]
			if p == nil || !t.holdsSame(h, p.f) {
				// (Another file on its freed inode: started below as a
				// new one, once h is dropped.)
				continue
			}
			delete(pre, k)
			delete(lost, k)
			t.takeBack(h, p, now)
		}
		if len(lost) > 0 {
			alive := t.relocate(lost, now)
			for _, h := range lost {
				if p, ok := alive[h.key]; ok && h.done() > 0 && len(h.head) > 0 {
					// Still in the directory under another name: let go as
					// an open file is (a ghost holding a descriptor, so
					// that its inode cannot go to a new file meanwhile):
					// if it comes back (renamed back into the pattern, or
					// a listing missed it), it resumes where it was read.
					if f, _ := t.openSame(h, p, false); f != nil {
						t.ghosts = append(t.ghosts, ghost{head: slices.Clone(h.head), done: h.done(), at: now, path: h.path, src: h.src, key: h.key, f: f,
							discarding: h.sp.skipping && h.sp.countSkip})
					}
				}
				t.drop(h, "")
			}
		}
		for k, w := range t.waiting {
			if !seen[k] {
				delete(t.waiting, k)
			} else if w != nil {
				t.rescanSoon(now)
			}
		}
		for k := range t.rewritten {
			if !seen[k] && !kept[k] {
				delete(t.rewritten, k) // (gone before it was begun)
			}
		}
		t.ghosts = slices.DeleteFunc(t.ghosts, func(g ghost) bool {
			if now.Sub(g.at) > t.ghostTTL {
				t.warnUnsent(g, "A file was truncated or replaced before it was read to its end, and no copy of it appeared among the files matched: its unread bytes were not sent", t.ghostTTL)
				g.forget()
				return true
			}
			return false
		})
		// Files gone from the listing leave no trace: a new file per run
		// (api_caller) must not grow these for the life of the agent.
		for k := range t.unreadable {
			if !seen[k] {
				delete(t.unreadable, k)
			}
		}
		for k := range t.lateStart {
			if !seen[k] && pre[k] == nil {
				// (One whose descriptor was handed to this scan is
				// started below: at its checkpoint still.)
				delete(t.lateStart, k)
			}
		}
		if len(t.warned) > 0 {
			for p := range t.warned { // (listNames returns names sorted)
				if filepath.Dir(p) != t.cfg.Dir {
					continue // the directory's own entry, other keys
				}
				if _, found := slices.BinarySearch(names, filepath.Base(p)); !found {
					delete(t.warned, p)
				}
			}
		}
	}
	for k, h := range t.files {
		if h.matched && !seen[k] && listed[h.path] {
			t.unmatch(h)
		}
	}
	if t.first && t.java != nil {
		for _, c := range fresh {
			t.java.consider(c.path, c.st)
		}
	}
	var stopAt time.Time
	for _, c := range fresh {
		if ctx.Err() != nil {
			if !t.first {
				return
			}
			// A stop does not cut the first scan short: the rows of the
			// files it reached would make the newest checkpoint newer than
			// the others, and the next start would take such a file,
			// written while the agent was down, for an old one. Unless it
			// takes too long (a huge or slow directory): then it stops as
			// a crash would, saving none of its rows.
			if stopAt.IsZero() {
				stopAt = time.Now()
			} else if time.Since(stopAt) > t.firstStopGrace {
				t.log.Warn("Stopped amid the first scan; its starting rows are not saved", "files", len(t.firstRows))
				t.firstRows = nil
				return
			}
		}
		var f *os.File
		if p := pre[c.st.key]; p != nil && !kept[c.st.key] {
			f = p.f
			delete(pre, c.st.key)
		}
		t.start(c.path, c.st, f, now, light, true)
	}
	// Opened on creation but gone from the listing already (deleted or
	// renamed out of the pattern): read them to their end all the same.
	for k, p := range pre {
		delete(pre, k)
		if h := t.files[k]; h != nil && h.f == nil {
			// A closed file's inode. A light scan does not reopen closed
			// files: the full scan decides (taken back by the file, or
			// another file on its freed inode, started as a new one). A
			// full scan's reopen by name may have failed (renamed on, or
			// deleted, since the listing): the file takes it back.
			if light {
				t.handToNextScan(p)
				continue
			}
			if t.holdsSame(h, p.f) {
				t.takeBack(h, p, now)
				continue
			}
		}
		if t.files[k] != nil || seen[k] {
			p.f.Close()
			continue
		}
		t.start(p.path, p.st, p.f, now, light, false)
		if h := t.files[k]; h != nil {
			if h.undecided && !light {
				t.decide(h, now, false)
			}
		}
	}
	if !light && t.first {
		t.resumeRotatedAway(now)
		t.handFirstRows()
		t.dropResumeRows()
	}
}

// dropResumeRows forgets, once the first scan has placed every file, the
// checkpoint rows it no longer needs: all but those of files it could not
// open yet (lateStart, unreadable). Rows are matched to files at the first
// scan only, and a flow with many file names within
// checkpointTimeToLiveDays held them all for the agent's life (200,000
// rows: 98 MiB).
func (t *Tailer) dropResumeRows() {
	keep := map[string]bool{}
	for k := range t.lateStart {
		keep[k.fileID()] = true
	}
	for k := range t.unreadable {
		keep[k.fileID()] = true
	}
	kept := make(map[string][]record.Position, len(keep))
	for fid, rows := range t.resume {
		if keep[fid] {
			kept[fid] = rows
		}
	}
	t.resume = kept
	t.cfg.Resume = nil
}

// resumeRotatedAway reads, from their checkpoints to their end, files that
// left the pattern while the agent was down with lines not yet sent: an
// exact file name rotated by logrotate (app.log -> app.log.1, a new
// app.log), which the listing no longer names (Java loses those lines
// too). Only files still in the flow's directory, and known as the row's
// own file by a fingerprint of the whole leading KiB or by a birth time
// from before the row was saved. They are let go once read, as files
// renamed out of the pattern while the agent runs.
func (t *Tailer) resumeRotatedAway(now time.Time) {
	want := map[string]record.Position{}
	for fid, rows := range t.resume {
		for _, r := range rows {
			if r.JavaOnly || r.Fingerprint == "" {
				continue // (no fingerprint to know the file by)
			}
			if b, ok := want[fid]; !ok || r.Updated.After(b.Updated) {
				want[fid] = r
			}
		}
	}
	for k := range t.files {
		delete(want, k.fileID())
	}
	if len(want) == 0 {
		return
	}
	ents, err := os.ReadDir(t.cfg.Dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		if len(want) == 0 {
			return
		}
		if !e.Type().IsRegular() || t.glob.match(e.Name()) || excludedName(e.Name()) {
			continue // (the listing's: a listed file the scan could not open starts later)
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		st, ok := statOf(fi)
		r, found := want[st.key.fileID()]
		if !ok || !found || st.size <= r.Offset || t.files[st.key] != nil {
			continue
		}
		p := filepath.Join(t.cfg.Dir, e.Name())
		f, err := t.openFile(p)
		if err != nil {
			continue
		}
		head, err := readHead(f, make([]byte, fpMax))
		born, bornKnown := t.birthTime(f)
		bornBefore := bornKnown && !time.Unix(0, born).After(r.Updated.Add(t.newGrace))
		if match, _ := fingerprintMatches(r.Fingerprint, head); err != nil || !match || !fullPrint(r.Fingerprint) && !bornBefore {
			f.Close()
			continue
		}
		delete(want, st.key.fileID())
		t.log.Info("File left the pattern while the agent was down with lines not sent; reading it from its checkpoint to its end",
			"path", p, "checkpoint", fmt.Sprintf("%s@%d", r.Path, r.Offset))
		// Its position is saved under its own name: the row it was found
		// by is under the name the pattern's new file takes (its starting
		// row replaces it in this same scan), and a restart before its
		// lines are acknowledged would lose them, or, without a new file
		// there, send them again at every start.
		t.rotatedAway[st.key] = true
		t.start(p, st, f, now, false, false)
		delete(t.rotatedAway, st.key)
	}
}

// relocate looks for closed files that left the listing under another name
// in the flow's directory (renamed out of the pattern: app.log ->
// app.log.1) and changed since they were closed. Such a file is reopened,
// if its device, inode and first KiB are those of the lost file, and read
// to its end before it is let go, so that lines written between the close
// and the rename are not lost. Files shorter than a KiB when closed are not
// looked for (their identity is too weak to read a file outside the
// pattern). Found files are removed from lost; the directory is listed in
// full only when lost is not empty. alive holds the lost files seen in the
// directory (under any name).
func (t *Tailer) relocate(lost map[fileKey]*harvester, now time.Time) (alive map[fileKey]string) {
	ents, err := os.ReadDir(t.cfg.Dir)
	if err != nil {
		return nil
	}
	alive = map[fileKey]string{}
	for _, e := range ents {
		if len(lost) == 0 {
			return alive
		}
		if !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		st, ok := statOf(fi)
		h := lost[st.key]
		if !ok || h == nil {
			continue
		}
		alive[st.key] = filepath.Join(t.cfg.Dir, e.Name())
		// Only a file known by a full fingerprint: a deleted file's inode is
		// reused at once on ext4, and a stranger outside the pattern that
		// starts with the same few bytes (or anything, for a file that was
		// empty) must not be read. A file cannot have shrunk either.
		if len(h.head) < fpMax || st.size < h.done() {
			continue
		}
		if h.unchangedAt(st) {
			continue // unchanged: nothing left to read
		}
		p := filepath.Join(t.cfg.Dir, e.Name())
		if _, same := t.reopen(h, p, now, false); !same {
			continue // not openable, or another file at this identity
		}
		delete(lost, st.key)
		t.log.Debug("Closed file changed and left the pattern; reading it to its end before letting it go", "path", p)
	}
	return alive
}

// relistNeeded reports whether a scan's listing may have missed a file
// renamed while it was read: a file still matched, missing from the
// listing (seen) but still linked (in a light scan, only one whose name
// now holds another file: it does not unmatch the others); at the first
// scan, a checkpoint row whose file is missing. One fstat per such file,
// only when files disappear (and a second listing at a start with rows of
// deleted files).
func (t *Tailer) relistNeeded(seen map[fileKey]bool, listed map[string]bool, light bool) bool {
	for k, h := range t.files {
		if seen[k] || !h.matched || h.f == nil || light && !listed[h.path] {
			continue
		}
		if fi, err := h.f.Stat(); err == nil && !unlinked(fi) {
			return true
		}
	}
	if t.first && len(t.resume) > 0 {
		ids := make(map[string]bool, len(seen))
		for k := range seen {
			ids[k.fileID()] = true
		}
		for fid := range t.resume {
			if !ids[fid] {
				return true
			}
		}
	}
	return false
}

func (t *Tailer) rescanSoon(now time.Time) {
	at := now.Add(t.cfg.MinPoll)
	if t.rescanAt.IsZero() || at.Before(t.rescanAt) {
		t.rescanAt = at
	}
}

func (t *Tailer) setPath(h *harvester, p string) {
	if h.path == p {
		syncSource(h)
		return
	}
	t.log.Info("File renamed; continuing with the same descriptor", "from", h.path, "to", p, "offset", h.done())
	open := h.inOpen
	t.setOpen(h, false)
	h.path = p
	t.setOpen(h, open)
	t.renameWatch(h)
	syncSource(h)
	t.reportRenamed(h)
	t.cfg.Stats.UpdateFile(h.fileID, func(s *flowstats.FileState) { s.Path = p })
}

// syncSource brings h's Source in line with h: its path, and whether its
// checkpoint row may be written, which is only while the pattern matches
// the file. Once it has left the pattern (renamed out, deleted), its last
// name may be another file's (logrotate's new app.log), whose row a late
// acknowledgement of the old file must not overwrite.
func syncSource(h *harvester) {
	if h.src == nil {
		return
	}
	if h.src.PathNow() != h.path {
		h.src.SetPath(h.path)
	}
	h.src.SetDetached(!h.matched && !h.ownName)
}

// unmatch marks h as out of the pattern.
func (t *Tailer) unmatch(h *harvester) {
	h.matched = false
	syncSource(h)
}

// refresh reconciles a tracked file with its listing. It returns false
// when the file at this identity is not the one tracked (inode reuse).
func (t *Tailer) refresh(h *harvester, p string, st fileStat) bool {
	h.matched, h.ownName = true, false // (back in the pattern: its name is the pattern's again)
	if h.undecided {
		if h.path != p {
			h.path = p
			t.renameWatch(h)
			syncSource(h)
			t.reportRenamed(h)
		}
		t.decide(h, time.Now(), true)
		return true
	}
	if h.f != nil {
		// The descriptor pins the inode, so it cannot have been reused;
		// check for truncation and for content rewritten in place.
		t.setPath(h, p)
		t.checkTruncated(h, st.size)
		if st.size != h.offset {
			h.active = true // grown (or shrunk): read at the next pass
		}
		return true
	}
	if h.unchangedAt(st) {
		t.setPath(h, p) // closed and unchanged
		return true
	}
	// Closed and changed: the inode may belong to another file now.
	opened, same := t.reopen(h, p, time.Now(), true)
	if !opened {
		return true // (reopen counts a permission error)
	}
	if !same {
		// Other content at this inode: truncated while closed (copytruncate
		// of a quiet file) or the inode reused. As for an open file's
		// truncation, remember what was read, so that a copy continues at
		// the offset already read instead of being sent again.
		t.rememberRead(h, h.size)
		if t.rewritten == nil {
			t.rewritten = map[fileKey]bool{}
		}
		t.rewritten[h.key] = true
		return false
	}
	if st.size < h.done() {
		t.truncated(h, st.size, h.seenSize())
	}
	return true
}

// reopen opens the closed file h at p and, if it still starts with the
// bytes h knows, takes it as h's descriptor (at path p). opened is false
// when p could not be opened or names another inode by now; same is false
// when it holds another file. listed: p is a name of the scan's listing
// (see openSame).
func (t *Tailer) reopen(h *harvester, p string, now time.Time, listed bool) (opened, same bool) {
	f, opened := t.openSame(h, p, listed)
	if f == nil {
		return opened, false
	}
	t.setPath(h, p)
	h.f = f
	h.lastData = now
	h.active = true // it changed while closed: read at the next pass
	t.setOpen(h, true)
	t.watchWrites(h) // it may be another inode (or its watch was dropped)
	return true, true
}

// openSame opens p if it is still the closed file h: its inode, starting
// with the bytes h knows. f is nil otherwise; opened is false when p could
// not be opened or names another inode by now, true when it is h's inode
// holding another file.
func (t *Tailer) openSame(h *harvester, p string, listed bool) (f *os.File, opened bool) {
	f, err := t.openFile(p)
	if err != nil {
		if os.IsPermission(err) && h.matched {
			t.scanErr = err // counted until it can be read, as a new file is
		}
		return nil, false
	}
	// The name may have been given to another file since it was listed
	// (renamed over): that one is not h, and taking it would make two
	// harvesters of one inode. h is left closed for the next scan, which
	// the rename's notification asks for. At a listed name (listed), the
	// other file goes to that scan with this descriptor, as in start.
	if fi, err := f.Stat(); err != nil {
		f.Close()
		return nil, false
	} else if st, ok := statOf(fi); !ok || st.key != h.key {
		if listed && ok && fi.Mode().IsRegular() {
			t.handOtherOn(f, p, st)
		} else {
			f.Close()
		}
		return nil, false
	}
	if !t.holdsSame(h, f) {
		f.Close()
		return nil, true
	}
	return f, true
}

// holdChanged opens the closed file h, changed at p since it was closed
// (a write notification asks for this scan), and hands the descriptor to
// the next scan (light scans, while a send waits: they decide nothing).
// Deleted before the full scan, the file would lose what was written
// since. That scan gives the descriptor back to h if h is gone from the
// listing (takeBack), starts it as a new file if it holds another content
// now (rewritten in place: `cmd > app.log`), and closes it otherwise (h
// reopened by name). Later light scans hand it on (see scan).
func (t *Tailer) holdChanged(h *harvester, p string) {
	f, err := t.openFile(p)
	if err != nil {
		return // (the full scan reports it)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return
	}
	st, ok := statOf(fi)
	if !ok || !fi.Mode().IsRegular() {
		f.Close()
		return
	}
	if st.key != h.key {
		t.handOtherOn(f, p, st) // renamed over since the listing
		return
	}
	if t.handToNextScan(&preopened{f: f, path: p, st: st}) && h.wd != 0 {
		t.openMu.Lock()
		if t.held == nil {
			t.held = map[int32]bool{}
		}
		t.held[h.wd] = true
		t.openMu.Unlock()
	}
}

// isHeld reports whether wd is the write watch of a closed file whose
// descriptor a light scan holds (see held).
func (t *Tailer) isHeld(wd int32) bool {
	t.openMu.Lock()
	defer t.openMu.Unlock()
	return t.held[wd]
}

// handOtherOn hands f, another file found at a closed file's listed name p
// (renamed over it), to the next scan, unless that file is open already:
// deleted before the scan, it is still read (a closed file's, it takes it
// back at that scan, see scan).
func (t *Tailer) handOtherOn(f *os.File, p string, st fileStat) {
	if o := t.files[st.key]; o == nil || o.f == nil {
		t.handToNextScan(&preopened{f: f, path: p, st: st})
		t.poke(true)
		return
	}
	f.Close()
}

// takeBack gives the closed file h the descriptor p of its inode, handed
// to the scan (see holdsSame): read from where it was.
func (t *Tailer) takeBack(h *harvester, p *preopened, now time.Time) {
	h.f = p.f
	h.lastData = now
	h.active = true
	t.setOpen(h, true)
	t.watchWrites(h)
	t.log.Debug("Closed file reopened by a descriptor taken at another name", "path", h.path, "openedAt", p.path)
}

// holdsSame reports whether f, a descriptor of h's inode, still holds h's
// file. A file created since on the freed inode of a deleted one (ext4
// reuses it at once) may start with the same bytes: a job's log recreated
// with `rm; job > job.log`. Its birth time tells it, where the head known
// is too short to (a whole leading KiB is trusted: a birth time can change
// for the same file, as an overlayfs copy-up does).
func (t *Tailer) holdsSame(h *harvester, f *os.File) bool {
	if born, ok := t.birthTime(f); ok && h.born != 0 && born != h.born && len(h.head) < fpMax {
		return false
	}
	head, err := readHead(f, t.head)
	return err == nil && len(head) >= len(h.head) && bytes.Equal(head[:len(h.head)], h.head)
}

// headFromRead lengthens h's known head with the bytes just read at
// h.offset that fall in its first KiB, before headOK compares the file's
// head with it: the head is the bytes that were read, not what the file
// holds by the check (a copytruncate in between made the new content's
// head the one of the bytes read: the copy was read again and as many
// new bytes skipped). pump takes the lengthening back when the check
// fails (the read may have taken a new content's bytes).
func (t *Tailer) headFromRead(h *harvester, read []byte) {
	l := int64(len(h.head))
	if l >= fpMax || h.offset > l || h.offset+int64(len(read)) <= l {
		return
	}
	h.head = append(h.head, read[l-h.offset:min(int64(len(read)), fpMax-h.offset)]...)
}

// headOK re-reads the first bytes of an open file: false when they no
// longer start with the bytes seen before (truncated and rewritten, a case
// a size check misses once the file has grown past the read offset). It
// lengthens the known head up to fpMax as the file grows.
func (t *Tailer) headOK(h *harvester) bool {
	head, err := readHead(h.f, t.head)
	if err != nil {
		t.fail(readErr(h.path, err))
		return true
	}
	if len(head) < len(h.head) || !bytes.Equal(head[:len(h.head)], h.head) {
		return false
	}
	if len(head) > len(h.head) {
		h.head = append(h.head[:0], head...)
		if h.src != nil {
			// Saved checkpoints then cover what was checked: a file
			// rewritten while the agent is stopped, with the same first
			// line, is no longer taken for the one read.
			h.src.SetFingerprint(fingerprint(h.head))
		}
	}
	return true
}

// checkTruncated restarts h when its file is shorter than the read offset
// or its first bytes changed; it reports whether it did.
func (t *Tailer) checkTruncated(h *harvester, size int64) bool {
	if size < h.offset || !t.headOK(h) {
		t.truncated(h, size, h.seenSize())
		return true
	}
	return false
}

// truncated restarts a file that was truncated (or rewritten) at offset 0
// and remembers what had been read, for its copy. size is the new
// content's; last the size last seen of the content read.
func (t *Tailer) truncated(h *harvester, size, last int64) {
	t.log.Info("File was truncated; reading it again from the start",
		"path", h.path, "size", size, "offset", h.done())
	if t.cfg.MultiLineStart != nil && len(h.pend) > 0 {
		// A multi-line record held for its next start line or the idle
		// wait (complete lines: Java would have sent them at their read).
		// A truncation in place leaves no copy to resume it from: sent
		// from what was read. The ghost then ends after it, so a copy,
		// if there is one, does not send it again.
		t.consume(nil, h, nil, append([]byte(nil), h.pend...), splitIdle)
	}
	t.rememberRead(h, last)
	h.waitSize, h.waitStop = 0, false
	h.offset = 0
	h.pend, h.spill = h.pend[:0], 0
	h.readBackErr = time.Time{} // (the new content's last line gets its own linger)
	h.head = h.head[:0]
	h.forgetReads(0)
	if h.src != nil {
		// The content before the truncation: its late acknowledgements are
		// not saved. Under the name it had then, which a rotation may since
		// have given to another file, its row would replace that file's
		// and, one row per file id, delete this file's under its new name.
		// The file's row is its new content's; a copy has its own.
		h.src.SetDetached(true)
		h.src.Release()
	}
	h.src, h.copyOf = nil, nil // a new content lifetime: new Source, offsets start again
	h.startRow, h.beginOff = 0, 0
	h.holeCheck, h.holeMin = true, 1
	h.sp.reset(t.cfg.SkipHeaderLines)
	h.hdrFrom = -1
	h.holeSkipped = 0
	h.lastData = time.Now()
	h.idleFlushd = false
	h.active = true
	t.cfg.Stats.UpdateFile(h.fileID, func(s *flowstats.FileState) { s.ReadOffset, s.AckedOffset, s.Size = 0, 0, size })
}

// rememberRead keeps what was read of h's content (its head, the offset
// done, its Source, the size it was last seen with) as a ghost, for a copy
// of it made before it was truncated or replaced.
func (t *Tailer) rememberRead(h *harvester, last int64) {
	if h.done() > 0 && len(h.head) > 0 {
		t.ghosts = append(t.ghosts, ghost{head: slices.Clone(h.head), done: h.done(), at: time.Now(), path: h.path, src: h.src, key: h.key, size: last,
			discarding: h.sp.skipping && h.sp.countSkip, seeks: h.samples(), win: slices.Clone(h.win), winEnd: h.winEnd})
	}
}

func (t *Tailer) openFile(p string) (*os.File, error) {
	f, err := t.openFn(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil && (errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE)) && t.shed() > 0 {
		f, err = t.openFn(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	}
	if err != nil {
		switch {
		case os.IsPermission(err):
			t.warnOnce(slog.LevelError, p, "Cannot read file: permission denied", "err", err)
		case errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE):
			// At most once a minute, not once per file: a burst of files
			// out of descriptors logged an ERROR for each (1,495 in a
			// second).
			if now := time.Now(); now.Sub(t.fdOpenLogged) >= time.Minute {
				t.fdOpenLogged = now
				t.log.Error("Cannot open files: out of file descriptors; they are opened when descriptors are free (raise LimitNOFILE)", "path", p, "err", err, "note", "logged at most every minute")
			}
		case !os.IsNotExist(err):
			t.warnOnce(slog.LevelError, p, "Cannot open file", "err", err)
		}
		return nil, err
	}
	if t.warned[p] != "" {
		delete(t.warned, p)
	}
	return f, nil
}

// shed closes the descriptors of matched files that are fully read (they
// are reopened when a rescan sees them change), when the process runs out
// of descriptors. It returns how many it closed.
func (t *Tailer) shed() int {
	n := 0
	// Let-go files' descriptors first: they only guard a file coming back.
	t.ghosts = slices.DeleteFunc(t.ghosts, func(g ghost) bool {
		if g.f != nil {
			g.forget()
			n++
			return true
		}
		return false
	})
	for _, h := range t.files {
		// (Not one holding a record to send: a truncation's (orphans), or
		// a multi-line one held for its next start line, which a
		// truncation while closed would drop.)
		if h.f != nil && h.matched && !h.undecided && h.offset >= h.size && len(h.orphans) == 0 &&
			(t.cfg.MultiLineStart == nil || len(h.pend) == 0) {
			// h.size may be a few passes old (due): check it is all read.
			if fi, err := h.f.Stat(); err != nil || fi.Size() > h.offset {
				continue
			}
			h.f.Close()
			h.f = nil
			t.setOpen(h, false)
			n++
		}
	}
	t.warnOnceAs(slog.LevelWarn, fdsKey, "", "Out of file descriptors; closed quiet fully-read files", "closed", n)
	return n
}

// fdReserve is how many descriptors freeHeld gives back.
const fdReserve = 32

// freeHeld closes up to fdReserve of the files light scans began while a
// send waits (held, not read yet), when a light scan runs out of
// descriptors. Held, the files new during an outage took every descriptor
// there was, and the send waited on could never open a connection again:
// the agent stalled until restarted (a connection refused or timing out
// during the outage needs new ones). Their starting rows stay; the next
// full scan, after the send, starts them again (deleted meanwhile, their
// lines are lost: out of descriptors, something is).
func (t *Tailer) freeHeld() {
	n := 0
	for k, h := range t.files {
		if n == fdReserve {
			break
		}
		// Only a file the next full scan lists again: still at its name
		// in the pattern (not one renamed out or deleted since: it would
		// never be read), and not a possible copy held while it grows
		// (waiting: a compress step may delete it).
		if !h.undecided || h.f == nil || h.src != nil || h.offset != 0 || t.waiting[k] != nil ||
			!t.glob.match(filepath.Base(h.path)) || excludedName(filepath.Base(h.path)) {
			continue
		}
		if fi, err := os.Stat(h.path); err != nil {
			continue
		} else if st, ok := statOf(fi); !ok || st.key != k {
			continue
		}
		t.log.Debug("Out of file descriptors while a send waits: closed a file found meanwhile; read after the send", "path", h.path, "fileId", h.fileID)
		t.drop(h, "")
		n++
	}
	// And those the watcher opened on their creation, not taken by a scan
	// yet: the next full scan's listing finds the files again.
	t.preMu.Lock()
	for k, p := range t.pre {
		if n == fdReserve {
			break
		}
		p.f.Close()
		delete(t.pre, k)
		n++
	}
	t.preMu.Unlock()
	t.warnOnceAs(slog.LevelWarn, fdsHeldKey, "", "Out of file descriptors while a send waits: closed files found meanwhile, so that sends can open connections; they are read after the send", "closed", n)
}

// start begins tracking a file not tracked before.
// A light start (while a send is blocked) only holds the descriptor; the
// decision waits for the next full scan, as it may restart other files.
func (t *Tailer) start(p string, st fileStat, f *os.File, now time.Time, light, matched bool) {
	if f == nil {
		if light && t.fdShort.Load() {
			return // (the next full scan starts it)
		}
		var err error
		if f, err = t.openFile(p); err != nil {
			t.log.Debug("Cannot open listed file", "path", p, "fileId", st.key.fileID(), "err", err)
			if light && (errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE)) {
				t.fdShort.Store(true)
				t.freeHeld()
			}
			if t.first && t.ownRow(st.key.fileID()) {
				// Opened later (made readable, renamed between listing and
				// open, out of descriptors): it resumes at its checkpoint
				// then, as it would have at the start. Only on a row whose
				// fingerprint can tell a file rewritten meanwhile (ownRow).
				t.lateStart[st.key] = true
			}
			if os.IsPermission(err) {
				t.reportUnreadable(p, st, matched)
				if matched {
					t.scanErr = err // counted until it can be read (ERROR logged once)
				}
			}
			return
		}
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		t.fail(fmt.Errorf("stat %s: %w", p, err))
		return
	}
	st2, ok := statOf(fi)
	if !ok || !fi.Mode().IsRegular() {
		f.Close()
		return
	}
	if t.onOpen != nil {
		t.onOpen(st2.key)
	}
	if st2.key != st.key {
		t.log.Debug("File replaced between listing and open", "path", p, "listed", st.key.fileID(), "opened", st2.key.fileID())
		// Replaced between listing and open; the next scan sees the listed
		// one under its new name (rotated: it resumes at its checkpoint
		// then, as it would have now), and takes the new one with this
		// descriptor, as one opened on its creation: deleted meanwhile
		// (delete-and-create rotation, the watcher late or not yet
		// watching), it is still read.
		if t.first && t.ownRow(st.key.fileID()) {
			t.lateStart[st.key] = true
		}
		t.handToNextScan(&preopened{f: f, path: p, st: st2})
		t.poke(true)
		return
	}
	st = st2
	head, err := readHead(f, make([]byte, fpMax))
	if err != nil {
		f.Close()
		t.fail(readErr(p, err))
		return
	}
	h := &harvester{
		key:       st.key,
		fileID:    st.key.fileID(),
		path:      p,
		f:         f,
		size:      st.size,
		modTime:   st.modTime,
		matched:   matched,
		lastData:  now,
		undecided: true,
		hdrFrom:   -1,
	}
	h.born, _ = t.birthTime(f)
	h.ownName = !matched && t.rotatedAway[st.key]
	if t.links.Load() {
		if li, err := os.Lstat(p); err == nil && li.Mode()&os.ModeSymlink != 0 {
			h.viaLink = true
		}
	}
	h.sp = newSplitter(t.cfg.MultiLineStart, t.cfg.Footer, t.cfg.AggregatedRecordSizeBytes, t.cfg.ReadBufferBytes, 0)
	h.sp.flushAt = t.cfg.MultiLineFlushBytes
	t.files[st.key] = h
	t.watchWrites(h)
	if t.first || t.lateStart[st.key] {
		delete(t.lateStart, st.key)
		t.begin(h, st, head, t.initialOffset(p, st, f, head))
		return
	}
	// A file found after the first scan starts at 0 unless it turns out to
	// be a copy; its decision may wait (a blocked send, a possible copy).
	// Report offset 0 now, so that a crash before the decision resumes it
	// from its start instead of skipping it (never loss; at worst a copy's
	// bytes twice).
	t.report(h, st.modTime, st.size, head, 0)
	if !light {
		t.decide(h, now, true)
	}
}

// reportUnreadable gives a matched file that cannot be opened (permission
// denied) a starting row at 0, once, unless a checkpoint or this run
// already knows where it is: an operator who grants access restarts the
// agent (a new group needs a new process), and after the restart a file
// without a row would be taken for an old one and started at its end.
func (t *Tailer) reportUnreadable(p string, st fileStat, matched bool) {
	if t.cfg.OnBegin == nil || !matched || t.unreadable[st.key] {
		return
	}
	t.unreadable[st.key] = true
	fid := st.key.fileID()
	if len(t.resume[fid]) > 0 {
		return
	}
	for _, g := range t.ghosts {
		if g.letGo() && g.key == st.key {
			return // let go earlier in this run: its row is saved
		}
	}
	t.onBegin(record.Position{Flow: t.cfg.FlowID, Path: p, FileID: fid, ModTime: st.modTime, Size: st.size, Offset: 0})
}

// reportRenamed moves the starting row of a file to its new name, unless
// a chunk of it has reached the acknowledgement stage, which saves its
// position under the new name.
func (t *Tailer) reportRenamed(h *harvester) {
	if !h.matched || t.cfg.OnBegin == nil {
		return
	}
	if h.src == nil { // not read yet
		off := h.offset
		if h.undecided || h.pred != nil {
			off = 0
		}
		t.report(h, h.modTime, h.size, h.head, off)
		return
	}
	// Read already, but its chunks may not have reached the stage: its
	// first line is still being read, or they wait behind a slow or failed
	// destination (queued, or in send). Its only row would stay under the
	// old name, where the file now there (logrotate's new app.log) writes
	// its own, and a restart would take this file, rowless, for an old one
	// and start it at its end. The stage ignores this row once a chunk of
	// the file is tracked (the Source's fingerprint tells it).
	t.onBegin(record.Position{Flow: t.cfg.FlowID, Path: h.path, FileID: h.fileID,
		Fingerprint: h.src.Fingerprint(), ModTime: h.modTime, Size: h.size, Offset: h.startRow})
}

// report tells OnBegin where h starts.
func (t *Tailer) report(h *harvester, modTime time.Time, size int64, head []byte, off int64) {
	if t.cfg.OnBegin == nil || !h.matched && !h.ownName {
		return // out of the pattern: its name may be another file's
	}
	t.onBegin(record.Position{Flow: t.cfg.FlowID, Path: h.path, FileID: h.fileID,
		Fingerprint: fingerprint(head), ModTime: modTime, Size: size, Offset: off})
}

// onBegin hands a starting row to OnBegin; the first scan's wait until it
// is complete, so that a crash amid it saves none of them (saved alone,
// they would make the newest checkpoint newer than the files not reached).
func (t *Tailer) onBegin(p record.Position) {
	if t.first {
		t.firstRows = append(t.firstRows, p)
		return
	}
	t.cfg.OnBegin(p)
}

// handFirstRows ends the first scan's wait: its rows go to OnBegin.
func (t *Tailer) handFirstRows() {
	t.first = false
	if len(t.firstRows) > 0 {
		t.cfg.OnBegin(t.firstRows...)
	}
	t.firstRows = nil
}

// decide settles where a file found after the first scan starts (0, or the
// shipped offset of the file it is a copy of). While that is unclear it
// stays undecided, holding its descriptor so that deleting it loses nothing.
func (t *Tailer) decide(h *harvester, now time.Time, mayWait bool) {
	fi, err := h.f.Stat()
	if err != nil {
		t.fail(fmt.Errorf("stat %s: %w", h.path, err))
		return
	}
	st, _ := statOf(fi)
	head, err := readHead(h.f, make([]byte, fpMax)) // not t.head: copyOffset reads other heads
	if err != nil {
		t.fail(readErr(h.path, err))
		return
	}
	off, pred, discarding, wait := t.copyOffset(h.path, h.f, st, head, h.born, now)
	if wait && mayWait {
		return
	}
	h.pred = pred
	t.begin(h, st, head, off)
	if discarding {
		// It starts inside a line longer than the buffer whose first bytes
		// went out from the original: the rest is discarded, as it was
		// being there (not sent as a record of its own).
		h.sp.skipping, h.sp.countSkip = true, true
		h.sp.zeros = false // (a zero byte before off is the line's, not a hole's)
	}
}

// begin starts reading h at off.
func (t *Tailer) begin(h *harvester, st fileStat, head []byte, off int64) {
	delete(t.waiting, h.key)
	h.undecided = false
	h.head = append(h.head[:0], head...)
	h.offset, h.beginOff = off, off
	h.forgetReads(off)
	h.size, h.modTime = st.size, st.modTime
	// Begun at 0: maybe a file rewritten while closed or while the agent
	// was down by a writer without O_APPEND, beginning with a hole (see
	// skipHole). (Not a copy: its start is its original's.)
	h.holeCheck, h.holeMin = off == 0 && h.pred == nil, holeRunMin
	if t.rewritten[h.key] {
		delete(t.rewritten, h.key)
		h.holeMin = 1 // (as for a truncation seen)
	}
	hdr := 0
	if off == 0 {
		hdr = t.cfg.SkipHeaderLines
	} else if t.cfg.SkipHeaderLines > 0 {
		// Started past 0 (END_OF_FILE, a checkpoint, a copy): the header
		// lines not yet in the file are still skipped when they arrive
		// (§3.5, §3.9).
		hdr = t.cfg.SkipHeaderLines - t.linesBefore(h.f, off, t.cfg.SkipHeaderLines)
	}
	h.sp.reset(hdr)
	h.hdrFrom = -1
	h.holeSkipped = 0
	if off > 0 {
		// Begun inside a hole (a checkpoint or a copy's offset saved
		// between two reads of one; a record never ends with a zero byte
		// but for a cut or a last line): the rest of it is dropped too,
		// however short, not sent glued to the next line.
		var b [1]byte
		if n, _ := h.f.ReadAt(b[:], off-1); n == 1 && b[0] == 0 {
			h.sp.zeros = true
		}
	}
	t.setOpen(h, true)
	t.cfg.Stats.SetFile(flowstats.FileState{Path: h.path, FileID: h.fileID, Size: st.size, ReadOffset: off, AckedOffset: off})
	t.log.Info("Started tailing file", "path", h.path, "fileId", h.fileID, "offset", off, "size", st.size)
	if h.pred != nil {
		off = 0 // a copy: its real start depends on the original's in-flight records
	}
	h.startRow = off
	t.report(h, st.modTime, st.size, h.head, off)
}

// initialOffset is where a file present at the first scan starts (§3.5).
func (t *Tailer) initialOffset(p string, st fileStat, f *os.File, head []byte) int64 {
	fid := st.key.fileID()
	var best record.Position
	found := false
	for _, c := range t.resume[fid] {
		switch {
		case t.javaOnlyElsewhere(c, p):
			// Rows only the Java agent wrote have no fingerprint to tell a
			// reused inode from the file they were saved for. Java resumes
			// only its newest row (§4), following renames; its other rows
			// are used for a file at their own path only.
			continue
		case !found:
			best, found = c, true
			continue
		}
		if (c.Path == p) != (best.Path == p) {
			if c.Path == p {
				best = c
			}
			continue
		}
		if c.Updated.After(best.Updated) {
			best = c
		}
	}
	if found {
		match, known := fingerprintMatches(best.Fingerprint, head)
		at := fmt.Sprintf("%s@%d", best.Path, best.Offset)
		born, bornKnown := t.birthTime(f)
		switch {
		case known && !match && !shorterThanPrint(best.Fingerprint, head):
			// Other leading bytes: the inode now belongs to another file.
			t.log.Info("Checkpoint's file identity was reused by another file; not resuming from it",
				"path", p, "fileId", fid, "checkpoint", at)
		case match && !fullPrint(best.Fingerprint) && bornKnown && time.Unix(0, born).After(best.Updated.Add(t.newGrace)):
			// Its first bytes match a short fingerprint, but it was created
			// after the checkpoint was saved: likely a new file on the freed
			// inode of a deleted one (ext4 gives it out at once) that starts
			// with the same bytes, a job's log recreated while the agent was
			// down. Read from 0: if the clocks disagree instead (the row
			// saved under a clock behind), that is duplicates, not a loss.
			t.log.Info("Checkpoint's file identity may have been reused by a new file (created after the checkpoint); reading it from the start",
				"path", p, "fileId", fid, "checkpoint", at)
			return 0
		case known && !match, st.size < best.Offset:
			// Truncated (or rewritten shorter) while the agent was down.
			t.log.Warn("Failed to start tailing from previous checkpoint "+at+
				": the file is shorter than its checkpoint; reading it from the start", "path", p, "size", st.size)
			return 0
		default:
			t.log.Info("Successfully started tailing from previous checkpoint "+at, "path", p)
			return best.Offset
		}
	}
	if t.fromStart(p, st) {
		return 0
	}
	return t.endOffset(f, st.size)
}

// fromStart reports whether a file without a usable checkpoint, found at
// the first scan, is read from its start (else from its end).
func (t *Tailer) fromStart(p string, st fileStat) bool {
	// (Rows taken over from an edited flow tell only of the files its glob
	// matched: against another, only the flow's own rows count, and with
	// none it is new to this flow, as at a first start.)
	newest, known := t.newestFor(filepath.Base(p))
	switch {
	case !t.hadRows, !known:
		return !t.cfg.StartAtEnd
	case t.java != nil:
		// Upgraded from the Java agent: placed as Java would. Java read one
		// file at a time; the files newer than the one it was in were
		// waiting their turn (§3.3): from 0. So is a file written since its
		// last checkpoint. The older ones it had finished or passed over:
		// at their end.
		return st.modTime.After(newest) || t.java.pending(st.modTime)
	}
	// This agent saves a row for every file it starts, so a file without
	// one that changed, or arrived, after the last checkpoint is new to it:
	// written while the agent was down, or moved or restored into the
	// directory keeping an older mtime (mv, cp -p, rsync -a, tar x set the
	// change time). One unchanged since is an old file whose row expired,
	// or one it never reached; so is one last written before the rows'
	// time to live, even renamed (by logrotate, while the agent was down).
	recent := t.cfg.RowTTL <= 0 || st.modTime.After(time.Now().Add(-t.cfg.RowTTL))
	if t.clockBack {
		// The clock was set back since the last checkpoint was saved (a
		// boot with a fast clock that NTP stepped back, a clock behind at
		// boot, a VM restored from a snapshot): it tells nothing about
		// which files came since, and one written while the agent was down
		// would look old. Duplicates rather than a loss.
		return recent
	}
	since := newest.Add(-t.newGrace)
	return st.modTime.After(since) || st.changeTime.After(since) && recent
}

// adoptedRows is what the rows taken over from one flow no longer
// configured tell: of the files its glob matches, the newest save.
type adoptedRows struct {
	glob   string
	match  func(name string) bool
	newest time.Time
}

// newestFor is the newest checkpoint save that tells of the file named
// name: this flow's own rows (it saves one for every file it starts), and
// those taken over from a flow whose glob matches it; known is false when
// no row tells of it (the file is new to the flow as at a first start).
func (t *Tailer) newestFor(name string) (n time.Time, known bool) {
	n, known = t.ownNewest, t.ownRows
	for _, a := range t.adopted {
		if a.match(name) {
			known = true
			if a.newest.After(n) {
				n = a.newest
			}
		}
	}
	return n, known
}

// shorterThanPrint reports a fingerprint over more bytes than the file has now.
func shorterThanPrint(fp string, head []byte) bool {
	var n int
	if _, err := fmt.Sscanf(fp, "%d:", &n); err != nil {
		return false
	}
	return len(head) < n
}

// endOffset is END_OF_FILE positioning: just past the last '\n' within the
// last ReadBufferBytes of the file (a trailing partial line is kept), or
// the start of that window when it holds no '\n'.
func (t *Tailer) endOffset(f *os.File, size int64) int64 {
	lo := max(0, size-int64(t.cfg.ReadBufferBytes))
	buf := make([]byte, 64<<10)
	for end := size; end > lo; {
		s := max(lo, end-int64(len(buf)))
		n, err := f.ReadAt(buf[:end-s], s)
		if err != nil && !errors.Is(err, io.EOF) {
			t.fail(err)
			return lo
		}
		if i := bytes.LastIndexByte(buf[:n], '\n'); i >= 0 {
			return s + int64(i) + 1
		}
		end = s
	}
	return lo
}

// linesBefore counts the newlines in f before off, up to limit.
func (t *Tailer) linesBefore(f *os.File, off int64, limit int) int {
	buf := make([]byte, 64<<10)
	n := 0
	for pos := int64(0); pos < off && n < limit; {
		k, err := f.ReadAt(buf[:min(int64(len(buf)), off-pos)], pos)
		for b := buf[:k]; n < limit; n++ {
			i := bytes.IndexByte(b, '\n')
			if i < 0 {
				break
			}
			b = b[i+1:]
		}
		if err != nil || k == 0 {
			if err != nil && !errors.Is(err, io.EOF) {
				t.fail(err)
			}
			break
		}
		pos += int64(k)
	}
	return n
}

// copyOffset decides where a file that appeared after the first scan
// starts: 0, or, when its leading bytes show it is a copy of a file that
// was truncated (copytruncate), the offset already read from the original.
// wait asks to decide later: the file may be a copy still being written or
// one whose original is not truncated yet.
//
// pred is the original's Source when the file continues a copy (its
// chunks up to off may still be in flight); discarding, that off is inside
// a line longer than the read buffer whose rest the original was dropping.
// born is the file's birth time (birthTime; 0: not known).
func (t *Tailer) copyOffset(p string, f io.ReaderAt, st fileStat, head []byte, born int64, now time.Time) (off int64, pred *record.Source, discarding, wait bool) {
	for i := len(t.ghosts) - 1; i >= 0; i-- {
		g := t.ghosts[i]
		if !samePrefix(head, g.head) || !g.letGo() && g.key == st.key {
			continue // (a truncated file rewritten in place: new content, read from 0)
		}
		if !g.letGo() && born != 0 && born > g.at.UnixNano() {
			// Created after the truncation was seen: a copy is made before
			// the truncation, so this is another file that begins with the
			// same bytes (a CSV header, a banner), read from 0. (A clock
			// stepped back in between costs duplicates, not a loss. File
			// times come from a coarse clock, a tick behind: a file made
			// within that tick after the truncation was seen may still be
			// taken for its copy.)
			continue
		}
		if g.letGo() && (g.key != st.key || len(head) < len(g.head) || st.size < g.done) {
			// A let-go file comes back whole, as the same inode: a shorter
			// file there is a new one (its inode reused), read from 0.
			continue
		}
		if (len(head) < len(g.head) || st.size < g.done) && t.keepWaiting(st, now) {
			// Maybe a copy still being written: wait while it grows.
			return 0, nil, false, true
		}
		if len(head) == 0 {
			continue
		}
		if !g.letGo() && !holdsSeek(f, st.size, g) {
			// Its first bytes only are the original's: another file that
			// begins alike (a CSV header, a banner; `cp report.csv
			// latest.csv` truncating latest.csv just after the report was
			// made) was taken for the copy, and its lines up to the
			// offset read of the original were never sent.
			continue
		}
		// Its bytes are (a prefix of) what was already shipped.
		off := min(g.done, st.size)
		g.forget()
		t.ghosts = slices.Delete(t.ghosts, i, i+1)
		if g.letGo() {
			t.log.Info("File came back into the pattern; continuing at the offset already read",
				"path", p, "was", g.path, "offset", off)
		} else {
			t.log.Info("File is a copy of a truncated file; continuing at the offset already read",
				"path", p, "original", g.path, "offset", off)
		}
		return off, g.src, g.discarding && off == g.done, false
	}
	// A prefix of a live file: maybe a copy being written, or a copy whose
	// original is about to be truncated. Wait a little while it grows.
	for _, h := range t.files {
		if h.undecided || !h.matched || len(h.head) == 0 || !samePrefix(head, h.head) {
			continue
		}
		// Its original, if h is, may be truncated by now: its ghost then
		// takes the copy. (Only a file whose first bytes this one begins
		// with: checked for every live file, a burst of new files cost
		// new × live fstats and reads in one scan, minutes for thousands,
		// and no file of the flow was read meanwhile.)
		if h.f != nil && len(head) > 0 {
			if fi, err := h.f.Stat(); err == nil && t.checkTruncated(h, fi.Size()) {
				return t.copyOffset(p, f, st, head, born, now)
			}
		}
		if len(head) > len(h.head) && len(h.head) < fpMax && (h.f != nil || t.unchangedSinceClose(h)) {
			continue // longer than the file's whole content: differs after it
		}
		// (A closed file that changed since it was read may have grown,
		// been copied and truncated: the scan sees that when it reaches
		// it, maybe after this copy, whose name sorts first. Wait for it.)

		if t.keepWaiting(st, now) {
			return 0, nil, false, true
		}
		break
	}
	return 0, nil, false, false
}

// holdsSeek reports whether the file read through f, of size size, holds
// what the truncated file g read where g read it. A copy made before the
// truncation holds every byte of the original up to its own end. A
// look-alike (another file with the same first KiB: a shared CSV header)
// differs where its rows are, or is shorter: taken for the copy, it was
// started at the offset read, its lines lost.
//
// Only bytes past g's first bytes count (the first KiB is compared
// already: a look-alike shares them), each once, and it must match on at
// least seekEvidence of those g kept, or on all of them when g kept fewer
// (a file begun at its end or at a checkpoint that read one short line
// since: its copy was sent again whole; of those below its end when it
// ends where a read of g ended, the bytes past it read after the copy); a
// single byte reached, or
// samples that lay in a shared header, took look-alikes for copies. Every
// kept byte it reaches must match. A file not known so is another file,
// read from 0 (a copy then: duplicates, never loss; so is a copy that
// ends before all the bytes kept past the first KiB: a burst read in one
// read between the copy and the truncation). A ghost without them
// (truncated before any read of its content) cannot tell: its copy is
// known by the first KiB.
func holdsSeek(f io.ReaderAt, size int64, g ghost) bool {
	if f == nil || len(g.seeks) == 0 {
		return true
	}
	skip := int64(len(g.head))
	type kept struct {
		from int64
		b    []byte
	}
	ks := make([]kept, 0, 1+2*len(g.seeks))
	if len(g.win) > 0 {
		ks = append(ks, kept{g.winEnd - int64(len(g.win)), g.win})
	}
	for i := range g.seeks {
		s := &g.seeks[i]
		ks = append(ks, kept{s.start, s.h[:s.hn]}, kept{s.end - int64(s.tn), s.t[:s.tn]})
	}
	var held, below, compared spans
	var buf [winLen]byte
	for _, k := range ks {
		lo, hi := max(k.from, skip), k.from+int64(len(k.b))
		if lo >= hi {
			continue // (within the first bytes)
		}
		held.add(lo, hi)
		if hi = min(hi, size); lo >= hi {
			continue // (not reached)
		}
		below.add(lo, hi)
		n, err := f.ReadAt(buf[:hi-lo], lo)
		if err != nil && !(errors.Is(err, io.EOF) && int64(n) == hi-lo) {
			return false // (shrunk meanwhile: not the copy it was)
		}
		if !bytes.Equal(buf[:n], k.b[lo-k.from:hi-k.from]) {
			return false
		}
		compared.add(lo, hi)
	}
	need := held.len()
	for i := range g.seeks {
		if g.seeks[i].end == size {
			// It ends where a read of g ended (a copy made between two
			// reads, the file quiet): the bytes kept past it were read
			// after the copy (a line between the copy and the truncation).
			need = below.len()
			break
		}
	}
	return compared.len() >= min(seekEvidence, need)
}

// spans is a set of byte ranges [from, to), for counting bytes once.
type spans [][2]int64

func (s *spans) add(from, to int64) { *s = append(*s, [2]int64{from, to}) }

// len is how many bytes the ranges cover.
func (s spans) len() int64 {
	slices.SortFunc(s, func(a, b [2]int64) int { return cmp.Compare(a[0], b[0]) })
	var n, end int64
	for _, r := range s {
		if r[1] <= end {
			continue
		}
		n += r[1] - max(r[0], end)
		end = r[1]
	}
	return n
}

// unchangedAt reports whether st (of h's inode) has the size and mtime h
// had when it was last read: nothing left to read.
func (h *harvester) unchangedAt(st fileStat) bool {
	return st.size == h.offset && st.modTime.Equal(h.modTime)
}

// unchangedSinceClose reports whether the closed file h is still at its
// path with the size and mtime it had when it was closed: its whole
// content is what was read of it.
func (t *Tailer) unchangedSinceClose(h *harvester) bool {
	fi, err := os.Stat(h.path)
	if err != nil {
		return false
	}
	st, ok := statOf(fi)
	return ok && st.key == h.key && h.unchangedAt(st)
}

// keepWaiting reports whether a new file whose role is unclear should
// wait: until its size has not changed for copyWait, and never longer than
// maxCopyWaits × copyWait in all.
func (t *Tailer) keepWaiting(st fileStat, now time.Time) bool {
	w := t.waiting[st.key]
	if w == nil {
		w = &waitState{first: now, since: now, size: st.size}
		t.waiting[st.key] = w
	} else if st.size != w.size {
		w.since, w.size = now, st.size
	}
	if now.Sub(w.since) < t.copyWait && now.Sub(w.first) < maxCopyWaits*t.copyWait {
		t.rescanSoon(now)
		return true
	}
	return false
}

// drop forgets a file.
func (t *Tailer) drop(h *harvester, why string) {
	t.unwatchWrites(h)
	t.setOpen(h, false)
	if h.f != nil {
		h.f.Close()
		h.f = nil
	}
	if why != "" {
		t.log.Info("Stopped tailing file", "path", h.path, "fileId", h.fileID, "reason", why, "offset", h.done(), "size", h.size)
	}
	delete(t.files, h.key)
	if h.ownName {
		// Let go (deleted, or read and quiet): its name may be gone, and its
		// inode given to a new file of the pattern, whose starting row a
		// late acknowledgement saved under the old name would delete (the
		// store keeps one row per file id). Not saved any more: a start
		// that finds it again sends its unacknowledged tail again.
		h.ownName = false
		syncSource(h)
	}
	if len(h.orphans) > 0 { // (not pumped since its truncation: gone with it)
		for _, c := range h.orphans {
			c.ReleaseData()
		}
		h.orphans, h.orphansOf = nil, nil
		t.orphaned--
	}
	if h.src != nil {
		h.src.Release()
	}
	t.cfg.Stats.DropFile(h.fileID)
}

// ----------------------------------------------------------------- reading

// truncatedByRead restarts h on a truncation a read of pump found: last is
// the size pump saw of the content read (its ghost keeps it), and becomes
// the new content's.
func (t *Tailer) truncatedByRead(h *harvester, last *int64) {
	size := t.sizeAgain(h)
	t.truncated(h, size, max(*last, h.waitSize))
	*last = size
}

// sizeAgain takes h's size anew, for a truncation found by a read: the
// size pump's fstat saw was the old content's, and the stats, told it,
// kept it while the new content was read to its end (the next pass,
// finding nothing to read, tells them nothing).
func (t *Tailer) sizeAgain(h *harvester) int64 {
	if size, _, err := sizeOf(h.f); err == nil {
		h.size = size
	}
	return h.size
}

// skipHole starts h's new content, after a truncation, past the zero bytes
// it begins with: its writer did not open it with O_APPEND (`cmd > file`,
// a logger's "w" mode) and writes on at its old offset, so the file begins
// with a hole as long as the old content. Read, it went out as records of
// zero bytes, cut at the record limit (the writer's next line cut off with
// them, lost). The writer's bytes are read from where they begin.
//
// It runs once per truncation, once the new content has bytes, at its
// first read, and reports whether it moved h past a hole.
func (t *Tailer) skipHole(h *harvester) bool {
	if !h.holeCheck {
		return false
	}
	if h.offset != 0 || h.src != nil || h.unaccounted() != 0 {
		h.holeCheck = false
		return false
	}
	size, _, err := sizeOf(h.f)
	if err != nil || size == 0 {
		return false // (nothing written yet: checked at the next read)
	}
	h.holeCheck = false
	h.size = max(h.size, size)
	end := holeEnd(h.f, size)
	if end == 0 || end < h.holeMin {
		return false
	}
	h.offset, h.beginOff = end, end
	t.cfg.Stats.BytesDiscarded.Add(end)
	t.log.Warn("File begins with zero bytes, a hole its writer left: truncated or rewritten, it goes on at its old offset (it does not append: `cmd > file` instead of `cmd >> file`); they were skipped",
		"path", h.path, "skipped", end, "size", h.size)
	return true
}

// holeEnd returns where f's data begins after the zero bytes at its start,
// size if it has nothing else, 0 if it begins with data.
func holeEnd(f *os.File, size int64) int64 {
	var first [1]byte
	if n, _ := f.ReadAt(first[:], 0); n == 1 && first[0] != 0 {
		return 0 // (most files: one byte read)
	}
	// SEEK_DATA jumps over the unallocated part (ext4, xfs, btrfs, tmpfs);
	// a file system without it reports data at 0, and the zeros are read.
	off, err := f.Seek(0, unix.SEEK_DATA)
	switch {
	case errors.Is(err, syscall.ENXIO):
		return size // a hole to its end
	case err != nil || off > size:
		off = 0
	}
	buf := make([]byte, 64<<10)
	for off < size {
		n, err := f.ReadAt(buf[:min(int64(len(buf)), size-off)], off)
		for i := 0; i < n; i++ {
			if buf[i] != 0 {
				return off + int64(i)
			}
		}
		off += int64(n)
		if n == 0 || err != nil {
			break
		}
	}
	return off
}

// pump reads what one file has and sends it as chunks; it returns the
// number of bytes read, and false when its turn (maxReadsPerTurn reads)
// ended before the end of the file.
func (t *Tailer) pump(ctx context.Context, h *harvester, out chan<- *record.Chunk) (read int64, caughtUp bool) {
	if h.f == nil {
		return 0, true
	}
	t.pumps.Add(1)
	if len(h.orphans) > 0 {
		t.sendOrphans(ctx, out, h)
	}
	h.active = false
	if t.beforeSize != nil {
		t.beforeSize(h)
	}
	size, mtime, err := sizeOf(h.f)
	if err != nil {
		t.failOrLetGo(ctx, out, h, fmt.Errorf("stat %s: %w", h.path, err))
		return 0, true
	}
	h.pumped = t.pass    // read in this pass: housekeep may judge it
	last := h.seenSize() // (seen before: a truncation's ghost keeps it)
	h.size, h.modTime = size, mtime
	h.waitSize, h.waitStop = 0, false
	if t.afterSize != nil {
		t.afterSize(h)
	}
	if h.size < h.offset {
		t.truncated(h, h.size, last)
	}
	if h.size == h.offset {
		if h.src == nil && h.pred != nil && h.unaccounted() == 0 {
			t.anchorCopy(ctx, h, out)
		}
		t.spillRun(h)  // (a turn that ended exactly at the end of the file)
		return 0, true // nothing new; a read at the end would return nothing
	}
	if t.skipHole(h) && h.size == h.offset {
		return 0, true
	}
	var total int64
	// h.f may be closed under the loop: a send blocked in consume runs
	// light scans, and a start there out of descriptors sheds idle files.
	for i := 0; i < maxReadsPerTurn && ctx.Err() == nil && h.f != nil; i++ {
		// With a spilled run pend is empty: the new bytes alone are read,
		// and most often they do not end it (nothing is copied again).
		want := max(chunkCap, len(h.pend))
		data := append(t.scratch[:0], h.pend...)
		data = slices.Grow(data, want)
		// Kept at once: an idle file's poll reads nothing, and dropping the
		// grown buffer then made 256 KiB of garbage per open file per poll
		// (2.5 MB/s and a GC cycle every few seconds in an idle agent).
		t.scratch = data[:0]
		if h.holeCheck && t.skipHole(h) && h.size == h.offset {
			return total, true // (truncated by a read of this turn)
		}
		n, err := h.f.ReadAt(data[len(data):len(data)+want], h.offset)
		if err != nil && !errors.Is(err, io.EOF) {
			t.failOrLetGo(ctx, out, h, readErr(h.path, err))
			return total, true
		}
		if n == 0 {
			t.spillRun(h) // the last read ended exactly at the end of the file
			return total, true
		}
		known := len(h.head)
		t.headFromRead(h, data[len(data):len(data)+n])
		if t.afterRead != nil {
			t.afterRead(h)
		}
		// Checked after the read: if the file was truncated and refilled
		// before it, the bytes read are not the continuation; drop them.
		if !t.headOK(h) {
			// The bytes read may be the new content's: the ghost keeps the
			// head verified before the read (a mixed one matched no copy).
			h.head = h.head[:known]
			t.truncatedByRead(h, &last)
			continue
		}
		// The bytes read are the content's, and so was this pass's fstat
		// (before them): a truncation found later in this turn leaves at
		// least that much behind.
		last = max(last, h.size, h.offset+int64(n))
		h.noteRead(data[len(data):len(data)+n], h.offset+int64(n))
		if len(h.head) > known && h.src != nil {
			h.src.SetFingerprint(fingerprint(h.head))
		}
		data = data[:len(data)+n]
		t.scratch = data[:0]
		if h.spill > 0 && (bytes.IndexByte(data, '\n') >= 0 || h.spill+int64(n) >= int64(h.sp.max)) {
			// These bytes end the spilled run: read it back, with them.
			spill := h.spill
			if t.beforeBack != nil {
				t.beforeBack(h)
			}
			whole, err := t.readBack(h, n)
			if err != nil {
				t.fail(readErr(h.path, err))
				return total, true // (read again from h.offset next time)
			}
			if whole == nil || !t.headOK(h) {
				// Shorter than what was read, or truncated and refilled
				// since the check above: rewritten. The run is not
				// accounted for (readBack took it): the copy's ghost ends
				// before it.
				h.spill = spill
				t.truncatedByRead(h, &last)
				continue
			}
			data = whole
		}
		h.offset += int64(n)
		if h.offset > h.size {
			// Written between the fstat and this read (a write(2) seen
			// half done by the fstat): the file has at least what was
			// read. Else the stats kept the half size until the file
			// grew again, since the next pass, finding the size it read
			// to, has nothing to read and nothing to tell them.
			h.size = h.offset
		}
		h.lastData = time.Now()
		h.idleFlushd = false
		h.active = true
		total += int64(n)
		if h.spill > 0 {
			// Nothing in them can end a record yet (split would account
			// for none of the run): it grows, still unheld. The file's
			// size goes to the stats as consume would ("bytes behind").
			h.spill += int64(n)
			size := h.size
			t.cfg.Stats.UpdateFile(h.fileID, func(s *flowstats.FileState) { s.Size = size })
			if n < want {
				return total, true
			}
			continue
		}
		t.consume(ctx, h, out, data, splitNormal)
		if n < want {
			// At the end of the file: the writer may be mid-line.
			t.spillRun(h)
			return total, true
		}
	}
	// The turn ended before the end of the file (unless the file was
	// closed under the loop or the tailer is stopping).
	return total, h.f == nil || ctx.Err() != nil
}

// failOrLetGo counts err, an fstat or a read of h that failed, as an
// error of the pass, unless the descriptor is dead for good (goneErr: a
// file deleted or replaced on an NFS server, or by another client, gives
// ESTALE): then h is let go. Gone from its name, it is let go as a deleted
// file is, its unterminated last line held in memory shipped; still at
// its name (or renamed), a ghost lets the next scan meet it again and
// resume where it was read. Before, pump returned before housekeep could
// judge the file, which stayed tracked (in /status) with an ERROR a
// minute and ConsecutiveProcessingErrors climbing for ever.
func (t *Tailer) failOrLetGo(ctx context.Context, out chan<- *record.Chunk, h *harvester, err error) {
	if !goneErr(err) {
		t.fail(err)
		return
	}
	// The descriptor is dead (ESTALE: a handle the file server no longer
	// knows; it never recovers); the file may still be there. Let go of
	// the descriptor in every case, with a ghost (below) so that the file
	// met again at a name (its own, reopened by the next scan; another
	// one, renamed within the pattern) resumes where it was read when its
	// first bytes match, and a new file that got its inode number is read
	// from 0.
	deleted, here := false, false
	if h.matched {
		fi, serr := os.Stat(h.path)
		switch {
		case serr == nil:
			st, ok := statOf(fi)
			here = ok && st.key == h.key
		case errors.Is(serr, os.ErrNotExist):
			deleted = true // (gone from its name; not known elsewhere)
		default:
			t.fail(err) // (the path cannot be told about either: kept)
			return
		}
		t.unmatch(h)
	}
	lost := h.unaccounted()
	if lost > 0 && h.spill == 0 && !here {
		// (A spilled run is on the file only: it cannot be read back.)
		// Still at its name, it is read again from the start of that
		// line instead (its writer may be amid it): not cut in two.
		t.consume(ctx, h, out, append(t.scratch[:0], h.pend...), splitFinal)
		lost = h.unaccounted()
	}
	if here {
		// (Once per path: a server that keeps failing it is met again at
		// every scan.)
		t.warnOnce(slog.LevelWarn, h.path, "File can no longer be read through its descriptor (a stale handle: the file server no longer knows it); opening it again by its name at the next scan",
			"fileId", h.fileID, "offset", h.done(), "size", h.size, "err", err)
	} else {
		t.log.Warn("File can no longer be read and its name no longer names it (deleted on the file server, or by another client of it); letting it go",
			"path", h.path, "fileId", h.fileID, "offset", h.done(), "size", h.size, "unsent_bytes", lost, "err", err)
	}
	if !deleted && h.done() > 0 && len(h.head) > 0 {
		// (src: the content lifetime read, or, not begun yet, the one it
		// resumed: the chain to in-flight chunks is kept.)
		t.ghosts = append(t.ghosts, ghost{head: slices.Clone(h.head), done: h.done(), at: time.Now(), path: h.path, src: cmp.Or(h.src, h.pred), key: h.key,
			discarding: h.sp.skipping && h.sp.countSkip, stale: true})
	}
	t.drop(h, "") // (met again at the next scan: every second on a network file system)
}

// goneErr reports an error of an open file's descriptor that does not
// pass: the file's handle is stale (NFS, SMB, FUSE: deleted on the server
// or by another client), or the descriptor is gone.
func goneErr(err error) bool {
	return errors.Is(err, syscall.ESTALE) || errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.EBADF) || errors.Is(err, os.ErrClosed)
}

// spillRun lets go of h's pending bytes when they are a long run with no
// '\n' (harvester.spill): they are read back when the run ends.
func (t *Tailer) spillRun(h *harvester) {
	if len(h.pend) > spillAt && bytes.IndexByte(h.pend, '\n') < 0 {
		h.spill, h.pend = int64(len(h.pend)), nil
	}
}

// readBack returns h's unaccounted bytes and the next more bytes,
// [h.done(), h.offset+more), in t.scratch: pend (more is then 0), or a
// spilled run read again from the file, which ends the spill. It returns
// nil when the file no longer holds them all.
func (t *Tailer) readBack(h *harvester, more int) ([]byte, error) {
	if h.spill == 0 {
		return append(t.scratch[:0], h.pend...), nil
	}
	n := int(h.spill) + more // pend is empty while spilled
	data := slices.Grow(t.scratch[:0], n)[:n]
	t.scratch = data[:0]
	k, err := h.f.ReadAt(data, h.done())
	if k < n {
		if errors.Is(err, io.EOF) {
			err = nil
		}
		return nil, err
	}
	h.spill = 0
	return data, nil
}

// ensureSource gives h the Source of its chunks, at its first chunk.
func (t *Tailer) ensureSource(h *harvester) {
	if h.src != nil {
		return
	}
	if len(h.head) == 0 || (len(h.head) < fpMax && int64(len(h.head)) < h.size) {
		if head, err := readHead(h.f, t.head); err == nil && samePrefix(head, h.head) {
			h.head = append(h.head[:0], head...)
		}
	}
	if len(h.head) >= 2 && (h.head[0] == 0xFF && h.head[1] == 0xFE || h.head[0] == 0xFE && h.head[1] == 0xFF) {
		// Lines are cut at newline bytes, as in Java: UTF-16 text (a
		// Windows tool's log, PowerShell's > redirect) goes out as records
		// of halves of characters, each but the first led by a zero byte.
		t.log.Warn("File begins with a UTF-16 byte order mark: its lines are cut at newline bytes, as the Java agent does, and its records are not valid text; write it in UTF-8 (iconv -f UTF-16 -t UTF-8)",
			"path", h.path)
	}
	h.src = record.NewSource(t.cfg.FlowID, h.path, h.fileID, h.key.dev, h.key.ino, fingerprint(h.head))
	h.src.Predecessor, h.copyOf, h.pred = h.pred, h.pred, nil
	h.src.Start = h.beginOff
	h.anchorDue = h.copyOf != nil
	syncSource(h)
}

// anchorCopy sends a copytruncate copy that has nothing new to read (the
// agent had kept up with its original) a chunk of no bytes at its starting
// offset. Its row then moves from the 0 reported when it was begun to the
// original's acknowledged position (held there while the original's last
// chunks are in flight); without it a restart sent the whole copy again.
func (t *Tailer) anchorCopy(ctx context.Context, h *harvester, out chan<- *record.Chunk) {
	t.ensureSource(h)
	c := t.newChunk(h, h.offset, time.Now(), 0)
	t.send(ctx, out, h, c)
}

// consume splits data (h's pending bytes followed by new ones; it ends at
// h.offset) and sends the records as chunks.
func (t *Tailer) consume(ctx context.Context, h *harvester, out chan<- *record.Chunk, data []byte, mode splitMode) {
	base := h.offset - int64(len(data))
	t.ensureSource(h)
	now := time.Now()
	c := t.newChunk(h, base, now, len(data))
	if h.hdrFrom >= 0 {
		c.Start = h.hdrFrom
	}
	consumed := h.sp.split(data, mode, func(s, e int) {
		rec := data[s:e]
		if len(c.Data)+len(rec) > cap(c.Data) {
			if len(c.Ends) > 0 {
				c.End = base + int64(s)
				t.send(ctx, out, h, c)
				h.hdrFrom = -1
				c = t.newChunk(h, base+int64(s), now, len(data)-s)
			}
			if len(rec) > cap(c.Data) {
				c.ReleaseData()
				c.Data, c.Ends = make([]byte, 0, len(rec)), make([]int, 0, 1)
			}
		}
		c.Append(rec, base+int64(s))
	})
	c.End = base + int64(consumed)
	// Bytes without records (header lines, discarded bytes) still move the
	// position, except while header lines are left to skip: a restart
	// resumes at 0 then and skips them all again, where one past the first
	// of two header lines would send the second as a record.
	if len(c.Ends) > 0 || (c.End > c.Start && h.sp.headerLeft == 0) {
		h.lastEnds = len(c.Ends)
		h.hdrFrom = -1
		t.send(ctx, out, h, c)
	} else {
		if c.End > c.Start && h.hdrFrom < 0 {
			h.hdrFrom = c.Start
		}
		c.ReleaseData()
		if h.anchorDue {
			// A copy whose bytes end no record yet (it ends mid-line: a
			// copy of a file being written): anchored as anchorCopy does,
			// or its row stayed at 0 and a restart sent it all again.
			t.send(ctx, out, h, t.newChunk(h, c.Start, now, 0))
		}
	}
	rest := data[consumed:]
	if cap(h.pend) > 64<<10 && len(rest) <= 16<<10 {
		h.pend = append([]byte(nil), rest...) // (nil when empty)
	} else {
		h.pend = append(h.pend[:0], rest...)
	}
	if cap(t.scratch) > 1<<20 && len(h.pend) < chunkCap/2 {
		// A line of megabytes grew the read buffer: not kept for the
		// agent's life (its size is the longest line's plus a read).
		t.scratch = make([]byte, 0, chunkCap)
	}
	if h.sp.runaways > 0 {
		t.cfg.Stats.RecordsLargerThanBuffer.Add(h.sp.runaways)
		t.cfg.Stats.BytesDiscarded.Add(h.sp.discarded)
		// offset: where in the file the (first) record starts, for tail -c
		// or dd.
		t.log.Warn("Detected record larger than buffer size; emitted its first bytes and discarded the rest of the line",
			"path", h.path, "offset", base+int64(h.sp.firstRunaway), "records", h.sp.runaways, "bufferSize", t.cfg.ReadBufferBytes, "bytesDiscarded", h.sp.discarded)
		h.sp.runaways, h.sp.discarded = 0, 0
	} else if h.sp.discarded > 0 {
		t.cfg.Stats.BytesDiscarded.Add(h.sp.discarded)
		h.sp.discarded = 0
	}
	if h.sp.holeBytes > 0 {
		t.cfg.Stats.BytesDiscarded.Add(h.sp.holeBytes)
		if h.holeSkipped == 0 {
			h.holeFrom = base + int64(h.sp.firstHole)
		}
		h.holeSkipped += h.sp.holeBytes
		h.sp.holeBytes = 0
	}
	if h.holeSkipped > 0 && !h.sp.zeros {
		// (Told once the run ends: one that spans many reads, once.)
		t.log.Warn("Skipped zero bytes at the start of a line, a hole in the file: a crash extended it before its data reached the disk, or its writer, which does not append (`cmd > file` instead of `cmd >> file`), goes on at an old offset; the line after them is read",
			"path", h.path, "offset", h.holeFrom, "skipped", h.holeSkipped)
		h.holeSkipped = 0
	}
	done, size, path := h.done(), h.size, h.path
	t.cfg.Stats.UpdateFile(h.fileID, func(s *flowstats.FileState) {
		s.ReadOffset, s.Size, s.Path = done, size, path
	})
}

func (t *Tailer) newChunk(h *harvester, start int64, now time.Time, need int) *record.Chunk {
	pool := t.pool
	if need <= smallChunk {
		pool = t.small // a trickle: do not pin 256 KiB per chunk downstream
	}
	ends := h.lastEnds + h.lastEnds/4
	if ends < 16 {
		ends = 16
	}
	// No more records than bytes: a small chunk does not take (and pool)
	// the ends of a big one.
	ends = min(ends, need+1)
	data, endsBuf := pool.Get(ends)
	c := &record.Chunk{
		Source:  h.src,
		Data:    data,
		Ends:    endsBuf,
		Start:   start,
		End:     start,
		ModTime: h.modTime,
		Size:    h.size,
		ReadAt:  now,
	}
	c.SetRelease(pool.Put)
	return c
}

// sendOrphans sends h's orphans (see harvester.orphans).
func (t *Tailer) sendOrphans(ctx context.Context, out chan<- *record.Chunk, h *harvester) {
	orphans, pred := h.orphans, h.orphansOf
	h.orphans, h.orphansOf = nil, nil
	t.orphaned--
	t.predecessorFirst(ctx, out, pred)
	for _, c := range orphans {
		t.send(ctx, out, h, c)
	}
}

// predecessorFirst sends the orphans of the original pred, if any, before
// a chunk of its copy: the acknowledgement stage, which holds a copy's row
// behind the original's chunks in flight when the copy's first chunk
// comes, would otherwise let the copy's row pass the held record.
func (t *Tailer) predecessorFirst(ctx context.Context, out chan<- *record.Chunk, pred *record.Source) {
	if t.orphaned == 0 || pred == nil {
		return
	}
	for _, o := range t.files {
		if slices.ContainsFunc(o.orphans, func(oc *record.Chunk) bool { return oc.Source == pred }) {
			t.sendOrphans(ctx, out, o)
		}
	}
}

// send hands a chunk to the consumer, blocking while it is busy. While
// blocked it still opens newly created files (light scans), so that a file
// created and deleted during the wait is held open and not lost.
func (t *Tailer) send(ctx context.Context, out chan<- *record.Chunk, h *harvester, c *record.Chunk) {
	if out == nil { // (from truncated: see harvester.orphans)
		if len(h.orphans) == 0 {
			t.orphaned++
			h.orphansOf = h.copyOf // (truncated clears copyOf after)
		}
		h.orphans = append(h.orphans, c)
		return
	}
	if len(h.orphans) > 0 {
		t.sendOrphans(ctx, out, h) // before anything newer of h
	}
	if c.Source == h.src {
		t.predecessorFirst(ctx, out, h.copyOf) // a copy's chunk
	}
	h.anchorDue = false
	// Counted before the hand-over, so that sent never runs ahead of
	// parsed; taken back if the stop drops the chunk.
	nRec, nBytes := int64(len(c.Ends)), c.End-c.Start
	t.cfg.Stats.RecordsParsed.Add(nRec)
	// Every byte the chunk accounts for, as Java's TotalBytesConsumed:
	// header lines, footers and discarded bytes included.
	t.cfg.Stats.BytesParsed.Add(nBytes)
	drop := func() {
		t.cfg.Stats.RecordsParsed.Add(-nRec)
		t.cfg.Stats.BytesParsed.Add(-nBytes)
		c.ReleaseData()
	}
	if ctx.Err() != nil {
		// Stopped: nothing more goes out. (The select below picks at
		// random among ready cases: after a stop it could drop one chunk
		// and send the file's next, whose acknowledgement then moved the
		// row past the dropped one's records, lost at the restart.)
		drop()
		return
	}
	var tick <-chan time.Time
	var ticks, lightEvery int
	for {
		select {
		case out <- c:
			return
		case <-ctx.Done():
			drop()
			return
		default:
		}
		if time.Since(t.shownAt) >= time.Second {
			// (Also here: a throttled consumer makes every send wait,
			// each less than a tick.)
			t.showSizes()
		}
		if tick == nil {
			// Every second at most: the open files' sizes for the stats
			// (bytes behind) while the send waits, as during an outage;
			// a light scan every scanEvery.
			every := min(t.scanEvery(), time.Second)
			lightEvery = max(1, int(t.scanEvery()/every))
			if t.sendTick == nil {
				t.sendTick = time.NewTicker(every)
			} else {
				t.sendTick.Reset(every)
			}
			defer t.sendTick.Stop()
			tick = t.sendTick.C
			t.sendWaits.Add(1)
		}
		select {
		case out <- c:
			return
		case <-ctx.Done():
			drop()
			return
		case <-t.wake:
			// A light scan for a change in the directory (not for every
			// wake-up: writes to open files wake it too, and scanReq stays
			// set once a change came).
			if t.lightReq.Swap(false) {
				t.scan(ctx, true)
			}
		case <-tick:
			if ticks++; ticks%lightEvery == 0 {
				t.scan(ctx, true)
			}
			// After a light scan too: it tells the stats only the files
			// its listing names, not one renamed out of the pattern and
			// still being read.
			t.showSizes()
		}
	}
}

// showSizes tells the stats the open files' sizes ("bytes behind": log,
// /metrics, /status) while a send waits: the tailer's own sizes move only
// when it reads, and with inotify the light scans, which also tell them,
// run only every MaxRefresh.
func (t *Tailer) showSizes() {
	t.shownAt = time.Now()
	for _, h := range t.files {
		if h.f == nil {
			continue
		}
		size, _, err := sizeOf(h.f)
		if err != nil {
			continue
		}
		if size != h.size {
			t.cfg.Stats.UpdateFile(h.fileID, func(s *flowstats.FileState) { s.Size = size })
		}
		switch seen := h.seenSize(); {
		case h.waitStop || size == seen:
		case size < seen:
			h.waitStop = true // truncated: what it had is in seen
		default:
			// Grown, if still the content read: a copytruncate behind the
			// wait then counts these bytes among those not sent.
			if head, err := readHead(h.f, t.head); err == nil && len(head) >= len(h.head) && bytes.Equal(head[:len(h.head)], h.head) {
				h.waitSize = size
			} else {
				h.waitStop = true
			}
		}
	}
}

// housekeep flushes idle multi-line records and lets go of files, among
// those of the pass's turn (a skipped file's size is stale).
func (t *Tailer) housekeep(ctx context.Context, out chan<- *record.Chunk, turn []*harvester) {
	now := time.Now()
	for _, h := range turn {
		if ctx.Err() != nil {
			return
		}
		if h.pumped != t.pass || !t.settling(h, now) {
			continue
		}
		idle := now.Sub(h.lastData)
		if t.cfg.MultiLineStart != nil && len(h.pend) > 0 && !h.idleFlushd && idle >= t.mlIdle {
			h.idleFlushd = true
			t.consume(ctx, h, out, append(t.scratch[:0], h.pend...), splitIdle)
		}
		switch {
		case !h.matched && idle >= t.linger:
			// Renamed out of the pattern or deleted, fully read, quiet: let go,
			// and ship an unterminated last line (Java discards it).
			fi, err := h.f.Stat()
			if err == nil && fi.Size() > h.offset {
				continue
			}
			if err == nil && (fi.Size() < h.offset || h.unaccounted() == 0 && !t.headOK(h)) {
				// Truncated, or truncated and refilled to the length read
				// (pump reads nothing, and checks nothing, at that size):
				// read again from its start. (With bytes unaccounted for,
				// their read-back is checked below.)
				t.truncated(h, fi.Size(), h.seenSize())
				continue
			}
			if h.unaccounted() > 0 {
				spill := h.spill
				if t.beforeBack != nil {
					t.beforeBack(h)
				}
				data, err := t.readBack(h, 0)
				if err != nil {
					// Kept and tried again at the next passes, for a linger
					// period (a passing error); then let go without it.
					if h.readBackErr.IsZero() {
						h.readBackErr = now
						t.log.Warn(readBackRetry, "path", h.path, "err", err)
					}
					if now.Sub(h.readBackErr) < t.linger {
						continue
					}
					t.log.Warn("Could not read back the unterminated last line of a file no longer matched; it is not sent",
						"path", h.path, "offset", h.done(), "bytes", h.unaccounted(), "err", err)
				} else if data == nil || !t.headOK(h) {
					// Shorter than what was read, or truncated and refilled
					// to as long: rewritten, read again from its start (as
					// pump does). The run is not accounted for (readBack
					// took it): the ghost ends before it.
					h.spill = spill
					size, _, _ := sizeOf(h.f)
					t.truncated(h, size, h.seenSize())
					continue
				} else {
					t.consume(ctx, h, out, data, splitFinal)
				}
			}
			// A deleted file (no link left) never comes back: a file that
			// gets its inode and first bytes later is a new one, read from
			// 0 (it was taken for this one and its lines skipped).
			if h.done() > 0 && len(h.head) > 0 && !(err == nil && unlinked(fi)) {
				// If it comes back into the pattern (renamed out and back,
				// a listing that missed it), it resumes here, not at 0. The
				// ghost keeps the descriptor (see ghost.f).
				t.ghosts = append(t.ghosts, ghost{head: slices.Clone(h.head), done: h.done(), at: time.Now(), path: h.path, src: h.src, key: h.key, f: h.f,
					discarding: h.sp.skipping && h.sp.countSkip})
				h.f = nil
			}
			t.drop(h, "no longer matched and fully read")
		case h.matched && !h.viaLink && idle >= t.inactive:
			if size, _, err := sizeOf(h.f); err == nil && size > h.offset {
				continue // written since it was read: read it, close later
			} else if err == nil && t.checkTruncated(h, size) {
				// Rewritten to the length read (`cmd > status.log`): pump
				// checks nothing at that size, and once closed the file
				// looks unchanged to the scans (the size and the mtime
				// pump saw). Read it again before it is closed.
				continue
			}
			h.f.Close()
			h.f = nil
			h.win = nil // (a KiB a quiet file does without: the samples of its reads stay)
			t.setOpen(h, false)
			t.log.Debug("Closed inactive file; it is reopened when it changes", "path", h.path)
		}
	}
}

// readErr names path in a read error, unless the error already names it
// (an *os.PathError from a read of the file under that name).
func readErr(path string, err error) error {
	if pe := (*os.PathError)(nil); errors.As(err, &pe) && pe.Path == path {
		return err
	}
	return fmt.Errorf("read %s: %w", path, err)
}

// readBackRetry is the WARN at the first failure to read an unheld last
// line back at let-go.
const readBackRetry = "Cannot read back the unterminated last line of a file no longer matched; trying again"

// javaStart is the Java agent's newest checkpoint of a flow and the file it
// was reading, found at the first scan as Java finds it (§3.5): by FileId,
// renamed or not, no shorter than the checkpoint's offset.
type javaStart struct {
	row   record.Position
	found bool
	mod   time.Time // the file's modification time
	path  string
}

// consider looks at one file of the first scan.
func (j *javaStart) consider(p string, st fileStat) {
	if st.key.fileID() != j.row.FileID || st.size < j.row.Offset {
		return
	}
	if !j.found || (p == j.row.Path && j.path != j.row.Path) {
		j.found, j.mod, j.path = true, st.modTime, p
	}
}

// pending reports whether a file modified at mod is no older than the file
// Java was reading: Java had it pending. When that file is gone (deleted or
// compressed by a rotation while no agent ran), its modification time in
// the checkpoint stands in (Java itself then loses its pending files).
func (j *javaStart) pending(mod time.Time) bool {
	if j == nil {
		return false
	}
	ref := j.mod
	if !j.found {
		ref = j.row.ModTime
	}
	return !ref.IsZero() && !mod.Before(ref)
}

// ownRow reports whether a checkpoint row of this agent's names fid, with
// a fingerprint of the whole fpMax leading bytes: enough to tell its file
// from a new one that took the inode after the listing.
func (t *Tailer) ownRow(fid string) bool {
	return slices.ContainsFunc(t.resume[fid], func(c record.Position) bool { return fullPrint(c.Fingerprint) })
}

// fullPrint reports a fingerprint over the whole leading KiB (fpMax).
func fullPrint(fp string) bool { return strings.HasPrefix(fp, fullPrintPrefix) }

var fullPrintPrefix = strconv.Itoa(fpMax) + ":"

// javaOnlyElsewhere reports whether c is a row only the Java agent wrote,
// other than the flow's newest, for another path than p.
func (t *Tailer) javaOnlyElsewhere(c record.Position, p string) bool {
	if !c.JavaOnly || c.Path == p {
		return false
	}
	j := t.java
	return j == nil || c.Path != j.row.Path || c.FileID != j.row.FileID || !c.Updated.Equal(j.row.Updated)
}
