package checkpoint

import (
	"os"
	"path/filepath"
	"testing"
)

func TestImportJavaCopiesJavaDatabaseOnFirstStart(t *testing.T) {
	tmp := t.TempDir()
	src := filepath.Join(tmp, "run", "checkpoints")
	dst := filepath.Join(tmp, "lib", "aws-kinesis-agent", "checkpoints")
	if err := os.MkdirAll(filepath.Dir(src), 0o755); err != nil {
		t.Fatal(err)
	}
	db := javaDB(t, src)
	if _, err := db.Exec(javaDDL); err != nil {
		t.Fatal(err)
	}
	javaSave(t, db, testFlow, "/var/log/app/app.log", "(dev=803,ino=12)", 1_700_000_000_000, 900, 812)
	// Java's connection stays open (agent still running): the copy is a
	// consistent snapshot all the same.

	imported, err := ImportJava(dst, src)
	if err != nil || !imported {
		t.Fatalf("ImportJava = %v, %v; want true", imported, err)
	}
	if _, err := os.Stat(dst + ".import-tmp"); err == nil {
		t.Error("temporary file left behind")
	}
	s := mustOpen(t, dst)
	ps, err := s.Load(testFlow)
	if err != nil || len(ps) != 1 || ps[0].Offset != 812 || ps[0].FileID != "(dev=803,ino=12)" {
		t.Fatalf("Load after import = %+v, %v", ps, err)
	}

	// Second start: dst exists, nothing is copied over it.
	javaSave(t, db, testFlow, "/var/log/app/app.log", "(dev=803,ino=12)", 1_700_000_000_000, 900, 999)
	imported, err = ImportJava(dst, src)
	if err != nil || imported {
		t.Errorf("second ImportJava = %v, %v; want false", imported, err)
	}
	ps, _ = s.Load(testFlow)
	if len(ps) != 1 || ps[0].Offset != 812 {
		t.Errorf("dst changed by second import: %+v", ps)
	}
	// Java's file is untouched.
	var off int64
	if err := db.QueryRow(`select offset from FILE_CHECKPOINTS`).Scan(&off); err != nil || off != 999 {
		t.Errorf("source offset = %d, %v", off, err)
	}
}

func TestImportJavaWithoutJavaDatabaseDoesNothing(t *testing.T) {
	tmp := t.TempDir()
	dst := filepath.Join(tmp, "lib", "checkpoints")
	imported, err := ImportJava(dst, filepath.Join(tmp, "run", "checkpoints"))
	if err != nil || imported {
		t.Errorf("ImportJava = %v, %v; want false, nil", imported, err)
	}
	if _, err := os.Stat(dst); err == nil {
		t.Error("dst created without a source")
	}
}

func TestImportJavaRejectsFileThatIsNotACheckpointDatabase(t *testing.T) {
	tmp := t.TempDir()
	src := filepath.Join(tmp, "checkpoints.java")
	if err := os.WriteFile(src, []byte("garbage garbage garbage garbage garbage garbage garbage garbage garbage garbage garbage garbage garbage garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(tmp, "checkpoints")
	imported, err := ImportJava(dst, src)
	if err == nil || imported {
		t.Errorf("ImportJava = %v, %v; want an error", imported, err)
	}
	if _, err := os.Stat(dst); err == nil {
		t.Error("dst created from a bad source")
	}
}
