// Package flowstats holds the counters of one flow. Every stage of a flow
// adds to them; the agent's progress lines, CloudWatch metrics and status
// endpoint read them. All fields are safe for concurrent use.
package flowstats

import (
	"sync"
	"sync/atomic"
	"time"
)

// Flow is the counters of one flow.
type Flow struct {
	ID          string
	Destination string // stream or delivery stream name
	Firehose    bool

	// Parsing (tail + processing stage).
	RecordsParsed           atomic.Int64 // every record the splitter produced
	BytesParsed             atomic.Int64 // source bytes consumed: records, header lines, footers, discarded bytes
	RecordsTransformed      atomic.Int64 // records the processing chain returned data for
	RecordsSkipped          atomic.Int64 // records a converter dropped (LOGTOJSON no match)
	ProcessingErrors        atomic.Int64 // records sent raw after a converter failed
	RecordsTruncated        atomic.Int64 // records cut to the max record size
	RecordsLargerThanBuffer atomic.Int64
	BytesDiscarded          atomic.Int64

	// Sending.
	RecordsSent        atomic.Int64 // entries acknowledged by the destination
	BytesSent          atomic.Int64 // data bytes of acknowledged entries
	RecordSendAttempts atomic.Int64
	RecordSendErrors   atomic.Int64 // entries that came back with an ErrorCode
	ServiceErrors      atomic.Int64 // calls that failed as a whole
	Calls              atomic.Int64
	RetriedRecords     atomic.Int64
	LastSuccess        Instant // the last call that delivered a record

	// Tailer health.
	ConsecutiveErrors atomic.Int64

	// OldestUnacked is the read time of the flow's oldest unacknowledged
	// chunk, of any file, including files the tailer has let go since
	// (deleted, rotated away) whose per-file entry is gone; unset when every
	// chunk is acknowledged. Set by the acknowledgement stage.
	OldestUnacked Instant

	mu    sync.Mutex
	files map[string]FileState
}

// FileState is the per-file view reported by the tailer.
type FileState struct {
	Path        string
	FileID      string
	Size        int64
	ReadOffset  int64 // bytes read so far
	AckedOffset int64 // bytes whose records are all acknowledged
	// OldestUnacked is when the oldest unacknowledged byte was read (zero when none).
	OldestUnacked time.Time
}

// New returns zeroed counters for a flow.
func New(id, destination string, firehose bool) *Flow {
	f := &Flow{ID: id, Destination: destination, Firehose: firehose, files: map[string]FileState{}}
	epoch := time.Now()
	f.LastSuccess.epoch, f.OldestUnacked.epoch = epoch, epoch
	return f
}

// An Instant is a moment that stages set and readers read without a lock.
// It is kept on the process's monotonic clock, so that a step of the wall
// clock (an NTP step after boot, a VM restored from a snapshot, date -s)
// moves neither the moment nor the time measured from it: /healthz
// measures stalls with it.
type Instant struct {
	epoch time.Time    // set by New: a reading of the monotonic clock
	d     atomic.Int64 // nanoseconds from epoch to the moment, +1 if not negative; 0: unset
}

// Store sets the moment to t, a time.Now reading (one without a monotonic
// reading, as tests give, is placed by its wall clock).
func (i *Instant) Store(t time.Time) {
	d := int64(t.Sub(i.epoch))
	if d >= 0 {
		d++
	}
	i.d.Store(d)
}

// Clear unsets the moment.
func (i *Instant) Clear() { i.d.Store(0) }

// At returns the moment as now's clock has it: now less the time elapsed
// since, so that its wall reading agrees with now's even when the wall
// clock was stepped in between. ok is false when the moment is unset.
func (i *Instant) At(now time.Time) (t time.Time, ok bool) {
	d := i.d.Load()
	switch {
	case d == 0:
		return time.Time{}, false
	case d > 0:
		d--
	}
	return now.Add(-now.Sub(i.epoch.Add(time.Duration(d)))), true
}

// SetFile records the state of one file (keyed by FileID).
func (f *Flow) SetFile(s FileState) {
	f.mu.Lock()
	f.files[s.FileID] = s
	f.mu.Unlock()
}

// UpdateFile applies fn to the state of the file with id, if known.
func (f *Flow) UpdateFile(id string, fn func(*FileState)) {
	f.mu.Lock()
	if s, ok := f.files[id]; ok {
		fn(&s)
		f.files[id] = s
	}
	f.mu.Unlock()
}

// DropFile forgets a file that is no longer tailed.
func (f *Flow) DropFile(id string) {
	f.mu.Lock()
	delete(f.files, id)
	f.mu.Unlock()
}

// Files returns a copy of the per-file states.
func (f *Flow) Files() []FileState {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]FileState, 0, len(f.files))
	for _, s := range f.files {
		out = append(out, s)
	}
	return out
}

// BytesBehind is the sum over files of size minus acknowledged offset,
// and the number of files that have unread bytes.
func (f *Flow) BytesBehind() (bytes int64, files int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.files {
		if b := s.Size - s.ReadOffset; b > 0 {
			bytes += b
			files++
		}
	}
	return bytes, files
}

// CallObserver receives one report per PutRecords/PutRecordBatch call, for
// CloudWatch's per-destination metrics. Implementations must not block.
type CallObserver interface {
	ObserveCall(c Call)
}

// Call is the outcome of one send call.
type Call struct {
	Destination  string // "KinesisStream:<name>" or "DeliveryStream:<name>"
	Attempted    int
	Sent         int
	Failed       int
	BytesSent    int64
	ServiceError bool // the call failed as a whole
	Latency      time.Duration
}
