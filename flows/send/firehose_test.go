package send

import (
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/batch"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/fakeaws"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/kinesistest"
)

func newFirehose(t *testing.T) (*fakeaws.Firehose, *firehose.Client) {
	t.Helper()
	fh := fakeaws.NewFirehose("ds")
	srv := httptest.NewServer(fh)
	t.Cleanup(srv.Close)
	c := firehose.NewFromConfig(kinesistest.Config(), func(o *firehose.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
		o.Retryer = RetryerNoQuota()
	})
	return fh, c
}

// Aggregation-sized records (aggregatedRecordSizeBytes up to 1,024,000: many
// lines per record) at the Firehose limits: 4 records of 1,024,000 bytes per
// call (4 MiB), a 5th starts the next call; the server's limit checks pass.
func TestFirehoseAggregatedRecordsFillFourMiBCalls(t *testing.T) {
	bothCodecs(t, testFirehoseAggregatedRecordsFillFourMiBCalls)
}

func testFirehoseAggregatedRecordsFillFourMiBCalls(t *testing.T, fast bool) {
	fh, c := newFirehose(t)
	line := []byte("2026-11-21 agg line of forty bytes....\n")
	agg := bytes.Repeat(line, batch.FirehoseMaxRecordBytes/len(line))
	var recs [][]byte
	for i := 0; i < 9; i++ {
		r := append([]byte(fmt.Sprintf("%02d", i)), agg[2:]...)
		recs = append(recs, r)
	}
	chunk := tracked(len(recs))
	st := flowstats.New("f", "ds", true)
	bl := batch.NewBuilder(batch.Options{Limits: batch.FirehoseLimits(0, 0, 0)})
	sendAll(t, NewFirehose(c, "ds", Options{FastCodec: fast, Stats: st}), batches(bl, recs, chunk))
	if got := fmt.Sprint(fh.RecordsPerCall()); got != "[4 4 1]" {
		t.Fatalf("calls %s", got)
	}
	if len(fh.Errors()) != 0 || chunk.Outstanding() != 0 || st.BytesSent.Load() != int64(9*len(agg)) {
		t.Fatalf("errors %v outstanding %d bytes %d", fh.Errors(), chunk.Outstanding(), st.BytesSent.Load())
	}
	exactlyOnce(t, fh.Records("ds"), recs)
}

func TestFirehoseFailedPutCountResendsOnlyFailedRecords(t *testing.T) {
	bothCodecs(t, testFirehoseFailedPutCountResendsOnlyFailedRecords)
}

func testFirehoseFailedPutCountResendsOnlyFailedRecords(t *testing.T, fast bool) {
	fh, c := newFirehose(t)
	fh.SetPlan(func(call, n int) fakeaws.FirehoseFault {
		switch call {
		case 1:
			return fakeaws.FirehoseFault{FailEntries: []int{0, 2, 4}}
		case 2:
			return fakeaws.FirehoseFault{Status: 500}
		case 3:
			return fakeaws.FirehoseFault{FailEntries: []int{1}, ErrorCode: "InternalFailure"}
		}
		return fakeaws.FirehoseFault{}
	})
	recs := lines(6, "fh")
	chunk := tracked(6)
	var obs calls
	var logs logBuf
	s := NewFirehose(c, "ds", Options{FastCodec: fast, Observer: &obs, Logger: newLogger(&logs),
		Backoff: NewBackoff(time.Millisecond, 5*time.Millisecond)})
	bl := batch.NewBuilder(batch.Options{Limits: batch.FirehoseLimits(0, 0, 0)})
	sendAll(t, s, batches(bl, recs, chunk))
	if got := fmt.Sprint(fh.RecordsPerCall()); got != "[6 3 3 1]" {
		t.Fatalf("calls %s", got)
	}
	o := obs.all()
	if len(o) != 4 || o[0].Sent != 3 || o[0].Failed != 3 || !o[1].ServiceError || o[2].Sent != 2 || o[3].Sent != 1 ||
		o[0].Destination != "DeliveryStream:ds" {
		t.Fatalf("observed %+v", o)
	}
	if chunk.Outstanding() != 0 {
		t.Fatalf("outstanding %d", chunk.Outstanding())
	}
	exactlyOnce(t, fh.Records("ds"), recs)
	if logs.count("WARN", "DeliveryStream:ds: 3 records throttled in 1 calls") != 1 || logs.count("ERROR", "InternalFailure") != 1 {
		t.Fatalf("logs:\n%s", logs.String())
	}
}

func TestFirehoseMissingDeliveryStreamIsNamedInError(t *testing.T) {
	bothCodecs(t, testFirehoseMissingDeliveryStreamIsNamedInError)
}

func testFirehoseMissingDeliveryStreamIsNamedInError(t *testing.T, fast bool) {
	_, c := newFirehose(t)
	var logs logBuf
	s := NewFirehose(c, "missing", Options{FastCodec: fast, Logger: newLogger(&logs), Backoff: NewBackoff(time.Millisecond, time.Millisecond)})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	bl := batch.NewBuilder(batch.Options{Limits: batch.FirehoseLimits(0, 0, 0)})
	bl.Add([]byte("x\n"), nil)
	if err := s.Send(ctx, bl.Flush(time.Now())); err == nil {
		t.Fatal("Send to a missing stream returned nil")
	}
	if logs.count("ERROR", "Cannot send to delivery stream missing in region us-east-1 at endpoint http://127.0.0.1:") != 1 {
		t.Fatalf("logs:\n%s", logs.String())
	}
}

// bothCodecs runs test with the SDK's serializer and with the agent's
// PutRecordBatch codec (FastCodec).
func bothCodecs(t *testing.T, test func(t *testing.T, fast bool)) {
	for _, fast := range []bool{false, true} {
		name := "codec=sdk"
		if fast {
			name = "codec=fast"
		}
		t.Run(name, func(t *testing.T) { test(t, fast) })
	}
}
