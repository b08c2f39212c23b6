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
