package tail

import (
	"context"
	"testing"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

// TestNoChunkGoesOutAfterTheStop: once the tailer's context is done, send
// hands nothing to a consumer that is still receiving. It chose at random
// between the stop and the ready consumer, so that a file's chunk could be
// dropped and its next one sent: the next one's acknowledgement moved the
// file's row past the dropped records, lost at the restart
// (TestSpillRotationStress/restarts: a 150 KB line lost, the line after it
// delivered).
func TestNoChunkGoesOutAfterTheStop(t *testing.T) {
	tl, err := New(testConfig(t.TempDir(), "*.log"))
	if err != nil {
		t.Fatal(err)
	}
	h := &harvester{path: "a.log", fileID: "f"}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out := make(chan *record.Chunk, 1) // a consumer always ready
	for i := range 200 {
		c := &record.Chunk{Start: int64(i) * 10, End: int64(i+1) * 10, Data: []byte("0123456789"), Ends: []int{10}}
		tl.send(ctx, out, h, c)
		select {
		case <-out:
			t.Fatalf("send %d after the stop handed its chunk on", i)
		default:
		}
	}
	if n := tl.cfg.Stats.RecordsParsed.Load(); n != 0 {
		t.Errorf("RecordsParsed %d after only dropped chunks, want 0", n)
	}
}
