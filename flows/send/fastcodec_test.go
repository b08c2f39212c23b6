package send

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/batch"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/faultproxy"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/kinesistest"
)

// refAnswer decodes what the sender needs from a batch call's answer with
// encoding/json: the member count (the failed-entry count) and each entry
// of the member entries as "ErrorCode|ErrorMessage", with exact
// (case-sensitive) member names as the service sends them; on duplicate
// members the last one wins.
func refAnswer(p []byte, count, entries string) (int32, []string, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(p, &top); err != nil {
		return 0, nil, err
	}
	var n int32
	if raw, ok := top[count]; ok {
		if err := json.Unmarshal(raw, &n); err != nil {
			return 0, nil, err
		}
	}
	var recs []json.RawMessage
	if raw, ok := top[entries]; ok {
		if err := json.Unmarshal(raw, &recs); err != nil {
			return 0, nil, err
		}
	}
	var out []string
	for _, r := range recs {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(r, &m); err != nil {
			return 0, nil, err
		}
		var code, msg *string
		if raw, ok := m["ErrorCode"]; ok {
			if err := json.Unmarshal(raw, &code); err != nil {
				return 0, nil, err
			}
		}
		if raw, ok := m["ErrorMessage"]; ok {
			if err := json.Unmarshal(raw, &msg); err != nil {
				return 0, nil, err
			}
		}
		out = append(out, fmt.Sprintf("%s|%s", ptr(code), ptr(msg)))
	}
	return n, out, nil
}

func reference(p []byte) (int32, []string, error) {
	return refAnswer(p, "FailedRecordCount", "Records")
}

func ptr(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

func fast(p []byte) (int32, []string, error) {
	var o kinesis.PutRecordsOutput
	if err := decodePutRecordsOutput(p, &o); err != nil {
		return 0, nil, err
	}
	var out []string
	for _, r := range o.Records {
		out = append(out, fmt.Sprintf("%s|%s", ptr(r.ErrorCode), ptr(r.ErrorMessage)))
	}
	return aws.ToInt32(o.FailedRecordCount), out, nil
}

var codecSeeds = []string{
	`{"FailedRecordCount":0,"Records":[{"SequenceNumber":"4959","ShardId":"shardId-000000000000"}]}`,
	`{"FailedRecordCount":1,"Records":[{"SequenceNumber":"1","ShardId":"s"},{"ErrorCode":"ProvisionedThroughputExceededException","ErrorMessage":"Rate exceeded for shard"}],"EncryptionType":"NONE"}`,
	` { "Records" : [ { "ErrorCode" : null , "ErrorMessage" : null , "SequenceNumber" : "9" } ] , "FailedRecordCount" : 0 } `,
	`{"FailedRecordCount":1,"Records":[{"ErrorCode":"InvalidArgumentException","ErrorMessage":"quote \" backslash \\ unicode \u00e9 \n","X":{"a":[1,2,{"b":null}],"c":true}}],"Extra":[[],{}],"N":-1.5e3}`,
	`{"FailedRecordCount":0,"Records":[]}`,
	`{"Records":null}`,
	`{"FailedRecordCount":null,"Records":[{"SequenceNumber":"1","ShardId":"s"}]}`,
	`{}`,
}

// answerDecoder decodes an answer into its failed-entry count and entries
// as "ErrorCode|ErrorMessage" (reference or fast).
type answerDecoder func([]byte) (int32, []string, error)

// decodesLikeEncodingJSON checks the fast decoder against the reference on
// seeds (which both must accept) and on bad documents (which it rejects).
func decodesLikeEncodingJSON(t *testing.T, ref, fast answerDecoder, seeds, bad []string) {
	t.Helper()
	for _, s := range seeds {
		rc, rr, rerr := ref([]byte(s))
		fc, fr, ferr := fast([]byte(s))
		if rerr != nil || ferr != nil || rc != fc || !sameResults(rc, rr, fr) {
			t.Errorf("%s:\n ref %d %q %v\nfast %d %q %v", s, rc, rr, rerr, fc, fr, ferr)
		}
	}
	for _, b := range bad {
		if _, _, err := fast([]byte(b)); err == nil {
			t.Errorf("%q: no error", b)
		}
	}
}

// fuzzAnswer: on any document encoding/json decodes and the fast decoder
// accepts, both agree. Invalid JSON, or valid JSON of shapes the service
// never sends (wrong member types) that the fast decoder rejects, may end
// any way but a panic.
func fuzzAnswer(t *testing.T, ref, fast answerDecoder, p []byte) {
	rc, rr, rerr := ref(p)
	fc, fr, ferr := fast(p)
	if rerr != nil || ferr != nil {
		return
	}
	if rc != fc || !sameResults(rc, rr, fr) {
		t.Fatalf("%q:\n ref %d %q\nfast %d %q", p, rc, rr, fc, fr)
	}
}

func TestFastCodecDecodesLikeEncodingJSON(t *testing.T) {
	decodesLikeEncodingJSON(t, reference, fast, codecSeeds,
		[]string{``, `{`, `{"Records":[}`, `{"FailedRecordCount":x}`, `[]`, `{"Records":[{"ErrorCode":"a}]}`, `{} x`})
}

// sameResults: the fast decoder's entries equal encoding/json's, except
// that after "FailedRecordCount":0 it trusts the count and reports every
// entry accepted without decoding them (as the Java agent, which reads the
// entries only when FailedRecordCount > 0).
func sameResults(refCount int32, ref, fast []string) bool {
	if reflect.DeepEqual(ref, fast) {
		return true
	}
	if refCount != 0 || len(ref) != len(fast) {
		return false
	}
	for _, f := range fast {
		if f != "<nil>|<nil>" {
			return false
		}
	}
	return true
}

// An answer with FailedRecordCount 0 first is counted, not decoded: no
// per-call allocation of result entries, every entry accepted.
func TestFastCodecSkipsDecodingEntriesWhenTheCountIsZeroAndNoEntryHasAnErrorCode(t *testing.T) {
	body := []byte(`{"FailedRecordCount":0,"Records":[{"SequenceNumber":"1","ShardId":"s"},{"SequenceNumber":"2","ShardId":"s"},{"SequenceNumber":"3","ShardId":"s"}]}`)
	var o kinesis.PutRecordsOutput
	allocs := testing.AllocsPerRun(100, func() {
		o = kinesis.PutRecordsOutput{}
		if err := decodePutRecordsOutput(body, &o); err != nil {
			t.Fatal(err)
		}
	})
	if len(o.Records) != 3 || aws.ToInt32(o.FailedRecordCount) != 0 {
		t.Fatalf("%d entries, FailedRecordCount %d; want 3 and 0", len(o.Records), aws.ToInt32(o.FailedRecordCount))
	}
	for i, r := range o.Records {
		if r.ErrorCode != nil {
			t.Fatalf("entry %d has error code %q", i, *r.ErrorCode)
		}
	}
	if allocs > 1 {
		t.Errorf("%.1f allocations per decode, want at most 1 (the count)", allocs)
	}
	// The entries decide, not the count (Java loops over every entry): a
	// count of 0 with an entry carrying an ErrorCode is decoded in full
	// (that entry was acknowledged without being resent). Firehose alike.
	body = []byte(`{"FailedRecordCount":0,"Records":[{"SequenceNumber":"1","ShardId":"s"},{"ErrorCode":"ProvisionedThroughputExceededException","ErrorMessage":"slow"},{"SequenceNumber":"3","ShardId":"s"}]}`)
	o = kinesis.PutRecordsOutput{}
	if err := decodePutRecordsOutput(body, &o); err != nil || len(o.Records) != 3 || aws.ToString(o.Records[1].ErrorCode) != "ProvisionedThroughputExceededException" || o.Records[0].ErrorCode != nil {
		t.Fatalf("count 0 with an entry error: %v %+v", err, o.Records)
	}
	var fo firehose.PutRecordBatchOutput
	if err := decodePutRecordBatchOutput([]byte(`{"FailedPutCount":0,"RequestResponses":[{"RecordId":"1"},{"ErrorCode":"ServiceUnavailableException"}]}`), &fo); err != nil ||
		aws.ToString(fo.RequestResponses[1].ErrorCode) != "ServiceUnavailableException" {
		t.Fatalf("Firehose, count 0 with an entry error: %v %+v", err, fo.RequestResponses)
	}
	// The count after the entries: they are decoded as before.
	body = []byte(`{"Records":[{"SequenceNumber":"1","ShardId":"s"},{"ErrorCode":"ProvisionedThroughputExceededException","ErrorMessage":"slow down"}],"FailedRecordCount":1}`)
	o = kinesis.PutRecordsOutput{}
	if err := decodePutRecordsOutput(body, &o); err != nil || len(o.Records) != 2 || aws.ToString(o.Records[1].ErrorCode) != "ProvisionedThroughputExceededException" {
		t.Fatalf("count after entries: %v %+v", err, o.Records)
	}
}

func FuzzFastCodecDecode(f *testing.F) {
	for _, s := range codecSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, p []byte) { fuzzAnswer(t, reference, fast, p) })
}

// capturedCall is what recordingServer saw of one request.
type capturedCall struct {
	target, ctype string
	body          any // the body as a JSON value
}

// recordingServer answers every request with answer and records its
// target, content type and JSON body, to compare the SDK's serialization
// with a codec's.
func recordingServer(t *testing.T, answer string) (*httptest.Server, func() []capturedCall) {
	t.Helper()
	var mu sync.Mutex
	var got []capturedCall
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			t.Errorf("body not JSON: %v", err)
		}
		mu.Lock()
		got = append(got, capturedCall{r.Header.Get("X-Amz-Target"), r.Header.Get("Content-Type"), v})
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_, _ = io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []capturedCall {
		mu.Lock()
		defer mu.Unlock()
		return append([]capturedCall(nil), got...)
	}
}

// sameSerialization: two recorded calls, the SDK's then the codec's, with
// the same target, content type and JSON body.
func sameSerialization(t *testing.T, got []capturedCall) {
	t.Helper()
	if len(got) != 2 || got[0].target != got[1].target || got[0].ctype != got[1].ctype || !reflect.DeepEqual(got[0].body, got[1].body) {
		t.Fatalf("SDK vs fast codec:\n%+v", got)
	}
}

// The request body equals the SDK's own serialization (as JSON values) and
// carries the same target and content type.
func TestFastCodecRequestMatchesSDK(t *testing.T) {
	srv, calls := recordingServer(t, `{"FailedRecordCount":1,"Records":[{"SequenceNumber":"1","ShardId":"s"},{"ErrorCode":"InternalFailure","ErrorMessage":"m"}]}`)
	c := benchClient(srv.URL)
	in := &kinesis.PutRecordsInput{StreamName: aws.String(`s"t\ream`), Records: []types.PutRecordsRequestEntry{
		{Data: []byte("hello\n"), PartitionKey: aws.String("730878.1907032909")},
		{Data: []byte{0, 1, 2, 0xff}, PartitionKey: aws.String("k\"\\\x01é")},
	}}
	var outs []*kinesis.PutRecordsOutput
	for _, opts := range [][]func(*kinesis.Options){nil, {newPutRecordsCodecOption(&sync.Pool{New: func() any { return new(bytes.Buffer) }}, false)}} {
		out, err := c.PutRecords(context.Background(), in, opts...)
		if err != nil {
			t.Fatal(err)
		}
		outs = append(outs, out)
	}
	sameSerialization(t, calls())
	for _, o := range outs {
		if aws.ToInt32(o.FailedRecordCount) != 1 || aws.ToString(o.Records[1].ErrorCode) != "InternalFailure" || o.Records[0].ErrorCode != nil {
			t.Fatalf("decoded %+v", o)
		}
	}
}

// The fast codec end to end, in JSON and in CBOR: kinesalite through the
// fault proxy (entry throttling, 500s, a 400 throttle).
func TestFastCodecDeliversExactlyOnceUnderFaults(t *testing.T) {
	for _, cbor := range []bool{false, true} {
		t.Run(fmt.Sprintf("cbor=%v", cbor), func(t *testing.T) { fastCodecUnderFaults(t, cbor) })
	}
}

func fastCodecUnderFaults(t *testing.T, cbor bool) {
	px := newProxied(t, 2)
	px.proxy.SetPlan(func(call, n int) faultproxy.Fault {
		switch call {
		case 1:
			return faultproxy.Fault{FailEntries: []int{0, 7, n - 1}}
		case 2:
			return faultproxy.Fault{Status: 500}
		case 3:
			return faultproxy.Fault{Status: 400}
		}
		return faultproxy.Fault{}
	})
	st := flowstats.New("f", px.stream, false)
	s := NewKinesis(px.client, px.stream, Options{FastCodec: true, CBOR: cbor, Stats: st, Backoff: NewBackoff(time.Millisecond, 5*time.Millisecond)})
	recs := lines(1000, "fc")
	chunk := tracked(1000)
	bl := batch.NewBuilder(batch.Options{Limits: batch.KinesisLimits(0, 0, 0), Keys: batch.KeyRandom})
	sendAll(t, s, batches(bl, recs, chunk))
	if chunk.Outstanding() != 0 || st.RecordSendErrors.Load() != 3 || st.ServiceErrors.Load() != 2 {
		t.Fatalf("outstanding %d entry errors %d service errors %d", chunk.Outstanding(), st.RecordSendErrors.Load(), st.ServiceErrors.Load())
	}
	exactlyOnce(t, kinesistest.WaitForRecords(t, px.direct, px.stream, 1000, 10*time.Second), recs)
	if pk := px.proxy.PartitionKeys(); len(pk) < 2 || len(pk[1]) != 3 {
		t.Fatalf("retry call keys %v", pk[1])
	}
}

func TestFastCodecDecodesKinesisMockPartialFailure(t *testing.T) {
	ep := kinesistest.MockEndpoint(t)
	c := kinesistest.Client(t, ep)
	stream := kinesistest.CreateStream(t, c, 1)
	in := &kinesis.PutRecordsInput{StreamName: aws.String(stream), Records: []types.PutRecordsRequestEntry{
		{Data: []byte("a"), PartitionKey: aws.String("1")},
		{Data: bytes.Repeat([]byte{'x'}, 1<<20+1), PartitionKey: aws.String("2")},
	}}
	out, err := c.PutRecords(context.Background(), in, newPutRecordsCodecOption(&sync.Pool{New: func() any { return new(bytes.Buffer) }}, false))
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(out.FailedRecordCount) != 1 || out.Records[0].ErrorCode != nil || aws.ToString(out.Records[1].ErrorCode) != "InvalidArgumentException" {
		t.Fatalf("decoded %+v", out.Records)
	}
}

// The shared all-succeeded entries are never written: a malformed answer
// that repeats Records after FailedRecordCount 0 gets its own slice, and a
// later all-success answer still reports every entry accepted.
func TestFastCodecNeverWritesTheSharedSucceededEntries(t *testing.T) {
	var out kinesis.PutRecordsOutput
	doc := `{"FailedRecordCount":0,"Records":[{},{}],"FailedRecordCount":1,"Records":[{"ErrorCode":"ProvisionedThroughputExceededException"},{}]}`
	if err := decodePutRecordsOutput([]byte(doc), &out); err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Records[0].ErrorCode) != "ProvisionedThroughputExceededException" {
		t.Fatalf("the repeated member's entries were not decoded: %+v", out.Records)
	}
	var next kinesis.PutRecordsOutput
	if err := decodePutRecordsOutput([]byte(`{"FailedRecordCount":0,"Records":[{"SequenceNumber":"1"},{"SequenceNumber":"2"}]}`), &next); err != nil {
		t.Fatal(err)
	}
	for i, r := range next.Records {
		if r.ErrorCode != nil {
			t.Fatalf("a later all-success answer reports entry %d failed with %q", i, *r.ErrorCode)
		}
	}
}
