// Package metrics publishes the agent's CloudWatch metrics (Emitter) and
// logs the Java agent's progress lines (Reporter).
//
// CloudWatch (Java §7.1): per send call, dimension Destination =
// "KinesisStream:<name>" / "DeliveryStream:<name>", the Count metrics
// RecordSendAttempts, ServiceErrors, RecordsSent, RecordSendErrors and the
// Bytes metric BytesSent; per flow every status period
// ConsecutiveProcessingErrors (Count) with Destination = the bare name.
// With tagInstance every datum also carries the Instance dimension.
//
// Datums are merged in memory by name + dimensions into statistic sets
// (SampleCount, Sum, Minimum, Maximum) and sent without timestamps, every
// BufferTime and as soon as FlushSize (200) distinct datums are queued.
// ObserveCall only takes a mutex and updates a map: a slow or failing
// CloudWatch never blocks the flows.
package metrics

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
)

// CloudWatchAPI is the part of *cloudwatch.Client the Emitter uses.
type CloudWatchAPI interface {
	PutMetricData(ctx context.Context, in *cloudwatch.PutMetricDataInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error)
}

// Defaults (Java's values unless noted).
const (
	DefaultNamespace  = "AWSKinesisAgent"
	DefaultBufferTime = 30 * time.Second
	DefaultQueueSize  = 10000
	// DefaultFlushSize is the number of distinct queued datums that
	// triggers a flush before BufferTime.
	DefaultFlushSize = 200
	// DefaultBatchSize is the number of datums per PutMetricData call.
	// Java sends 20 per call; the API now accepts 1000 datums (and 1 MB)
	// per call, and a datum here is under 200 bytes, so one call carries a
	// whole flush. Fewer calls cost less; the INFO line per call therefore
	// reports larger numbers than Java's.
	DefaultBatchSize = 1000
	// MaxBatchSize is the API limit of datums per call.
	MaxBatchSize         = 1000
	DefaultStatusPeriod  = 30 * time.Second
	DefaultCallTimeout   = 10 * time.Second
	DefaultFinalFlush    = 2 * time.Second
	DefaultWarnInterval  = time.Minute
	instanceDimension    = "Instance"
	destinationDimension = "Destination"
)

// Options configure an Emitter. Zero values mean the defaults.
type Options struct {
	Namespace  string        // cloudwatch.namespace
	BufferTime time.Duration // cloudwatch.metricsBufferTimeMillis
	QueueSize  int           // cloudwatch.metricsQueueSize: max distinct queued datums
	FlushSize  int           // distinct datums that trigger an early flush
	BatchSize  int           // datums per PutMetricData call (1..1000)

	// TagInstance adds the Instance dimension (cloudwatch.tagInstance) with
	// InstanceID, or the host name when InstanceID is empty.
	TagInstance bool
	InstanceID  string

	// Flows are sampled every StatusPeriod for ConsecutiveProcessingErrors,
	// and once at shutdown. A negative StatusPeriod never samples them:
	// log.statusReportingPeriodSeconds <= 0, with which Java's status
	// routine, the only one to send the metric, fails.
	Flows        []*flowstats.Flow
	StatusPeriod time.Duration // log.statusReportingPeriodSeconds

	CallTimeout       time.Duration // per PutMetricData call
	FinalFlushTimeout time.Duration // deadline of the flush at shutdown
	WarnInterval      time.Duration // at most one failure WARN per interval (1 min)

	Logger *slog.Logger
	Now    func() time.Time
	// Redact masks secrets in error text before it is logged (default:
	// none); see send.Options.Redact.
	Redact func(string) string
}

// Emitter aggregates metrics and publishes them to CloudWatch. It
// implements flowstats.CallObserver.
type Emitter struct {
	api  CloudWatchAPI
	opts Options
	log  *slog.Logger
	inst []types.Dimension

	mu      sync.Mutex
	dimsOf  map[string][]types.Dimension // per destination, reused (read-only)
	queue   map[datumKey]*datum
	order   []datumKey // keys in first-enqueue order
	dropped int64      // datums dropped because the queue was full

	flushCh chan struct{}
	sendMu  sync.Mutex // one flush at a time

	// shutdownBy is when everything ends after the run context is
	// cancelled: FinalFlushTimeout after it, for the call in flight and
	// the final flush together.
	shutdownBy atomic.Pointer[time.Time]

	// failure WARN rate limiting (owned by sendMu)
	lastWarn       time.Time
	suppressedErrs int
	suppressedDrop int64
}

type datum struct {
	name  string
	unit  types.StandardUnit
	dims  []types.Dimension
	count float64
	sum   float64
	min   float64
	max   float64
}

// NewEmitter returns an Emitter; call Run to publish.
func NewEmitter(api CloudWatchAPI, cfg Options) *Emitter {
	if cfg.Namespace == "" {
		cfg.Namespace = DefaultNamespace
	}
	if cfg.BufferTime <= 0 {
		cfg.BufferTime = DefaultBufferTime
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = DefaultQueueSize
	}
	if cfg.FlushSize <= 0 {
		cfg.FlushSize = DefaultFlushSize
	}
	if cfg.BatchSize <= 0 || cfg.BatchSize > MaxBatchSize {
		cfg.BatchSize = DefaultBatchSize
	}
	if cfg.StatusPeriod == 0 {
		cfg.StatusPeriod = DefaultStatusPeriod
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = DefaultCallTimeout
	}
	if cfg.FinalFlushTimeout <= 0 {
		cfg.FinalFlushTimeout = DefaultFinalFlush
	}
	if cfg.WarnInterval <= 0 {
		cfg.WarnInterval = DefaultWarnInterval
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	e := &Emitter{
		api:     api,
		opts:    cfg,
		log:     log.With("component", "CWPublisherRunnable"),
		queue:   map[datumKey]*datum{},
		dimsOf:  map[string][]types.Dimension{},
		flushCh: make(chan struct{}, 1),
	}
	if cfg.TagInstance {
		id := cfg.InstanceID
		if id == "" {
			id, _ = os.Hostname()
		}
		if id != "" {
			e.inst = []types.Dimension{{Name: aws.String(instanceDimension), Value: aws.String(id)}}
		}
	}
	return e
}

// ObserveCall records the outcome of one send call. It never blocks on
// CloudWatch.
func (e *Emitter) ObserveCall(c flowstats.Call) {
	serviceErr := 0.0
	if c.ServiceError {
		serviceErr = 1
	}
	e.mu.Lock()
	dims := e.dimsLocked(c.Destination)
	e.addLocked("RecordSendAttempts", types.StandardUnitCount, dims, float64(c.Attempted))
	e.addLocked("ServiceErrors", types.StandardUnitCount, dims, serviceErr)
	if !c.ServiceError {
		e.addLocked("RecordsSent", types.StandardUnitCount, dims, float64(c.Sent))
		e.addLocked("RecordSendErrors", types.StandardUnitCount, dims, float64(c.Failed))
		e.addLocked("BytesSent", types.StandardUnitBytes, dims, float64(c.BytesSent))
	}
	full := len(e.queue) >= e.opts.FlushSize
	e.mu.Unlock()
	if full {
		e.kick()
	}
}

// SampleFlows enqueues ConsecutiveProcessingErrors for every flow; Run
// calls it every StatusPeriod.
func (e *Emitter) SampleFlows() {
	full := false
	for _, f := range e.opts.Flows {
		v := float64(f.ConsecutiveErrors.Load())
		e.mu.Lock()
		dims := e.dimsLocked(f.Destination)
		e.addLocked("ConsecutiveProcessingErrors", types.StandardUnitCount, dims, v)
		full = len(e.queue) >= e.opts.FlushSize
		e.mu.Unlock()
	}
	if full {
		e.kick()
	}
}

func (e *Emitter) kick() {
	select {
	case e.flushCh <- struct{}{}:
	default:
	}
}

// dimsLocked returns the (shared, never modified) dimension list of a
// destination value.
func (e *Emitter) dimsLocked(destination string) []types.Dimension {
	if d, ok := e.dimsOf[destination]; ok {
		return d
	}
	d := make([]types.Dimension, 0, 1+len(e.inst))
	d = append(d, types.Dimension{Name: aws.String(destinationDimension), Value: aws.String(destination)})
	d = append(d, e.inst...)
	e.dimsOf[destination] = d
	return d
}

// datumKey identifies a queued datum: the dimensions are a function of
// the Destination value (plus the fixed Instance dimension).
type datumKey struct{ name, destination string }

func (e *Emitter) addLocked(name string, unit types.StandardUnit, dims []types.Dimension, v float64) {
	k := datumKey{name, aws.ToString(dims[0].Value)}
	if d, ok := e.queue[k]; ok {
		d.count++
		d.sum += v
		d.min = min(d.min, v)
		d.max = max(d.max, v)
		return
	}
	if len(e.queue) >= e.opts.QueueSize {
		e.dropped++
		return
	}
	e.queue[k] = &datum{name: name, unit: unit, dims: dims, count: 1, sum: v, min: v, max: v}
	e.order = append(e.order, k)
}

// Queued returns the number of distinct datums waiting to be sent.
func (e *Emitter) Queued() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.queue)
}

// Run publishes until ctx is cancelled, then flushes once more within
// FinalFlushTimeout. It returns nil.
func (e *Emitter) Run(ctx context.Context) error {
	defer context.AfterFunc(ctx, func() { e.shutdownDeadline() })()
	flush := time.NewTicker(e.opts.BufferTime)
	defer flush.Stop()
	var statusC <-chan time.Time // nil: never sampled
	if e.opts.StatusPeriod > 0 {
		status := time.NewTicker(e.opts.StatusPeriod)
		defer status.Stop()
		statusC = status.C
	}
	for {
		select {
		case <-ctx.Done():
			if statusC != nil {
				e.SampleFlows()
			}
			fctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), e.shutdownDeadline())
			e.Flush(fctx)
			cancel()
			return nil
		case <-statusC:
			e.SampleFlows()
		case <-flush.C:
			e.Flush(ctx)
		case <-e.flushCh:
			e.Flush(ctx)
			flush.Reset(e.opts.BufferTime)
		}
	}
}

// Flush sends everything queued now, in batches of BatchSize. A failed
// batch is dropped and logged (WARN at most once per WarnInterval).
func (e *Emitter) Flush(ctx context.Context) {
	e.sendMu.Lock()
	defer e.sendMu.Unlock()

	e.mu.Lock()
	batch := make([]types.MetricDatum, 0, len(e.order))
	for _, k := range e.order {
		d := e.queue[k]
		batch = append(batch, types.MetricDatum{
			MetricName: aws.String(d.name),
			Unit:       d.unit,
			Dimensions: d.dims,
			StatisticValues: &types.StatisticSet{
				SampleCount: aws.Float64(d.count),
				Sum:         aws.Float64(d.sum),
				Minimum:     aws.Float64(d.min),
				Maximum:     aws.Float64(d.max),
			},
		})
	}
	clear(e.queue)
	e.order = e.order[:0]
	dropped := e.dropped
	e.dropped = 0
	e.mu.Unlock()

	if dropped > 0 {
		e.warn(fmt.Sprintf("Metrics queue full - dropping metric (%d datums dropped)", dropped), dropped, 0)
	}
	for len(batch) > 0 {
		n := min(len(batch), e.opts.BatchSize)
		part := batch[:n]
		batch = batch[n:]
		if ctx.Err() != nil {
			// Shutting down: keep the rest for the final flush.
			e.requeue(append(part, batch...))
			return
		}
		cctx, cancel := e.callContext(ctx)
		_, err := e.api.PutMetricData(cctx, &cloudwatch.PutMetricDataInput{
			Namespace:  aws.String(e.opts.Namespace),
			MetricData: part,
		})
		cancel()
		if err != nil {
			msg := err.Error()
			if e.opts.Redact != nil {
				msg = e.opts.Redact(msg)
			}
			e.warn(fmt.Sprintf("Could not publish %d datums to CloudWatch", n), 0, 1, "error", msg)
			continue
		}
		e.log.Info(fmt.Sprintf("Successfully published %d datums.", n))
	}
}

// shutdownDeadline is FinalFlushTimeout after the run context ended, set
// by the first to ask once it has.
func (e *Emitter) shutdownDeadline() time.Time {
	if p := e.shutdownBy.Load(); p != nil {
		return *p
	}
	d := time.Now().Add(e.opts.FinalFlushTimeout)
	if e.shutdownBy.CompareAndSwap(nil, &d) {
		return d
	}
	return *e.shutdownBy.Load()
}

// callContext is the context of one PutMetricData: CallTimeout, and once
// ctx ends (shutdown) until the shutdown deadline. A call in flight then
// finishes instead of being cancelled (CloudWatch may have its datums
// already: sending them again in the final flush would count them twice,
// and dropping them lost the period), and with the final flush it ends
// within FinalFlushTimeout of the shutdown. The final flush's own context
// carries that deadline.
func (e *Emitter) callContext(ctx context.Context) (context.Context, context.CancelFunc) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.opts.CallTimeout)
	if dl, ok := ctx.Deadline(); ok {
		dctx, dcancel := context.WithDeadline(cctx, dl)
		return dctx, func() {
			dcancel()
			cancel()
		}
	}
	stop := context.AfterFunc(ctx, func() {
		t := time.NewTimer(time.Until(e.shutdownDeadline()))
		defer t.Stop()
		select {
		case <-t.C:
			cancel()
		case <-cctx.Done():
		}
	})
	return cctx, func() {
		stop()
		cancel()
	}
}

// requeue merges datums that were taken but not sent back into the queue.
func (e *Emitter) requeue(ds []types.MetricDatum) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, m := range ds {
		s := m.StatisticValues
		name := aws.ToString(m.MetricName)
		k := datumKey{name, aws.ToString(m.Dimensions[0].Value)}
		if d, ok := e.queue[k]; ok {
			d.count += *s.SampleCount
			d.sum += *s.Sum
			d.min = min(d.min, *s.Minimum)
			d.max = max(d.max, *s.Maximum)
			continue
		}
		if len(e.queue) >= e.opts.QueueSize {
			e.dropped++
			continue
		}
		e.queue[k] = &datum{name: name, unit: m.Unit, dims: m.Dimensions,
			count: *s.SampleCount, sum: *s.Sum, min: *s.Minimum, max: *s.Maximum}
		e.order = append(e.order, k)
	}
}

// warn logs msg at WARN unless one was logged within WarnInterval; the
// suppressed count is reported with the next WARN. Called under sendMu.
func (e *Emitter) warn(msg string, drops int64, errs int, attrs ...any) {
	now := e.opts.Now()
	if !e.lastWarn.IsZero() && now.Sub(e.lastWarn) < e.opts.WarnInterval {
		e.suppressedErrs += errs
		e.suppressedDrop += drops
		return
	}
	if e.suppressedErrs > 0 || e.suppressedDrop > 0 {
		attrs = append(attrs, "suppressedFailures", e.suppressedErrs, "suppressedDroppedDatums", e.suppressedDrop)
	}
	e.suppressedErrs, e.suppressedDrop = 0, 0
	e.lastWarn = now
	e.log.Warn(msg, attrs...)
}

// NopObserver discards call reports (cloudwatch.emitMetrics = false and no
// status endpoint).
type NopObserver struct{}

// ObserveCall implements flowstats.CallObserver.
func (NopObserver) ObserveCall(flowstats.Call) {}

// Multi fans one call report out to several observers, in order; nil
// entries are skipped. Every observer must itself be non-blocking.
func Multi(obs ...flowstats.CallObserver) flowstats.CallObserver {
	var out multi
	for _, o := range obs {
		if o != nil {
			out = append(out, o)
		}
	}
	switch len(out) {
	case 0:
		return NopObserver{}
	case 1:
		return out[0]
	}
	return out
}

type multi []flowstats.CallObserver

func (m multi) ObserveCall(c flowstats.Call) {
	for _, o := range m {
		o.ObserveCall(c)
	}
}
