package send

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/batch"
)

// hotShardKinesis throttles every entry whose data is hot in the first
// throttledCalls calls that hold it; every other entry is accepted.
type hotShardKinesis struct {
	mu             sync.Mutex
	hot            string
	throttledCalls int
	calls          int
	callsWithHot   int
}

func (h *hotShardKinesis) PutRecords(_ context.Context, in *kinesis.PutRecordsInput, _ ...func(*kinesis.Options)) (*kinesis.PutRecordsOutput, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls++
	out := &kinesis.PutRecordsOutput{Records: make([]types.PutRecordsResultEntry, len(in.Records))}
	for i, e := range in.Records {
		if string(e.Data) == h.hot {
			h.callsWithHot++
			if h.callsWithHot <= h.throttledCalls {
				out.Records[i].ErrorCode = aws.String("ProvisionedThroughputExceededException")
				out.Records[i].ErrorMessage = aws.String("Rate exceeded for shard shardId-000000000000")
				continue
			}
		}
		out.Records[i].SequenceNumber = aws.String("1")
	}
	return out, nil
}

// Java (AsyncPublisher.onSendPartialSuccess, spec §5.5) adds the buffer's
// remaining records / the records of the request it sent: a retry whose
// every record is throttled again counts a whole failure. One hot record of
// a 500-record batch is therefore retried with a growing delay; scored
// against the 500 (1/500 per retry) it was retried in a tight loop, hundreds
// of calls without a pause, against the very shard that throttles.
func TestARecordThrottledAgainAndAgainIsRetriedWithGrowingBackoff(t *testing.T) {
	api := &hotShardKinesis{hot: "r-00007\n", throttledCalls: 6}
	var sl sleeps
	bo := NewBackoff(100*time.Millisecond, 10*time.Second).WithClock(func() float64 { return 0.5 }, sl.sleep)
	s := NewKinesis(api, "s", Options{Backoff: bo})
	bld := batch.NewBuilder(batch.Options{Limits: batch.KinesisLimits(0, 0, 0), Keys: batch.KeyRandom})
	c := tracked(500)
	var b *batch.Batch
	for _, r := range lines(500, "r") {
		if full := bld.Add(r, c); full != nil {
			b = full
		}
	}
	if b == nil {
		b = bld.Flush(time.Now())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := s.Send(ctx, b); err != nil {
		t.Fatal(err)
	}
	if c.Outstanding() != 0 {
		t.Fatalf("%d records unacknowledged", c.Outstanding())
	}
	if api.calls != 7 {
		t.Fatalf("%d calls, want 7 (500 records, then the hot one 6 times)", api.calls)
	}
	// Failures after each call: 1/500, then +1 per failed retry:
	// round() = 0, 1, 2, 3, 4, 5 before calls 2-7.
	want := "[100ms 200ms 400ms 800ms 1.6s]"
	if got := fmt.Sprint(sl.all()); got != want {
		t.Errorf("backoff before the retries of the lone throttled record: %s, want %s (Java's score of the request sent)", got, want)
	}
}
