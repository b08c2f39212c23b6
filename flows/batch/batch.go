// Package batch turns processed records into send batches (Java's
// RecordBuffer): one Builder per flow accumulates records, generates their
// partition keys, truncates records over the destination's maximum record
// size, and seals a batch by the Java agent's rules (spec §5.2):
//
//   - before adding a record, a non-empty batch is sealed when the record
//     would take it over MaxBytes, or it already holds MaxRecords;
//   - a non-empty batch is also due when it holds MaxRecords or MaxBytes,
//     or its first record is MaxAge old (the owner sets a timer to
//     Deadline, so a trickle is sent when its first record is MaxAge old).
//
// The record bytes and keys of a batch live in an arena owned by the batch;
// Release hands the batch (arena included) back to its Builder's pool, after
// which none of its Entries may be used. In steady state Add does not
// allocate.
//
// The package does not send and does not acknowledge; flows/send does.
package batch

import (
	"crypto/md5"
	"encoding/hex"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

// Destination hard limits (Java agent constants, spec §2.4, §3.8, §5.2).
const (
	KinesisMaxRecords      = 500
	KinesisMaxBytes        = 5 << 20 // 5242880 per PutRecords call, data + partition keys
	KinesisMaxRecordBytes  = 1 << 20 // 1048576 per record, data + partition key
	FirehoseMaxRecords     = 500
	FirehoseMaxBytes       = 4 << 20 // 4194304 per PutRecordBatch call
	FirehoseMaxRecordBytes = 1024000
	// DefaultMaxAge is maxBufferAgeMillis's default.
	DefaultMaxAge = 60 * time.Second
	// DeterministicKeyLen is the length of a DETERMINISTIC key (hex MD5).
	DeterministicKeyLen = 32
	// MaxPartitionKeyBytes is the longest partition key Kinesis accepts.
	MaxPartitionKeyBytes = 256
)

// Limits are one flow's batch limits.
type Limits struct {
	MaxRecords     int           // maxBufferSizeRecords, 1..500
	MaxBytes       int           // maxBufferSizeBytes
	MaxAge         time.Duration // maxBufferAgeMillis
	MaxRecordBytes int           // destination's per-record maximum
	// CountKey: the partition key counts toward the record and batch sizes
	// (Kinesis).
	CountKey bool
}

// KinesisLimits returns Kinesis limits from the flow keys; zero values take
// the defaults and values over the hard limits are capped.
func KinesisLimits(maxRecords, maxBytes int, maxAge time.Duration) Limits {
	return Limits{
		MaxRecords:     clamp(maxRecords, KinesisMaxRecords),
		MaxBytes:       clamp(maxBytes, KinesisMaxBytes),
		MaxAge:         ageOr(maxAge),
		MaxRecordBytes: KinesisMaxRecordBytes,
		CountKey:       true,
	}
}

// FirehoseLimits returns Firehose limits from the flow keys; zero values
// take the defaults and values over the hard limits are capped.
func FirehoseLimits(maxRecords, maxBytes int, maxAge time.Duration) Limits {
	return Limits{
		MaxRecords:     clamp(maxRecords, FirehoseMaxRecords),
		MaxBytes:       clamp(maxBytes, FirehoseMaxBytes),
		MaxAge:         ageOr(maxAge),
		MaxRecordBytes: FirehoseMaxRecordBytes,
	}
}

func clamp(v, hard int) int {
	if v <= 0 || v > hard {
		return hard
	}
	return v
}

func ageOr(d time.Duration) time.Duration {
	if d <= 0 {
		return DefaultMaxAge
	}
	return d
}

// KeyMode is how partition keys are made (partitionKeyOption).
type KeyMode int

const (
	// KeyNone: no partition key (Firehose).
	KeyNone KeyMode = iota
	// KeyRandom: Java Double.toString of a uniform double in [0, 1e6).
	KeyRandom
	// KeyDeterministic: lowercase hex MD5 of the record bytes as sent (after
	// processing and truncation). Java hashes the whole backing array of the
	// record's buffer (often the 5 MiB parser buffer) instead; we hash the
	// record, which is what the option is documented to do.
	KeyDeterministic
)

// Entry is one record of a batch.
type Entry struct {
	Data  []byte // in the batch's arena
	Key   string // partition key, in the arena; empty for Firehose
	Chunk *record.Chunk
}

// Batch is a sealed (or building) set of entries.
type Batch struct {
	Entries []Entry
	// Bytes is the size that counts toward MaxBytes: data, plus keys when
	// the limits count keys.
	Bytes int
	// DataBytes is the sum of the entries' data lengths.
	DataBytes int
	// Created is when the first record was added.
	Created time.Time
	// ID numbers the batches of a Builder from 1 (Java's RecordBuffer id).
	ID int64

	arena []byte
	pool  *sync.Pool
}

// Len is the number of entries.
func (b *Batch) Len() int { return len(b.Entries) }

// Release returns the batch and its arena for reuse. Neither the batch nor
// any Data or Key of its entries may be used afterwards.
func (b *Batch) Release() {
	if b == nil || b.pool == nil {
		return
	}
	clear(b.Entries) // drop chunk references
	b.Entries = b.Entries[:0]
	b.Bytes, b.DataBytes, b.ID = 0, 0, 0
	b.Created = time.Time{}
	b.arena = b.arena[:0]
	b.pool.Put(b)
}

// alloc returns n bytes of arena space. When the current block is full a new
// one is started; earlier entries keep pointing at the old block.
func (b *Batch) alloc(n, hint int) []byte {
	if cap(b.arena)-len(b.arena) < n {
		size := max(2*cap(b.arena), n, hint)
		b.arena = make([]byte, 0, size)
	}
	start := len(b.arena)
	b.arena = b.arena[:start+n]
	return b.arena[start : start+n : start+n]
}

// Options configure a Builder.
type Options struct {
	Limits Limits
	Keys   KeyMode
	// Terminator overwrites the last bytes of a truncated record
	// (truncatedRecordTerminator); default "\n".
	Terminator []byte
	Stats      *flowstats.Flow
	// Logger receives the truncation WARN (component FileTailer[<flowId>]).
	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Random, when set, returns a uniform float64 in [0, 1) and RANDOM keys
	// are AppendJavaDouble of it times 1e6 (tests pick exact values). Unset,
	// keys are a random multiple of 1e-9 printed digit by digit
	// (appendRandomKey).
	Random func() float64
}

// Builder accumulates records into batches. It is not safe for concurrent
// use: one goroutine (the flow's processing stage) owns it.
type Builder struct {
	lim    Limits
	keys   KeyMode
	term   []byte
	stats  *flowstats.Flow
	log    *slog.Logger
	now    func() time.Time
	random func() float64

	cur    *Batch
	nextID int64
	pool   sync.Pool
	keyBuf [40]byte
}

// NewBuilder returns a Builder for one flow.
func NewBuilder(o Options) *Builder {
	lim := o.Limits
	if lim.MaxRecordBytes <= 0 {
		if lim.CountKey {
			lim.MaxRecordBytes = KinesisMaxRecordBytes
		} else {
			lim.MaxRecordBytes = FirehoseMaxRecordBytes
		}
	}
	if lim.MaxRecords <= 0 {
		lim.MaxRecords = KinesisMaxRecords
	}
	if lim.MaxBytes <= 0 {
		lim.MaxBytes = KinesisMaxBytes
	}
	lim.MaxAge = ageOr(lim.MaxAge)
	b := &Builder{lim: lim, keys: o.Keys, term: o.Terminator, stats: o.Stats, log: o.Logger, now: o.Now, random: o.Random}
	if b.term == nil {
		b.term = []byte{'\n'}
	}
	if b.now == nil {
		b.now = time.Now
	}
	if b.log == nil {
		b.log = slog.New(slog.DiscardHandler)
	}
	b.pool.New = func() any {
		return &Batch{Entries: make([]Entry, 0, lim.MaxRecords)}
	}
	return b
}

// Limits returns the builder's effective limits.
func (b *Builder) Limits() Limits { return b.lim }

// Add copies one record into the current batch. It returns a batch sealed
// by this call (the previous one, when the record did not fit; or the
// current one when the record made it full), or nil. An Add that seals the
// previous batch and fills the next one returns the previous one; Full and
// Due then report the full one.
func (b *Builder) Add(data []byte, c *record.Chunk) (full *Batch) {
	return b.AddRecord(data, c, -1, 0)
}

// AddRecord is Add for (the processed form of) record rec of c, or of its
// part from byte within of the record on (a record added in pieces): a
// truncation WARN then names the offset in the file where it starts.
// rec < 0: not known.
func (b *Builder) AddRecord(data []byte, c *record.Chunk, rec, within int) (full *Batch) {
	// Partition key first: its length counts toward the record size.
	var key []byte
	keyLen := 0
	switch b.keys {
	case KeyRandom:
		if b.random != nil {
			key = AppendJavaDouble(b.keyBuf[:0], b.random()*1e6)
		} else {
			key = appendRandomKey(b.keyBuf[:0], rand.Uint64N(randomKeySteps))
		}
		keyLen = len(key)
	case KeyDeterministic:
		keyLen = DeterministicKeyLen
	}
	counted := 0
	if b.lim.CountKey {
		counted = keyLen
	}
	n := len(data)
	truncated := false
	if n+counted > b.lim.MaxRecordBytes {
		n = b.lim.MaxRecordBytes - counted
		truncated = true
		if tl := len(b.term); tl < n {
			n = runeCut(data, n-tl) + tl
		}
	}
	size := n + counted

	if cur := b.cur; cur != nil && len(cur.Entries) > 0 &&
		(cur.Bytes+size > b.lim.MaxBytes || len(cur.Entries) >= b.lim.MaxRecords) {
		full = cur
		b.cur = nil
	}
	cur := b.cur
	if cur == nil {
		cur = b.pool.Get().(*Batch)
		cur.pool = &b.pool
		b.nextID++
		cur.ID = b.nextID
		cur.Created = b.now()
		b.cur = cur
	}

	buf := cur.alloc(n+keyLen, min(b.lim.MaxBytes+b.lim.MaxRecords*DeterministicKeyLen, 64<<10))
	d := buf[:n:n]
	copy(d, data[:n])
	if truncated {
		t := b.term
		if len(t) > n {
			t = t[len(t)-n:]
		}
		copy(d[n-len(t):], t)
		b.truncated(c, rec, within)
	}
	var k []byte
	switch b.keys {
	case KeyRandom:
		k = buf[n:]
		copy(k, key)
	case KeyDeterministic:
		sum := md5.Sum(d)
		k = buf[n:]
		hex.Encode(k, sum[:])
	}
	e := Entry{Data: d, Chunk: c}
	if len(k) > 0 {
		e.Key = unsafe.String(&k[0], len(k))
	}
	cur.Entries = append(cur.Entries, e)
	cur.Bytes += size
	cur.DataBytes += n

	if full == nil && (len(cur.Entries) >= b.lim.MaxRecords || cur.Bytes >= b.lim.MaxBytes) {
		full = cur
		b.cur = nil
	}
	return full
}

// runeCut returns where to cut data so as to keep at most k bytes without
// splitting a UTF-8 character: k, or the start of the character that
// straddles it (at most 3 bytes back). Java cuts anywhere, leaving a record
// that is not valid UTF-8 (Firehose format conversion, Athena and JSON
// parsers downstream refuse it). Bytes that are not UTF-8 are cut at k.
func runeCut(data []byte, k int) int {
	if k <= 0 || k >= len(data) || utf8.RuneStart(data[k]) {
		return k
	}
	for j := k - 1; j >= 0 && j > k-utf8.UTFMax; j-- {
		if utf8.RuneStart(data[j]) {
			if r, size := utf8.DecodeRune(data[j:]); (r != utf8.RuneError || size > 1) && j+size > k {
				return j // (a valid character that k cuts; U+FFFD too)
			}
			break
		}
	}
	return k
}

// truncated logs Java's line (its text kept as it is), with where in the
// file the record starts (offset: for tail -c +<offset+1> or dd skip=),
// which Java does not say: in a file of hundreds of megabytes the file
// name alone does not find it.
func (b *Builder) truncated(c *record.Chunk, rec, within int) {
	if b.stats != nil {
		b.stats.RecordsTruncated.Add(1)
	}
	file := ""
	if c != nil && c.Source != nil {
		file = c.Source.PathNow()
	}
	msg := "Truncated a record in " + file + ", because it exceeded the the configured max record size: " +
		strconv.Itoa(b.lim.MaxRecordBytes)
	if c == nil || rec < 0 {
		b.log.Warn(msg)
		return
	}
	off := c.RecordOffset(rec)
	if off < 0 {
		b.log.Warn(msg)
		return
	}
	b.log.Warn(msg, "offset", off+int64(within))
}

// Due reports whether the current batch should be sealed now: it is full,
// or its first record is at least MaxAge old.
func (b *Builder) Due(now time.Time) bool {
	cur := b.cur
	if cur == nil || len(cur.Entries) == 0 {
		return false
	}
	return len(cur.Entries) >= b.lim.MaxRecords || cur.Bytes >= b.lim.MaxBytes || now.Sub(cur.Created) >= b.lim.MaxAge
}

// Full reports whether the current batch is full (as after an Add that
// sealed the previous batch and filled the next).
func (b *Builder) Full() bool {
	cur := b.cur
	return cur != nil && len(cur.Entries) > 0 &&
		(len(cur.Entries) >= b.lim.MaxRecords || cur.Bytes >= b.lim.MaxBytes)
}

// Deadline returns when the current batch becomes due by age, and false when
// there is no current batch.
func (b *Builder) Deadline() (time.Time, bool) {
	if b.cur == nil || len(b.cur.Entries) == 0 {
		return time.Time{}, false
	}
	return b.cur.Created.Add(b.lim.MaxAge), true
}

// Flush seals and returns the current batch if it has entries (whether due
// or not), else nil. The owner calls it when Due reports true, and at
// shutdown.
func (b *Builder) Flush(now time.Time) *Batch {
	cur := b.cur
	if cur == nil || len(cur.Entries) == 0 {
		return nil
	}
	b.cur = nil
	return cur
}

// Pending returns the number of records and counted bytes in the current batch.
func (b *Builder) Pending() (records, bytes int) {
	if b.cur == nil {
		return 0, 0
	}
	return len(b.cur.Entries), b.cur.Bytes
}
