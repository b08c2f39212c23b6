// Package record holds the small value types that travel down a flow:
// chunks of records read from one file, the acknowledgement count that
// lets a checkpoint advance only past delivered bytes, and the saved
// position of a file. It is a leaf: it imports nothing of this module.
package record

import (
	"sync"
	"sync/atomic"
	"time"
)

// Source identifies one tailed file. One Source exists per file identity
// for the life of its harvester; chunks point at it.
type Source struct {
	FlowID string
	// Path is the absolute path of the file when it was last listed.
	// Read it through PathNow when the file may be renamed concurrently.
	path atomic.Pointer[string]
	// FileID is Java's file key text "(dev=<hex>,ino=<decimal>)".
	FileID string
	Dev    uint64
	Ino    uint64
	// fingerprint is a hash of the file's first bytes (see flows/tail),
	// lengthened by the tailer as the file grows: read it through
	// Fingerprint.
	fingerprint atomic.Pointer[string]
	// Predecessor, when set by the tailer before the first chunk (and
	// cleared by the acknowledgement stage once it has read it at that
	// chunk; the tailer never reads it again), is the Source whose
	// chunks hold this file's bytes before its first chunk: a copytruncate
	// copy continues where its original was read up to, while the
	// original's last chunks may still be in flight. The checkpoint of this
	// Source never passes the predecessor's until those are acknowledged.
	Predecessor *Source
	// Start, when not negative, is the offset the tailer began reading this
	// content at (a checkpoint, 0, a copy's offset, END_OF_FILE): its first
	// chunk starts there. The acknowledgement stage checks it, as it checks
	// that each later chunk starts where the one before ended. NewSource
	// sets -1 (unknown: not checked).
	Start int64

	// detached is set while the file is out of the flow's pattern
	// (renamed out of it, or deleted): its last name may be another
	// file's by now, so its position is not saved under it.
	detached atomic.Bool
	// released is set when the tailer has forgotten the file (let go,
	// replaced, or truncated and restarted under a new Source): no chunk of
	// this Source follows.
	released atomic.Bool
}

// NewSource returns a Source for the file at path.
func NewSource(flowID, path, fileID string, dev, ino uint64, fingerprint string) *Source {
	s := &Source{FlowID: flowID, FileID: fileID, Dev: dev, Ino: ino, Start: -1}
	s.SetPath(path)
	s.SetFingerprint(fingerprint)
	return s
}

// Fingerprint returns the hash of the file's first bytes as last known.
func (s *Source) Fingerprint() string { return *s.fingerprint.Load() }

// SetFingerprint records a fingerprint over more of the file's first
// bytes (the file grew): saved checkpoints then identify it better.
func (s *Source) SetFingerprint(fp string) { s.fingerprint.Store(&fp) }

// PathNow returns the file's current known path.
func (s *Source) PathNow() string { return *s.path.Load() }

// SetPath records a rename.
func (s *Source) SetPath(p string) { s.path.Store(&p) }

// SetDetached records whether the file is out of the flow's pattern.
func (s *Source) SetDetached(d bool) { s.detached.Store(d) }

// Detached reports whether the file is out of the flow's pattern: its
// checkpoint row must not be written under its last name, which may be
// another file's by now.
func (s *Source) Detached() bool { return s.detached.Load() }

// Release records that the tailer has forgotten the file: the
// acknowledgement stage may then forget it too once it is idle. Until
// then it keeps the file's (small) state, so that a rename is saved under
// the new name even after a long quiet spell.
func (s *Source) Release() { s.released.Store(true) }

// Released reports whether the tailer has forgotten the file.
func (s *Source) Released() bool { return s.released.Load() }

// Chunk is a run of consecutive records read from one file.
//
// Record i is Data[Ends[i-1]:Ends[i]] (Ends[-1] is 0). End is the source
// offset just past every byte this chunk accounts for (records, skipped
// header lines, discarded bytes): once all records of this chunk and of
// every earlier chunk of the same file are acknowledged, the file's
// checkpoint may move to End. Offsets count source bytes, never converted
// bytes.
type Chunk struct {
	Source *Source
	Data   []byte
	Ends   []int
	// Start is the source offset of the first byte this chunk accounts for.
	Start int64
	End   int64
	// ModTime and Size of the file as of the listing that produced the chunk
	// (stored in the checkpoint row as Java does).
	ModTime time.Time
	Size    int64
	// ReadAt is when the chunk's bytes were read (for delay metrics).
	ReadAt time.Time
	// Jumps are where the records stop following each other in the file
	// (header lines, a runaway line's discarded rest or a footer between
	// them, or before the first): record Jumps[k].Rec starts at source
	// offset Jumps[k].At. Empty when the records are contiguous from Start
	// (the usual case). See RecordOffset.
	Jumps []Jump

	remaining atomic.Int64
	onDone    func(*Chunk)
	release   func([]byte, []int)
}

// Jump says that record Rec of a chunk starts at source offset At.
type Jump struct {
	Rec int
	At  int64
}

// Append adds a record read from source offset at (the tailer's).
func (c *Chunk) Append(rec []byte, at int64) {
	if at != c.nextOffset() {
		c.Jumps = append(c.Jumps, Jump{Rec: len(c.Ends), At: at})
	}
	c.Data = append(c.Data, rec...)
	c.Ends = append(c.Ends, len(c.Data))
}

// nextOffset is where a record appended next would start if it followed
// the last one in the file.
func (c *Chunk) nextOffset() int64 {
	if n := len(c.Jumps); n > 0 {
		j := c.Jumps[n-1]
		return j.At + int64(len(c.Data)-c.recordStart(j.Rec))
	}
	return c.Start + int64(len(c.Data))
}

func (c *Chunk) recordStart(i int) int {
	if i > 0 {
		return c.Ends[i-1]
	}
	return 0
}

// RecordOffset is the source offset (in the file) of the first byte of
// record i, for messages that must say where in the file a record is;
// -1 once the chunk's data are released.
func (c *Chunk) RecordOffset(i int) int64 {
	if i < 0 || i >= len(c.Ends) {
		return -1
	}
	for k := len(c.Jumps) - 1; k >= 0; k-- {
		if j := c.Jumps[k]; j.Rec <= i {
			return j.At + int64(c.recordStart(i)-c.recordStart(j.Rec))
		}
	}
	return c.Start + int64(c.recordStart(i))
}

// Len is the number of records in the chunk.
func (c *Chunk) Len() int { return len(c.Ends) }

// Record returns record i.
func (c *Chunk) Record(i int) []byte {
	start := 0
	if i > 0 {
		start = c.Ends[i-1]
	}
	return c.Data[start:c.Ends[i]]
}

// SetRelease sets the function that takes Data and Ends back (for reuse)
// once the chunk's records have been copied out by the processing stage.
func (c *Chunk) SetRelease(f func(data []byte, ends []int)) { c.release = f }

// ReleaseData hands Data and Ends back to their owner; they must not be
// used afterwards. Safe to call once.
func (c *Chunk) ReleaseData() {
	if c.release != nil {
		c.release(c.Data, c.Ends)
		c.release = nil
	}
	c.Data = nil
	c.Ends = nil
}

// Track arms acknowledgement counting: done is called exactly once, when
// Ack has been called for n records in total. n == 0 calls done at once.
func (c *Chunk) Track(n int, done func(*Chunk)) {
	c.onDone = done
	c.remaining.Store(int64(n))
	if n == 0 {
		done(c)
	}
}

// Ack acknowledges n records of the chunk (delivered, or skipped by data
// processing). Safe for concurrent use.
func (c *Chunk) Ack(n int) {
	if n <= 0 {
		return
	}
	if c.remaining.Add(-int64(n)) == 0 && c.onDone != nil {
		c.onDone(c)
	}
}

// Grow counts n more records to acknowledge: the processing stage split a
// record in n+1. Call it before an extra record is handed on, while the
// split record is still unacknowledged, so the count cannot reach zero
// early.
func (c *Chunk) Grow(n int) { c.remaining.Add(int64(n)) }

// Outstanding returns how many records still wait for acknowledgement.
func (c *Chunk) Outstanding() int64 { return c.remaining.Load() }

// Position is the saved state of one file of one flow: what a checkpoint
// row holds. Offset is the end of the last acknowledged byte.
type Position struct {
	Flow        string
	Path        string
	FileID      string
	Fingerprint string
	ModTime     time.Time
	Size        int64
	Offset      int64
	Updated     time.Time
	// JavaOnly marks a row holding none of this agent's own state: written
	// by the Java agent (before an upgrade, or after a downgrade). It has
	// no Fingerprint, and the Java agent resumes only the newest such row
	// of a flow.
	JavaOnly bool
	// AdoptedGlob is, for a row of another flow, one no longer configured
	// whose files this one takes over (its filePattern was edited), that
	// flow's glob: the row tells of the files it matches only ("" for the
	// flow's own rows).
	AdoptedGlob string
}

// BufPool recycles chunk buffers of one capacity class: the record bytes
// and the record ends together (the ends of a million lines are 8 MB, and
// grown by append they were 21 of the 89 MB allocated per million lines).
type BufPool struct {
	size int
	pool sync.Pool // of *chunkBufs
}

type chunkBufs struct {
	data []byte
	ends []int
}

// NewBufPool returns a pool of buffers whose Data has capacity size.
func NewBufPool(size int) *BufPool {
	return &BufPool{size: size}
}

// Get returns an empty Data buffer of the pool's capacity and an empty
// Ends buffer of at least minEnds capacity.
func (p *BufPool) Get(minEnds int) ([]byte, []int) {
	var data []byte
	var ends []int
	if cb, ok := p.pool.Get().(*chunkBufs); ok {
		data, ends = cb.data[:0], cb.ends[:0]
	} else {
		data = make([]byte, 0, p.size)
	}
	if cap(ends) < minEnds {
		ends = make([]int, 0, minEnds)
	}
	return data, ends
}

// Put returns buffers taken with Get; Data of another capacity (a record
// larger than the class) is dropped with its Ends.
func (p *BufPool) Put(data []byte, ends []int) {
	if cap(data) != p.size {
		return
	}
	p.pool.Put(&chunkBufs{data: data[:0], ends: ends[:0]})
}
