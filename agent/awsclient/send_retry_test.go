package awsclient_test

import (
	"context"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/batch"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/send"
)

// A throttled PutRecords through the client awsclient.New builds comes back
// to the flow's sender at once (docs/compat/send.md 5.4b), where it is
// counted and backed off: one HTTP request per sender call. The client's
// own retryer (2 attempts, for DescribeStream and the rest) used to send
// every throttled or 5xx call twice, after a hidden delay.
func TestAThrottledSendComesBackToTheFlowAtOnce(t *testing.T) {
	isolateEnv(t)
	var hits atomic.Int64
	srv := newFakeAWS(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		n := hits.Add(1)
		if n <= 2 {
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(400)
			_, _ = io.WriteString(w, `{"__type":"ProvisionedThroughputExceededException","message":"slow down"}`)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_, _ = io.WriteString(w, `{"FailedRecordCount":0,"Records":[{"SequenceNumber":"1","ShardId":"s"}]}`)
	})
	c := mustNew(t, kinesisAt(srv.URL))
	st := flowstats.New("f", "s", false)
	s := send.NewKinesis(c.Kinesis, "s", send.Options{Stats: st, FastCodec: true,
		Backoff: send.NewBackoff(time.Millisecond, time.Millisecond)})
	bld := batch.NewBuilder(batch.Options{Limits: batch.KinesisLimits(0, 0, 0), Keys: batch.KeyRandom})
	bld.Add([]byte("hello\n"), nil)
	b := bld.Flush(time.Now())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Send(ctx, b); err != nil {
		t.Fatal(err)
	}
	t.Logf("HTTP requests=%d sender Calls=%d ServiceErrors=%d", hits.Load(), st.Calls.Load(), st.ServiceErrors.Load())
	if hits.Load() != st.Calls.Load() {
		t.Errorf("throttled call retried inside the SDK: %d HTTP requests for %d sender calls (%d whole-call failures seen by the sender)",
			hits.Load(), st.Calls.Load(), st.ServiceErrors.Load())
	}
}
