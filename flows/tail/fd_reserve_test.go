package tail

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

// While a send waits (a destination unreachable: connections refused or
// timing out), light scans hold a descriptor for every new file; with
// files enough they took every descriptor there was, and the send could
// never open a connection again: the agent stalled until restarted
// (200 files under ulimit -n 100 in an end-to-end replay). Out of
// descriptors there, the files held and not read yet are closed (their
// starting rows stay), no more are opened until the send goes, and then
// every line of every file arrives. From a replay of LoongCollector and
// loggie reports (loggie's maxOpenFds; alibaba/loongcollector#2688).
func TestRunningOutOfDescriptorsWhileASendWaitsGivesDescriptorsBack(t *testing.T) {
	dir := t.TempDir()
	mustWrite(t, filepath.Join(dir, "a.log"), lines("a", 0, 10))
	var mu sync.Mutex
	var opened []*os.File
	limit := 1 << 30 // opens allowed; lowered once the send waits
	cfg := testConfig(dir, "*.log")
	tl, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tl.openFn = func(name string, flag int, perm os.FileMode) (*os.File, error) {
		mu.Lock()
		defer mu.Unlock()
		live := 0
		for _, f := range opened {
			if _, err := f.Stat(); !errors.Is(err, os.ErrClosed) {
				live++
			}
		}
		if live >= limit {
			return nil, &os.PathError{Op: "open", Path: name, Err: syscall.EMFILE}
		}
		f, err := os.OpenFile(name, flag, perm)
		if err == nil {
			opened = append(opened, f)
		}
		return f, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan *record.Chunk) // read only once the test lets the send go
	done := make(chan struct{})
	go func() { defer close(done); tl.Run(ctx, out) }()
	defer func() { cancel(); <-done }()
	waitFor(t, "the first send to wait", func() bool { return tl.sendWaits.Load() > 0 })
	live := func() (n int) {
		mu.Lock()
		defer mu.Unlock()
		for _, f := range opened {
			if _, err := f.Stat(); !errors.Is(err, os.ErrClosed) {
				n++
			}
		}
		return n
	}
	// 40 descriptors more, no more.
	mu.Lock()
	n := 0
	for _, f := range opened {
		if _, err := f.Stat(); !errors.Is(err, os.ErrClosed) {
			n++
		}
	}
	limit = n + 40
	mu.Unlock()
	want := lines("a", 0, 10)
	for i := 0; i < 60; i++ {
		text := lines(fmt.Sprintf("f%02d", i), 0, 5)
		mustWrite(t, filepath.Join(dir, fmt.Sprintf("f%02d.log", i)), text)
		want += text
	}
	// The light scans hold 40, run out, and give fdReserve back.
	waitFor(t, "descriptors given back", func() bool { return live() <= n+40-fdReserve })
	scans := tl.lightScans.Load()
	waitFor(t, "more light scans", func() bool { return tl.lightScans.Load() >= scans+2 })
	if l := live(); l > n+40-fdReserve {
		t.Fatalf("%d descriptors held after the light scans, want at most %d free of %d", l, fdReserve, n+40)
	}
	// The send goes (the destination is back): everything arrives.
	seen := map[string]int{}
	waitFor(t, "every line", func() bool {
		for {
			select {
			case c := <-out:
				for i := 0; i < c.Len(); i++ {
					seen[string(c.Record(i))]++
				}
				c.ReleaseData()
				continue
			default:
			}
			break
		}
		return len(seen) == 10+60*5
	})
	wantLines(t, seen, want, 1, "")
}
