package agent

import (
	"database/sql"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/config"
	"github.com/kinesis-agent-go/aws-kinesis-agent/checkpoint"
)

// Of a flow no longer configured whose rows are Java's, the newest row is
// handed on even when its file is out of the new pattern: the tailer takes
// it for Java's position, and the Java rows taken are then used at their
// own path only (an older app.log row had become the newest, and was
// followed by inode into a new file that took it: its first lines were
// skipped). From two reviews of the take-over.
func TestTheNewestJavaRowOfAnEditedFlowIsHandedOnWithTheRowsTaken(t *testing.T) {
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
	var paths []string
	for _, r := range rows {
		if !r.JavaOnly || r.AdoptedGlob != "*.log" || r.Flow != fc.ID {
			t.Errorf("row %+v: want a Java row adopted from *.log", r)
		}
		paths = append(paths, r.Path)
	}
	if !slices.Equal(paths, []string{"/var/log/app/b.log", "/var/log/app/app.log"}) {
		t.Fatalf("rows of %q, want b.log (the newest, out of the pattern) and app.log", paths)
	}
}
