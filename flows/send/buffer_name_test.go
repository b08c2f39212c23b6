package send

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/batch"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/syncbuf"
)

// scriptedCaller fails the entries each call's script names (by their
// place in the call) with its code, and accepts the rest.
type scriptedCaller struct {
	calls  int
	script []map[int]string
}

func (c *scriptedCaller) call(_ context.Context, _ *batch.Batch, idx []int, codes, msgs []string) error {
	if c.calls < len(c.script) {
		for i, code := range c.script[c.calls] {
			codes[i], msgs[i] = code, "failed"
		}
	}
	c.calls++
	return nil
}

// The per-entry error line names the buffer as Java's RecordBuffer does:
// records= and bytes= of the same entries, those the call sent (Java's
// buffer holds the records still to send). records= said how many failed
// while bytes= was the whole batch's: RecordBuffer(id=1,records=2,bytes=6000)
// for 2 of 3 records of 2000 bytes.
func TestEntryErrorLinesNameRecordsAndBytesOfTheSameEntries(t *testing.T) {
	var logs syncbuf.Buffer
	api := &scriptedCaller{script: []map[int]string{
		{0: "InternalFailure", 1: "InternalFailure"}, // call 1: 3 entries, 2 fail
		{1: "InternalServerError"},                   // call 2: those 2, 1 fails
	}}
	s := newSender(api, "DeliveryStream:d", "delivery stream", "d", Options{
		Backoff: NewBackoff(time.Millisecond, time.Millisecond),
		Logger:  slog.New(slog.NewTextHandler(&logs, nil)),
	})
	bld := batch.NewBuilder(batch.Options{Limits: batch.FirehoseLimits(0, 0, 0), Keys: batch.KeyNone})
	c := tracked(3)
	for _, n := range []int{1000, 2000, 3000} {
		bld.Add([]byte(strings.Repeat("x", n-1)+"\n"), c)
	}
	b := bld.Flush(time.Now())
	if err := s.Send(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"RecordBuffer(id=1,records=3,bytes=6000): 2 record(s) failed in DeliveryStream:d (InternalFailure",
		"RecordBuffer(id=1,records=2,bytes=3000): 1 record(s) failed in DeliveryStream:d (InternalServerError",
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("no line %q in\n%s", want, logs.String())
		}
	}
}
