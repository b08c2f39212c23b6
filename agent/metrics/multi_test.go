package metrics

import (
	"testing"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
)

type recordingObserver struct{ calls []flowstats.Call }

func (r *recordingObserver) ObserveCall(c flowstats.Call) { r.calls = append(r.calls, c) }

func TestMultiFansOutToEveryObserverAndSkipsNil(t *testing.T) {
	a, b := &recordingObserver{}, &recordingObserver{}
	m := Multi(a, nil, b)
	c := flowstats.Call{Destination: "KinesisStream:s", Attempted: 3, Sent: 3}
	m.ObserveCall(c)
	if len(a.calls) != 1 || len(b.calls) != 1 || a.calls[0] != c || b.calls[0] != c {
		t.Fatalf("a=%v b=%v", a.calls, b.calls)
	}
	if _, ok := Multi(nil, nil).(NopObserver); !ok {
		t.Error("Multi of nothing is not a NopObserver")
	}
	if Multi(a) != flowstats.CallObserver(a) {
		t.Error("Multi of one observer should return it unwrapped")
	}
	NopObserver{}.ObserveCall(c)
}
