package status

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
)

// Metric names on /metrics. Every per-flow metric has the labels flow
// (flow id) and destination (stream or delivery stream name).
const metricPrefix = "kinesis_agent_"

var flowLabels = []string{"flow", "destination"}

type counterDef struct {
	desc *prometheus.Desc
	get  func(*flowstats.Flow) int64
}

func newDesc(name, help string) *prometheus.Desc {
	return prometheus.NewDesc(metricPrefix+name, help, flowLabels, nil)
}

var counterDefs = []counterDef{
	{newDesc("records_parsed_total", "Records produced by the splitter (including skipped ones)."), func(f *flowstats.Flow) int64 { return f.RecordsParsed.Load() }},
	{newDesc("bytes_parsed_total", "Source bytes of the parsed records."), func(f *flowstats.Flow) int64 { return f.BytesParsed.Load() }},
	{newDesc("records_transformed_total", "Records the processing chain returned data for."), func(f *flowstats.Flow) int64 { return f.RecordsTransformed.Load() }},
	{newDesc("records_skipped_total", "Records a converter dropped."), func(f *flowstats.Flow) int64 { return f.RecordsSkipped.Load() }},
	{newDesc("processing_errors_total", "Records sent raw after a converter failed."), func(f *flowstats.Flow) int64 { return f.ProcessingErrors.Load() }},
	{newDesc("records_truncated_total", "Records cut to the destination's maximum record size."), func(f *flowstats.Flow) int64 { return f.RecordsTruncated.Load() }},
	{newDesc("records_sent_total", "Entries acknowledged by the destination."), func(f *flowstats.Flow) int64 { return f.RecordsSent.Load() }},
	{newDesc("bytes_sent_total", "Data bytes of acknowledged entries."), func(f *flowstats.Flow) int64 { return f.BytesSent.Load() }},
	{newDesc("record_send_attempts_total", "Entries put in send requests (retries included)."), func(f *flowstats.Flow) int64 { return f.RecordSendAttempts.Load() }},
	{newDesc("records_failed_total", "Entries that came back with an error code."), func(f *flowstats.Flow) int64 { return f.RecordSendErrors.Load() }},
	{newDesc("records_retried_total", "Entries queued again for retry."), func(f *flowstats.Flow) int64 { return f.RetriedRecords.Load() }},
	{newDesc("service_errors_total", "Send calls that failed as a whole."), func(f *flowstats.Flow) int64 { return f.ServiceErrors.Load() }},
	{newDesc("send_calls_total", "PutRecords / PutRecordBatch calls."), func(f *flowstats.Flow) int64 { return f.Calls.Load() }},
}

var (
	descBytesBehind   = newDesc("bytes_behind", "Bytes not yet read from the tracked files.")
	descFilesBehind   = newDesc("files_behind", "Tracked files with unread bytes.")
	descCheckpointLag = newDesc("checkpoint_lag_bytes", "Bytes read but not yet acknowledged (read offset minus acknowledged offset, summed over files).")
	descOldestAge     = newDesc("oldest_unacked_age_seconds", "Age of the oldest read but unacknowledged byte (0 when none).")
	descConsecutive   = newDesc("consecutive_processing_errors", "Current consecutive failed-iteration count (Java's ConsecutiveProcessingErrors).")
	descLastSuccess   = newDesc("last_success_timestamp_seconds", "Unix time of the last successful send call (0 = none yet).")
	descHealthy       = newDesc("healthy", "1 when /healthz considers the flow healthy, else 0.")
	descUptime        = prometheus.NewDesc(metricPrefix+"uptime_seconds", "Seconds since the agent started.", nil, nil)
)

// collector reads the flows' counters at scrape time.
type collector struct{ s *Server }

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range counterDefs {
		ch <- d.desc
	}
	for _, d := range []*prometheus.Desc{descBytesBehind, descFilesBehind, descCheckpointLag, descOldestAge, descConsecutive, descLastSuccess, descHealthy, descUptime} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	now := c.s.now()
	ch <- prometheus.MustNewConstMetric(descUptime, prometheus.GaugeValue, now.Sub(c.s.start).Seconds())
	for _, f := range c.s.flows {
		lv := []string{f.ID, f.Destination}
		for _, d := range counterDefs {
			ch <- prometheus.MustNewConstMetric(d.desc, prometheus.CounterValue, float64(d.get(f)), lv...)
		}
		v := c.s.view(f, now)
		gauge := func(d *prometheus.Desc, x float64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, x, lv...)
		}
		gauge(descBytesBehind, float64(v.bytesBehind))
		gauge(descFilesBehind, float64(v.filesBehind))
		gauge(descCheckpointLag, float64(v.checkpointLag))
		gauge(descOldestAge, age(now, v.oldestUnacked))
		gauge(descConsecutive, float64(v.consecutiveError))
		last := 0.0
		if !v.lastSuccess.IsZero() {
			last = float64(v.lastSuccess.UnixNano()) / 1e9
		}
		gauge(descLastSuccess, last)
		h := 0.0
		if v.healthy {
			h = 1
		}
		gauge(descHealthy, h)
	}
}

// LatencyObserver is a flowstats.CallObserver that records every send
// call's latency per destination ("KinesisStream:<name>" /
// "DeliveryStream:<name>") in the histogram
// kinesis_agent_send_latency_seconds. Pass it to New with WithLatency and
// to the flows (combined with the CloudWatch emitter via metrics.Multi).
type LatencyObserver struct {
	hist *prometheus.HistogramVec
}

// NewLatencyObserver returns an empty latency histogram.
func NewLatencyObserver() *LatencyObserver {
	return &LatencyObserver{hist: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    metricPrefix + "send_latency_seconds",
		Help:    "Latency of PutRecords / PutRecordBatch calls, by destination and outcome.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
	}, []string{"destination", "outcome"})}
}

// ObserveCall implements flowstats.CallObserver; it never blocks.
func (l *LatencyObserver) ObserveCall(c flowstats.Call) {
	outcome := "success"
	switch {
	case c.ServiceError:
		outcome = "error"
	case c.Failed > 0:
		outcome = "partial"
	}
	l.hist.WithLabelValues(c.Destination, outcome).Observe(c.Latency.Seconds())
}
