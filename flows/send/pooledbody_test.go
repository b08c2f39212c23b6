package send

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/batch"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
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
	var w bytes.Buffer
	if n, err := r.WriteTo(&w); n != 7 || err != nil || w.String() != "3456789" || r.Len() != 0 {
		t.Fatalf("WriteTo %d %v %q len %d", n, err, w.String(), r.Len())
	}
	if n, err := r.Seek(0, io.SeekEnd); n != 10 || err != nil {
		t.Fatalf("seek end %d %v", n, err)
	}
	r.release()
	if _, err := r.Read(make([]byte, 4)); !errors.Is(err, errBodyReleased) {
		t.Fatalf("read after release: %v", err)
	}
	if _, err := r.WriteTo(io.Discard); !errors.Is(err, errBodyReleased) {
		t.Fatalf("WriteTo after release: %v", err)
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
