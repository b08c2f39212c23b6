package syncbuf

import (
	"strings"
	"sync"
	"testing"
)

// Concurrent writers lose nothing, and a reader sees whole writes (run
// with -race to check the locking).
func TestConcurrentWritesAllArriveAndReadsAreSafe(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 1000; j++ {
				b.Write([]byte("x\n"))
				_ = b.String()
			}
		}()
	}
	wg.Wait()
	if n := strings.Count(b.String(), "x\n"); n != 8000 || len(b.Bytes()) != 16000 {
		t.Fatalf("%d writes, %d bytes; want 8000 and 16000", n, len(b.Bytes()))
	}
}
