package send

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/batch"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
)

// LastSuccess (read by /healthz: "no successful send for 5 minutes") is
// not stored for a call in which every entry failed, such as a stream
// whose KMS key is disabled (per-entry KMSDisabledException): /healthz
// must not stay healthy while nothing is delivered.
func TestACallWhoseEntriesAllFailedIsNotASuccess(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		n := strings.Count(string(b), `"Data"`)
		out := `{"FailedRecordCount":` + strconv.Itoa(n) + `,"Records":[`
		for i := 0; i < n; i++ {
			if i > 0 {
				out += ","
			}
			out += `{"ErrorCode":"KMSDisabledException","ErrorMessage":"key disabled"}`
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_, _ = io.WriteString(w, out+"]}")
	}))
	defer srv.Close()
	st := flowstats.New("f", "s", false)
	s := NewKinesis(benchClient(srv.URL), "s", Options{FastCodec: true, Stats: st, Backoff: NewBackoff(time.Millisecond, time.Millisecond)})
	bld := batch.NewBuilder(batch.Options{Limits: batch.KinesisLimits(0, 0, 0), Keys: batch.KeyRandom})
	c := tracked(3)
	for _, r := range lines(3, "r") {
		bld.Add(r, c)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_ = s.Send(ctx, bld.Flush(time.Now()))
	t.Logf("calls=%d sent=%d entry errors=%d", st.Calls.Load(), st.RecordsSent.Load(), st.RecordSendErrors.Load())
	if at, ok := st.LastSuccess.At(time.Now()); st.RecordsSent.Load() == 0 && ok {
		t.Fatalf("no record delivered in %d calls, yet LastSuccess = %v", st.Calls.Load(), at)
	}
}
