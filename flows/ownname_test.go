package flows

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/checkpoint"
)

func rowOf(st *checkpoint.Store, path string) (fid string, off int64, ok bool) {
	ps, _ := st.Load("f")
	for _, p := range ps {
		if p.Path == path {
			return p.FileID, p.Offset, true
		}
	}
	return "", 0, false
}

// A file resumed out of the pattern at start has its position saved
// under its own name (ownName). Renamed back into the pattern and out of it
// again, it kept that: its acknowledgements were saved under its stale
// in-pattern name, replacing the row of the new file that now has that
// name (the store's key is (flow, path)). Back in the pattern, it is a
// file of the pattern again.
func TestAFileResumedOutOfThePatternThatComesBackAndLeavesAgainDoesNotOverwriteTheNewFilesRow(t *testing.T) {
	dir := t.TempDir()
	live, store := savedAppLog(t, dir)

	// While the agent is down: rotated, a line not sent, a new app.log.
	must(t, os.Rename(live, live+".1"))
	appendTo(t, live+".1", "u1\n")
	writeFile(t, live, "n0\n")
	fidO := fileIDOf(t, live+".1")

	ps, _ := store.Load("f")
	got, stop := exactPipe(t, dir, store, ps)
	eventually(t, "u1 and n0 read, O saved under its own name", func() bool {
		fid, _, ok := rowOf(store, live+".1")
		return len(got()) == 2 && ok && fid == fidO
	})

	// O comes back into the pattern (the new file moved aside), then is
	// rotated out again and a newer app.log (N2) is created.
	must(t, os.Rename(live, filepath.Join(dir, "n.old")))
	must(t, os.Rename(live+".1", live))
	eventually(t, "O matched again under app.log", func() bool {
		fid, _, ok := rowOf(store, live)
		return ok && fid == fidO
	})
	must(t, os.Rename(live, live+".1"))
	writeFile(t, live, "z0\n")
	fidN2 := fileIDOf(t, live)
	eventually(t, "N2 read and its row saved", func() bool {
		fid, off, ok := rowOf(store, live)
		return len(got()) == 3 && ok && fid == fidN2 && off == 3
	})

	// O (now app.log.1, out of the pattern) gets one more line.
	appendTo(t, live+".1", "u2\n")
	eventually(t, "u2 read", func() bool { return len(got()) == 4 })
	time.Sleep(500 * time.Millisecond) // a few flush intervals
	stop()
	fid, off, _ := rowOf(store, live)
	if fid != fidN2 {
		t.Fatalf("row of app.log (the new file N2 %s) now names %s@%d: the out-of-pattern file O overwrote it", fidN2, fid, off)
	}
}

// savedAppLog writes app.log (over a KiB) in dir and runs a flow on it
// until all of it is read and its checkpoint saved, then stops it.
func savedAppLog(t *testing.T, dir string) (live string, store *checkpoint.Store) {
	t.Helper()
	live = filepath.Join(dir, "app.log")
	first := overAKiB()
	writeFile(t, live, first)
	store = openStore(t)
	got, stop := exactPipe(t, dir, store, nil)
	eventually(t, "app.log read and saved", func() bool {
		_, off, ok := rowOf(store, live)
		return len(got()) == 40 && ok && off == int64(len(first))
	})
	stop()
	return live, store
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
