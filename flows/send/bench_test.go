package send

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/firehose"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/batch"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/cborscan"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/kinesistest"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/sink"
)

// fastSink is a minimal in-process PutRecords server: it checks the request
// is valid JSON, counts its entries and answers every entry with success.
func fastSink() *httptest.Server {
	var bufs sync.Pool
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf, _ := bufs.Get().(*bytes.Buffer)
		if buf == nil {
			buf = new(bytes.Buffer)
		}
		defer bufs.Put(buf)
		buf.Reset()
		if _, err := buf.ReadFrom(r.Body); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		body := buf.Bytes()
		if r.Header.Get("Content-Type") == cborContentType {
			cborSinkAnswer(w, body)
			return
		}
		// Count the entries without decoding or validating them, so that
		// allocations and CPU measured are the client's (the codec tests
		// check the bodies; json.Valid alone cost more than the client).
		n := bytes.Count(body, []byte(`"PartitionKey":`))
		out := make([]byte, 0, 64+n*64)
		out = append(out, `{"FailedRecordCount":0,"Records":[`...)
		for i := 0; i < n; i++ {
			if i > 0 {
				out = append(out, ',')
			}
			out = append(out, `{"SequenceNumber":"4959`...)
			out = strconv.AppendInt(out, int64(i), 10)
			out = append(out, `","ShardId":"shardId-000000000000"}`...)
		}
		out = append(out, "]}"...)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_, _ = w.Write(out)
	}))
}

func benchClient(url string) *kinesis.Client {
	return kinesis.NewFromConfig(kinesistest.Config(), func(o *kinesis.Options) {
		o.BaseEndpoint = aws.String(url)
		o.Retryer = RetryerNoQuota()
		o.HTTPClient = awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
			t.MaxIdleConnsPerHost = 64
		})
	})
}

// cborSinkAnswer answers a CBOR PutRecords for fastSink as its JSON answer
// is made: entries counted, not decoded; every entry accepted.
func cborSinkAnswer(w http.ResponseWriter, body []byte) {
	n := bytes.Count(body, cborPartitionKey)
	out := make([]byte, 0, 64+n*64) // as the JSON answer: one allocation
	out = cborscan.AppendHead(out, cborscan.Map, 2)
	out = cborscan.AppendText(out, "FailedRecordCount")
	out = cborscan.AppendHead(out, cborscan.Uint, 0)
	out = cborscan.AppendText(out, "Records")
	out = cborscan.AppendHead(out, cborscan.Array, uint64(n))
	for i := 0; i < n; i++ {
		out = cborscan.AppendHead(out, cborscan.Map, 2)
		out = cborscan.AppendText(out, "SequenceNumber")
		var seq [24]byte
		num := strconv.AppendInt(append(seq[:0], "4959"...), int64(i), 10)
		out = append(cborscan.AppendHead(out, cborscan.Text, uint64(len(num))), num...)
		out = cborscan.AppendText(out, "ShardId")
		out = cborscan.AppendText(out, "shardId-000000000000")
	}
	w.Header().Set("Content-Type", cborContentType)
	_, _ = w.Write(out)
}

// BenchmarkKinesisSendFastSink: full 500-record batches of 250-byte records
// through the real SDK to an in-process sink; records/s is the sender's
// ceiling on this machine (the sink shares the CPU).
func BenchmarkKinesisSendFastSink(b *testing.B) {
	for _, cfg := range []struct {
		par        int
		fast, cbor bool
	}{{1, false, false}, {4, false, false}, {1, true, false}, {4, true, false}, {1, true, true}, {4, true, true}} {
		name := "codec=sdk/senders=" + strconv.Itoa(cfg.par)
		if cfg.cbor {
			name = "codec=cbor/senders=" + strconv.Itoa(cfg.par)
		} else if cfg.fast {
			name = "codec=fast/senders=" + strconv.Itoa(cfg.par)
		}
		par := cfg.par
		b.Run(name, func(b *testing.B) {
			srv := fastSink()
			defer srv.Close()
			s := NewKinesis(benchClient(srv.URL), "bench", Options{FastCodec: cfg.fast, CBOR: cfg.cbor})
			rec := make([]byte, 250)
			for i := range rec {
				rec[i] = 'a' + byte(i%26)
			}
			rec[249] = '\n'
			bl := batch.NewBuilder(batch.Options{Limits: batch.KinesisLimits(0, 0, 0), Keys: batch.KeyRandom})
			var bt *batch.Batch
			for bt == nil {
				bt = bl.Add(rec, nil)
			}
			ctx := context.Background()
			b.SetBytes(int64(bt.DataBytes))
			b.ReportAllocs()
			b.SetParallelism(par)
			start := time.Now()
			var ops sync.Mutex
			n := 0
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := s.Send(ctx, bt); err != nil {
						b.Error(err)
						return
					}
					ops.Lock()
					n++
					ops.Unlock()
				}
			})
			b.ReportMetric(float64(n*bt.Len())/time.Since(start).Seconds(), "records/s")
		})
	}
}

// BenchmarkKinesisSendKinesalite: the same against kinesalite (its ceiling,
// ~15k records/s, dominates).
func BenchmarkKinesisSendKinesalite(b *testing.B) {
	ep := kinesistest.Endpoint(b)
	c := kinesistest.Client(b, ep)
	stream := kinesistest.CreateStream(b, c, 4)
	s := NewKinesis(benchClient(ep), stream, Options{})
	bl := batch.NewBuilder(batch.Options{Limits: batch.KinesisLimits(0, 0, 0), Keys: batch.KeyRandom})
	rec := make([]byte, 250)
	var bt *batch.Batch
	for bt == nil {
		bt = bl.Add(rec, nil)
	}
	b.SetBytes(int64(bt.DataBytes))
	start := time.Now()
	for b.Loop() {
		if err := s.Send(context.Background(), bt); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*bt.Len())/time.Since(start).Seconds(), "records/s")
}

// BenchmarkFirehoseSendFastSink: full 500-record PutRecordBatch calls of
// 250-byte records through the real SDK to the in-process internal/sink
// (which decodes every record), with the SDK's serializer and with the
// agent's codec.
func BenchmarkFirehoseSendFastSink(b *testing.B) {
	for _, fast := range []bool{false, true} {
		name := "codec=sdk"
		if fast {
			name = "codec=fast"
		}
		b.Run(name, func(b *testing.B) {
			srv := httptest.NewServer(sink.New(sink.Options{}))
			defer srv.Close()
			c := firehose.NewFromConfig(kinesistest.Config(), func(o *firehose.Options) {
				o.BaseEndpoint = aws.String(srv.URL)
				o.Retryer = RetryerNoQuota()
			})
			s := NewFirehose(c, "bench", Options{FastCodec: fast})
			rec := make([]byte, 250)
			for i := range rec {
				rec[i] = 'a' + byte(i%26)
			}
			rec[249] = '\n'
			bl := batch.NewBuilder(batch.Options{Limits: batch.FirehoseLimits(0, 0, 0)})
			var bt *batch.Batch
			for bt == nil {
				bt = bl.Add(rec, nil)
			}
			b.SetBytes(int64(bt.DataBytes))
			b.ReportAllocs()
			start := time.Now()
			for b.Loop() {
				if err := s.Send(context.Background(), bt); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*bt.Len())/time.Since(start).Seconds(), "records/s")
		})
	}
}
