package status

import (
	"cmp"
	"math"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
)

// /metrics is written here in the Prometheus text exposition format 0.0.4,
// byte for byte as the Prometheus Go client (client_golang) wrote it before:
// families sorted by name, each with one HELP and one TYPE line, samples
// sorted by label values, label names in alphabetical order, numbers as
// strconv 'g' -1 (testdata/metrics.golden is client_golang's output). The
// agent does not use client_golang: it pulls in protobuf, which references
// reflect.Value.MethodByName, and that turns off the linker's dead-method
// elimination for the whole binary (2.1 MB more in the release binary and
// about 1.5 MB more resident file pages; docs/PERFORMANCE.md).

// metricsContentType is the content type of the text format 0.0.4.
// client_golang v1.25 added "; escaping=underscores", which only matters
// for metric and label names outside [a-zA-Z0-9_:]; this agent has none.
const metricsContentType = "text/plain; version=0.0.4; charset=utf-8"

// Metric names on /metrics. Every per-flow metric has the labels flow
// (flow id) and destination (stream or delivery stream name).
const metricPrefix = "kinesis_agent_"

const (
	typeCounter   = "counter"
	typeGauge     = "gauge"
	typeHistogram = "histogram"
)

// flowMetric is one per-flow metric family; value reads it from one
// consistent view of the flow at scrape time.
type flowMetric struct {
	name, help, typ string
	value           func(v *flowView, now time.Time) float64
}

func counterOf(get func(*flowstats.Flow) int64) func(*flowView, time.Time) float64 {
	return func(v *flowView, _ time.Time) float64 { return float64(get(v.f)) }
}

var flowMetrics = []flowMetric{
	{"records_parsed_total", "Records produced by the splitter (including skipped ones).", typeCounter, counterOf(func(f *flowstats.Flow) int64 { return f.RecordsParsed.Load() })},
	{"bytes_parsed_total", "Source bytes consumed: records, header lines, footers and discarded bytes.", typeCounter, counterOf(func(f *flowstats.Flow) int64 { return f.BytesParsed.Load() })},
	{"records_transformed_total", "Records the processing chain returned data for.", typeCounter, counterOf(func(f *flowstats.Flow) int64 { return f.RecordsTransformed.Load() })},
	{"records_skipped_total", "Records a converter dropped.", typeCounter, counterOf(func(f *flowstats.Flow) int64 { return f.RecordsSkipped.Load() })},
	{"processing_errors_total", "Records sent raw after a converter failed.", typeCounter, counterOf(func(f *flowstats.Flow) int64 { return f.ProcessingErrors.Load() })},
	{"records_truncated_total", "Records cut to the destination's maximum record size.", typeCounter, counterOf(func(f *flowstats.Flow) int64 { return f.RecordsTruncated.Load() })},
	{"records_sent_total", "Entries acknowledged by the destination.", typeCounter, counterOf(func(f *flowstats.Flow) int64 { return f.RecordsSent.Load() })},
	{"bytes_sent_total", "Data bytes of acknowledged entries.", typeCounter, counterOf(func(f *flowstats.Flow) int64 { return f.BytesSent.Load() })},
	{"record_send_attempts_total", "Entries put in send requests (retries included).", typeCounter, counterOf(func(f *flowstats.Flow) int64 { return f.RecordSendAttempts.Load() })},
	{"records_failed_total", "Entries that came back with an error code.", typeCounter, counterOf(func(f *flowstats.Flow) int64 { return f.RecordSendErrors.Load() })},
	{"records_retried_total", "Entries queued again for retry.", typeCounter, counterOf(func(f *flowstats.Flow) int64 { return f.RetriedRecords.Load() })},
	{"service_errors_total", "Send calls that failed as a whole.", typeCounter, counterOf(func(f *flowstats.Flow) int64 { return f.ServiceErrors.Load() })},
	{"send_calls_total", "PutRecords / PutRecordBatch calls.", typeCounter, counterOf(func(f *flowstats.Flow) int64 { return f.Calls.Load() })},

	{"bytes_behind", "Bytes not yet read from the tracked files.", typeGauge, func(v *flowView, _ time.Time) float64 { return float64(v.bytesBehind) }},
	{"files_behind", "Tracked files with unread bytes.", typeGauge, func(v *flowView, _ time.Time) float64 { return float64(v.filesBehind) }},
	{"checkpoint_lag_bytes", "Bytes read but not yet acknowledged (read offset minus acknowledged offset, summed over files).", typeGauge, func(v *flowView, _ time.Time) float64 { return float64(v.checkpointLag) }},
	{"oldest_unacked_age_seconds", "Age of the oldest read but unacknowledged byte (0 when none).", typeGauge, func(v *flowView, now time.Time) float64 { return age(now, v.oldestUnacked) }},
	{"consecutive_processing_errors", "Current consecutive failed-iteration count (Java's ConsecutiveProcessingErrors).", typeGauge, func(v *flowView, _ time.Time) float64 { return float64(v.consecutiveError) }},
	{"last_success_timestamp_seconds", "Unix time of the last successful send call (0 = none yet).", typeGauge, func(v *flowView, _ time.Time) float64 {
		if v.lastSuccess.IsZero() {
			return 0
		}
		return float64(v.lastSuccess.UnixNano()) / 1e9
	}},
	{"healthy", "1 when /healthz considers the flow healthy, else 0.", typeGauge, func(v *flowView, _ time.Time) float64 {
		if v.healthy {
			return 1
		}
		return 0
	}},
}

const (
	uptimeName = metricPrefix + "uptime_seconds"
	uptimeHelp = "Seconds since the agent started."

	latencyName = metricPrefix + "send_latency_seconds"
	latencyHelp = "Latency of PutRecords / PutRecordBatch calls, by destination and outcome."
)

// latencyBuckets are the upper bounds of the latency histogram (seconds).
var latencyBuckets = [...]float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

// family is one metric family of a scrape; appendSamples writes its
// sample lines.
type family struct {
	name, help, typ string
	appendSamples   func(b []byte) []byte
}

// metrics serves /metrics.
func (s *Server) metrics(w http.ResponseWriter, _ *http.Request) {
	b := s.appendMetrics(make([]byte, 0, 4096))
	w.Header().Set("Content-Type", metricsContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	if _, err := w.Write(b); err != nil {
		s.log.Debug("status endpoint: write /metrics", "error", err)
	}
}

// appendMetrics appends the whole exposition to b. Families without
// samples are left out, as client_golang did.
func (s *Server) appendMetrics(b []byte) []byte {
	now := s.now()
	// One view per flow, every value read once, flows in label order
	// (destination, then flow: label names sort destination < flow).
	type flowValues struct {
		id, destination string
		values          []float64
	}
	flows := make([]flowValues, len(s.flows))
	for i, f := range s.flows {
		v := s.view(f, now)
		fv := flowValues{id: f.ID, destination: f.Destination, values: make([]float64, len(flowMetrics))}
		for j, m := range flowMetrics {
			fv.values[j] = m.value(&v, now)
		}
		flows[i] = fv
	}
	slices.SortStableFunc(flows, func(a, b flowValues) int {
		return cmp.Or(strings.Compare(a.destination, b.destination), strings.Compare(a.id, b.id))
	})

	fams := make([]family, 0, len(flowMetrics)+2)
	uptime := now.Sub(s.start).Seconds()
	fams = append(fams, family{uptimeName, uptimeHelp, typeGauge, func(b []byte) []byte {
		return appendSample(b, uptimeName, uptime)
	}})
	if len(flows) > 0 {
		for j, m := range flowMetrics {
			name := metricPrefix + m.name
			fams = append(fams, family{name, m.help, m.typ, func(b []byte) []byte {
				for _, fv := range flows {
					b = appendSample(b, name, fv.values[j], "destination", fv.destination, "flow", fv.id)
				}
				return b
			}})
		}
	}
	if s.latency != nil {
		if series := s.latency.snapshot(); len(series) > 0 {
			fams = append(fams, family{latencyName, latencyHelp, typeHistogram, func(b []byte) []byte {
				return appendHistogram(b, latencyName, series)
			}})
		}
	}
	slices.SortFunc(fams, func(a, b family) int { return strings.Compare(a.name, b.name) })

	for _, fam := range fams {
		b = append(b, "# HELP "...)
		b = append(b, fam.name...)
		b = append(b, ' ')
		b = appendEscaped(b, fam.help, false)
		b = append(b, "\n# TYPE "...)
		b = append(b, fam.name...)
		b = append(b, ' ')
		b = append(b, fam.typ...)
		b = append(b, '\n')
		b = fam.appendSamples(b)
	}
	return b
}

// appendSample appends the line `name{l1="v1",...} value`; labels are
// name, value pairs, names in alphabetical order.
func appendSample(b []byte, name string, value float64, labels ...string) []byte {
	b = append(b, name...)
	for i := 0; i+1 < len(labels); i += 2 {
		if i == 0 {
			b = append(b, '{')
		} else {
			b = append(b, ',')
		}
		b = append(b, labels[i]...)
		b = append(b, '=', '"')
		b = appendEscaped(b, labels[i+1], true)
		b = append(b, '"')
	}
	if len(labels) > 0 {
		b = append(b, '}')
	}
	b = append(b, ' ')
	b = appendFloat(b, value)
	return append(b, '\n')
}

// appendEscaped appends s with `\` as `\\`, newline as `\n` and, in label
// values (quote), `"` as `\"`. Invalid UTF-8 becomes U+FFFD so that the
// output stays parseable (client_golang panicked on such label values;
// config values are valid UTF-8 anyway).
func appendEscaped(b []byte, s string, quote bool) []byte {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			b = append(b, '\\', '\\')
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '"' && quote:
			b = append(b, '\\', '"')
		default:
			b = append(b, c)
		}
	}
	return b
}

// appendFloat formats v as client_golang's text writer: 'g' with the
// shortest precision, +Inf, -Inf, NaN, and 0 for negative zero.
func appendFloat(b []byte, v float64) []byte {
	switch {
	case v == 0:
		return append(b, '0')
	case math.IsInf(v, +1):
		return append(b, "+Inf"...)
	case math.IsInf(v, -1):
		return append(b, "-Inf"...)
	case math.IsNaN(v):
		return append(b, "NaN"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// appendHistogram appends the cumulative buckets, _sum and _count of each
// series (already in label order).
func appendHistogram(b []byte, name string, series []latencySeries) []byte {
	var le [len(latencyBuckets)]string
	for i, ub := range latencyBuckets {
		le[i] = string(appendFloat(nil, ub))
	}
	for _, s := range series {
		var cum uint64
		for i := range latencyBuckets {
			cum += s.counts[i]
			b = appendSample(b, name+"_bucket", float64(cum), "destination", s.destination, "outcome", s.outcome, "le", le[i])
		}
		b = appendSample(b, name+"_bucket", float64(s.count), "destination", s.destination, "outcome", s.outcome, "le", "+Inf")
		b = appendSample(b, name+"_sum", s.sum, "destination", s.destination, "outcome", s.outcome)
		b = appendSample(b, name+"_count", float64(s.count), "destination", s.destination, "outcome", s.outcome)
	}
	return b
}

// LatencyObserver is a flowstats.CallObserver that records every send
// call's latency per destination ("KinesisStream:<name>" /
// "DeliveryStream:<name>") in the histogram
// kinesis_agent_send_latency_seconds. Pass it to New with WithLatency and
// to the flows (combined with the CloudWatch emitter via metrics.Multi).
type LatencyObserver struct {
	mu     sync.Mutex
	series map[latencyKey]*latencyCounts
}

type latencyKey struct{ destination, outcome string }

// latencyCounts is one histogram series: counts[i] is the number of
// observations in (latencyBuckets[i-1], latencyBuckets[i]] (not
// cumulative); observations above the last bound are only in count.
type latencyCounts struct {
	counts [len(latencyBuckets)]uint64
	sum    float64
	count  uint64
}

// latencySeries is a copy of one series taken at scrape time.
type latencySeries struct {
	latencyKey
	latencyCounts
}

// NewLatencyObserver returns an empty latency histogram.
func NewLatencyObserver() *LatencyObserver {
	return &LatencyObserver{series: make(map[latencyKey]*latencyCounts)}
}

// ObserveCall implements flowstats.CallObserver; it only holds a mutex
// for a map lookup and a few additions.
func (l *LatencyObserver) ObserveCall(c flowstats.Call) {
	outcome := "success"
	switch {
	case c.ServiceError:
		outcome = "error"
	case c.Failed > 0:
		outcome = "partial"
	}
	v := c.Latency.Seconds()
	// The first bucket whose upper bound is >= v; len = above all bounds.
	i := sort.SearchFloat64s(latencyBuckets[:], v)
	k := latencyKey{c.Destination, outcome}

	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.series[k]
	if s == nil {
		s = new(latencyCounts)
		l.series[k] = s
	}
	if i < len(s.counts) {
		s.counts[i]++
	}
	s.sum += v
	s.count++
}

// snapshot copies the series, sorted by (destination, outcome).
func (l *LatencyObserver) snapshot() []latencySeries {
	l.mu.Lock()
	out := make([]latencySeries, 0, len(l.series))
	for k, s := range l.series {
		out = append(out, latencySeries{k, *s})
	}
	l.mu.Unlock()
	slices.SortFunc(out, func(a, b latencySeries) int {
		return cmp.Or(strings.Compare(a.destination, b.destination), strings.Compare(a.outcome, b.outcome))
	})
	return out
}
