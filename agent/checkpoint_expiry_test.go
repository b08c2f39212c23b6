package agent_test

import (
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/kinesis-agent-go/aws-kinesis-agent/agent"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/kinesistest"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/syncbuf"
)

// Rows older than checkpointTimeToLiveDays are deleted while the agent
// runs too, not only at its start (Java's): the rows of files gone, one per
// file for a producer that writes a new file per run (api_caller), piled
// up in an agent never restarted. The rows of the files it follows stay.
// From a review of Filebeat's issues (elastic/beats#269: registry growth).
func TestExpiredCheckpointRowsAreDeletedWhileTheAgentRuns(t *testing.T) {
	o := newOneFile(t, "a1\n")
	var logs syncbuf.Buffer
	stop := runAgentWith(t, o.cfgPath, &logs, agent.Options{Version: "test", CheckpointExpireEvery: 50 * time.Millisecond})
	kinesistest.WaitForRecords(t, o.client, o.stream, 1, 30*time.Second)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(o.dir, "checkpoints")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows := func(path string) (n int) {
		if err := db.QueryRow("select count(*) from FILE_CHECKPOINTS where path = ?", path).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	deadline := time.Now().Add(20 * time.Second)
	for rows(o.logFile) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no row for %s:\n%s", o.logFile, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// A file shipped and deleted long ago, its row 8 days old.
	if _, err := db.Exec("insert into FILE_CHECKPOINTS values (?, ?, ?, 0, 10, 10, strftime('%Y-%m-%d %H:%M:%f', 'now', '-8 days'))",
		"kinesis:old:/gone/*.log", "/gone/job-1.log", "(dev=801,ino=12)"); err != nil {
		t.Fatal(err)
	}
	for rows("/gone/job-1.log") != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the expired row is still there:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	if rows(o.logFile) != 1 {
		t.Fatalf("the followed file's row went too")
	}
}
