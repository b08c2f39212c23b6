// Package agent wires the configured flows, the checkpoint store, the AWS
// clients and the metrics together and runs them until shutdown.
package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/awsclient"
	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/config"
	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/metrics"
	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/status"
	"github.com/kinesis-agent-go/aws-kinesis-agent/checkpoint"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/send"
	"github.com/kinesis-agent-go/aws-kinesis-agent/processors"
)

// Options are the process-level settings that do not come from agent.json.
type Options struct {
	Logger  *slog.Logger
	Version string
	// StatusStallAfter overrides how long a flow with pending data may go
	// without a successful send before /healthz reports 503 (default 5 min).
	StatusStallAfter time.Duration
	// ClientOptions are passed to awsclient.New (tests inject endpoints).
	ClientOptions []awsclient.Option
	// DisableCBOR sends PutRecords as awsJson1.1 instead of CBOR
	// (application/x-amz-cbor-1.1, the AWS SDK for Java's default and so
	// the Java agent's). main sets it from AWS_CBOR_DISABLE, the Java SDK's
	// variable: kinesalite cannot give back the data of a CBOR put.
	DisableCBOR bool
	// CheckpointLockCheck overrides how often the agent checks that its
	// checkpoint lock file is still there (default 10 s).
	CheckpointLockCheck time.Duration
	// CheckpointExpireEvery overrides how often expired checkpoint rows
	// are deleted while the agent runs (default an hour).
	CheckpointExpireEvery time.Duration
}

// Run runs the agent until ctx is cancelled (graceful shutdown, bounded by
// cfg.ShutdownTimeout) or a fatal error occurs.
func Run(ctx context.Context, cfg *config.Config, opts Options) error {
	start := time.Now()
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	alog := log.With("component", "Agent")
	if len(cfg.Flows) == 0 {
		return errors.New("agent: no flows configured") // config.Load reports this with Java's text
	}

	senders := cfg.MaxSendingThreads
	// Java's text and order (spec §1.2 step 6), "null:" included: its
	// service name is not set yet when it writes the line, and scripts
	// parse it.
	log.Info(fmt.Sprintf("null: Agent will use up to %d threads for sending data.", senders))

	var private []string
	if mi, err := os.ReadFile("/proc/self/mountinfo"); err == nil {
		private = privateTmpMounts(mi)
		warnPrivateTmp(cfg, private, alog)
	}
	if cfg.CheckpointFile != "" {
		warnCheckpointInMemory(cfg.CheckpointFile, private, statfsType, alog)
	}
	store, lock, err := openCheckpoints(cfg, alog)
	if err != nil {
		return err
	}
	defer lock.Release()
	defer store.Close()
	// Losing the checkpoint lock to another agent shuts this one down, as
	// a start would have been refused.
	ctx, stopRun := context.WithCancelCause(ctx)
	defer stopRun(nil)
	if n, err := store.DeleteExpired(cfg.CheckpointTTLDays); err != nil {
		alog.Warn("could not delete old checkpoints", "err", err)
	} else {
		log.Info(fmt.Sprintf("Deleted %d old checkpoints.", n))
	}

	copts := append([]awsclient.Option{awsclient.WithLogger(log), awsclient.WithAgentVersion(opts.Version)}, opts.ClientOptions...)
	clients, err := awsclient.New(ctx, cfg, copts...)
	if err != nil {
		return err
	}
	// Last, when every user of the clients has stopped (the flows and the
	// background services are waited for before Run returns).
	defer clients.Close()

	stats := make([]*flowstats.Flow, len(cfg.Flows))
	for i, fc := range cfg.Flows {
		stats[i] = flowstats.New(fc.ID, fc.Destination, fc.Kind == config.Firehose)
	}

	var observers []flowstats.CallObserver
	var latency *status.LatencyObserver
	if cfg.StatusListenAddress != "" {
		latency = status.NewLatencyObserver()
		observers = append(observers, latency)
	}
	var emitter *metrics.Emitter
	if cfg.CloudWatch.EmitMetrics {
		instanceID := ""
		if cfg.CloudWatch.TagInstance {
			// Java: the EC2 instance id, or the host name when unavailable.
			if id, err := clients.InstanceID(ctx); err == nil {
				instanceID = id
			} else {
				alog.Info("cloudwatch.tagInstance: no EC2 instance id, using the host name", "err", err)
			}
		}
		emitter = metrics.NewEmitter(clients.CloudWatch, metrics.Options{
			Namespace:    cfg.CloudWatch.Namespace,
			BufferTime:   cfg.CloudWatch.BufferTime,
			QueueSize:    cfg.CloudWatch.QueueSize,
			TagInstance:  cfg.CloudWatch.TagInstance,
			InstanceID:   instanceID,
			StatusPeriod: statusPeriod(cfg.StatusReportingPeriod),
			Flows:        stats,
			Logger:       log, // names its own component
			Redact:       clients.Redact,
		})
		observers = append(observers, emitter)
	}
	var observer flowstats.CallObserver = metrics.NopObserver{}
	if len(observers) > 0 {
		observer = metrics.Multi(observers...)
	}

	alog.Info("Starting up...")
	if slices.ContainsFunc(cfg.Flows, func(fc config.Flow) bool { return fc.Kind != config.Firehose }) {
		if opts.DisableCBOR {
			alog.Info("Kinesis PutRecords requests are sent in JSON (application/x-amz-json-1.1): AWS_CBOR_DISABLE is set.")
		} else if clients.EndpointOverridden(awsclient.KinesisService) {
			// An emulator, most likely: kinesalite accepts CBOR puts but
			// cannot give their data back.
			alog.Info("Kinesis PutRecords requests to " + clients.Endpoint(awsclient.KinesisService) +
				" are sent in CBOR (application/x-amz-cbor-1.1), as the Java agent sends them; stock kinesalite cannot give back the data of a CBOR put: with it, set AWS_CBOR_DISABLE=true (JSON).")
		}
	}
	unconfigured, err := unconfiguredFlows(store, cfg)
	if err != nil {
		return fmt.Errorf("checkpoints: %w", err)
	}
	runners := make([]*flows.Flow, 0, len(cfg.Flows))
	flowInternal := map[string]bool{}
	perFlowSenders := max(1, min(8, senders/len(cfg.Flows)))
	for i := range cfg.Flows {
		fc := cfg.Flows[i]
		st := stats[i]
		chain, err := processors.Build(fc.DataProcessingOptions, processors.Deps{Logger: log.With("component", "DataProcessor["+fc.ID+"]")})
		if err != nil {
			return fmt.Errorf("%s: %w", fc.Source, err)
		}
		resume, err := resumeFor(store, fc, unconfigured, alog)
		if err != nil {
			return fmt.Errorf("checkpoints for flow %s: %w", fc.ID, err)
		}
		sopts := send.Options{
			Backoff:  send.NewBackoff(fc.RetryInitialBackoff, fc.RetryMaxBackoff),
			Stats:    st,
			Observer: observer,
			Logger:   log.With("component", "AsyncPublisher["+fc.ID+"]"),
			Redact:   clients.Redact,
			// (Named in errors getting credentials.)
			CredentialSource: clients.CredentialSource(),
			// Our PutRecords and PutRecordBatch codecs: a third to a half of
			// the SDK serializer's CPU and a twentieth of its allocations
			// (docs/PERFORMANCE.md); tested against kinesalite, kinesis-local,
			// the fault proxy and the Firehose test server.
			FastCodec: true,
			CBOR:      !opts.DisableCBOR,
		}
		var sender send.Sender
		if fc.Kind == config.Firehose {
			// (The region its calls are signed for: the endpoint's host
			// may name another than the agent's.)
			sopts.Endpoint, sopts.Region = clients.Endpoint(awsclient.FirehoseService), clients.ServiceRegion(awsclient.FirehoseService)
			sender = send.NewFirehose(clients.Firehose, fc.Destination, sopts)
		} else {
			sopts.Endpoint, sopts.Region = clients.Endpoint(awsclient.KinesisService), clients.ServiceRegion(awsclient.KinesisService)
			sender = send.NewKinesis(clients.Kinesis, fc.Destination, sopts)
		}
		f, err := flows.New(fc, flows.Deps{
			Sender:          sender,
			Saver:           store,
			Resume:          resume,
			CheckpointTTL:   checkpointTTL(cfg.CheckpointTTLDays),
			Chain:           chain,
			Stats:           st,
			Logger:          log,
			Senders:         perFlowSenders,
			ShutdownTimeout: cfg.ShutdownTimeout,
		})
		if err != nil {
			return err
		}
		if fc.EmitInternalMetrics {
			flowInternal[fc.ID] = true
		}
		runners = append(runners, f)
	}

	// The status listener is opened before anything runs in the
	// background: a start that fails here (its port taken) must not send
	// the metrics emitter's final sample, which tells CloudWatch alarms
	// the agent is alive.
	var srv *status.Server
	if cfg.StatusListenAddress != "" {
		sopts := []status.Option{status.WithLatency(latency), status.WithStartTime(start),
			status.WithLogger(log.With("component", "StatusServer"))}
		if opts.StatusStallAfter > 0 {
			sopts = append(sopts, status.WithStallAfter(opts.StatusStallAfter))
		}
		if srv, err = status.New(cfg.StatusListenAddress, cfg.StatusAllowRemote, stats, sopts...); err != nil {
			return err
		}
	}

	// Background services stop when bg is cancelled, after the flows.
	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	var bgWG sync.WaitGroup
	goBG := func(run func(context.Context)) {
		bgWG.Add(1)
		go func() { defer bgWG.Done(); run(bg) }()
	}
	every := keepLockEvery
	if opts.CheckpointLockCheck > 0 {
		every = opts.CheckpointLockCheck
	}
	goBG(func(c context.Context) { keepLock(c, lock, every, alog, stopRun) })
	if cfg.CheckpointTTLDays > 0 {
		expireEvery := time.Hour
		if opts.CheckpointExpireEvery > 0 {
			expireEvery = opts.CheckpointExpireEvery
		}
		goBG(func(c context.Context) { expireCheckpoints(c, store, cfg.CheckpointTTLDays, expireEvery, alog) })
	}
	// The preflight never delays tailing.
	goBG(func(c context.Context) {
		errs := clients.Preflight(c, cfg.Flows)
		if c.Err() != nil {
			return // stopped before it finished: its errors are the cancellation's
		}
		for _, err := range errs {
			// A role allowed to send but not to describe (least
			// privilege) is not an error: sending will tell.
			if pe := (*awsclient.PreflightError)(nil); errors.As(err, &pe) && pe.DescribeDenied {
				alog.Warn(err.Error())
				continue
			}
			alog.Error(err.Error())
		}
	})
	if emitter != nil {
		goBG(func(c context.Context) { _ = emitter.Run(c) })
	}
	reporter := metrics.NewReporter(stats, metrics.ReporterOptions{
		Period:              cfg.StatusReportingPeriod,
		EmitInternalMetrics: cfg.LogEmitInternalMetrics,
		FlowInternalMetrics: flowInternal,
		Logger:              log,
		MaxSendingThreads:   senders,
		Start:               start,
	})
	goBG(func(c context.Context) { _ = reporter.Run(c) })
	if srv != nil {
		alog.Info("status endpoint listening", "addr", srv.Addr())
		goBG(func(c context.Context) { _ = srv.Run(c) })
	}

	var wg sync.WaitGroup
	errs := make(chan error, len(runners))
	for _, f := range runners {
		alog.Info("Starting tailer for file " + f.ID())
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f.Run(ctx); err != nil {
				errs <- fmt.Errorf("flow %s: %w", f.ID(), err)
			}
		}()
	}
	alog.Info(fmt.Sprintf("Startup completed in %d ms.", time.Since(start).Milliseconds()))

	<-ctx.Done()
	shutdownStart := time.Now()
	alog.Info("Shutting down...")
	wg.Wait()
	for _, f := range runners {
		if f.SendsUnfinished() {
			alog.Info("Not all executing send tasks finished cleanly by shutdown.")
			break
		}
	}
	reporter.Report()
	stopBG()
	bgWG.Wait()
	close(errs)
	var firstErr error
	for err := range errs {
		if firstErr == nil {
			firstErr = err
		}
	}
	alog.Info(fmt.Sprintf("Shut down completed in %d ms. Uptime: %d ms",
		time.Since(shutdownStart).Milliseconds(), time.Since(start).Milliseconds()))
	if cause := context.Cause(ctx); errors.Is(cause, checkpoint.ErrInUse) {
		return cause
	}
	return firstErr
}

// openCheckpoints takes the lifetime lock of the configured checkpoint file,
// or of the default one, then opens it (after importing the Java agent's
// checkpoints on first start). The lock is nil where the file system has no
// locks; it is released after the store is closed.
func openCheckpoints(cfg *config.Config, log *slog.Logger) (_ *checkpoint.Store, _ *checkpoint.Lock, err error) {
	path := cfg.CheckpointFile
	if path == "" {
		path = checkpoint.DefaultPath
	}
	lock, err := checkpoint.LockFor(path)
	switch {
	case errors.Is(err, checkpoint.ErrLockUnsupported):
		log.Warn("running without the checkpoint file's lock: a second agent given the same checkpointFile would not be stopped", "err", err)
	case err != nil:
		return nil, nil, notWritable(cfg, path, err, writableDir)
	}
	defer func() {
		if err != nil {
			lock.Release()
		}
	}()
	if cfg.CheckpointFile == "" {
		if _, err := os.Stat(path); os.IsNotExist(err) {
			imported, err := checkpoint.ImportJava(path, checkpoint.JavaDefaultPath)
			switch {
			case errors.Is(err, checkpoint.ErrNotJavaCheckpoints):
				log.Warn("could not import the Java agent's checkpoints; starting without them", "from", checkpoint.JavaDefaultPath, "err", err)
			case errors.Is(err, checkpoint.ErrJavaCheckpointsUnreadable):
				// Starting without its rows would resume every file by
				// initialPosition: lines skipped or sent again. The
				// operator decides.
				return nil, nil, fmt.Errorf("the Java agent's checkpoint file %s cannot be read by this agent's user: make it readable (chown or chmod), or move it away to start without the Java agent's positions: %w",
					checkpoint.JavaDefaultPath, err)
			case err != nil:
				// It may pass (a lock held by a Java agent still running):
				// starting now would create the new file, and the import
				// would never be tried again. The service restarts.
				return nil, nil, fmt.Errorf("import the Java agent's checkpoints from %s (retried at the next start; stop any Java agent still running): %w",
					checkpoint.JavaDefaultPath, err)
			case imported:
				log.Info("Imported the Java agent's checkpoints", "from", checkpoint.JavaDefaultPath, "to", path)
			}
		}
	}
	store, err := checkpoint.Open(path, checkpoint.WithQueryTimeout(cfg.CheckpointQueryTimeout))
	if err != nil {
		return nil, nil, notWritable(cfg, path, fmt.Errorf("checkpoint file %s: %w", path, err), writableDir)
	}
	return store, lock, nil
}

// keepLockEvery is how often the agent checks that its checkpoint lock file
// is still there (one stat).
const keepLockEvery = 10 * time.Second

// keepLock takes the checkpoint lock again when its file was deleted while
// the agent ran (rm -rf of the state directory, which the store survives),
// until ctx is done. When another agent took it meanwhile, it calls stop
// with that error: two agents would send the same lines. Other errors are
// logged once each, and retried.
func keepLock(ctx context.Context, lock *checkpoint.Lock, every time.Duration, log *slog.Logger, stop func(error)) {
	if lock == nil {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	var last string
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		retaken, err := lock.Keep()
		switch {
		case errors.Is(err, checkpoint.ErrInUse):
			log.Error("the checkpoint file's lock file was deleted while the agent ran and another agent has taken it; shutting down", "err", err)
			stop(err)
			return
		case err != nil:
			if err.Error() != last {
				log.Error("the checkpoint file's lock file was deleted while the agent ran, and it cannot be taken again (retried every "+every.String()+")", "err", err)
			}
			last = err.Error()
		case retaken:
			log.Warn("the checkpoint file's lock file was deleted while the agent ran; took the lock again")
			last = ""
		}
	}
}

// statusPeriod is the metrics emitter's StatusPeriod for
// log.statusReportingPeriodSeconds: <= 0 (Java's status routine fails)
// never samples the flows.
func statusPeriod(d time.Duration) time.Duration {
	if d <= 0 {
		return -1
	}
	return d
}

// expireCheckpoints deletes the expired checkpoint rows every period until
// ctx ends. Java deletes them at start only: the rows of files gone (a new
// file per run, as api_caller writes one per call) piled up in an agent
// never restarted, one per file for as long as it ran. A row is updated
// whenever its file's position moves, so only rows of files quiet for the
// whole TTL go, as at a start. (Not with a TTL of 0 days, which deletes
// every row: at a start only, as Java.)
func expireCheckpoints(ctx context.Context, store *checkpoint.Store, ttlDays int, period time.Duration, log *slog.Logger) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n, err := store.DeleteExpired(ttlDays); err != nil {
			if ctx.Err() == nil {
				log.Warn("could not delete old checkpoints", "err", err)
			}
		} else if n > 0 {
			log.Info(fmt.Sprintf("Deleted %d old checkpoints.", n))
		}
	}
}

// checkpointTTL is checkpointTimeToLiveDays as a duration (0 and below: 0;
// capped at a century, within time.Duration).
func checkpointTTL(days int) time.Duration {
	return time.Duration(min(max(days, 0), 36500)) * 24 * time.Hour
}
