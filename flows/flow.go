// Package flows runs one agent.json flow: it tails the flow's files,
// runs every record through the data-processing chain, packs batches,
// sends them, and lets acknowledgements advance the checkpoint.
//
// The stages and their owners:
//
//	tail.Tailer --chunks--> process loop --batches--> send workers
//	                             |                        |
//	                         ack.Tracker <---Chunk.Ack----+
//	                             |
//	                        checkpoint (Saver)
//
// Every channel is bounded, so a flow that cannot send stops reading: the
// file is the buffer and memory stays flat.
package flows

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/config"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/ack"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/batch"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/send"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/tail"
	"github.com/kinesis-agent-go/aws-kinesis-agent/processors"
	"github.com/kinesis-agent-go/aws-kinesis-agent/processors/javaregex"
)

// Deps are what a flow needs from the agent.
type Deps struct {
	// Sender delivers batches to the flow's destination.
	Sender send.Sender
	// Saver persists positions (the checkpoint store).
	Saver ack.Saver
	// Resume holds the flow's saved positions.
	Resume []record.Position
	// CheckpointTTL is checkpointTimeToLiveDays (0: rows never expire).
	CheckpointTTL time.Duration
	// Chain is the flow's data-processing chain (nil: raw records).
	Chain *processors.Chain
	// Stats are the flow's counters.
	Stats *flowstats.Flow
	// Logger is the agent's logger.
	Logger *slog.Logger
	// Senders is how many batches may be in flight at once (>= 1).
	Senders int
	// MaxInflightBytes bounds the bytes of those batches (0:
	// DefaultMaxInflightBytes).
	MaxInflightBytes int64
	// ShutdownTimeout bounds how long in-flight sends may finish after
	// reading stops.
	ShutdownTimeout time.Duration
	// CheckpointInterval is the period of the regular checkpoint flush (a
	// position that moves is saved sooner, within ack.DefaultSaveDelay).
	CheckpointInterval time.Duration
	// MaxPendingChunks bounds chunks waiting for acknowledgement before
	// reading pauses (0: DefaultMaxPendingChunks).
	MaxPendingChunks int
}

// Flow is one running flow.
type Flow struct {
	cfg     config.Flow
	deps    Deps
	tailer  *tail.Tailer
	tracker *ack.Tracker
	limits  batch.Limits
	log     *slog.Logger

	sendsUnfinished atomic.Bool // the last stop cut a send in flight (set by the senders)
}

// SendsUnfinished reports whether Run's stop cut sends still in flight at
// the shutdown timeout (their records are read again after a restart);
// the agent logs Java's line for it.
func (f *Flow) SendsUnfinished() bool { return f.sendsUnfinished.Load() }

// New builds a flow from its validated configuration.
func New(cfg config.Flow, deps Deps) (*Flow, error) {
	if deps.Sender == nil || deps.Saver == nil || deps.Stats == nil {
		return nil, fmt.Errorf("flow %s: sender, saver and stats are required", cfg.ID)
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Senders < 1 {
		deps.Senders = 1
	}
	if deps.MaxPendingChunks <= 0 {
		deps.MaxPendingChunks = DefaultMaxPendingChunks
	}
	if deps.CheckpointInterval <= 0 {
		deps.CheckpointInterval = time.Second
	}
	tcfg := tail.Config{
		FlowID:                    cfg.ID,
		Dir:                       cfg.Dir,
		Glob:                      cfg.Glob,
		StartAtEnd:                cfg.InitialPosition == config.EndOfFile,
		SkipHeaderLines:           cfg.SkipHeaderLines,
		AggregatedRecordSizeBytes: cfg.AggregatedRecordSizeBytes,
		ReadBufferBytes:           cfg.ReadBufferBytes(),
		MultiLineFlushBytes:       maxWholeRecordBytes(LimitsFor(cfg)),
		MinPoll:                   cfg.MinTimeBetweenFilePolls,
		MaxRefresh:                cfg.MaxTimeBetweenFileTrackerRefresh,
		Resume:                    deps.Resume,
		RowTTL:                    deps.CheckpointTTL,
		Stats:                     deps.Stats,
		Logger:                    deps.Logger, // tail names its component
	}
	var err error
	if cfg.MultiLineStartPattern != "" {
		if tcfg.MultiLineStart, err = javaregex.Compile(cfg.MultiLineStartPattern, 0); err != nil {
			return nil, fmt.Errorf("flow %s: multiLineStartPattern: %w", cfg.ID, err)
		}
	}
	if cfg.FileFooterPattern != "" {
		if tcfg.Footer, err = javaregex.Compile(cfg.FileFooterPattern, javaregex.Multiline); err != nil {
			return nil, fmt.Errorf("flow %s: fileFooterPattern: %w", cfg.ID, err)
		}
	}
	tracker := ack.New(cfg.ID, deps.Saver,
		ack.WithFlushInterval(deps.CheckpointInterval),
		ack.WithLogger(deps.Logger), // ack names its component
		ack.WithStats(deps.Stats))
	tcfg.OnBegin = tracker.Seen
	t, err := tail.New(tcfg)
	if err != nil {
		return nil, fmt.Errorf("flow %s: %w", cfg.ID, err)
	}
	deps.Resume = nil // the tailer's now, which drops them after its first scan
	f := &Flow{
		cfg:     cfg,
		deps:    deps,
		tailer:  t,
		log:     deps.Logger.With("component", "FileTailer["+cfg.ID+"]"),
		tracker: tracker,
		limits:  LimitsFor(cfg),
	}
	return f, nil
}

// LimitsFor returns the batch limits of a flow.
func LimitsFor(cfg config.Flow) batch.Limits {
	if cfg.Kind == config.Firehose {
		return batch.FirehoseLimits(cfg.MaxBufferSizeRecords, cfg.MaxBufferSizeBytes, cfg.MaxBufferAge)
	}
	return batch.KinesisLimits(cfg.MaxBufferSizeRecords, cfg.MaxBufferSizeBytes, cfg.MaxBufferAge)
}

// maxWholeRecordBytes is the longest record the destination takes whole:
// its record limit, less the longest partition key where the key counts (a
// record any longer would be truncated by the batch builder). A multi-line
// record without a start line in sight is emitted at a line end at this
// size, and a record longer than this once processed is split.
func maxWholeRecordBytes(l batch.Limits) int {
	if l.CountKey {
		return l.MaxRecordBytes - batch.MaxPartitionKeyBytes
	}
	return l.MaxRecordBytes
}

// DefaultMaxPendingChunks bounds the chunks whose checkpoint is still waiting for
// acknowledgements (about 200 bytes each once their data is released). It
// is only reached when one batch is stuck in retry while later ones keep
// succeeding; reading then pauses, so memory stays bounded.
const DefaultMaxPendingChunks = 1 << 16

// waitForAcks blocks while too many chunks wait for acknowledgement. It
// reports false when ctx ended first.
func (f *Flow) waitForAcks(ctx context.Context) bool {
	limit := int64(f.deps.MaxPendingChunks)
	if f.tracker.Pending() < limit {
		return true
	}
	f.log.Warn("Reading paused: too many records wait for acknowledgement behind an undelivered batch",
		"pendingChunks", f.tracker.Pending())
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for f.tracker.Pending() >= limit {
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
	}
	f.log.Info("Reading resumed")
	return true
}

// keyMode maps partitionKeyOption to the batch builder's key mode.
func keyMode(cfg config.Flow) batch.KeyMode {
	switch {
	case cfg.Kind == config.Firehose:
		return batch.KeyNone
	case cfg.PartitionKeyOption == config.PartitionDeterministic:
		return batch.KeyDeterministic
	default:
		return batch.KeyRandom
	}
}

// ID is the flow id.
func (f *Flow) ID() string { return f.cfg.ID }

// Run runs the flow until ctx is cancelled. Reading stops at once; batches
// already built get up to ShutdownTimeout to be delivered; acknowledged
// positions are saved before Run returns. Records not acknowledged by then
// are read again after a restart (at-least-once, never lost).
func (f *Flow) Run(ctx context.Context) error {
	sendCtx, cancelSend := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelSend()
	ackCtx, cancelAck := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelAck()

	chunks := make(chan *record.Chunk, 2)
	// Unbuffered: a sealed batch waits in the process loop until a sender
	// takes it, so at most Senders+1 batches exist (measured: -6 MB RSS,
	// same throughput; docs/PERFORMANCE.md).
	batches := make(chan *batch.Batch)
	// And their bytes: with records of tens of kilobytes every batch fills
	// to the call's byte limit (5 MiB), and Senders of them in flight, with
	// their request bodies, took 104 MB of RSS for one flow.
	inflight := semaphore.NewWeighted(f.inflightMax())

	var wg sync.WaitGroup
	var tailErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		tailErr = f.tailer.Run(ctx, chunks)
	}()

	var ackWG sync.WaitGroup
	ackWG.Add(1)
	go func() {
		defer ackWG.Done()
		_ = f.tracker.Run(ackCtx)
	}()

	var sendWG sync.WaitGroup
	for i := 0; i < f.deps.Senders; i++ {
		sendWG.Add(1)
		go func() {
			defer sendWG.Done()
			for b := range batches {
				if err := f.deps.Sender.Send(sendCtx, b); err != nil {
					if sendCtx.Err() == nil {
						f.log.Error("send failed", "err", err)
					} else {
						// Cut by the stop (also with shutdownTimeoutMillis 0,
						// which has no deadline timer): Java's "Not all
						// executing send tasks finished cleanly".
						f.sendsUnfinished.Store(true)
					}
				}
				w := f.inflightWeight(b)
				b.Release()
				inflight.Release(w)
			}
		}()
	}

	deadline := f.process(ctx, chunks, batches, inflight)
	close(batches)
	wg.Wait()

	// Reading has stopped: in-flight batches get what is left of the
	// shutdown timeout (counted from the cancellation).
	done := make(chan struct{})
	go func() { sendWG.Wait(); close(done) }()
	if f.deps.ShutdownTimeout > 0 {
		select {
		case <-done:
		case <-time.After(time.Until(deadline)):
			cancelSend() // a send cut by it sets sendsUnfinished
			<-done
		}
	} else {
		cancelSend()
		<-done
	}
	cancelAck()
	ackWG.Wait()
	if err := f.tracker.Flush(); err != nil {
		f.log.Error("final checkpoint failed", "err", err)
	}
	if tailErr != nil && ctx.Err() == nil {
		return tailErr
	}
	return nil
}

// DefaultMaxInflightBytes bounds the bytes beyond inflightAllowance of a
// flow's batches handed to its senders and not yet released: two calls at
// the 5 MiB PutRecords limit. Records of a few KiB (500 of 4 KiB: 2 MiB a
// batch) still keep every sender busy.
const DefaultMaxInflightBytes = 8 << 20

// inflightAllowance is the part of each batch the budget does not count.
const inflightAllowance = 1 << 20

func (f *Flow) inflightMax() int64 {
	if f.deps.MaxInflightBytes > 0 {
		return f.deps.MaxInflightBytes
	}
	return DefaultMaxInflightBytes
}

// inflightWeight is b's share of the in-flight budget: its bytes beyond
// inflightAllowance, no more than the whole budget (a batch over it goes
// alone).
func (f *Flow) inflightWeight(b *batch.Batch) int64 {
	return min(max(int64(b.Bytes)-inflightAllowance, 1), f.inflightMax())
}

// process is the single goroutine that owns the processing chain and the
// batch builder. It returns when ctx is cancelled, with the shutdown
// deadline (cancellation + ShutdownTimeout); before that it finishes the
// chunk it was processing and hands its sealed and partly filled batches
// to the senders, waiting for a free one until the deadline, so that their
// records are delivered now, and the chunk's position saved, rather than
// read (and sent) again after the restart.
func (f *Flow) process(ctx context.Context, chunks <-chan *record.Chunk, batches chan<- *batch.Batch, inflight *semaphore.Weighted) (deadline time.Time) {
	b := batch.NewBuilder(batch.Options{
		Limits:     f.limits,
		Keys:       keyMode(f.cfg),
		Terminator: []byte(f.cfg.TruncatedRecordTerminator),
		Stats:      f.deps.Stats,
		Logger:     f.log,
	})
	stats := f.deps.Stats
	chain := f.deps.Chain
	if chain != nil && chain.Empty() {
		chain = nil // raw records: nothing is "transformed" (Java counts converter output only)
	}
	var scratch []byte
	var lastFallbackLog, lastRawLog time.Time
	stop := ctx.Done()
	// fit is the longest processed record the destination takes whole.
	fit := maxWholeRecordBytes(f.limits)
	// The age timer runs only while a batch is being filled, set to when it
	// becomes due by maxBufferAgeMillis: no wake-ups while idle.
	age := time.NewTimer(time.Hour)
	age.Stop()
	defer age.Stop()
	var ageC <-chan time.Time
	var ageAt time.Time
	armAge := func() {
		due, ok := b.Deadline()
		switch {
		case !ok:
			if ageC != nil {
				age.Stop()
				ageC = nil
			}
		case ageC == nil || !due.Equal(ageAt):
			age.Reset(time.Until(due))
			ageC, ageAt = age.C, due
		}
	}

	// stopping is set once ctx is cancelled: it ends at the shutdown
	// deadline (stopped: cancellation + ShutdownTimeout), feeding half way
	// there. Until feeding ends the chunk being processed is finished and
	// its batches handed on: a chunk's position moves only at its end, and
	// its records delivered before the stop would be sent again after the
	// restart (hundreds of lines per stop of an agent behind its files).
	// A destination too slow to take the rest by then (the chunk cannot
	// complete) keeps the other half for the sends under way, rather than
	// being cut in one handed on at the last moment; the open batch (with
	// records of earlier chunks) still goes until the deadline.
	var stopping, feeding context.Context
	var stopped time.Time
	var cancelStop, cancelFeed context.CancelFunc
	defer func() {
		if cancelStop != nil {
			cancelStop()
			cancelFeed()
		}
	}()
	// (The deadline counts from the cancellation, not from when the loop
	// sees it: a slow record may be in the converter then.)
	var cancelledAt atomic.Int64
	defer context.AfterFunc(ctx, func() { cancelledAt.Store(time.Now().UnixNano()) })()
	beginStop := func() context.Context {
		if stopping == nil {
			at := time.Now()
			if ns := cancelledAt.Load(); ns != 0 {
				at = time.Unix(0, ns)
			}
			stopped = at.Add(f.deps.ShutdownTimeout)
			// Done stays readable once the deadline passed: every batch
			// left after it is released, not only the first.
			stopping, cancelStop = context.WithDeadline(context.Background(), stopped)
			feeding, cancelFeed = context.WithDeadline(stopping, at.Add(f.deps.ShutdownTimeout/2))
		}
		return feeding
	}
	// emitUntil hands a sealed batch to a sender; once ctx is cancelled,
	// only until *until (feeding or stopping) ends, and false (the batch
	// released) after it. emit: while feeding lasts.
	var emitUntil func(full *batch.Batch, until *context.Context) bool
	emit := func(full *batch.Batch) bool { return emitUntil(full, &feeding) }
	// finish hands the open batch to the senders until the deadline; a
	// batch no sender took is released unacknowledged (read again after
	// the restart). Called amid chunk c, left unfinished (nil: between
	// chunks), a batch of c's records alone is released at once: c cannot
	// complete, so they are read and sent again after the restart whatever
	// happens, and handed on late, its send was cut at the deadline.
	finish := func(c *record.Chunk) time.Time {
		beginStop()
		bt := b.Flush(time.Now())
		if bt != nil && c != nil && !slices.ContainsFunc(bt.Entries, func(e batch.Entry) bool { return e.Chunk != c }) {
			bt.Release()
			return stopped
		}
		emitUntil(bt, &stopping)
		return stopped
	}
	// add puts one record into the open batch and sends the batches it
	// fills; false once feeding ended (see stopping).
	add := func(out []byte, c *record.Chunk, rec, within int) bool {
		if full := b.AddRecord(out, c, rec, within); full != nil {
			// The record may have sealed the previous batch and filled the
			// next (one at least maxBufferSizeBytes): that one is not left
			// to wait for its age. A sealed batch with records of earlier,
			// finished chunks gets until the deadline (their positions
			// move when it is acknowledged); one of c's alone, only while
			// feeding lasts.
			until := &feeding
			if slices.ContainsFunc(full.Entries, func(e batch.Entry) bool { return e.Chunk != c }) {
				until = &stopping
			}
			if !emitUntil(full, until) || (b.Full() && !emit(b.Flush(time.Now()))) {
				return false
			}
		}
		return true
	}
	emitUntil = func(full *batch.Batch, until *context.Context) bool {
		if full == nil {
			return true
		}
		w := f.inflightWeight(full)
		if stopping == nil {
			if inflight.Acquire(ctx, w) == nil {
				select {
				case batches <- full:
					return true
				case <-ctx.Done():
					inflight.Release(w)
				}
			}
			beginStop()
		}
		if inflight.Acquire(*until, w) != nil {
			full.Release()
			return false
		}
		select {
		case batches <- full:
			return true
		case <-(*until).Done():
			inflight.Release(w)
			full.Release()
			return false
		}
	}
	for {
		if stopping != nil {
			return finish(nil)
		}
		select {
		case <-ctx.Done():
			return finish(nil)
		case now := <-ageC:
			ageC = nil
			if b.Due(now) {
				// (Records of finished chunks: until the deadline.)
				if !emitUntil(b.Flush(now), &stopping) {
					return finish(nil)
				}
			}
			armAge()
		case c, ok := <-chunks:
			if !ok || ctx.Err() != nil {
				// (No chunk is begun after a stop.)
				if ok {
					c.ReleaseData()
				}
				return finish(nil)
			}
			if f.tracker.Pending() >= int64(f.deps.MaxPendingChunks) {
				// The chunks waited for may be the open batch's own:
				// send it before waiting, or nothing ever acknowledges them.
				// (Records of finished chunks: until the deadline.)
				if !emitUntil(b.Flush(time.Now()), &stopping) {
					c.ReleaseData()
					return finish(nil)
				}
			}
			if !f.waitForAcks(ctx) || ctx.Err() != nil {
				// (Also when the wait ended with the stop: no chunk is
				// begun after it.)
				c.ReleaseData()
				return finish(nil)
			}
			n := c.Len()
			f.tracker.Add(c)
			var transformed, skipped, fallback int64
			for i := 0; i < n; i++ {
				if chain != nil {
					select {
					case <-stop:
						// A stop finishes the chunk, but not past the
						// deadline (a slow converter could take long): its
						// records not added are not acknowledged and are
						// read again after the restart. (Raw records cost
						// nothing to add.)
						if beginStop().Err() != nil {
							c.ReleaseData()
							return finish(c)
						}
					default:
					}
				}
				rec := c.Record(i)
				out := rec
				if chain != nil {
					var res processors.Result
					scratch, res = chain.Process(scratch[:0], rec)
					if res != processors.Skipped && len(scratch) > fit && lineEndNear(rec) > 0 {
						// Too long once processed (a long multi-line record
						// made longer by a converter): pieces cut at line
						// ends, not one record cut short.
						var ps pieceCounts
						ok := addPieces(chain, rec, fit, &scratch, &ps, c, i, 0, add)
						transformed, fallback = transformed+ps.transformed, fallback+ps.fallback
						if ps.raw > 0 && time.Since(lastRawLog) >= 10*time.Second {
							lastRawLog = time.Now()
							f.log.Warn("Parts of a record too long once processed were sent raw: processing skips them on their own",
								"parts", ps.raw, "note", "logged at most every 10s")
						}
						if !ok {
							// Not acknowledged: the parts not handed on were
							// never counted, so the chunk must not complete.
							c.ReleaseData()
							return finish(c)
						}
						c.Ack(1) // the record itself; each part counted one more
						continue
					}
					switch res {
					case processors.Skipped:
						skipped++
						c.Ack(1)
						continue
					case processors.Fallback:
						fallback++
					default:
						transformed++
					}
					out = scratch
				}
				if !add(out, c, i, 0) {
					c.ReleaseData()
					return finish(c)
				}
			}
			c.ReleaseData()
			if cap(scratch) > 1<<20 {
				scratch = nil // (a record of megabytes: not kept for the flow's life)
			}
			if fallback > 0 && time.Since(lastFallbackLog) >= 10*time.Second {
				lastFallbackLog = time.Now()
				f.log.Warn(fmt.Sprintf("Cannot process input data: %v, falling back to raw data.", chain.LastError()),
					"records", fallback, "note", "logged at most every 10s")
			}
			if chain != nil {
				stats.RecordsTransformed.Add(transformed)
				stats.RecordsSkipped.Add(skipped)
				stats.ProcessingErrors.Add(fallback)
				if skipped > 0 {
					f.log.Warn(fmt.Sprintf("%d record parsed but skipped for processing and delivering", skipped))
				}
			}
			armAge()
		}
	}
}

// pieceCounts are the processing outcomes of the pieces of a split record:
// raw ones are pieces processing skipped on their own (a filter only the
// record's first line passes), sent raw.
type pieceCounts struct{ transformed, fallback, raw int64 }

// addPieces adds rec, a record of several lines whose processed form is
// longer than fit, as two pieces cut at a line end near its middle,
// each processed alone and split again while it is still too long. A
// single line too long is added as it is (the batch builder cuts it, as
// Java does). Each piece added counts one more record of c to acknowledge,
// before it is handed on. buf is the processing scratch buffer. It returns
// false once the flow stopped.
func addPieces(chain *processors.Chain, rec []byte, fit int, buf *[]byte, n *pieceCounts, c *record.Chunk, ri, within int,
	add func(out []byte, c *record.Chunk, rec, within int) bool) bool {
	cut := lineEndNear(rec)
	for k, piece := range [2][]byte{rec[:cut], rec[cut:]} {
		at := within // piece's first byte in record ri
		if k == 1 {
			at += cut
		}
		out, res := chain.Process((*buf)[:0], piece)
		skipped := res == processors.Skipped
		if skipped {
			// The record as a whole was taken; a piece is not dropped.
			out = append(out[:0], piece...)
		}
		*buf = out
		if len(out) > fit && lineEndNear(piece) > 0 {
			if !addPieces(chain, piece, fit, buf, n, c, ri, at, add) {
				return false
			}
			continue
		}
		switch {
		case skipped:
			n.raw++
		case res == processors.Fallback:
			n.fallback++
		default:
			n.transformed++
		}
		c.Grow(1)
		if !add(out, c, ri, at) {
			return false
		}
	}
	return true
}

// lineEndNear returns where to cut rec in two at a line end (the offset
// after the '\n'): the last one before its middle, else the first after
// it; 0 when rec has no line end before its last byte.
func lineEndNear(rec []byte) int {
	if len(rec) < 2 {
		return 0
	}
	inner := rec[:len(rec)-1] // a last '\n' ends the record; it cuts nothing
	mid := len(rec) / 2
	if i := bytes.LastIndexByte(inner[:mid], '\n'); i >= 0 {
		return i + 1
	}
	if i := bytes.IndexByte(inner[mid:], '\n'); i >= 0 {
		return mid + i + 1
	}
	return 0
}
