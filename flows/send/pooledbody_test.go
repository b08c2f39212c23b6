package send

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/batch"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/kinesistest"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/latenet"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/sink"
)

func TestPooledBodyReadsLikeBytesReaderAndFailsAfterRelease(t *testing.T) {
	pool := &bodyPool{}
	data := []byte("0123456789")
	r := &pooledBody{buf: append(pool.get(len(data)), data...), pool: pool}
	if r.Len() != 10 {
		t.Fatalf("Len %d", r.Len())
	}
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, data) || r.Len() != 0 {
		t.Fatalf("read %q %v len %d", got, err, r.Len())
	}
	if n, err := r.Seek(3, io.SeekStart); n != 3 || err != nil || r.Len() != 7 {
		t.Fatalf("seek %d %v len %d", n, err, r.Len())
	}
	if rest, err := io.ReadAll(r); err != nil || string(rest) != "3456789" || r.Len() != 0 {
		t.Fatalf("read after seek %q %v len %d", rest, err, r.Len())
	}
	// No WriteTo: smithy would wrap it in a WriteTo that fails with io.EOF
	// once the SDK has closed the body
	// (TestAnswerBeforeTheWriterFinishesDoesNotSendTheBatchAgain).
	if _, ok := any(r).(io.WriterTo); ok {
		t.Fatal("pooledBody implements io.WriterTo")
	}
	if n, err := r.Seek(0, io.SeekEnd); n != 10 || err != nil {
		t.Fatalf("seek end %d %v", n, err)
	}
	r.release()
	if _, err := r.Read(make([]byte, 4)); !errors.Is(err, errBodyReleased) {
		t.Fatalf("read after release: %v", err)
	}
	if _, err := r.Seek(0, io.SeekStart); !errors.Is(err, errBodyReleased) {
		t.Fatalf("seek after release: %v", err)
	}
	if b := pool.get(5); cap(b) < 10 && !raceEnabled {
		t.Fatalf("released buffer not reused: cap %d", cap(b))
	}
}

func TestPooledBodyIsNotRecycledWhileBeingRead(t *testing.T) {
	pool := &bodyPool{}
	r := &pooledBody{buf: []byte("abc"), pool: pool}
	r.mu.Lock() // a read in progress
	r.release()
	r.mu.Unlock()
	if got, err := io.ReadAll(r); err != nil || string(got) != "abc" {
		t.Fatalf("read %q %v", got, err)
	}
	if v := pool.p.Get(); v != nil {
		t.Fatalf("buffer recycled while in use")
	}
}

// With request bodies recycled, concurrent senders through the real SDK and
// HTTP stack deliver every record intact: a body reused too early would
// show up as records of one batch inside another, or as garbage.
func TestFastCodecRecycledBodiesDeliverEveryRecordIntact(t *testing.T) {
	const n = 20000
	var mu sync.Mutex
	seen := make(map[string]int, n)
	var bad []string
	s := sink.Start(t, sink.Options{OnRecord: func(r *sink.Record) error {
		mu.Lock()
		defer mu.Unlock()
		seen[string(r.Data)]++
		if !bytes.HasPrefix(r.Data, []byte("rec-")) && len(bad) < 5 {
			bad = append(bad, fmt.Sprintf("%.40q", r.Data))
		}
		return nil
	}})
	st := flowstats.New("f", "s", false)
	snd := NewKinesis(benchClient(s.URL), "s", Options{FastCodec: true, Stats: st})
	recs := make([][]byte, n)
	for i := range recs {
		// Records of different lengths, so that batches have different sizes
		// and buffers of one call are reused for another.
		recs[i] = []byte(fmt.Sprintf("rec-%06d-%s\n", i, bytes.Repeat([]byte{'a' + byte(i%26)}, 20+i%300)))
	}
	chunk := tracked(n)
	bl := batch.NewBuilder(batch.Options{Limits: batch.KinesisLimits(0, 0, 0), Keys: batch.KeyRandom})
	bs := batches(bl, recs, chunk)
	work := make(chan *batch.Batch)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				if err := snd.Send(context.Background(), b); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	for _, b := range bs {
		work <- b
	}
	close(work)
	wg.Wait()
	if chunk.Outstanding() != 0 {
		t.Fatalf("%d records unacknowledged", chunk.Outstanding())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bad) > 0 {
		t.Fatalf("corrupt records: %v", bad)
	}
	for _, r := range recs {
		if seen[string(r)] != 1 {
			t.Fatalf("record %.20q seen %d times", r, seen[string(r)])
		}
	}
	if len(seen) != n {
		t.Fatalf("%d distinct records, want %d", len(seen), n)
	}
	if reused := snd.(*sender).api.(*kinesisCaller).bodies.reused.Load(); reused < int64(len(bs))/2 && !raceEnabled {
		t.Fatalf("only %d of %d request bodies came from the pool", reused, len(bs))
	}
}

// Over HTTP/1.1 the SDK closes the request body as soon as the answer's
// headers arrive, and net/http's writer then reads the body once more to
// check for extra bytes. That read must end cleanly: when it failed, the
// transport closed the connection under the answer, the SDK retried the
// call, and the destination stored the batch twice (seen in e2ebench as
// 2001 calls for 2000 batches).
func TestAnswerBeforeTheWriterFinishesDoesNotSendTheBatchAgain(t *testing.T) {
	s := sink.New(sink.Options{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.ServeHTTP(&latenet.BodyWriter{ResponseWriter: w, Delay: 20 * time.Millisecond}, r)
	}))
	defer srv.Close()
	client := kinesis.NewFromConfig(kinesistest.Config(), func(o *kinesis.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
		o.Retryer = RetryerNoQuota()
		o.HTTPClient = awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
			tr.DialContext = latenet.Dial(3 * time.Millisecond)
		})
	})
	st := flowstats.New("f", "s", false)
	snd := NewKinesis(client, "s", Options{FastCodec: true, Stats: st})
	const n = 3000
	recs := make([][]byte, n)
	for i := range recs {
		recs[i] = []byte(fmt.Sprintf("rec-%06d-%s\n", i, bytes.Repeat([]byte{'x'}, 200)))
	}
	bl := batch.NewBuilder(batch.Options{Limits: batch.KinesisLimits(0, 0, 0), Keys: batch.KeyRandom})
	bs := batches(bl, recs, tracked(n))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for i, b := range bs {
		if err := snd.Send(ctx, b); err != nil {
			t.Fatalf("batch %d of %d: %v (sink: %+v; every attempt lost its answer and was sent again)", i+1, len(bs), err, s.Stats())
		}
	}
	if got := s.Stats(); got.Calls != int64(len(bs)) || got.Records != n {
		t.Fatalf("sink got %d records in %d calls, want %d in %d (a call was retried after the sink had stored it)",
			got.Records, got.Calls, n, len(bs))
	}
}
