package send

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/batch"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/faultproxy"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/kinesistest"
)

// Spec §10 item 21.
func TestThousandLinesMakeTwoPutRecordsCallsByDefaultAndTenWithMaxRecords100(t *testing.T) {
	for _, tc := range []struct {
		maxRecords int
		want       string
	}{{0, "[500 500]"}, {100, "[100 100 100 100 100 100 100 100 100 100]"}} {
		px := newProxied(t, 2)
		recs := lines(1000, fmt.Sprintf("m%d", tc.maxRecords))
		chunk := tracked(len(recs))
		st := flowstats.New("f", px.stream, false)
		bl := batch.NewBuilder(batch.Options{Limits: batch.KinesisLimits(tc.maxRecords, 0, 0), Keys: batch.KeyRandom})
		s := NewKinesis(px.client, px.stream, Options{Stats: st})
		sendAll(t, s, batches(bl, recs, chunk))
		if got := fmt.Sprint(px.proxy.RecordsPerCall()); got != tc.want {
			t.Fatalf("maxBufferSizeRecords=%d: calls %s, want %s", tc.maxRecords, got, tc.want)
		}
		if chunk.Outstanding() != 0 || st.RecordsSent.Load() != 1000 {
			t.Fatalf("outstanding %d, sent %d", chunk.Outstanding(), st.RecordsSent.Load())
		}
		exactlyOnce(t, kinesistest.WaitForRecords(t, px.direct, px.stream, 1000, 10*time.Second), recs)
	}
}

func TestFiveMiBBatchAndOneMiBRecordWithKeyReachKinesalite(t *testing.T) {
	px := newProxied(t, 1)
	rec := bytes.Repeat([]byte{'r'}, batch.KinesisMaxRecordBytes-batch.DeterministicKeyLen)
	var recs [][]byte
	for i := 0; i < 6; i++ {
		r := append([]byte(nil), rec...)
		r[0] = byte('0' + i)
		recs = append(recs, r)
	}
	// One record of 2 MB is truncated to 1 MiB - len(key) by the builder.
	big := bytes.Repeat([]byte{'B'}, 2_000_000)
	bl := batch.NewBuilder(batch.Options{Limits: batch.KinesisLimits(0, 0, 0), Keys: batch.KeyDeterministic})
	bs := batches(bl, append(recs, big), nil)
	if len(bs) != 2 || bs[0].Len() != 5 || bs[0].Bytes != batch.KinesisMaxBytes {
		t.Fatalf("batches %d, first %d records %d bytes", len(bs), bs[0].Len(), bs[0].Bytes)
	}
	sendAll(t, NewKinesis(px.client, px.stream, Options{}), bs)
	got := kinesistest.ReadAllRecords(t, px.direct, px.stream)
	if len(got) != 7 || fmt.Sprint(px.proxy.RecordsPerCall()) != "[5 2]" {
		t.Fatalf("stored %d records in calls %v", len(got), px.proxy.RecordsPerCall())
	}
	last := got[6]
	if len(last.Data)+len(aws.ToString(last.PartitionKey)) != batch.KinesisMaxRecordBytes || last.Data[len(last.Data)-1] != '\n' {
		t.Fatalf("truncated record: %d data bytes + key %q", len(last.Data), aws.ToString(last.PartitionKey))
	}
}

// Spec §10 item 22, end to end: a heartbeat loop around the builder and a
// real sender delivers a trickle within MaxAge + the 1 s heartbeat.
func TestTrickleIsSentWithinMaxAgePlusHeartbeat(t *testing.T) {
	px := newProxied(t, 1)
	const maxAge = time.Second
	bl := batch.NewBuilder(batch.Options{Limits: batch.KinesisLimits(0, 0, maxAge), Keys: batch.KeyRandom})
	s := NewKinesis(px.client, px.stream, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	in := make(chan []byte)
	sentAt := make(chan time.Time, 10)
	go func() { // the flow's owner: records in, heartbeat every second
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			var b *batch.Batch
			select {
			case r := <-in:
				b = bl.Add(r, nil)
			case now := <-tick.C:
				if bl.Due(now) {
					b = bl.Flush(now)
				}
			case <-ctx.Done():
				return
			}
			if b != nil {
				created := b.Created
				if err := s.Send(ctx, b); err == nil {
					sentAt <- created
				}
				b.Release()
			}
		}
	}()
	first := time.Now()
	in <- []byte("trickle-1\n")
	in <- []byte("trickle-2\n")
	// Bound: MaxAge + 1 s heartbeat, plus 2 s slack for a loaded machine.
	got := kinesistest.WaitForRecords(t, px.direct, px.stream, 2, maxAge+time.Second+2*time.Second)
	if len(got) != 2 {
		t.Fatalf("got %d", len(got))
	}
	if created := <-sentAt; created.Before(first) || px.proxy.Calls() != 1 {
		t.Fatalf("one call expected, got %d", px.proxy.Calls())
	}
}

// Spec §10 item 19: PTEE for entry 2 of 3 -> the next request holds only that
// entry with the same key; its ack comes only after that call succeeds.
func TestThrottledEntryIsResentAloneWithItsKeyAndAckedAfterSuccess(t *testing.T) {
	px := newProxied(t, 1)
	px.proxy.SetPlan(func(call, n int) faultproxy.Fault {
		switch {
		case call == 1:
			return faultproxy.Fault{FailEntries: []int{1}} // entry 2 of 3
		case call <= 3:
			return faultproxy.Fault{FailEntries: []int{0}} // the resent entry, again
		}
		return faultproxy.Fault{}
	})
	recs := lines(3, "pt")
	bl := batch.NewBuilder(batch.Options{Limits: batch.KinesisLimits(0, 0, 0), Keys: batch.KeyRandom})
	var ackedAtCall [3]atomic.Int64
	for i := range recs {
		c := &record.Chunk{}
		c.Track(1, func(*record.Chunk) { ackedAtCall[i].Store(int64(px.proxy.Calls())) })
		bl.Add(recs[i], c)
	}
	b := bl.Flush(time.Now())
	keys := []string{b.Entries[0].Key, b.Entries[1].Key, b.Entries[2].Key}
	var sl sleeps
	st := flowstats.New("f", px.stream, false)
	var obs calls
	s := NewKinesis(px.client, px.stream, Options{Stats: st, Observer: &obs,
		Backoff: NewBackoff(100*time.Millisecond, 10*time.Second).WithClock(func() float64 { return 0.5 }, sl.sleep)})
	sendAll(t, s, []*batch.Batch{b})

	pk := px.proxy.PartitionKeys()
	if len(pk) != 4 || fmt.Sprint(pk[0]) != fmt.Sprint(keys) {
		t.Fatalf("calls %v", pk)
	}
	for i := 1; i < 4; i++ {
		if len(pk[i]) != 1 || pk[i][0] != keys[1] {
			t.Fatalf("retry %d sent keys %v, want only %q", i, pk[i], keys[1])
		}
	}
	if ackedAtCall[0].Load() != 1 || ackedAtCall[2].Load() != 1 || ackedAtCall[1].Load() != 4 {
		t.Fatalf("acks at calls %d %d %d, want 1 4 1", ackedAtCall[0].Load(), ackedAtCall[1].Load(), ackedAtCall[2].Load())
	}
	exactlyOnce(t, kinesistest.WaitForRecords(t, px.direct, px.stream, 3, 10*time.Second), recs)
	// The first call fails 1 of 3 (+1/3), each retry its 1 of 1 (+1, as
	// Java scores the request it sent): round(1/3)=0, round(4/3)=1,
	// round(7/3)=2 -> waits 0, 100, 200 ms.
	if d := sl.all(); fmt.Sprint(d) != "[100ms 200ms]" {
		t.Fatalf("backoff waits %v", d)
	}
	if st.RecordSendErrors.Load() != 3 || st.RecordsSent.Load() != 3 || st.RetriedRecords.Load() != 3 || st.Calls.Load() != 4 {
		t.Fatalf("stats errors=%d sent=%d retried=%d calls=%d", st.RecordSendErrors.Load(), st.RecordsSent.Load(), st.RetriedRecords.Load(), st.Calls.Load())
	}
	if c := obs.all(); len(c) != 4 || c[0].Attempted != 3 || c[0].Sent != 2 || c[0].Failed != 1 || c[3].Sent != 1 || c[0].Destination != "KinesisStream:"+px.stream {
		t.Fatalf("observed %+v", c)
	}
}

// Spec §10 item 20: errors on every call back off 100, 200, 400 ... capped at
// the max; success resets; nothing is lost or duplicated.
func TestServiceErrorsBackOffExponentiallyThenResetOnSuccess(t *testing.T) {
	px := newProxied(t, 1)
	px.proxy.SetPlan(func(call, n int) faultproxy.Fault {
		switch {
		case call <= 4:
			return faultproxy.Fault{Status: 500}
		case call <= 8:
			return faultproxy.Fault{Status: 400} // whole-call throttling
		}
		return faultproxy.Fault{}
	})
	var sl sleeps
	bo := NewBackoff(100*time.Millisecond, time.Second).WithClock(func() float64 { return 0.5 }, sl.sleep)
	st := flowstats.New("f", px.stream, false)
	var logs logBuf
	s := NewKinesis(px.client, px.stream, Options{Backoff: bo, Stats: st, Logger: newLogger(&logs)})
	recs := lines(20, "se")
	chunk := tracked(20)
	bl := batch.NewBuilder(batch.Options{Limits: batch.KinesisLimits(0, 0, 0), Keys: batch.KeyRandom})
	bs := batches(bl, recs, chunk)
	sendAll(t, s, bs)
	want := "[100ms 200ms 400ms 800ms 1s 1s 1s 1s]"
	if got := fmt.Sprint(sl.all()); got != want {
		t.Fatalf("backoff waits %s, want %s", got, want)
	}
	if bo.Failures() != 0 || bo.Base() != 0 {
		t.Fatalf("after success: failures %v", bo.Failures())
	}
	if chunk.Outstanding() != 0 || st.ServiceErrors.Load() != 8 {
		t.Fatalf("outstanding %d service errors %d", chunk.Outstanding(), st.ServiceErrors.Load())
	}
	exactlyOnce(t, kinesistest.WaitForRecords(t, px.direct, px.stream, 20, 10*time.Second), recs)
	if n := logs.count("ERROR", "Retriable send error (InternalFailure"); n != 1 {
		t.Fatalf("%d InternalFailure lines (want 1 per 10 s):\n%s", n, logs.String())
	}
	if n := logs.count("WARN", "records throttled in"); n != 1 {
		t.Fatalf("%d throttle summary lines, want 1:\n%s", n, logs.String())
	}
	// A next batch goes out without waiting.
	sendAll(t, s, batches(bl, lines(1, "after"), nil))
	if len(sl.all()) != 8 {
		t.Fatalf("waited after reset: %v", sl.all())
	}
}

func TestJitterIsWithinThirtyPercent(t *testing.T) {
	var sl sleeps
	for _, r := range []float64{0, 0.999999} {
		bo := NewBackoff(100*time.Millisecond, 10*time.Second).WithClock(func() float64 { return r }, sl.sleep)
		bo.Failure()
		bo.Failure()
		_ = bo.Wait(context.Background())
	}
	d := sl.all()
	if d[0] != 140*time.Millisecond || d[1] < 259*time.Millisecond || d[1] >= 260*time.Millisecond {
		t.Fatalf("jittered 200ms waits %v, want [140ms, 260ms)", d)
	}
}

// Spec §5.5: delay = min(retryMaxBackoffMillis, retryInitialBackoffMillis ×
// 2^(F−1)); either key at 0 (accepted by the configuration, as by Java)
// means retries are not delayed, however many calls failed.
func TestZeroBackoffKeysRetryWithoutWaiting(t *testing.T) {
	for _, c := range []struct{ initial, max time.Duration }{
		{0, 10 * time.Second},
		{100 * time.Millisecond, 0},
		{0, 0},
	} {
		var sl sleeps
		bo := NewBackoff(c.initial, c.max).WithClock(nil, sl.sleep)
		for range 1_000_000 {
			bo.Failure()
		}
		if got := bo.Base(); got != 0 {
			t.Errorf("initial %v max %v: delay %v after 1e6 failures, want 0", c.initial, c.max, got)
		}
		if err := bo.Wait(context.Background()); err != nil || len(sl.all()) != 0 {
			t.Errorf("initial %v max %v: Wait slept %v (err %v), want no sleep", c.initial, c.max, sl.all(), err)
		}
	}
}

func TestSuccessWakesWaitingSenders(t *testing.T) {
	bo := NewBackoff(time.Hour, time.Hour)
	bo.Failure()
	done := make(chan error)
	go func() { done <- bo.Wait(context.Background()) }()
	for bo.Base() == 0 {
		time.Sleep(time.Millisecond)
	}
	deadline := time.After(10 * time.Second)
	for {
		bo.Success() // repeated: the waiter may not have started waiting yet
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			return
		case <-deadline:
			t.Fatal("waiter not woken by success")
		case <-time.After(10 * time.Millisecond):
			bo.Failure()
		}
	}
}

func TestThrottleSummaryIsOneLinePerInterval(t *testing.T) {
	now := time.Unix(0, 0)
	var logs logBuf
	px := newProxied(t, 1)
	px.proxy.SetPlan(func(call, n int) faultproxy.Fault {
		if call <= 6 {
			return faultproxy.Fault{FailEntries: []int{0, 1}}
		}
		return faultproxy.Fault{}
	})
	var sl sleeps
	s := NewKinesis(px.client, px.stream, Options{Logger: newLogger(&logs),
		Now:     func() time.Time { now = now.Add(10 * time.Second); return now },
		Backoff: NewBackoff(0, 0).WithClock(nil, sl.sleep)})
	bl := batch.NewBuilder(batch.Options{Limits: batch.KinesisLimits(0, 0, 0), Keys: batch.KeyRandom})
	sendAll(t, s, batches(bl, lines(3, "th"), nil))
	// Each call advances the clock 20 s (two Now calls): lines at calls 1, 3, 5,
	// and the rest (call 6) flushed by the successful call 7.
	out := logs.String()
	if n := logs.count("WARN", "records throttled in"); n != 4 {
		t.Fatalf("%d summary lines, want 4:\n%s", n, out)
	}
	if !strings.HasSuffix(strings.TrimSpace(out), "2 records throttled in 1 calls in the last 20s. Retrying with backoff.\"") {
		t.Fatalf("last summary not flushed after success:\n%s", out)
	}
	if !strings.Contains(out, "4 records throttled in 2 calls in the last 20s") {
		t.Fatalf("summary text:\n%s", out)
	}
}

func TestMissingStreamIsLoggedOncePerMinuteWithRegionAndEndpointAndRetried(t *testing.T) {
	px := newProxied(t, 1)
	var logs logBuf
	var sl sleeps
	st := flowstats.New("f", "nope", false)
	s := NewKinesis(px.client, "no-such-stream", Options{Logger: newLogger(&logs), Stats: st,
		Backoff: NewBackoff(time.Millisecond, time.Millisecond).WithClock(nil, sl.sleep)})
	ctx, cancel := context.WithCancel(context.Background())
	chunk := tracked(2)
	bl := batch.NewBuilder(batch.Options{Limits: batch.KinesisLimits(0, 0, 0), Keys: batch.KeyRandom})
	b := batches(bl, lines(2, "ms"), chunk)[0]
	go func() {
		for px.proxy.Calls() < 5 {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	err := s.Send(ctx, b)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Send: %v", err)
	}
	if chunk.Outstanding() != 2 {
		t.Fatalf("acked records of a failed batch: outstanding %d", chunk.Outstanding())
	}
	if n := logs.count("ERROR", "Cannot send to stream no-such-stream in region us-east-1 at endpoint "+px.proxy.URL()+": ResourceNotFoundException"); n != 1 {
		t.Fatalf("%d ERROR lines, want 1:\n%s", n, logs.String())
	}
	if st.ServiceErrors.Load() < 4 {
		t.Fatalf("service errors %d", st.ServiceErrors.Load())
	}
}

func TestCancelledSendLeavesUnsentEntriesUnacked(t *testing.T) {
	px := newProxied(t, 1)
	px.proxy.SetPlan(func(call, n int) faultproxy.Fault {
		if call == 1 {
			return faultproxy.Fault{FailEntries: []int{2}}
		}
		return faultproxy.Fault{Status: 500}
	})
	c1, c2 := tracked(2), tracked(1)
	bl := batch.NewBuilder(batch.Options{Limits: batch.KinesisLimits(0, 0, 0), Keys: batch.KeyRandom})
	bl.Add([]byte("a"), c1)
	bl.Add([]byte("b"), c1)
	bl.Add([]byte("c"), c2)
	b := bl.Flush(time.Now())
	s := NewKinesis(px.client, px.stream, Options{Backoff: NewBackoff(time.Millisecond, 2*time.Millisecond)})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for px.proxy.Calls() < 3 {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	if err := s.Send(ctx, b); !errors.Is(err, context.Canceled) {
		t.Fatalf("Send: %v", err)
	}
	if c1.Outstanding() != 0 || c2.Outstanding() != 1 {
		t.Fatalf("outstanding %d %d, want 0 1", c1.Outstanding(), c2.Outstanding())
	}
}

// A dropped connection is retried inside the SDK (RetryerNoQuota): one
// logical call, two HTTP requests, no service error.
func TestDroppedConnectionIsRetriedBySDK(t *testing.T) {
	px := newProxied(t, 1)
	px.proxy.SetPlan(faultproxy.FirstCalls(1, faultproxy.Fault{Drop: true}))
	st := flowstats.New("f", px.stream, false)
	var obs calls
	s := NewKinesis(px.client, px.stream, Options{Stats: st, Observer: &obs})
	bl := batch.NewBuilder(batch.Options{Limits: batch.KinesisLimits(0, 0, 0), Keys: batch.KeyRandom})
	recs := lines(5, "dc")
	sendAll(t, s, batches(bl, recs, nil))
	if px.proxy.Calls() != 2 || len(obs.all()) != 1 || st.ServiceErrors.Load() != 0 {
		t.Fatalf("http calls %d, observed %d, service errors %d", px.proxy.Calls(), len(obs.all()), st.ServiceErrors.Load())
	}
	exactlyOnce(t, kinesistest.WaitForRecords(t, px.direct, px.stream, 5, 10*time.Second), recs)
}

// kinesis-local: a real per-entry failure (oversized record) among good ones.
// The good entries are stored once and acked; the bad one is retried (never
// dropped), logged as an ERROR, and stays unacked.
func TestKinesisMockPartialFailureResendsOnlyTheFailedEntry(t *testing.T) {
	ep := kinesistest.MockEndpoint(t)
	c := kinesistest.Client(t, ep)
	stream := kinesistest.CreateStream(t, c, 1)
	good, bad := tracked(3), tracked(1)
	b := &batch.Batch{Entries: []batch.Entry{
		{Data: []byte("ok-1\n"), Key: "k1", Chunk: good},
		{Data: bytes.Repeat([]byte{'x'}, 1<<20+1), Key: "k2", Chunk: bad},
		{Data: []byte("ok-2\n"), Key: "k3", Chunk: good},
		{Data: []byte("ok-3\n"), Key: "k4", Chunk: good},
	}, ID: 7}
	var logs logBuf
	var obs calls
	st := flowstats.New("f", stream, false)
	s := NewKinesis(c, stream, Options{Logger: newLogger(&logs), Observer: &obs, Stats: st,
		Backoff: NewBackoff(time.Millisecond, 20*time.Millisecond)})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for len(obs.all()) < 2 {
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
	}()
	if err := s.Send(ctx, b); !errors.Is(err, context.Canceled) {
		t.Fatalf("Send: %v", err)
	}
	if good.Outstanding() != 0 || bad.Outstanding() != 1 {
		t.Fatalf("outstanding good %d bad %d", good.Outstanding(), bad.Outstanding())
	}
	o := obs.all()
	if o[0].Attempted != 4 || o[0].Sent != 3 || o[0].Failed != 1 || o[1].Attempted != 1 {
		t.Fatalf("calls %+v", o)
	}
	if n := logs.count("ERROR", "InvalidArgumentException"); n != 1 {
		t.Fatalf("%d ERROR lines for the rejected entry:\n%s", n, logs.String())
	}
	got := kinesistest.WaitForRecords(t, c, stream, 3, 10*time.Second)
	exactlyOnce(t, got, [][]byte{[]byte("ok-1\n"), []byte("ok-2\n"), []byte("ok-3\n")})
	if _, err := c.PutRecords(context.Background(), &kinesis.PutRecordsInput{StreamName: aws.String(stream)}); err == nil {
		t.Log("kinesis-local accepts empty PutRecords (known quirk)")
	}
}

// Concurrent senders of one flow under mixed faults (per-entry throttling,
// 500s, dropped connections): every record is stored exactly once and acked.
func TestConcurrentSendsUnderFaultsDeliverEveryRecordExactlyOnce(t *testing.T) {
	px := newProxied(t, 4)
	px.proxy.SetPlan(func(call, n int) faultproxy.Fault {
		switch {
		case call%7 == 0:
			return faultproxy.Fault{Status: 500}
		case call%5 == 0:
			return faultproxy.Fault{Status: 400}
		case call%3 == 0:
			return faultproxy.Fault{FailEntries: []int{0, n / 2, n - 1}}
		case call%11 == 0:
			return faultproxy.Fault{Drop: true}
		}
		return faultproxy.Fault{}
	})
	st := flowstats.New("f", px.stream, false)
	s := NewKinesis(px.client, px.stream, Options{Stats: st, Backoff: NewBackoff(time.Millisecond, 20*time.Millisecond)})
	const senders, perSender = 4, 300
	var all [][]byte
	var chunks []*record.Chunk
	work := make([][]*batch.Batch, senders)
	for i := 0; i < senders; i++ {
		recs := lines(perSender, fmt.Sprintf("s%d", i))
		all = append(all, recs...)
		c := tracked(perSender)
		chunks = append(chunks, c)
		bl := batch.NewBuilder(batch.Options{Limits: batch.KinesisLimits(100, 0, 0), Keys: batch.KeyRandom})
		work[i] = batches(bl, recs, c)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	errs := make(chan error, senders)
	for i := 0; i < senders; i++ {
		go func() {
			for _, b := range work[i] {
				if err := s.Send(ctx, b); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for i := 0; i < senders; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range chunks {
		if c.Outstanding() != 0 {
			t.Fatalf("chunk %d: %d unacked", i, c.Outstanding())
		}
	}
	if st.RecordsSent.Load() != senders*perSender || st.ServiceErrors.Load() == 0 || st.RecordSendErrors.Load() == 0 {
		t.Fatalf("sent %d, service errors %d, entry errors %d", st.RecordsSent.Load(), st.ServiceErrors.Load(), st.RecordSendErrors.Load())
	}
	exactlyOnce(t, kinesistest.WaitForRecords(t, px.direct, px.stream, len(all), 20*time.Second), all)
}

// An endpoint that refuses connections: the SDK retries the transport error
// 3 times, then the flow backoff retries the call until the endpoint is back.
func TestRefusedConnectionsAreRetriedUntilTheEndpointIsBack(t *testing.T) {
	px := newProxied(t, 1)
	px.proxy.SetRefuse(true)
	var logs logBuf
	st := flowstats.New("f", px.stream, false)
	s := NewKinesis(px.client, px.stream, Options{Stats: st, Logger: newLogger(&logs),
		Backoff: NewBackoff(time.Millisecond, 10*time.Millisecond)})
	go func() {
		for px.proxy.Refused() < 6 { // two failed calls of 3 SDK attempts
			time.Sleep(5 * time.Millisecond)
		}
		px.proxy.SetRefuse(false)
	}()
	recs := lines(10, "rf")
	chunk := tracked(10)
	bl := batch.NewBuilder(batch.Options{Limits: batch.KinesisLimits(0, 0, 0), Keys: batch.KeyRandom})
	sendAll(t, s, batches(bl, recs, chunk))
	if chunk.Outstanding() != 0 || st.ServiceErrors.Load() < 2 {
		t.Fatalf("outstanding %d, service errors %d", chunk.Outstanding(), st.ServiceErrors.Load())
	}
	if logs.count("ERROR", "Retriable send error (error: PutRecords "+px.stream) != 1 {
		t.Fatalf("logs:\n%s", logs.String())
	}
	exactlyOnce(t, kinesistest.WaitForRecords(t, px.direct, px.stream, 10, 10*time.Second), recs)
}

// kinesalite rejects a whole PutRecords call holding a record over 1 MiB
// (ValidationException, as AWS does). The sender halves the calls until the
// bad record is alone: every other record is delivered and acked, the bad
// one keeps being retried (never dropped) and stays unacked.
func TestWholeCallValidationErrorIsolatesTheRejectedRecord(t *testing.T) {
	px := newProxied(t, 1)
	good, bad := tracked(7), tracked(1)
	var entries []batch.Entry
	var want [][]byte
	for i := 0; i < 8; i++ {
		if i == 5 {
			entries = append(entries, batch.Entry{Data: bytes.Repeat([]byte{'x'}, 1<<20+1), Key: "bad", Chunk: bad})
			continue
		}
		d := []byte(fmt.Sprintf("good-%d\n", i))
		want = append(want, d)
		entries = append(entries, batch.Entry{Data: d, Key: fmt.Sprint(i), Chunk: good})
	}
	var logs logBuf
	var obs calls
	s := NewKinesis(px.client, px.stream, Options{Logger: newLogger(&logs), Observer: &obs,
		Backoff: NewBackoff(time.Millisecond, 5*time.Millisecond)})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Send(ctx, &batch.Batch{Entries: entries, ID: 1}) }()
	got := kinesistest.WaitForRecords(t, px.direct, px.stream, 7, 20*time.Second)
	for good.Outstanding() != 0 {
		time.Sleep(5 * time.Millisecond)
	}
	for px.proxy.Calls() < 10 { // the lone bad record keeps being retried
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Send: %v", err)
	}
	exactlyOnce(t, got, want)
	if bad.Outstanding() != 1 {
		t.Fatal("the rejected record was acked")
	}
	last := px.proxy.RecordsPerCall()
	if last[len(last)-1] != 1 || last[0] != 8 {
		t.Fatalf("calls %v: want 8 first, the bad record alone last", last)
	}
	if n := logs.count("ERROR", "ValidationException"); n != 1 {
		t.Fatalf("%d ERROR lines:\n%s", n, logs.String())
	}
}

func TestDefaultEndpointIsNamedInErrors(t *testing.T) {
	for _, c := range []struct{ kind, region, want string }{
		{"stream", "us-east-1", "https://kinesis.us-east-1.amazonaws.com (SDK default)"},
		{"delivery stream", "cn-north-1", "https://firehose.cn-north-1.amazonaws.com.cn (SDK default)"},
		{"stream", "", "(SDK default)"},
	} {
		if got := defaultEndpoint(c.kind, c.region); got != c.want {
			t.Errorf("%s %s: %q", c.kind, c.region, got)
		}
	}
}
