package tail

import (
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// A copytruncate between the first read of a file's content and the
// check of its head that follows: the read's bytes belong to the copy.
// The tailer took the head of what the file held by the check (the new
// content) for the head of the bytes read, so the copy was not known for
// one (read again from 0: duplicates) and as many bytes of the new content
// were skipped (loss). Seen in the long-line stress test under load (one
// line lost, or one duplicated, in about a hundred runs).
func TestACopytruncateBetweenAReadAndItsHeadCheckLosesAndDuplicatesNothing(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.log")
	var armed atomic.Bool
	b, c := lines("b", 0, 20), lines("c", 0, 40)
	col := startTailer(t, testConfig(dir, "c.log*"), func(tl *Tailer) {
		tl.afterRead = func(h *harvester) {
			if h.offset == 0 && filepath.Base(h.path) == "c.log" && armed.CompareAndSwap(true, false) {
				mustWrite(t, p+".1", b) // the copy of what was just read
				mustWrite(t, p, c)      // truncated, and the writer's next lines
			}
		}
	})
	mustAppend(t, p, "a1\n")
	col.waitRecords(1)
	armed.Store(true)
	mustWrite(t, p, b) // truncated and refilled: read from 0, the read the hook interrupts
	waitFor(t, "the copytruncate in between", func() bool { return !armed.Load() })
	got := col.waitRecords(1 + 20 + 40)
	wantLines(t, countRecords(got), b+c, 1, "")
}

// countRecords counts how many times each record was received.
func countRecords(got []string) map[string]int {
	seen := map[string]int{}
	for _, r := range got {
		seen[r]++
	}
	return seen
}

// wantLines checks that every line of text was received n times (what
// says which lines, in the error).
func wantLines(t *testing.T, seen map[string]int, text string, n int, what string) {
	t.Helper()
	for _, l := range strings.SplitAfter(text, "\n") {
		if l != "" && seen[l] != n {
			t.Errorf("%q%s received %d times, want %d", l, what, seen[l], n)
			return
		}
	}
}
