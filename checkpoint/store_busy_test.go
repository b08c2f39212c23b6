package checkpoint

import (
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

// Another process holding a write transaction (an operator's sqlite3 with a
// BEGIN open, a backup tool) while the agent starts: the file is writable,
// only busy; Open does not refuse it (the write probe of an unwritable
// file must not turn a busy one into a failed start).
func TestOpenWhileAnotherConnectionHoldsAWriteTransactionSucceeds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "checkpoints")
	s := mustOpen(t, path)
	if err := s.Save([]record.Position{pos("/var/log/app/a.log", "1:2", 10)}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(t.Context(), "begin immediate"); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(t.Context(), "rollback")
	s2, err := Open(path, WithBusyTimeout(200*time.Millisecond))
	if err != nil {
		t.Fatalf("Open refused while another connection holds a write transaction: %v", err)
	}
	s2.Close()
}
