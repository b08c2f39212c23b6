package flows

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
	"github.com/kinesis-agent-go/aws-kinesis-agent/processors"
)

// One record of control bytes (5 MiB, the read buffer) under CSVTOJSON is
// escaped six-fold into the flow's processing buffer before the batch
// builder cuts it to 1 MiB; that buffer, the tailer's and the chain's kept
// their size for the flow's life (33.6 MiB held by a running flow). None
// of megabytes is kept once the record is handed on.
func TestARunningFlowKeepsNoBufferOfMegabytesAfterOneHugeRecord(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.log")
	content := append(bytes.Repeat([]byte{1}, 5<<20-1), '\n')
	content = append(content, "x,y\n"...)
	if err := os.WriteFile(p, content, 0o644); err != nil {
		t.Fatal(err)
	}
	chain, err := processors.Build([]processors.Option{{Key: "c", Name: "CSVTOJSON", CustomFieldNames: []string{"a", "b"}, HasCustomFieldNames: true}}, processors.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	heap := func() int64 {
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return int64(ms.HeapAlloc)
	}
	before := heap()
	snd, sv := &memSender{}, &memSaver{saved: map[string]record.Position{}}
	cfg := flowConfig(dir)
	stop := startFlow(t, cfg, Deps{Sender: snd, Saver: sv, Chain: chain, Stats: flowstats.New(cfg.ID, "s", false)})
	defer stop()
	eventually(t, "the checkpoint at the end", func() bool { return sv.offset(p) >= int64(len(content)) })
	var held int64
	deadline := time.Now().Add(5 * time.Second)
	for {
		kept := 0
		for _, r := range snd.got() {
			kept += len(r) // (the records the test's sender keeps)
		}
		if held = heap() - before - int64(kept); held <= 8<<20 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if held > 8<<20 {
		t.Fatalf("the running flow keeps %.1f MiB after one huge record was sent", float64(held)/(1<<20))
	}
}
