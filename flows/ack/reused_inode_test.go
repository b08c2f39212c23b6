package ack

import (
	"testing"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

// A file begun by the tailer on an inode (FileID) of a file this tracker
// still holds state for (deleted a few minutes ago: states of clean files
// are kept for 10 minutes) gets its starting row. Seen used to take
// the other file's state for its own, and a crash before the new file's
// first chunk left it without a row (taken for a file present at first
// start, and begun at its end).
func TestTheStartingRowOfANewFileOnAReusedInodeIsSaved(t *testing.T) {
	saver := newMemSaver()
	tr := New(flow, saver)
	old := src("/d/old.log", 5)
	c := chunk(old, 0, 100, 1)
	tr.Add(c)
	c.Ack(1)
	if err := tr.Flush(); err != nil {
		t.Fatal(err)
	}
	// old.log is deleted; new.log gets inode 5 and is begun at 0.
	tr.Seen(record.Position{Path: "/d/new.log", FileID: old.FileID, Fingerprint: "other", Offset: 0})
	if err := tr.Flush(); err != nil {
		t.Fatal(err)
	}
	if _, ok := saver.get("/d/new.log"); !ok {
		t.Fatal("new.log (begun, not read yet) has no row: after a crash it is taken for a file present at first start")
	}
}
