package flows

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/ack"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

// overAKiB is 40 numbered lines, 1,400 bytes: a fingerprint of the whole
// leading KiB.
func overAKiB() string {
	var b strings.Builder
	for i := range 40 {
		fmt.Fprintf(&b, "a%02d %s\n", i, strings.Repeat("x", 30))
	}
	return b.String()
}

// exactPipe is a flow's wiring on the exact file name app.log, with the
// real checkpoint store.
func exactPipe(t *testing.T, dir string, sv ack.Saver, resume []record.Position) (got func() []string, stop func()) {
	_, _, got, stop = pipeOn(t, dir, "app.log", sv, resume, false)
	return got, stop
}

// A file renamed out of the exact pattern while the agent runs is read to
// its end without saving its position (its old name may be the new
// file's). With no new file at that name (logrotate nocreate), its row
// keeps the offset it had at the rename, and every start found the file by
// that row and sent the lines read after the rename again. The first start
// does so once, and saves the file's position under its own name; later
// starts send nothing.
func TestLinesReadAfterARenameWhileRunningAreNotSentAgainAtEveryRestart(t *testing.T) {
	dir := t.TempDir()
	live := filepath.Join(dir, "app.log")
	first := overAKiB()
	writeFile(t, live, first)
	store := openStore(t)
	got, stop := exactPipe(t, dir, store, nil)
	eventually(t, "app.log read and saved", func() bool {
		ps, _ := store.Load("f")
		return len(got()) == 40 && len(ps) == 1 && ps[0].Offset == int64(len(first))
	})
	if err := os.Rename(live, live+".1"); err != nil {
		t.Fatal(err)
	}
	appendTo(t, live+".1", "late\n")
	eventually(t, "late", func() bool { return len(got()) == 41 })
	stop()
	for i := range 3 {
		ps, _ := store.Load("f")
		got, stop := exactPipe(t, dir, store, ps)
		if i == 0 {
			eventually(t, "app.log.1's position saved under its own name", func() bool {
				ps, _ := store.Load("f")
				for _, p := range ps {
					if p.Path == live+".1" && p.Offset == int64(len(first)+5) {
						return true
					}
				}
				return false
			})
		} else {
			// Nothing to wait for: a window in which a re-send would show.
			time.Sleep(500 * time.Millisecond)
		}
		stop()
		if n := len(got()); n > 0 && (i > 0 || n > 1) {
			t.Fatalf("start %d sent %q again", i+1, got())
		}
	}
}
