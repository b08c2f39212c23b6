package agent

import (
	"database/sql"
	"log/slog"
	"path/filepath"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/config"
	"github.com/kinesis-agent-go/aws-kinesis-agent/checkpoint"
)

// Of a flow no longer configured, a Java-written row other than its newest
// is not taken over: Java resumes only a flow's newest row, and such a row,
// without a fingerprint, would be taken by inode anywhere in the pattern
// (an older app.log row skipped the first lines of a new file on its
// reused inode). From a review of the take-over.
func TestOnlyTheNewestJavaRowOfAnEditedFlowIsTakenOver(t *testing.T) {
	path := filepath.Join(t.TempDir(), "checkpoints")
	store, err := checkpoint.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	old := "kinesis:s:/var/log/app/*.log"
	for _, r := range []struct{ path, fid, age string }{
		{"/var/log/app/app.log", "(dev=801,ino=12)", "-2 hours"},
		{"/var/log/app/b.log", "(dev=801,ino=13)", "-1 hours"},
	} {
		if _, err := db.Exec("insert into FILE_CHECKPOINTS values (?, ?, ?, 0, 10, 6, strftime('%Y-%m-%d %H:%M:%f', 'now', ?))", old, r.path, r.fid, r.age); err != nil {
			t.Fatal(err)
		}
	}
	fc := config.Flow{ID: "kinesis:s:/var/log/app/app*.log", Dir: "/var/log/app", Glob: "app*.log"}
	rows, err := resumeFor(store, fc, []string{old}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 0 {
		t.Fatalf("took over %+v: a Java row that was not the old flow's newest", rows)
	}
	// The newest one is taken over.
	fc = config.Flow{ID: "kinesis:s:/var/log/app/b*.log", Dir: "/var/log/app", Glob: "b*.log"}
	if rows, err = resumeFor(store, fc, []string{old}, slog.New(slog.DiscardHandler)); err != nil || len(rows) != 1 || !rows[0].JavaOnly || rows[0].AdoptedGlob != "*.log" {
		t.Fatalf("rows %+v, %v: want b.log's Java row, adopted", rows, err)
	}
}
