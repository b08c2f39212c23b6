package checkpoint

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// A Java checkpoint file locked longer than the busy timeout (a Java agent
// still running, mid-commit) fails the import with an error that may pass,
// not ErrNotJavaCheckpoints, and leaves no new file behind, so the agent
// stops and the next start imports it. The error used to say "not a Java
// agent checkpoint database"; the agent then started with an empty new
// file and never tried the import again.
func TestALockedJavaCheckpointFileIsImportedAtTheNextStart(t *testing.T) {
	tmp := t.TempDir()
	src, dst, db := javaFileToImport(t, tmp)
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(context.Background(), `begin exclusive`); err != nil {
		t.Fatal(err)
	}
	imported, err := ImportJava(dst, src)
	conn.ExecContext(context.Background(), `rollback`)
	conn.Close()
	if err == nil || imported {
		t.Fatalf("import while locked: imported=%v err=%v, want an error", imported, err)
	}
	if errors.Is(err, ErrNotJavaCheckpoints) {
		t.Fatalf("a locked file reported as not a Java checkpoint database: %v", err)
	}
	if _, err := os.Stat(dst); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%s exists after the failed import: %v", dst, err)
	}
	if imported, err := ImportJava(dst, src); err != nil || !imported {
		t.Fatalf("import with the lock gone: imported=%v err=%v", imported, err)
	}
	s := mustOpen(t, dst)
	defer s.Close()
	if ps, _ := s.Load(testFlow); len(ps) != 1 || ps[0].Offset != 812 {
		t.Fatalf("imported positions %+v, want offset 812", ps)
	}
}

// A file that is not a Java checkpoint database (another table) is
// ErrNotJavaCheckpoints: the agent starts without it.
func TestAFileWithoutJavasTableIsNotJavaCheckpoints(t *testing.T) {
	tmp := t.TempDir()
	src := filepath.Join(tmp, "other")
	db := javaDB(t, src)
	if _, err := db.Exec(`create table OTHER(x text)`); err != nil {
		t.Fatal(err)
	}
	if _, err := ImportJava(filepath.Join(tmp, "dst"), src); !errors.Is(err, ErrNotJavaCheckpoints) {
		t.Fatalf("err = %v, want ErrNotJavaCheckpoints", err)
	}
}

// javaFileToImport writes a Java checkpoint file with one row under
// tmp/run, and returns it, where the import is to write it (tmp/lib) and
// the open database.
func javaFileToImport(t *testing.T, tmp string) (src, dst string, db *sql.DB) {
	t.Helper()
	src = filepath.Join(tmp, "run", "checkpoints")
	dst = filepath.Join(tmp, "lib", "checkpoints")
	if err := os.MkdirAll(filepath.Dir(src), 0o755); err != nil {
		t.Fatal(err)
	}
	db = javaDB(t, src)
	if _, err := db.Exec(javaDDL); err != nil {
		t.Fatal(err)
	}
	javaSave(t, db, testFlow, "/var/log/app/app.log", "(dev=803,ino=12)", 1_700_000_000_000, 900, 812)
	return src, dst, db
}
