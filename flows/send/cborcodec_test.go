package send

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	smithycbor "github.com/aws/smithy-go/encoding/cbor"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/batch"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/kinesistest"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/sink"
)

func cborCodecOption() func(*kinesis.Options) {
	return newPutRecordsCodecOption(&sync.Pool{New: func() any { return new(bytes.Buffer) }}, true)
}

// cborServer answers every call with status and a CBOR (or, with ctype set,
// other) body, and keeps the last request.
func cborServer(t *testing.T, status int, ctype string, answer []byte) (*httptest.Server, func() (http.Header, []byte)) {
	t.Helper()
	var mu sync.Mutex
	var hdr http.Header
	var body []byte
	if ctype == "" {
		ctype = cborContentType
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		hdr, body = r.Header.Clone(), b
		mu.Unlock()
		w.Header().Set("Content-Type", ctype)
		w.WriteHeader(status)
		_, _ = w.Write(answer)
	}))
	t.Cleanup(srv.Close)
	return srv, func() (http.Header, []byte) { mu.Lock(); defer mu.Unlock(); return hdr, body }
}

// The CBOR request is the JSON request's document with the data as byte
// strings: the same target, members and values (smithy-go decodes it).
func TestCBORRequestIsTheJSONDocumentWithDataAsBytes(t *testing.T) {
	answer := smithycbor.Encode(smithycbor.Map{"FailedRecordCount": smithycbor.Uint(0), "Records": smithycbor.List{smithycbor.Map{}, smithycbor.Map{}}})
	srv, last := cborServer(t, 200, "", answer)
	big := bytes.Repeat([]byte{0xfe}, 70000) // a 4-byte length head
	in := &kinesis.PutRecordsInput{StreamName: aws.String("airline_tickets"), Records: []types.PutRecordsRequestEntry{
		{Data: []byte{0, 1, 2, 0xff, '\n'}, PartitionKey: aws.String("730878.1907032909")},
		{Data: big, PartitionKey: aws.String("1")},
	}}
	out, err := benchClient(srv.URL).PutRecords(context.Background(), in, cborCodecOption())
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Records) != 2 || out.Records[0].ErrorCode != nil || out.Records[1].ErrorCode != nil {
		t.Fatalf("decoded %+v", out.Records)
	}
	hdr, body := last()
	if hdr.Get("Content-Type") != cborContentType || hdr.Get("X-Amz-Target") != kinesisTarget {
		t.Fatalf("Content-Type %q, X-Amz-Target %q", hdr.Get("Content-Type"), hdr.Get("X-Amz-Target"))
	}
	v, err := smithycbor.Decode(body)
	if err != nil {
		t.Fatalf("request body is not CBOR: %v", err)
	}
	want := smithycbor.Map{"StreamName": smithycbor.String("airline_tickets"), "Records": smithycbor.List{
		smithycbor.Map{"Data": smithycbor.Slice{0, 1, 2, 0xff, '\n'}, "PartitionKey": smithycbor.String("730878.1907032909")},
		smithycbor.Map{"Data": smithycbor.Slice(big), "PartitionKey": smithycbor.String("1")},
	}}
	if !reflect.DeepEqual(v, smithycbor.Value(want)) || len(smithycbor.Encode(want)) != len(body) {
		t.Fatalf("request (%d bytes) decodes to a different document than %d bytes of the expected one", len(body), len(smithycbor.Encode(want)))
	}
}

// Records sent in CBOR come back from kinesis-local byte for byte (read with
// the SDK's JSON GetRecords), and its per-entry failure is decoded.
func TestCBORPutRecordsRoundTripThroughKinesisMock(t *testing.T) {
	ep := kinesistest.MockEndpoint(t)
	c := kinesistest.Client(t, ep)
	stream := kinesistest.CreateStream(t, c, 2)
	st := flowstats.New("f", stream, false)
	s := NewKinesis(c, stream, Options{FastCodec: true, CBOR: true, Stats: st, Backoff: NewBackoff(time.Millisecond, 5*time.Millisecond)})
	recs := lines(700, "cbor")
	recs[3] = []byte{0, 0xff, 0xc3, '"', '\\', '\n'}
	chunk := tracked(len(recs))
	bl := batch.NewBuilder(batch.Options{Limits: batch.KinesisLimits(0, 0, 0), Keys: batch.KeyRandom})
	sendAll(t, s, batches(bl, recs, chunk))
	if chunk.Outstanding() != 0 {
		t.Fatalf("%d records not acknowledged", chunk.Outstanding())
	}
	exactlyOnce(t, kinesistest.WaitForRecords(t, c, stream, len(recs), 10*time.Second), recs)

	in := &kinesis.PutRecordsInput{StreamName: aws.String(stream), Records: []types.PutRecordsRequestEntry{
		{Data: []byte("a"), PartitionKey: aws.String("1")},
		{Data: bytes.Repeat([]byte{'x'}, 1<<20+1), PartitionKey: aws.String("2")},
	}}
	out, err := c.PutRecords(context.Background(), in, cborCodecOption())
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(out.FailedRecordCount) != 1 || out.Records[0].ErrorCode != nil || aws.ToString(out.Records[1].ErrorCode) != "InvalidArgumentException" {
		t.Fatalf("decoded %+v", out.Records)
	}
}

// A CBOR error answer becomes the SDK's typed error, as its JSON form does:
// kinesis-local's ResourceNotFoundException, and a throttling answer.
func TestCBORErrorAnswerIsTheSDKsTypedError(t *testing.T) {
	ep := kinesistest.MockEndpoint(t)
	c := kinesistest.Client(t, ep)
	in := &kinesis.PutRecordsInput{StreamName: aws.String("no-such-stream"), Records: []types.PutRecordsRequestEntry{{Data: []byte("a"), PartitionKey: aws.String("1")}}}
	_, err := c.PutRecords(context.Background(), in, cborCodecOption())
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) || nf.ErrorMessage() == "" {
		t.Fatalf("kinesis-local's CBOR error: %v (%T), want *types.ResourceNotFoundException with its message", err, errors.Unwrap(err))
	}

	throttled := smithycbor.Encode(smithycbor.Map{"__type": smithycbor.String("ProvisionedThroughputExceededException"), "message": smithycbor.String("Rate exceeded for shard")})
	srv, _ := cborServer(t, 400, "", throttled)
	_, err = benchClient(srv.URL).PutRecords(context.Background(), in, cborCodecOption())
	var pt *types.ProvisionedThroughputExceededException
	if !errors.As(err, &pt) || pt.ErrorMessage() != "Rate exceeded for shard" {
		t.Fatalf("throttling answer: %v, want *types.ProvisionedThroughputExceededException", err)
	}

	// Not CBOR at all under a CBOR Content-Type (a broken proxy): the
	// status still reaches the sender.
	srv, _ = cborServer(t, 503, "", []byte("<html>busy</html>"))
	_, err = benchClient(srv.URL).PutRecords(context.Background(), in, cborCodecOption())
	var re interface{ HTTPStatusCode() int }
	if !errors.As(err, &re) || re.HTTPStatusCode() != 503 {
		t.Fatalf("503 with a non-CBOR body: %v", err)
	}
}

// Answers are decoded by their Content-Type: a JSON answer to a CBOR
// request (a proxy's own) is read as JSON.
func TestCBORRequestAcceptsAJSONAnswer(t *testing.T) {
	srv, _ := cborServer(t, 200, jsonContentType, []byte(`{"FailedRecordCount":1,"Records":[{"ErrorCode":"InternalFailure","ErrorMessage":"m"}]}`))
	in := &kinesis.PutRecordsInput{StreamName: aws.String("s"), Records: []types.PutRecordsRequestEntry{{Data: []byte("a"), PartitionKey: aws.String("1")}}}
	out, err := benchClient(srv.URL).PutRecords(context.Background(), in, cborCodecOption())
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Records[0].ErrorCode) != "InternalFailure" {
		t.Fatalf("decoded %+v", out.Records)
	}
}

// The answer as the Java SDK's Jackson encoder may write it (indefinite
// lengths, chunked strings, members in any order, null codes) is decoded
// like its definite form.
func TestCBORAnswerWithIndefiniteLengthsIsDecoded(t *testing.T) {
	var doc []byte
	doc = append(doc, 0xbf) // {_
	doc = append(doc, smithycbor.Encode(smithycbor.String("Records"))...)
	doc = append(doc, 0x9f) // [_
	// {_ "SequenceNumber": "1", "ErrorCode": null }
	doc = append(doc, 0xbf)
	doc = append(doc, smithycbor.Encode(smithycbor.String("SequenceNumber"))...)
	doc = append(doc, smithycbor.Encode(smithycbor.String("1"))...)
	doc = append(doc, smithycbor.Encode(smithycbor.String("ErrorCode"))...)
	doc = append(doc, 0xf6, 0xff)
	// {_ "ErrorCode": (_ "Provisioned", "ThroughputExceededException"), "ErrorMessage": "slow" }
	doc = append(doc, 0xbf)
	doc = append(doc, smithycbor.Encode(smithycbor.String("ErrorCode"))...)
	doc = append(doc, 0x7f)
	doc = append(doc, smithycbor.Encode(smithycbor.String("Provisioned"))...)
	doc = append(doc, smithycbor.Encode(smithycbor.String("ThroughputExceededException"))...)
	doc = append(doc, 0xff)
	doc = append(doc, smithycbor.Encode(smithycbor.String("ErrorMessage"))...)
	doc = append(doc, smithycbor.Encode(smithycbor.String("slow"))...)
	doc = append(doc, 0xff)
	doc = append(doc, 0xff) // ]
	doc = append(doc, smithycbor.Encode(smithycbor.String("FailedRecordCount"))...)
	doc = append(doc, 0x01, 0xff)
	var out kinesis.PutRecordsOutput
	if err := decodeCBORPutRecordsOutput(doc, &out); err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(out.FailedRecordCount) != 1 || len(out.Records) != 2 || out.Records[0].ErrorCode != nil ||
		aws.ToString(out.Records[1].ErrorCode) != "ProvisionedThroughputExceededException" || aws.ToString(out.Records[1].ErrorMessage) != "slow" {
		t.Fatalf("decoded %d %+v", aws.ToInt32(out.FailedRecordCount), out.Records)
	}
}

// The shared all-accepted entries are never written: an answer repeating
// Records, the first time all accepted, gets its own slice the second time.
func TestCBORDecoderNeverWritesTheSharedSucceededEntries(t *testing.T) {
	doc := []byte{0xa3}
	doc = append(doc, smithycbor.Encode(smithycbor.String("Records"))...)
	doc = append(doc, smithycbor.Encode(smithycbor.List{smithycbor.Map{}, smithycbor.Map{}})...)
	doc = append(doc, smithycbor.Encode(smithycbor.String("Records"))...)
	doc = append(doc, smithycbor.Encode(smithycbor.List{smithycbor.Map{"ErrorCode": smithycbor.String("InternalFailure")}, smithycbor.Map{}})...)
	doc = append(doc, smithycbor.Encode(smithycbor.String("FailedRecordCount"))...)
	doc = append(doc, 0x01)
	var out kinesis.PutRecordsOutput
	if err := decodeCBORPutRecordsOutput(doc, &out); err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Records[0].ErrorCode) != "InternalFailure" {
		t.Fatalf("the repeated member's entries were not decoded: %+v", out.Records)
	}
	for i, e := range putRecordsAnswer.succeeded {
		if e.ErrorCode != nil {
			t.Fatalf("shared accepted entry %d was written: %q", i, *e.ErrorCode)
		}
	}
}

func TestCBORDecoderRefusesMalformedAnswers(t *testing.T) {
	tooMany := make(smithycbor.List, batch.KinesisMaxRecords+1)
	for i := range tooMany {
		tooMany[i] = smithycbor.Map{}
	}
	for name, doc := range map[string][]byte{
		"not a map":          smithycbor.Encode(smithycbor.List{}),
		"trailing data":      append(smithycbor.Encode(smithycbor.Map{"FailedRecordCount": smithycbor.Uint(0)}), 0),
		"negative count":     smithycbor.Encode(smithycbor.Map{"FailedRecordCount": smithycbor.NegInt(1)}),
		"code not text":      smithycbor.Encode(smithycbor.Map{"Records": smithycbor.List{smithycbor.Map{"ErrorCode": smithycbor.Uint(1)}}}),
		"entry not a map":    smithycbor.Encode(smithycbor.Map{"Records": smithycbor.List{smithycbor.Uint(1)}}),
		"too many entries":   smithycbor.Encode(smithycbor.Map{"Records": tooMany}),
		"truncated":          smithycbor.Encode(smithycbor.Map{"Records": smithycbor.List{smithycbor.Map{}}})[:5],
		"unterminated indef": {0xbf},
	} {
		var out kinesis.PutRecordsOutput
		if err := decodeCBORPutRecordsOutput(doc, &out); err == nil {
			t.Errorf("%s: %x decoded as %+v", name, doc, out)
		}
	}
}

// refCBORAnswer is the reference decoding, through smithy-go's decoder: the
// failed count and each entry's error code ("" when none; "-" for a null
// entry).
func refCBORAnswer(doc []byte) (count int64, codes []string, ok bool) {
	v, err := smithycbor.Decode(doc)
	m, isMap := untag(v).(smithycbor.Map)
	if err != nil || !isMap {
		return 0, nil, false
	}
	count = -1
	if c, has := m["FailedRecordCount"]; has {
		u, isU := untag(c).(smithycbor.Uint)
		if !isU {
			return 0, nil, false
		}
		count = int64(u)
	}
	if l, has := untag(m["Records"]).(smithycbor.List); has {
		for _, e := range l {
			em, isMap := untag(e).(smithycbor.Map)
			if !isMap {
				return 0, nil, false
			}
			code := ""
			if s, isS := untag(em["ErrorCode"]).(smithycbor.String); isS {
				code = string(s)
			}
			codes = append(codes, code)
		}
	}
	return count, codes, true
}

// FuzzCBORAnswerDecoder: never panics, and what it decodes, smithy-go
// decodes to the same failed count and error codes.
func FuzzCBORAnswerDecoder(f *testing.F) {
	f.Add(smithycbor.Encode(smithycbor.Map{"FailedRecordCount": smithycbor.Uint(1), "Records": smithycbor.List{smithycbor.Map{"SequenceNumber": smithycbor.String("1")}, smithycbor.Map{"ErrorCode": smithycbor.String("InternalFailure"), "ErrorMessage": smithycbor.String("m")}}}))
	f.Add(smithycbor.Encode(smithycbor.Map{"EncryptionType": smithycbor.String("NONE"), "FailedRecordCount": smithycbor.Uint(0), "Records": smithycbor.List{smithycbor.Map{"ErrorCode": &smithycbor.Nil{}}}}))
	f.Add([]byte{0xbf, 0x67, 'R', 'e', 'c', 'o', 'r', 'd', 's', 0x9f, 0xa0, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, doc []byte) {
		var out kinesis.PutRecordsOutput
		if err := decodeCBORPutRecordsOutput(doc, &out); err != nil {
			return
		}
		count, codes, ok := refCBORAnswer(doc)
		if !ok {
			// smithy-go keeps the last of repeated members; this decoder
			// too. Only a repeated member of another type differs.
			return
		}
		if got := int64(-1); out.FailedRecordCount != nil {
			if got = int64(*out.FailedRecordCount); got != count {
				t.Fatalf("FailedRecordCount %d, smithy-go %d (%x)", got, count, doc)
			}
		}
		if len(out.Records) != len(codes) {
			t.Fatalf("%d entries, smithy-go %d (%x)", len(out.Records), len(codes), doc)
		}
		for i, e := range out.Records {
			if aws.ToString(e.ErrorCode) != codes[i] {
				t.Fatalf("entry %d code %q, smithy-go %q (%x)", i, aws.ToString(e.ErrorCode), codes[i], doc)
			}
		}
	})
}

func BenchmarkCBORDecode500(b *testing.B) {
	l := make(smithycbor.List, 500)
	for i := range l {
		l[i] = smithycbor.Map{"SequenceNumber": smithycbor.String(fmt.Sprintf("4968043628631490900090376567528365767746654205103833%04d", i)), "ShardId": smithycbor.String("shardId-000000000000")}
	}
	doc := smithycbor.Encode(smithycbor.Map{"FailedRecordCount": smithycbor.Uint(0), "Records": l})
	b.Run("agent", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var out kinesis.PutRecordsOutput
			if err := decodeCBORPutRecordsOutput(doc, &out); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("smithy-go", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := smithycbor.Decode(doc); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// A destination that cannot read CBOR (400 SerializationException) gets
// the same call again in JSON at once, and JSON from then on, with one WARN
// naming the switch: nothing lost, nothing sent twice, no batch halved.
func TestCBORRefusedSwitchesTheSenderToJSONOnce(t *testing.T) {
	var cborCalls, jsonCalls atomic.Int64
	var mu sync.Mutex
	var got [][]byte
	sk := sink.New(sink.Options{OnRecord: func(r *sink.Record) error {
		mu.Lock()
		got = append(got, append([]byte(nil), r.Data...))
		mu.Unlock()
		return nil
	}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Content-Type") == cborContentType {
			cborCalls.Add(1)
			w.Header().Set("Content-Type", jsonContentType)
			w.WriteHeader(400)
			_, _ = io.WriteString(w, `{"__type":"SerializationException","message":"Start of structure or map found where not expected."}`)
			return
		}
		jsonCalls.Add(1)
		sk.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	var logs logBuf
	st := flowstats.New("f", "s", false)
	s := NewKinesis(benchClient(srv.URL), "s", Options{FastCodec: true, CBOR: true, Stats: st, Logger: newLogger(&logs),
		Backoff: NewBackoff(time.Millisecond, 5*time.Millisecond)})
	recs := lines(1200, "fallback")
	chunk := tracked(len(recs))
	bl := batch.NewBuilder(batch.Options{Limits: batch.KinesisLimits(0, 0, 0), Keys: batch.KeyRandom})
	bs := batches(bl, recs, chunk)
	sendAll(t, s, bs)
	if chunk.Outstanding() != 0 {
		t.Fatalf("%d records not acknowledged", chunk.Outstanding())
	}
	mu.Lock()
	exactlyOnce(t, got, recs)
	mu.Unlock()
	if cborCalls.Load() != 1 || jsonCalls.Load() != int64(len(bs)) {
		t.Fatalf("%d CBOR calls and %d JSON calls, want 1 refused CBOR call then one JSON call per batch (%d)", cborCalls.Load(), jsonCalls.Load(), len(bs))
	}
	if n := logs.count("WARN", "refused a PutRecords request in CBOR"); n != 1 {
		t.Fatalf("%d WARN lines about the switch, want 1:\n%s", n, logs.String())
	}
}

// A CBOR error answer whose body does not name the error ({} or members of
// other types) is named by its X-Amzn-ErrorType header, as its JSON form is.
func TestCBORErrorAnswerWithoutTypeInItsBodyIsNamedByTheHeader(t *testing.T) {
	in := &kinesis.PutRecordsInput{StreamName: aws.String("s"), Records: []types.PutRecordsRequestEntry{{Data: []byte("a"), PartitionKey: aws.String("1")}}}
	for _, tc := range []struct {
		name, ctype string
		body        []byte
	}{
		{"json {}", jsonContentType, []byte(`{}`)},
		{"cbor {}", cborContentType, []byte{0xa0}},
		{"cbor {__type: 1}", cborContentType, smithycbor.Encode(smithycbor.Map{"__type": smithycbor.Uint(1)})},
		{"cbor {message: tag(0, \"m\")}", cborContentType, smithycbor.Encode(smithycbor.Map{"message": &smithycbor.Tag{ID: 0, Value: smithycbor.String("m")}})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", tc.ctype)
				w.Header().Set("X-Amzn-ErrorType", "ProvisionedThroughputExceededException:http://internal.amazon.com/coral/com.amazon.coral.service/")
				w.WriteHeader(400)
				_, _ = w.Write(tc.body)
			}))
			defer srv.Close()
			_, err := benchClient(srv.URL).PutRecords(context.Background(), in, cborCodecOption())
			var pt *types.ProvisionedThroughputExceededException
			if !errors.As(err, &pt) {
				t.Fatalf("got %v, want *types.ProvisionedThroughputExceededException (from X-Amzn-ErrorType)", err)
			}
		})
	}
}

// Self-described CBOR (tag 55799, Jackson's WRITE_TYPE_HEADER) is read in
// success and error answers alike.
func TestCBORSelfDescribedAnswersAreRead(t *testing.T) {
	in := &kinesis.PutRecordsInput{StreamName: aws.String("s"), Records: []types.PutRecordsRequestEntry{{Data: []byte("a"), PartitionKey: aws.String("1")}}}
	selfDescribe := []byte{0xd9, 0xd9, 0xf7}
	okAnswer := append(append([]byte(nil), selfDescribe...), smithycbor.Encode(smithycbor.Map{"FailedRecordCount": smithycbor.Uint(0), "Records": smithycbor.List{smithycbor.Map{}}})...)
	var out kinesis.PutRecordsOutput
	if err := decodeCBORPutRecordsOutput(okAnswer, &out); err != nil || len(out.Records) != 1 {
		t.Fatalf("success answer with tag 55799: %v", err)
	}
	errAnswer := append(append([]byte(nil), selfDescribe...), smithycbor.Encode(smithycbor.Map{
		"__type": smithycbor.String("ProvisionedThroughputExceededException"), "message": smithycbor.String("Rate exceeded for shard")})...)
	srv, _ := cborServer(t, 400, "", errAnswer)
	_, err := benchClient(srv.URL).PutRecords(context.Background(), in, cborCodecOption())
	var pt *types.ProvisionedThroughputExceededException
	if !errors.As(err, &pt) {
		t.Fatalf("error answer with tag 55799: got %v, want *types.ProvisionedThroughputExceededException", err)
	}
}
