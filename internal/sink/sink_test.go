package sink_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	fhtypes "github.com/aws/aws-sdk-go-v2/service/firehose/types"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"
	smithycbor "github.com/aws/smithy-go/encoding/cbor"

	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/sink"
)

func cfg() aws.Config {
	return aws.Config{Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIASINKTEST", "sink-secret", "")}
}

func kinesisClient(url string, hc aws.HTTPClient) *kinesis.Client {
	return kinesis.NewFromConfig(cfg(), func(o *kinesis.Options) {
		o.BaseEndpoint = aws.String(url)
		if hc != nil {
			o.HTTPClient = hc
		}
	})
}

type seen struct {
	mu   sync.Mutex
	data map[string]string // data -> key
	strm map[string]bool
}

func (s *seen) add(r *sink.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.data[string(r.Data)] = string(r.Key)
	s.strm[r.Stream] = true
	if bytes.Equal(r.Data, []byte("bad")) {
		return errors.New("bad record")
	}
	return nil
}

func TestPutRecordsAnswersEveryEntryAndHandsEachRecordToTheCallback(t *testing.T) {
	got := &seen{data: map[string]string{}, strm: map[string]bool{}}
	s := sink.Start(t, sink.Options{OnRecord: got.add})
	c := kinesisClient(s.URL, nil)
	ctx := context.Background()

	sum, err := c.DescribeStreamSummary(ctx, &kinesis.DescribeStreamSummaryInput{StreamName: aws.String("s1")})
	if err != nil || sum.StreamDescriptionSummary.StreamStatus != types.StreamStatusActive {
		t.Fatalf("DescribeStreamSummary: %v %+v", err, sum)
	}
	var entries []types.PutRecordsRequestEntry
	for i := 0; i < 500; i++ {
		d := fmt.Sprintf(`{"n":%d,"s":"quote \" backslash \\ </>&"}`+"\n", i)
		if i == 7 {
			d = "bad"
		}
		entries = append(entries, types.PutRecordsRequestEntry{Data: []byte(d), PartitionKey: aws.String(fmt.Sprintf("k\"%d", i))})
	}
	out, err := c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("s1"), Records: entries})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Records) != 500 || aws.ToInt32(out.FailedRecordCount) != 0 {
		t.Fatalf("results %d failed %d", len(out.Records), aws.ToInt32(out.FailedRecordCount))
	}
	for i, r := range out.Records {
		if r.ErrorCode != nil || aws.ToString(r.SequenceNumber) == "" || aws.ToString(r.ShardId) == "" {
			t.Fatalf("entry %d: %+v", i, r)
		}
	}
	st := s.Stats()
	var wantBytes int64
	for _, e := range entries {
		wantBytes += int64(len(e.Data))
	}
	if st.Records != 500 || st.Calls != 1 || st.Bytes != wantBytes || st.Bad != 1 {
		t.Fatalf("stats %+v, want 500 records, 1 call, %d bytes, 1 bad", st, wantBytes)
	}
	if s.Err() == nil {
		t.Fatal("callback error not kept")
	}
	for _, e := range entries {
		if k, ok := got.data[string(e.Data)]; !ok || k != *e.PartitionKey {
			t.Fatalf("record %q: key %q seen %v", e.Data, k, ok)
		}
	}
	if !got.strm["s1"] || len(got.strm) != 1 {
		t.Fatalf("streams %v", got.strm)
	}
}

func TestPutRecordBatchAnswersEveryEntry(t *testing.T) {
	s := sink.Start(t, sink.Options{})
	c := firehose.NewFromConfig(cfg(), func(o *firehose.Options) { o.BaseEndpoint = aws.String(s.URL) })
	ctx := context.Background()
	d, err := c.DescribeDeliveryStream(ctx, &firehose.DescribeDeliveryStreamInput{DeliveryStreamName: aws.String("d1")})
	if err != nil || d.DeliveryStreamDescription.DeliveryStreamStatus != fhtypes.DeliveryStreamStatusActive {
		t.Fatalf("DescribeDeliveryStream: %v", err)
	}
	var recs []fhtypes.Record
	for i := 0; i < 3; i++ {
		recs = append(recs, fhtypes.Record{Data: bytes.Repeat([]byte{byte('a' + i)}, i+1)})
	}
	out, err := c.PutRecordBatch(ctx, &firehose.PutRecordBatchInput{DeliveryStreamName: aws.String("d1"), Records: recs})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.RequestResponses) != 3 || aws.ToInt32(out.FailedPutCount) != 0 {
		t.Fatalf("%+v", out)
	}
	if st := s.Stats(); st.Records != 3 || st.Bytes != 6 {
		t.Fatalf("stats %+v", st)
	}
}

func TestTLSSinkIsTrustedWithItsCertificate(t *testing.T) {
	s, err := sink.Listen("127.0.0.1:0", true, sink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(s.CertPEM) {
		t.Fatal("bad PEM")
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}
	c := kinesisClient(s.URL, hc)
	_, err = c.PutRecords(context.Background(), &kinesis.PutRecordsInput{StreamName: aws.String("s"),
		Records: []types.PutRecordsRequestEntry{{Data: []byte("x"), PartitionKey: aws.String("k")}}})
	if err != nil {
		t.Fatal(err)
	}
	if n := s.WaitRecords(1, 5*time.Second); n != 1 {
		t.Fatalf("records %d", n)
	}
}

func TestUnknownOperationIsAnError(t *testing.T) {
	s := sink.Start(t, sink.Options{})
	c := kinesisClient(s.URL, nil)
	_, err := c.ListStreams(context.Background(), &kinesis.ListStreamsInput{})
	if err == nil {
		t.Fatal("ListStreams succeeded")
	}
	if s.Stats().Errors != 1 {
		t.Fatalf("errors %d", s.Stats().Errors)
	}
}

func BenchmarkSinkPutRecords(b *testing.B) {
	s := sink.Start(b, sink.Options{})
	c := kinesisClient(s.URL, nil)
	var entries []types.PutRecordsRequestEntry
	for i := 0; i < 500; i++ {
		entries = append(entries, types.PutRecordsRequestEntry{Data: bytes.Repeat([]byte("x"), 250), PartitionKey: aws.String("123456.789")})
	}
	in := &kinesis.PutRecordsInput{StreamName: aws.String("s"), Records: entries}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.PutRecords(context.Background(), in); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(s.Stats().Records)/b.Elapsed().Seconds(), "rec/s")
}

func postCBOR(t *testing.T, url, target string, body []byte) (int, http.Header, smithycbor.Value) {
	t.Helper()
	req, _ := http.NewRequest("POST", url+"/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-cbor-1.1")
	req.Header.Set("X-Amz-Target", target)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	v, err := smithycbor.Decode(b)
	if err != nil {
		t.Fatalf("answer %x is not CBOR: %v", b, err)
	}
	return resp.StatusCode, resp.Header, v
}

// PutRecords in CBOR (the Java SDK's and the agent's form) is answered in
// CBOR, and its records (data as bytes, stream name after the records) are
// handed to the callback; a malformed body gets a CBOR SerializationException.
func TestPutRecordsInCBORIsAnsweredInCBOR(t *testing.T) {
	got := &seen{data: map[string]string{}, strm: map[string]bool{}}
	s := sink.Start(t, sink.Options{OnRecord: got.add})
	body := smithycbor.Encode(smithycbor.Map{"Records": smithycbor.List{
		smithycbor.Map{"Data": smithycbor.Slice{0, 0xff, '\n'}, "PartitionKey": smithycbor.String("k1")},
		smithycbor.Map{"Data": smithycbor.Slice("bad"), "PartitionKey": smithycbor.String("k2")},
	}, "StreamName": smithycbor.String("s1")})
	status, hdr, v := postCBOR(t, s.URL, "Kinesis_20131202.PutRecords", body)
	m, _ := v.(smithycbor.Map)
	recs, _ := m["Records"].(smithycbor.List)
	if status != 200 || hdr.Get("Content-Type") != "application/x-amz-cbor-1.1" || m["FailedRecordCount"] != smithycbor.Uint(0) || len(recs) != 2 {
		t.Fatalf("status %d, Content-Type %q, answer %#v", status, hdr.Get("Content-Type"), v)
	}
	if e, _ := recs[1].(smithycbor.Map); e == nil || e["SequenceNumber"] == nil || e["ShardId"] != smithycbor.String("shardId-000000000000") {
		t.Fatalf("result entry %#v", recs[1])
	}
	if got.data["\x00\xff\n"] != "k1" || got.data["bad"] != "k2" || !got.strm["s1"] || len(got.strm) != 1 {
		t.Fatalf("callback saw %q, streams %v", got.data, got.strm)
	}
	if st := s.Stats(); st.Records != 2 || st.Bytes != 6 || st.Bad != 1 {
		t.Fatalf("stats %+v, want 2 records, 6 bytes, 1 bad", st)
	}
	status, _, v = postCBOR(t, s.URL, "Kinesis_20131202.PutRecords", body[:len(body)-3])
	if m, _ := v.(smithycbor.Map); status != 400 || m["__type"] != smithycbor.String("SerializationException") {
		t.Fatalf("truncated body: status %d, answer %#v", status, v)
	}
}
