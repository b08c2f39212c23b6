package send

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/batch"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
)

func allAccepted(n int) string {
	out := `{"FailedRecordCount":0,"Records":[` + strings.Repeat(`{"SequenceNumber":"9","ShardId":"s"},`, n)
	return strings.TrimSuffix(out, ",") + "]}"
}

// sendLines sends n records through NewKinesis(FastCodec: fast) to srv.
func sendLines(t *testing.T, url string, fast bool, n int, d time.Duration) (*flowstats.Flow, int64, error) {
	st := flowstats.New("f", "s", false)
	s := NewKinesis(benchClient(url), "s", Options{FastCodec: fast, Stats: st, Backoff: NewBackoff(time.Millisecond, time.Millisecond)})
	bld := batch.NewBuilder(batch.Options{Limits: batch.KinesisLimits(0, 0, 0), Keys: batch.KeyRandom})
	c := tracked(n)
	for _, r := range lines(n, "r") {
		bld.Add(r, c)
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	err := s.Send(ctx, bld.Flush(time.Now()))
	return st, c.Outstanding(), err
}

// Java loops over every entry whatever FailedRecordCount says: an entry
// with an ErrorCode in an answer whose count is 0 is resent alone (the
// fast codec trusted the count and acknowledged it: its record was lost).
func TestAnEntryWithAnErrorCodeIsResentWhateverTheFailedCountSays(t *testing.T) {
	for _, fast := range []bool{false, true} {
		var calls atomic.Int64
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			var req struct{ Records []json.RawMessage }
			_ = json.Unmarshal(b, &req)
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			if calls.Add(1) == 1 {
				io.WriteString(w, `{"FailedRecordCount":0,"Records":[{"SequenceNumber":"1","ShardId":"s"},{"ErrorCode":"ProvisionedThroughputExceededException","ErrorMessage":"slow"},{"SequenceNumber":"3","ShardId":"s"}]}`)
				return
			}
			io.WriteString(w, allAccepted(len(req.Records)))
		}))
		st, _, err := sendLines(t, srv.URL, fast, 3, 5*time.Second)
		srv.Close()
		if err != nil || calls.Load() != 2 || st.RecordSendErrors.Load() != 1 {
			t.Errorf("fast=%v: %d calls, %d entry errors, %d sent: the throttled entry was acked without being resent",
				fast, calls.Load(), st.RecordSendErrors.Load(), st.RecordsSent.Load())
		}
	}
	// Firehose shares the decoder.
	var o firehose.PutRecordBatchOutput
	if err := decodePutRecordBatchOutput([]byte(`{"FailedPutCount":0,"RequestResponses":[{"RecordId":"1"},{"ErrorCode":"ServiceUnavailableException"}]}`), &o); err != nil {
		t.Fatal(err)
	}
	if aws.ToString(o.RequestResponses[1].ErrorCode) == "" {
		t.Errorf("Firehose: entry 1's ErrorCode dropped because FailedPutCount is 0")
	}
}

// A front end that refuses a body's size (413, from nginx or a local
// server) is answered by halving the call until each part fits, as an
// invalid request is; the same whole call was retried for ever.
func TestAnHTTP413IsIsolatedByHalvingLikeAnInvalidRequest(t *testing.T) {
	const limit = 600
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		b, _ := io.ReadAll(r.Body)
		if len(b) > limit {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			io.WriteString(w, "<html><head><title>413 Request Entity Too Large</title></head></html>")
			return
		}
		var req struct{ Records []json.RawMessage }
		_ = json.Unmarshal(b, &req)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		io.WriteString(w, allAccepted(len(req.Records)))
	}))
	defer srv.Close()
	st, outstanding, err := sendLines(t, srv.URL, true, 20, 2*time.Second)
	if err != nil || outstanding != 0 {
		t.Fatalf("%v: %d of 20 records undelivered after %d calls (%d sent)", err, outstanding, calls.Load(), st.RecordsSent.Load())
	}
}

// A Kinesis- or Firehose-compatible server (an emulator, a gateway) that
// answers a null failed count with proper entries is read as the SDK's
// decoder reads it: the fast decoder refused the answer, so the call, which
// the server had stored, was sent again for ever.
func TestTheFastDecoderReadsANullFailedCountAsTheSDKDoes(t *testing.T) {
	var k kinesis.PutRecordsOutput
	if err := decodePutRecordsOutput([]byte(`{"FailedRecordCount":null,"Records":[{"SequenceNumber":"1","ShardId":"s"}]}`), &k); err != nil || len(k.Records) != 1 {
		t.Errorf("PutRecords: %v (%d entries)", err, len(k.Records))
	}
	var f firehose.PutRecordBatchOutput
	if err := decodePutRecordBatchOutput([]byte(`{"FailedPutCount":null,"Encrypted":null,"RequestResponses":[{"RecordId":"1"}]}`), &f); err != nil || len(f.RequestResponses) != 1 {
		t.Errorf("PutRecordBatch: %v (%d entries)", err, len(f.RequestResponses))
	}
}
