package metrics

import (
	"context"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
)

// With CloudWatch stalled, Run returns within FinalFlushTimeout of the
// cancellation (plus scheduling slack), whether a periodic call is in
// flight then or not: the call in flight and the final flush share one
// deadline. Giving the call in flight its own grace first (8cb5c25) made
// it 2 x, and the final flush alone 2 x too.
func TestShutdownWithCloudWatchStalledEndsWithinTheFinalFlushTimeout(t *testing.T) {
	for name, inFlight := range map[string]bool{"no call in flight": false, "a call in flight": true} {
		t.Run(name, func(t *testing.T) {
			cw, client := startCloudWatch(t)
			cw.SetDelay(30 * time.Second)
			buffer := time.Hour
			if inFlight {
				buffer = 20 * time.Millisecond
			}
			e := NewEmitter(client, Options{BufferTime: buffer, StatusPeriod: time.Hour})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { e.Run(ctx); close(done) }()
			e.ObserveCall(flowstats.Call{Destination: "KinesisStream:s", Attempted: 1, Sent: 1})
			if inFlight {
				waitUntil(t, "a call in flight", func() bool { return cw.Waiting() == 1 })
				e.ObserveCall(flowstats.Call{Destination: "KinesisStream:s", Attempted: 1, Sent: 1})
			}
			start := time.Now()
			cancel()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("Run did not return")
			}
			if took := time.Since(start); took > DefaultFinalFlush+time.Second {
				t.Errorf("Run returned %v after the cancellation, FinalFlushTimeout is %v", took.Round(10*time.Millisecond), DefaultFinalFlush)
			}
		})
	}
}
