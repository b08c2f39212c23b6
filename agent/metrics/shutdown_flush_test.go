package metrics

import (
	"context"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
)

// Shutdown while a periodic PutMetricData is in flight (CloudWatch answers
// in 300 ms) finishes it: its datums reach CloudWatch once. The call used
// to be cancelled with the run context and its datums dropped with a WARN,
// before the final flush.
func TestAShutdownDuringAFlushDeliversThatFlushsDatumsOnce(t *testing.T) {
	cw, client := startCloudWatch(t)
	cw.SetDelay(300 * time.Millisecond)
	log, records := newCapture()
	e := NewEmitter(client, Options{BufferTime: 20 * time.Millisecond, StatusPeriod: time.Hour, Logger: log})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	e.ObserveCall(flowstats.Call{Destination: "KinesisStream:s", Attempted: 3, Sent: 3, BytesSent: 30})
	waitUntil(t, "the PutMetricData waiting for the server", func() bool { return cw.Waiting() == 1 })
	cancel()
	<-done
	cw.SetDelay(0)
	got := 0
	for _, d := range cw.Datums() {
		if d.MetricName == "RecordsSent" {
			got += int(d.Stats.Sum)
		}
	}
	if got != 3 {
		var warns []string
		for _, r := range records() {
			if r.Level >= 4 {
				warns = append(warns, r.Msg+" "+r.Attrs["error"])
			}
		}
		t.Errorf("RecordsSent delivered to CloudWatch = %d, want 3; WARN lines: %q", got, warns)
	}
}
