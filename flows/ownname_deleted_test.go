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

// heldPipe is a flow's wiring on the exact name app.log, where the
// acknowledgements of chunks read from holdAck are held until release() is
// called, and chunks read from holdAdd are not handed to the tracker at all
// (they wait behind a backlog: the flow's pending-chunk limit).
func heldPipe(t *testing.T, dir string, sv ack.Saver, resume []record.Position, holdAck, holdAdd string) (got func() []string, release func(), stop func()) {
	_, _, got, release, stop = routedPipe(t, dir, "app.log", sv, resume, false, func(p string) (bool, bool) {
		return p != holdAdd, p == holdAck
	})
	return got, release, stop
}

// A file resumed out of the pattern at start (ownName) keeps saving its
// position under its own name after it is deleted: unlike a file of the
// pattern, which leaves it (detached) when deleted. Its late
// acknowledgements (a slow destination) are then saved after its inode was
// given to a new file of the pattern (ext4 reuses a freed inode at once),
// and the store deletes the rows of the same file id under other names:
// the new file's starting row. A restart before the new file's first
// chunk is tracked finds only the deleted file's row at that file id, with
// another fingerprint: "identity reused", and the new file, last written
// before the newest checkpoint, starts at its end. Its lines are lost.
func TestADeletedFileResumedOutOfThePatternDoesNotDeleteTheRowOfANewFileOnItsInode(t *testing.T) {
	dir := t.TempDir()
	live, store := savedAppLog(t, dir)

	// While the agent is down: rotated (nocreate), a line not sent.
	must(t, os.Rename(live, live+".1"))
	appendTo(t, live+".1", "u1\n")
	fidO := fileIDOf(t, live+".1")

	// Run 2: O is resumed under its own name; the destination is slow: u1's
	// acknowledgement is held.
	ps, _ := store.Load("f")
	got, release, stop := heldPipe(t, dir, store, ps, live+".1", live)
	eventually(t, "u1 read", func() bool { return len(got()) == 1 })

	// O is deleted (logrotate's next run, rotate 1), let go once read (5 s
	// quiet), and its inode is freed.
	must(t, os.Remove(live+".1"))

	// A new app.log (N2) of over a KiB takes the freed inode; it is begun
	// (its starting row saved) but not read yet: it waits behind the backlog.
	var n strings.Builder
	for i := range 40 {
		fmt.Fprintf(&n, "n%02d %s\n", i, strings.Repeat("y", 30))
	}
	tmp := onFreedInodeFlows(t, dir, fidO, n.String())
	must(t, os.Rename(tmp, live))
	eventually(t, "N2's starting row saved", func() bool {
		fid, off, ok := rowOf(store, live)
		return ok && fid == fidO && off == 0
	})
	time.Sleep(2500 * time.Millisecond) // (not a wait for a result: N2 older than the next save by more than the grace)

	// The destination answers for u1: O's position is saved.
	release()
	time.Sleep(500 * time.Millisecond) // a few flush intervals (with the fix there is no save to wait for)
	// A crash here: N2's chunks were never tracked.
	crashRows, _ := store.Load("f")
	stop()
	if _, _, ok := rowOf(store, live); !ok {
		t.Logf("N2's starting row (app.log, %s) was deleted by the deleted file's late save", fidO)
	}

	got, stop = exactPipe(t, dir, store, crashRows)
	deadline := time.Now().Add(5 * time.Second)
	for len(got()) < 40 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	if len(got()) != 40 {
		t.Fatalf("after the restart N2's 40 lines were not read: got %d records %q", len(got()), got())
	}
}

// onFreedInodeFlows writes content to a new file of dir, out of the pattern,
// until it gets the file id fid of a file just deleted.
func onFreedInodeFlows(t *testing.T, dir, fid, content string) string {
	t.Helper()
	tmp := filepath.Join(dir, "tmp.x")
	for range 4000 { // (until the tailer lets the deleted file go: 5 s quiet)
		writeFile(t, tmp, content)
		if fileIDOf(t, tmp) == fid {
			return tmp
		}
		must(t, os.Remove(tmp))
		time.Sleep(2 * time.Millisecond)
	}
	t.Skip("the file system did not reuse the inode")
	return ""
}
