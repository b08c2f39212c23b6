package tail

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

// Rows taken over from a flow whose filePattern was edited (app.log to
// app.log*, agent.resumeFor) act, for the files the old glob matched, as
// the flow's own: a rotation while the agent was down is followed (the
// renamed file read from its row, Java's row too), and the new file the
// old pattern would have found is read from 0. Left out of the rules for
// rowless files, a Java row no longer followed the rename (its lines sent
// again, or lost at END_OF_FILE), and the new app.log written while down
// was placed at its end (lost). Files the old glob did not match start by
// initialPosition (TestAWidenedFilePatternStartsTheNewlyMatchedFilesByInitialPosition
// in agent). From a review.
func TestRowsTakenOverFromAnEditedFlowFollowARotationWhileDown(t *testing.T) {
	for _, java := range []bool{true, false} {
		t.Run(map[bool]string{true: "java row", false: "own row"}[java], func(t *testing.T) {
			dir := t.TempDir()
			now := time.Now()
			cur := filepath.Join(dir, "app.log")
			mustWrite(t, cur, "a1\na2\na3\n")
			row := record.Position{Flow: "test", Path: cur, FileID: fileIDOf(t, cur), Offset: 3,
				Updated: now.Add(-5 * time.Minute), AdoptedGlob: "app.log"}
			if java {
				row.JavaOnly = true
			} else {
				row.Fingerprint = fingerprint(headOf(t, cur))
			}
			// Rotated while the agent was down, and a new app.log written.
			rot := filepath.Join(dir, "app.log.1")
			if err := os.Rename(cur, rot); err != nil {
				t.Fatal(err)
			}
			setMtime(t, rot, now.Add(-10*time.Minute))
			mustWrite(t, cur, "c1\n")
			cfg := testConfig(dir, "app.log*")
			cfg.StartAtEnd = true
			cfg.Resume = []record.Position{row}
			c := startTailer(t, cfg, rowsPredateFiles)
			waitFor(t, "app.log.1's unsent lines and the new app.log's", func() bool {
				return len(c.recordsOf("app.log.1")) >= 2 && len(c.recordsOf("app.log")) >= 1
			})
			c.settle()
			eq(t, c.recordsOf("app.log.1"), "a2\n", "a3\n")
			eq(t, c.recordsOf("app.log"), "c1\n")
		})
	}
}

// A pattern edited back (*.log to app.log and back): the flow's own old
// rows and the newer ones taken over from app.log both tell of files. A
// file app.log did not match, written while it was configured (so after
// the flow's own last save, before app.log's), is new to the flow: read
// from 0. Placed against app.log's newer rows, it started at its end, its
// lines lost. From a review.
func TestAFileTheEditedFlowDidNotMatchIsPlacedAgainstTheFlowsOwnRows(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	a, app, c := filepath.Join(dir, "a.log"), filepath.Join(dir, "app.log"), filepath.Join(dir, "c.log")
	mustWrite(t, a, "a1\n")
	mustWrite(t, app, "p1\n")
	mustWrite(t, c, "c1\n")
	setMtime(t, a, now.Add(-3*time.Hour))
	setMtime(t, c, now.Add(-30*time.Minute)) // written while app.log was the pattern
	// app.log's rows saved after c.log's last change (its inode change
	// time too), by more than the grace: then that change tells nothing.
	saved := afterClock(t, dir).Add(3 * time.Second)
	waitFor(t, "the clock past app.log's last save", func() bool { return time.Now().After(saved) })
	cfg := testConfig(dir, "*.log")
	cfg.StartAtEnd = true
	cfg.Resume = []record.Position{
		{Flow: "test", Path: a, FileID: fileIDOf(t, a), Fingerprint: fingerprint(headOf(t, a)), Offset: 3, Updated: now.Add(-2 * time.Hour)},
		{Flow: "test", Path: app, FileID: fileIDOf(t, app), Fingerprint: fingerprint(headOf(t, app)), Offset: 3, Updated: saved, AdoptedGlob: "app.log"},
	}
	col := startTailer(t, cfg, rowsPredateFiles)
	waitFor(t, "c.log's line", func() bool { return len(col.recordsOf("c.log")) >= 1 })
	col.settle()
	eq(t, col.recordsOf("c.log"), "c1\n")
}

// Java's rows taken over from an edited flow (*.log to app*.log): its
// newest row (b.log, out of the new pattern) is handed on with them, so an
// older Java row (app.log at 6) counts at its own path only. A new file on
// app.log's freed inode (app-new.log) is read whole; taken for Java's
// position, the old row was followed there and its first lines skipped.
// From a review of the take-over.
func TestAnOlderJavaRowTakenOverIsNotFollowedIntoANewFileOnItsInode(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	nw := filepath.Join(dir, "app-new.log")
	mustWrite(t, nw, "n1\nn2\nn3\n")
	fid := fileIDOf(t, nw) // (the inode app.log had when its row was saved)
	cfg := testConfig(dir, "app*.log")
	cfg.Resume = []record.Position{
		{Flow: "test", Path: filepath.Join(dir, "b.log"), FileID: "(dev=1,ino=1)", Offset: 9, Updated: now.Add(-time.Hour), JavaOnly: true, AdoptedGlob: "*.log"},
		{Flow: "test", Path: filepath.Join(dir, "app.log"), FileID: fid, Offset: 6, Updated: now.Add(-2 * time.Hour), JavaOnly: true, AdoptedGlob: "*.log"},
	}
	col := startTailer(t, cfg, rowsPredateFiles)
	mustAppend(t, nw, "n4\n")
	waitFor(t, "app-new.log's lines", func() bool { return len(col.recordsOf("app-new.log")) >= 2 })
	col.settle()
	eq(t, col.recordsOf("app-new.log"), "n1\n", "n2\n", "n3\n", "n4\n")
}

// A flow's own rows saved with no time (a lastUpdated Java left empty or
// unreadable) still tell that the flow started its files: a file without
// a row changed since is read from 0. Placed by initialPosition (END_OF_FILE)
// for want of a time, it was skipped. From a review.
func TestOwnRowsWithoutATimeStillTellOfTheFlowsFiles(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log")
	mustWrite(t, a, "a1\n")
	mustWrite(t, b, "b1\n")
	cfg := testConfig(dir, "*.log")
	cfg.StartAtEnd = true
	cfg.Resume = []record.Position{{Flow: "test", Path: a, FileID: fileIDOf(t, a), Fingerprint: fingerprint(headOf(t, a)), Offset: 3}}
	col := startTailer(t, cfg, rowsPredateFiles)
	waitFor(t, "b.log's line", func() bool { return len(col.recordsOf("b.log")) >= 1 })
	col.settle()
	eq(t, col.recordsOf("b.log"), "b1\n")
}

// That newest row, out of the new pattern, resumes no file: a new file of
// the pattern on its file's freed inode (b.log deleted while the agent was
// down) is read whole. Matched by inode, it started at the row's offset.
// From a review.
func TestTheNewestJavaRowOutOfTheNewPatternResumesNoFile(t *testing.T) {
	dir := t.TempDir()
	nw := filepath.Join(dir, "app-new.log")
	mustWrite(t, nw, "n1\nn2\nn3\n")
	cfg := testConfig(dir, "app*.log")
	cfg.Resume = []record.Position{{Flow: "test", Path: filepath.Join(dir, "b.log"), FileID: fileIDOf(t, nw), Offset: 6,
		Updated: time.Now().Add(-time.Hour), JavaOnly: true, AdoptedGlob: "*.log"}}
	col := startTailer(t, cfg, rowsPredateFiles)
	mustAppend(t, nw, "n4\n")
	waitFor(t, "app-new.log's lines", func() bool { return len(col.recordsOf("app-new.log")) >= 2 })
	col.settle()
	eq(t, col.recordsOf("app-new.log"), "n1\n", "n2\n", "n3\n", "n4\n")
}
