package metrics

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/fakeaws"
)

func TestEmitterPublishesJavaMetricsAsMergedStatisticSets(t *testing.T) {
	cw, client := startCloudWatch(t)
	flow := flowstats.New("kinesis:s:/var/log/*.log", "s", false)
	flow.ConsecutiveErrors.Store(3)
	e := NewEmitter(client, Options{Namespace: "TestNS", TagInstance: true, InstanceID: "i-0abc", Flows: []*flowstats.Flow{flow}})

	e.ObserveCall(flowstats.Call{Destination: "KinesisStream:s", Attempted: 10, Sent: 8, Failed: 2, BytesSent: 800})
	e.ObserveCall(flowstats.Call{Destination: "KinesisStream:s", Attempted: 5, Sent: 5, BytesSent: 500})
	e.ObserveCall(flowstats.Call{Destination: "KinesisStream:s", Attempted: 4, ServiceError: true})
	e.ObserveCall(flowstats.Call{Destination: "DeliveryStream:d", Attempted: 1, Sent: 1, BytesSent: 7})
	e.SampleFlows()
	e.Flush(context.Background())

	if errs := cw.Errors(); len(errs) > 0 {
		t.Fatalf("server could not decode: %v", errs)
	}
	type key struct{ name, dims string }
	got := map[key]fakeaws.CWDatum{}
	for _, d := range cw.Datums() {
		if d.Namespace != "TestNS" {
			t.Errorf("namespace %q", d.Namespace)
		}
		if d.Timestamp != nil || d.Value != nil || d.Stats == nil {
			t.Errorf("%s: want statistic set without timestamp, got %+v", d.MetricName, d)
		}
		k := key{d.MetricName, d.DimString()}
		if _, dup := got[k]; dup {
			t.Errorf("datum %v sent twice (not merged)", k)
		}
		got[k] = d
	}
	const s = "Destination=KinesisStream:s,Instance=i-0abc"
	const d = "Destination=DeliveryStream:d,Instance=i-0abc"
	want := map[key]struct {
		unit  string
		stats fakeaws.CWStatisticSet
	}{
		{"RecordSendAttempts", s}: {"Count", fakeaws.CWStatisticSet{SampleCount: 3, Sum: 19, Minimum: 4, Maximum: 10}},
		{"ServiceErrors", s}:      {"Count", fakeaws.CWStatisticSet{SampleCount: 3, Sum: 1, Minimum: 0, Maximum: 1}},
		{"RecordsSent", s}:        {"Count", fakeaws.CWStatisticSet{SampleCount: 2, Sum: 13, Minimum: 5, Maximum: 8}},
		{"RecordSendErrors", s}:   {"Count", fakeaws.CWStatisticSet{SampleCount: 2, Sum: 2, Minimum: 0, Maximum: 2}},
		{"BytesSent", s}:          {"Bytes", fakeaws.CWStatisticSet{SampleCount: 2, Sum: 1300, Minimum: 500, Maximum: 800}},
		{"RecordSendAttempts", d}: {"Count", fakeaws.CWStatisticSet{SampleCount: 1, Sum: 1, Minimum: 1, Maximum: 1}},
		{"ServiceErrors", d}:      {"Count", fakeaws.CWStatisticSet{SampleCount: 1}},
		{"RecordsSent", d}:        {"Count", fakeaws.CWStatisticSet{SampleCount: 1, Sum: 1, Minimum: 1, Maximum: 1}},
		{"RecordSendErrors", d}:   {"Count", fakeaws.CWStatisticSet{SampleCount: 1}},
		{"BytesSent", d}:          {"Bytes", fakeaws.CWStatisticSet{SampleCount: 1, Sum: 7, Minimum: 7, Maximum: 7}},
		{"ConsecutiveProcessingErrors", "Destination=s,Instance=i-0abc"}: {"Count", fakeaws.CWStatisticSet{SampleCount: 1, Sum: 3, Minimum: 3, Maximum: 3}},
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("missing datum %v", k)
			continue
		}
		if g.Unit != w.unit || *g.Stats != w.stats {
			t.Errorf("%v: unit %s stats %+v, want %s %+v", k, g.Unit, *g.Stats, w.unit, w.stats)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d distinct datums, want %d: %v", len(got), len(want), got)
	}
	if e.Queued() != 0 {
		t.Errorf("queue not drained: %d", e.Queued())
	}
}

func TestEmitterFlushesAsSoonAsTwoHundredDistinctDatumsAreQueued(t *testing.T) {
	cw, client := startCloudWatch(t)
	e := NewEmitter(client, Options{BufferTime: time.Hour, StatusPeriod: time.Hour})

	// 39 destinations x 5 metrics = 195 datums: below the threshold.
	for i := 0; i < 39; i++ {
		e.ObserveCall(flowstats.Call{Destination: fmt.Sprintf("KinesisStream:s%d", i), Attempted: 1, Sent: 1, BytesSent: 1})
	}
	if len(e.flushCh) != 0 {
		t.Fatal("flush requested below 200 datums")
	}
	e.ObserveCall(flowstats.Call{Destination: "KinesisStream:s39", Attempted: 1, Sent: 1, BytesSent: 1})
	if len(e.flushCh) != 1 {
		t.Fatal("no flush requested at 200 datums")
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	// BufferTime is an hour: only the size trigger can send now.
	waitUntil(t, "flush of 200 datums", func() bool { return len(cw.Datums()) == 200 })
	if reqs := cw.Requests(); reqs[0].Namespace != DefaultNamespace || len(reqs) != 1 {
		t.Errorf("requests %d, namespace %q, want 1 in %q", len(reqs), reqs[0].Namespace, DefaultNamespace)
	}
}

func TestEmitterFlushesEveryBufferTime(t *testing.T) {
	cw, client := startCloudWatch(t)
	e := NewEmitter(client, Options{BufferTime: 50 * time.Millisecond, StatusPeriod: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	e.ObserveCall(flowstats.Call{Destination: "KinesisStream:a", Attempted: 1, Sent: 1})
	waitUntil(t, "timed flush", func() bool { return len(cw.Datums()) == 5 })
}

// At shutdown the queue is flushed and the flows sampled once more for
// ConsecutiveProcessingErrors, unless log.statusReportingPeriodSeconds <= 0:
// Java's status routine, the only one to send that metric, then fails, so
// only the per-call metrics are sent.
func TestEmitterAtShutdownFlushesItsQueueAndSamplesTheFlowsOnlyWithAStatusPeriod(t *testing.T) {
	for name, period := range map[string]time.Duration{"status period": time.Hour, "no status period": -1} {
		t.Run(name, func(t *testing.T) {
			cw, client := startCloudWatch(t)
			flow := flowstats.New("fh:d:/l/*", "d", true)
			e := NewEmitter(client, Options{BufferTime: time.Hour, StatusPeriod: period, Flows: []*flowstats.Flow{flow}})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { e.Run(ctx); close(done) }()
			e.ObserveCall(flowstats.Call{Destination: "DeliveryStream:d", Attempted: 1, Sent: 1})
			cancel()
			<-done
			ds := cw.Datums()
			if period < 0 {
				if len(ds) != 5 {
					t.Fatalf("after shutdown %d datums sent, want the 5 per-call ones", len(ds))
				}
				return
			}
			if len(ds) != 6 {
				t.Fatalf("after shutdown %d datums sent, want 5 per-call + ConsecutiveProcessingErrors", len(ds))
			}
			if last := ds[5]; last.MetricName != "ConsecutiveProcessingErrors" || last.DimString() != "Destination=d" || last.Stats.Sum != 0 {
				t.Errorf("flow sample = %+v", last)
			}
		})
	}
}

func TestEmitterFailingCloudWatchWarnsAtMostOncePerMinuteAndDropsBatch(t *testing.T) {
	cw, client := startCloudWatch(t)
	cw.FailWith(fakeaws.CloudWatchFailure{Status: 400, Code: "InvalidParameterValue", Message: "injected"})
	log, records := newCapture()
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	e := NewEmitter(client, Options{Logger: log, Now: clock.Now})

	for i := 0; i < 6; i++ { // 6 failed flushes over 50 s
		e.ObserveCall(flowstats.Call{Destination: "KinesisStream:s", Attempted: 1, Sent: 1})
		e.Flush(context.Background())
		clock.Add(10 * time.Second)
	}
	warns := withPrefix(records(), "Could not publish")
	if len(warns) != 1 || warns[0].Level != slog.LevelWarn || warns[0].Msg != "Could not publish 5 datums to CloudWatch" {
		t.Fatalf("warnings in first minute: %+v", warns)
	}
	if e.Queued() != 0 {
		t.Fatalf("failed batch kept in queue (%d)", e.Queued())
	}
	clock.Add(20 * time.Second) // > 1 min after the first WARN
	e.ObserveCall(flowstats.Call{Destination: "KinesisStream:s", Attempted: 1, Sent: 1})
	e.Flush(context.Background())
	warns = withPrefix(records(), "Could not publish")
	if len(warns) != 2 || warns[1].Attrs["suppressedFailures"] != "5" {
		t.Fatalf("warnings after a minute: %+v", warns)
	}

	cw.Recover()
	e.ObserveCall(flowstats.Call{Destination: "KinesisStream:s", Attempted: 2, Sent: 2})
	e.Flush(context.Background())
	ds := cw.Datums()
	if len(ds) != 5 || ds[0].Stats.SampleCount != 1 || ds[0].Stats.Sum != 2 {
		t.Fatalf("after recovery sent %+v; dropped batches must not be resent", ds)
	}
	if ok := withPrefix(records(), "Successfully published 5 datums."); len(ok) != 1 || ok[0].Level != slog.LevelInfo {
		t.Fatalf("success lines: %+v", ok)
	}
}

// blockingProbe wraps the client to report when a call is in flight.
type blockingProbe struct {
	CloudWatchAPI
	inFlight atomic.Int32
}

func (p *blockingProbe) PutMetricData(ctx context.Context, in *cloudwatch.PutMetricDataInput, o ...func(*cloudwatch.Options)) (*cloudwatch.PutMetricDataOutput, error) {
	p.inFlight.Add(1)
	defer p.inFlight.Add(-1)
	return p.CloudWatchAPI.PutMetricData(ctx, in, o...)
}

func TestEmitterObserveCallNeverWaitsForSlowOrFailingCloudWatch(t *testing.T) {
	cw, client := startCloudWatch(t)
	cw.SetDelay(time.Hour) // replies only when the client gives up
	probe := &blockingProbe{CloudWatchAPI: client}
	e := NewEmitter(probe, Options{FlushSize: 5, BufferTime: time.Hour, StatusPeriod: time.Hour,
		CallTimeout: time.Hour, FinalFlushTimeout: 100 * time.Millisecond, QueueSize: 50})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()

	e.ObserveCall(flowstats.Call{Destination: "KinesisStream:s", Attempted: 1, Sent: 1})
	waitUntil(t, "a PutMetricData call to hang", func() bool { return probe.inFlight.Load() == 1 })

	// While the publisher is stuck, observations keep being accepted
	// (merged or, past QueueSize, dropped) without waiting.
	observed := make(chan struct{})
	go func() {
		for i := 0; i < 100000; i++ {
			e.ObserveCall(flowstats.Call{Destination: fmt.Sprintf("KinesisStream:x%d", i%100), Attempted: 1, Sent: 1})
		}
		close(observed)
	}()
	select {
	case <-observed:
	case <-time.After(10 * time.Second):
		t.Fatal("ObserveCall blocked while CloudWatch was slow")
	}
	if q := e.Queued(); q != 50 {
		t.Errorf("queue holds %d distinct datums, want QueueSize 50", q)
	}
	if probe.inFlight.Load() != 1 {
		t.Fatal("the slow call ended early; the test proved nothing")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after shutdown with a hanging CloudWatch")
	}
}

func BenchmarkEmitterObserveCall(b *testing.B) {
	e := NewEmitter(nil, Options{TagInstance: true, InstanceID: "i-1"})
	c := flowstats.Call{Destination: "KinesisStream:s", Attempted: 500, Sent: 500, BytesSent: 1 << 20, Latency: time.Millisecond}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			e.ObserveCall(c)
		}
	})
}
