package metrics

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
)

// Level thresholds of the "behind" lines (Java §5.7).
const (
	behindWarnBytes = 41943040 // 40 MiB
	behindInfoBytes = 20971520 // 20 MiB
)

// ReporterOptions configure a Reporter. Zero values mean the defaults.
type ReporterOptions struct {
	// Period is log.statusReportingPeriodSeconds; pass the configured
	// value (30 s by default). As in Java, a value <= 0 means no periodic
	// lines (Java's reporter fails silently); Report still works.
	Period time.Duration
	// EmitInternalMetrics is the agent-level log.emitInternalMetrics: the
	// "behind" lines are logged at least at INFO when they are non-zero,
	// and the "Agent: Status: <JSON>" line is logged.
	EmitInternalMetrics bool
	// FlowInternalMetrics lists flow ids whose flow-level
	// log.emitInternalMetrics is true: their "File Tailer Status" JSON
	// line is logged, whatever the agent-level key (Java's FileTailer reads
	// only the flow's own).
	FlowInternalMetrics map[string]bool
	// MaxSendingThreads, when > 0, is reported in the Agent status JSON.
	MaxSendingThreads int
	// Start is when the agent started (Uptime); default: NewReporter time.
	Start  time.Time
	Logger *slog.Logger
	Now    func() time.Time
}

// Reporter logs the Java agent's progress lines.
type Reporter struct {
	flows []*flowstats.Flow
	opts  ReporterOptions
	log   *slog.Logger
}

// NewReporter returns a Reporter over the flows' counters.
func NewReporter(flows []*flowstats.Flow, opts ReporterOptions) *Reporter {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Start.IsZero() {
		opts.Start = opts.Now()
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Reporter{flows: flows, opts: opts, log: log}
}

// Run logs the progress lines every Period (first after one period) until
// ctx is cancelled. It does not log at shutdown: call Report for that.
func (r *Reporter) Run(ctx context.Context) error {
	if r.opts.Period <= 0 {
		<-ctx.Done()
		return nil
	}
	t := time.NewTicker(r.opts.Period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			r.Report()
		}
	}
}

// flowSnapshot is one read of a flow's counters.
type flowSnapshot struct {
	f           *flowstats.Flow
	parsed      int64
	bytes       int64
	transformed int64
	skipped     int64
	sent        int64
	behind      int64
	files       int
}

// newerFiles is Java's "file(s) newer than current file(s) being tailed":
// the files with unread bytes beyond the first (the one being tailed).
func newerFiles(filesWithUnread int) int {
	return max(0, filesWithUnread-1)
}

// Report logs the progress lines once (periodically and at shutdown).
func (r *Reporter) Report() {
	ctx := context.Background()
	var totParsed, totBytes, totSent, totBehind int64
	var totNewer int
	snaps := make([]flowSnapshot, 0, len(r.flows))
	for _, f := range r.flows {
		s := flowSnapshot{
			f:           f,
			parsed:      f.RecordsParsed.Load(),
			bytes:       f.BytesParsed.Load(),
			transformed: f.RecordsTransformed.Load(),
			skipped:     f.RecordsSkipped.Load(),
			sent:        f.RecordsSent.Load(),
		}
		s.behind, s.files = f.BytesBehind()
		snaps = append(snaps, s)
		totParsed += s.parsed
		totBytes += s.bytes
		totSent += s.sent
		totBehind += s.behind
		totNewer += newerFiles(s.files)

		// The Java wording carries the component in the message itself
		// (operators grep for it), so no component attribute is added.
		comp := "FileTailer[" + f.ID + "]"
		lg := r.log
		lg.Info(fmt.Sprintf("%s: Tailer Progress: Tailer has parsed %d records (%d bytes), transformed %d records, skipped %d records, and has successfully sent %d records to destination.",
			comp, s.parsed, s.bytes, s.transformed, s.skipped, s.sent))
		if lvl, ok := r.behindLevel(s.behind); ok {
			lg.Log(ctx, lvl, comp+": Tailer is "+behindText(s.behind, newerFiles(s.files)))
		}
		if r.opts.FlowInternalMetrics[f.ID] {
			if js, err := json.Marshal(flowStatus(s)); err == nil {
				lg.Info(comp + ": File Tailer Status: " + string(js))
			}
		}
	}

	lg := r.log
	uptime := r.opts.Now().Sub(r.opts.Start).Milliseconds()
	lg.Info(fmt.Sprintf("Agent: Progress: %d records parsed (%d bytes), and %d records sent successfully to destinations. Uptime: %dms",
		totParsed, totBytes, totSent, uptime))
	if lvl, ok := r.behindLevel(totBehind); ok {
		lg.Log(ctx, lvl, "Agent: Tailing is "+behindText(totBehind, totNewer))
	}
	if r.opts.EmitInternalMetrics {
		st := map[string]any{}
		var totFiles int
		for _, s := range snaps {
			st[s.f.ID] = flowStatus(s)
			totFiles += newerFiles(s.files)
		}
		agent := map[string]any{
			"TotalBytesBehind":   totBehind,
			"TotalFilesBehind":   totFiles,
			"TotalBytesConsumed": totBytes,
			"TotalRecordsParsed": totParsed,
			"TotalRecordsSent":   totSent,
			"UpTimeMillis":       uptime,
		}
		if r.opts.MaxSendingThreads > 0 {
			agent["MaxSendingThreads"] = r.opts.MaxSendingThreads
		}
		st["Agent"] = agent
		if js, err := json.Marshal(st); err == nil {
			lg.Info("Agent: Status: " + string(js))
		}
	}
}

// behindLevel applies Java's level rules to a "behind" line.
func (r *Reporter) behindLevel(bytes int64) (slog.Level, bool) {
	switch {
	case bytes >= behindWarnBytes:
		return slog.LevelWarn, true
	case bytes >= behindInfoBytes || r.opts.EmitInternalMetrics: // at 0 too (Java)
		return slog.LevelInfo, true
	case bytes > 0:
		return slog.LevelDebug, true
	}
	return 0, false
}

// behindText is "<X> MB (<b> bytes) behind." plus the newer-files suffix,
// X = (bytes / 1024, integer) / 1024.0 with six decimals.
func behindText(bytes int64, newer int) string {
	s := fmt.Sprintf("%.6f MB (%d bytes) behind.", float64(bytes/1024)/1024.0, bytes)
	if newer > 0 {
		s += fmt.Sprintf(" There are %d file(s) newer than current file(s) being tailed.", newer)
	}
	return s
}

// flowStatus maps our counters to the Java status keys we can fill (see
// docs/compat/metrics.md).
func flowStatus(s flowSnapshot) map[string]any {
	f := s.f
	p, snd, calls, svcErr := "KinesisParser", "KinesisSender", "TotalPutRecordsCalls", "TotalPutRecordsServiceErrors"
	if f.Firehose {
		p, snd, calls, svcErr = "FirehoseParser", "FirehoseSender", "TotalBatchPutCalls", "TotalBatchPutServiceErrors"
	}
	return map[string]any{
		p + ".TotalBytesConsumed":                s.bytes,
		p + ".TotalRecordsParsed":                s.parsed,
		p + ".TotalBytesDiscarded":               f.BytesDiscarded.Load(),
		p + ".TotalRecordsLargerThanBuffer":      f.RecordsLargerThanBuffer.Load(),
		p + ".TotalRecordsProcessed":             s.transformed,
		p + ".TotalRecordsSkipped":               s.skipped,
		p + ".TotalDataProcessingErrors":         f.ProcessingErrors.Load(),
		"FileTailer.FilesBehind":                 newerFiles(s.files),
		"FileTailer.BytesBehind":                 s.behind,
		"FileTailer.RecordsTruncated":            f.RecordsTruncated.Load(),
		"FileTailer.ConsecutiveProcessingErrors": f.ConsecutiveErrors.Load(),
		snd + ".TotalRecordsAttempted":           f.RecordSendAttempts.Load(),
		snd + ".TotalRecordsSent":                s.sent,
		snd + ".TotalRecordsFailed":              f.RecordSendErrors.Load(),
		snd + "." + calls:                        f.Calls.Load(),
		snd + "." + svcErr:                       f.ServiceErrors.Load(),
	}
}
