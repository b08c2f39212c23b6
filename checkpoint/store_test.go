package checkpoint

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

const testFlow = "kinesis:stream:/var/log/app/app.log*"

// javaDB opens path the way a plain SQLite client (like the Java agent's
// sqlite-jdbc) would: default rollback journal, no pragmas.
func javaDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

// javaSave writes one checkpoint with the Java agent's exact statements.
func javaSave(t *testing.T, db *sql.DB, flow, path, fileID string, mtimeMs, size, offset int64) {
	t.Helper()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	res, err := tx.Exec("update FILE_CHECKPOINTS "+
		"set fileId=?, offset=?, lastModifiedTime=?, size=?, "+
		"lastUpdated=strftime('%Y-%m-%d %H:%M:%f', 'now') "+
		"where flow=? and path=?", fileID, offset, mtimeMs, size, flow, path)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := tx.Exec("insert or ignore into FILE_CHECKPOINTS "+
			"values(?, ?, ?, ?, ?, ?, strftime('%Y-%m-%d %H:%M:%f', 'now'))",
			flow, path, fileID, mtimeMs, size, offset); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func mustOpen(t testing.TB, path string) *Store {
	t.Helper()
	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func pos(path, fileID string, offset int64) record.Position {
	return record.Position{
		Flow: testFlow, Path: path, FileID: fileID, Fingerprint: "fp-" + fileID,
		ModTime: time.UnixMilli(1_700_000_000_123), Size: offset + 10, Offset: offset,
	}
}

func TestFileWrittenByUsHasJavaSchemaAndRowFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "dir", "checkpoints") // parents created
	s := mustOpen(t, path)
	if err := s.Save([]record.Position{pos("/var/log/app/app.log", "(dev=803,ino=1234567)", 4096)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + "-wal"); err == nil {
		t.Errorf("write-ahead log %s-wal left behind after Close", path)
	}

	db := javaDB(t, path)
	rows, err := db.Query("pragma table_info(FILE_CHECKPOINTS)")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var cid, notnull, pk int
		var name, typ string
		var dflt sql.NullString
		if err := rows.Scan(&cid, &name, &typ, &notnull, &dflt, &pk); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s %s pk=%d", name, typ, pk))
	}
	rows.Close()
	want := []string{
		"flow text pk=1", "path text pk=2", "fileId text pk=0", "lastModifiedTime bigint pk=0",
		"size bigint pk=0", "offset bigint pk=0", "lastUpdated datetime pk=0",
	}
	// SQLite reports the standard type names upper-case (TEXT).
	if !strings.EqualFold(strings.Join(got, "; "), strings.Join(want, "; ")) {
		t.Errorf("table_info:\n got %q\nwant %q", got, want)
	}
	var ddl string
	if err := db.QueryRow(`select sql from sqlite_master where name='FILE_CHECKPOINTS'`).Scan(&ddl); err != nil {
		t.Fatal(err)
	}
	if want := "CREATE TABLE FILE_CHECKPOINTS(       flow text,       path text,       fileId text,       " +
		"lastModifiedTime bigint,       size bigint,       offset bigint,       lastUpdated datetime,       " +
		"primary key (flow, path))"; ddl != want {
		t.Errorf("DDL:\n got %q\nwant %q", ddl, want)
	}

	// The query Java resumes with, and the storage types Java reads back.
	var p, fid, updated, tFid, tMtime, tSize, tOff, tUpd string
	var mtime, size, off int64
	err = db.QueryRow("select path, fileId, lastModifiedTime, size, offset, cast(lastUpdated as text), "+
		"typeof(fileId), typeof(lastModifiedTime), typeof(size), typeof(offset), typeof(lastUpdated) "+
		"from FILE_CHECKPOINTS where flow=? order by lastUpdated desc limit 1", testFlow).
		Scan(&p, &fid, &mtime, &size, &off, &updated, &tFid, &tMtime, &tSize, &tOff, &tUpd)
	if err != nil {
		t.Fatal(err)
	}
	if p != "/var/log/app/app.log" || fid != "(dev=803,ino=1234567)" || mtime != 1_700_000_000_123 || size != 4106 || off != 4096 {
		t.Errorf("row = %s %s %d %d %d", p, fid, mtime, size, off)
	}
	if tFid != "text" || tMtime != "integer" || tSize != "integer" || tOff != "integer" || tUpd != "text" {
		t.Errorf("storage types = %s %s %s %s %s", tFid, tMtime, tSize, tOff, tUpd)
	}
	if !regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$`).MatchString(updated) {
		t.Errorf("lastUpdated = %q, want YYYY-MM-DD HH:MM:SS.SSS", updated)
	}
	u, err := time.ParseInLocation(TimeLayout, updated, time.UTC)
	if err != nil || time.Since(u).Abs() > time.Hour {
		t.Errorf("lastUpdated %q is not the current UTC time (%v)", updated, err)
	}
}

func TestJavaWrittenFileIsLoadedWithItsOffset(t *testing.T) {
	path := filepath.Join(t.TempDir(), "checkpoints")
	db := javaDB(t, path)
	if _, err := db.Exec(javaDDL); err != nil {
		t.Fatal(err)
	}
	javaSave(t, db, testFlow, "/var/log/app/app.log.1", "(dev=803,ino=11)", 1_700_000_000_000, 5000, 5000)
	time.Sleep(5 * time.Millisecond) // lastUpdated has millisecond resolution
	javaSave(t, db, testFlow, "/var/log/app/app.log", "(dev=803,ino=12)", 1_700_000_100_000, 900, 812)
	javaSave(t, db, "other-flow", "/x", "(dev=1,ino=1)", 1, 1, 1)
	db.Close()

	s := mustOpen(t, path)
	ps, err := s.Load(testFlow)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 {
		t.Fatalf("Load returned %d rows, want 2: %+v", len(ps), ps)
	}
	got := ps[0] // newest first
	if got.Path != "/var/log/app/app.log" || got.FileID != "(dev=803,ino=12)" || got.Offset != 812 ||
		got.Size != 900 || got.ModTime.UnixMilli() != 1_700_000_100_000 || got.Flow != testFlow || got.Fingerprint != "" ||
		!got.JavaOnly || !ps[1].JavaOnly {
		t.Errorf("newest = %+v", got)
	}
	if time.Since(got.Updated).Abs() > time.Hour {
		t.Errorf("Updated = %v, want about now", got.Updated)
	}
	if ps[1].Path != "/var/log/app/app.log.1" || ps[1].Offset != 5000 {
		t.Errorf("older = %+v", ps[1])
	}

	// We continue the Java file: our update replaces Java's row, and Java's
	// resume query now sees ours.
	if err := s.Save([]record.Position{pos("/var/log/app/app.log.1", "(dev=803,ino=11)", 5100)}); err != nil {
		t.Fatal(err)
	}
	ps, _ = s.Load(testFlow)
	if len(ps) != 2 || ps[0].Path != "/var/log/app/app.log.1" || ps[0].Offset != 5100 || ps[0].Fingerprint != "fp-(dev=803,ino=11)" ||
		ps[0].JavaOnly || !ps[1].JavaOnly {
		t.Errorf("after save: %+v", ps)
	}
}

func TestLoadKeepsNewestRowPerFileIDOfJavaRenames(t *testing.T) {
	path := filepath.Join(t.TempDir(), "checkpoints")
	db := javaDB(t, path)
	if _, err := db.Exec(javaDDL); err != nil {
		t.Fatal(err)
	}
	// Java wrote the file under its old name, then under the new one.
	javaSave(t, db, testFlow, "/d/app.log", "(dev=803,ino=7)", 1, 100, 100)
	time.Sleep(5 * time.Millisecond)
	javaSave(t, db, testFlow, "/d/app.log.1", "(dev=803,ino=7)", 1, 300, 300)
	db.Close()

	s := mustOpen(t, path)
	ps, err := s.Load(testFlow)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 || ps[0].Path != "/d/app.log.1" || ps[0].Offset != 300 {
		t.Errorf("Load = %+v, want only /d/app.log.1@300", ps)
	}
}

func TestSaveUnderNewPathDeletesRowOfOldPath(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "checkpoints"))
	if err := s.Save([]record.Position{pos("/d/app.log", "(dev=803,ino=7)", 100)}); err != nil {
		t.Fatal(err)
	}
	// Renamed to app.log.1; a new app.log (new inode) appears.
	if err := s.Save([]record.Position{
		pos("/d/app.log.1", "(dev=803,ino=7)", 250),
		pos("/d/app.log", "(dev=803,ino=8)", 20),
	}); err != nil {
		t.Fatal(err)
	}
	ps, err := s.Load(testFlow)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]record.Position{}
	for _, p := range ps {
		got[p.Path] = p
	}
	if len(ps) != 2 || got["/d/app.log.1"].Offset != 250 || got["/d/app.log.1"].FileID != "(dev=803,ino=7)" ||
		got["/d/app.log"].Offset != 20 || got["/d/app.log"].FileID != "(dev=803,ino=8)" ||
		got["/d/app.log"].Fingerprint != "fp-(dev=803,ino=8)" {
		t.Errorf("Load = %+v", ps)
	}
	var n int
	if err := s.db.QueryRow("select count(*) from FILE_CHECKPOINTS").Scan(&n); err != nil || n != 2 {
		t.Errorf("FILE_CHECKPOINTS rows = %d (%v), want 2", n, err)
	}
	if err := s.db.QueryRow("select count(*) from GO_FILE_STATE").Scan(&n); err != nil || n != 2 {
		t.Errorf("GO_FILE_STATE rows = %d (%v), want 2", n, err)
	}
}

func TestFingerprintIsNotAttachedToARowJavaRewroteForAnotherFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "checkpoints")
	s := mustOpen(t, path)
	if err := s.Save([]record.Position{pos("/d/app.log", "(dev=803,ino=7)", 100)}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	db := javaDB(t, path)
	javaSave(t, db, testFlow, "/d/app.log", "(dev=803,ino=9)", 1, 10, 10) // Java ran meanwhile
	db.Close()
	s = mustOpen(t, path)
	ps, err := s.Load(testFlow)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 || ps[0].FileID != "(dev=803,ino=9)" || ps[0].Fingerprint != "" || !ps[0].JavaOnly {
		t.Errorf("Load = %+v, want ino=9 without fingerprint, Java's only", ps)
	}
}

func TestLoadReturnsAllFilesNewestFirst(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "checkpoints"))
	for i := range 3 {
		if err := s.Save([]record.Position{pos(fmt.Sprintf("/d/f%d", i), fmt.Sprintf("(dev=1,ino=%d)", i), int64(i))}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(3 * time.Millisecond)
	}
	ps, err := s.Load(testFlow)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, p := range ps {
		paths = append(paths, p.Path)
	}
	if strings.Join(paths, ",") != "/d/f2,/d/f1,/d/f0" {
		t.Errorf("Load order = %v", paths)
	}
	if ps, err := s.Load("no-such-flow"); err != nil || len(ps) != 0 {
		t.Errorf("Load(unknown) = %v, %v", ps, err)
	}
}

func TestDeleteExpiredDeletesOnlyOldRows(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "checkpoints"))
	if err := s.Save([]record.Position{
		pos("/d/old", "(dev=1,ino=1)", 1),
		pos("/d/edge", "(dev=1,ino=2)", 2),
		pos("/d/new", "(dev=1,ino=3)", 3),
	}); err != nil {
		t.Fatal(err)
	}
	age := func(path, modifier string) {
		if _, err := s.db.Exec(`update FILE_CHECKPOINTS set lastUpdated=strftime('%Y-%m-%d %H:%M:%f','now',?) where path=?`,
			modifier, path); err != nil {
			t.Fatal(err)
		}
	}
	age("/d/old", "-8 days")
	age("/d/edge", "-6 days")
	n, err := s.DeleteExpired(7)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("DeleteExpired = %d, want 1", n)
	}
	ps, _ := s.Load(testFlow)
	var paths []string
	for _, p := range ps {
		paths = append(paths, p.Path)
	}
	if len(paths) != 2 || strings.Contains(strings.Join(paths, ","), "/d/old") {
		t.Errorf("rows left: %v", paths)
	}
	var fp int
	if err := s.db.QueryRow(`select count(*) from GO_FILE_STATE where path='/d/old'`).Scan(&fp); err != nil || fp != 0 {
		t.Errorf("fingerprint of deleted row left behind: %d, %v", fp, err)
	}
	if n, err := s.DeleteExpired(7); err != nil || n != 0 {
		t.Errorf("second DeleteExpired = %d, %v", n, err)
	}
}

func TestSaveIsOneTransaction(t *testing.T) {
	path := filepath.Join(t.TempDir(), "checkpoints")
	s := mustOpen(t, path)
	if err := s.Save([]record.Position{pos("/d/f0", "(dev=1,ino=0)", 1)}); err != nil {
		t.Fatal(err)
	}
	// A trigger makes the INSERT of the 51st position fail inside SQLite,
	// after 50 positions (one of them an UPDATE) were already written.
	if _, err := s.db.Exec(`create trigger fail_f50 before insert on FILE_CHECKPOINTS when new.path='/d/f50' ` +
		`begin select raise(abort, 'forced failure'); end`); err != nil {
		t.Fatal(err)
	}
	var ps []record.Position
	for i := range 100 {
		ps = append(ps, pos(fmt.Sprintf("/d/f%d", i), fmt.Sprintf("(dev=1,ino=%d)", i), 1000+int64(i)))
	}
	err := s.Save(ps)
	if err == nil || !strings.Contains(err.Error(), "forced failure") || !strings.Contains(err.Error(), path) {
		t.Fatalf("Save = %v, want the forced failure naming %s", err, path)
	}
	got, err := s.Load(testFlow)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Offset != 1 {
		t.Fatalf("after failed Save: %d rows, first %+v; want only the earlier f0@1", len(got), got[0])
	}

	// The store stays usable, and without the trigger all 100 are saved.
	if _, err := s.db.Exec(`drop trigger fail_f50`); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(ps); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Load(testFlow); len(got) != 100 {
		t.Errorf("after Save: %d rows, want 100", len(got))
	}
}

func TestSaveRejectsPositionWithoutPathAndWritesNothing(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "checkpoints"))
	err := s.Save([]record.Position{pos("/d/a", "(dev=1,ino=1)", 1), {Flow: testFlow}})
	if err == nil {
		t.Fatal("Save accepted a position without a path")
	}
	if got, _ := s.Load(testFlow); len(got) != 0 {
		t.Errorf("rows after failed Save: %+v", got)
	}
}

func TestSavedPositionsSurviveReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "checkpoints")
	s := mustOpen(t, path)
	if err := s.Save([]record.Position{pos("/d/a", "(dev=1,ino=1)", 42)}); err != nil {
		t.Fatal(err)
	}
	// Reopen while the first store is still open (as a second process would).
	s2 := mustOpen(t, path)
	ps, err := s2.Load(testFlow)
	if err != nil || len(ps) != 1 || ps[0].Offset != 42 || ps[0].Fingerprint != "fp-(dev=1,ino=1)" {
		t.Errorf("Load from second handle = %+v, %v", ps, err)
	}
	var mode string
	if err := s.db.QueryRow("pragma journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v; want wal", mode, err)
	}
	var sync int
	if err := s.db.QueryRow("pragma synchronous").Scan(&sync); err != nil || sync != 2 {
		t.Errorf("synchronous = %d, %v; want 2 (FULL)", sync, err)
	}
}

func TestOpenCorruptFileNamesPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "checkpoints")
	if err := os.WriteFile(path, []byte(strings.Repeat("this is not a sqlite database\n", 200)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Open(path)
	if err == nil {
		t.Fatal("Open of a corrupt file succeeded")
	}
	if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "not a SQLite database") {
		t.Errorf("error %q does not name %s and the cause", err, path)
	}
}

func TestOpenTableWithoutJavaColumnsNamesPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "checkpoints")
	db := javaDB(t, path)
	if _, err := db.Exec(`create table FILE_CHECKPOINTS(flow text, path text)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err := Open(path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "columns") {
		t.Errorf("Open = %v, want a schema error naming %s", err, path)
	}
}

func TestOpenInReadOnlyDirectoryNamesPath(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root ignores directory permissions; TestOpenOnReadOnlyFilesystemNamesPath covers root")
	}
	dir := filepath.Join(t.TempDir(), "ro")
	if err := os.Mkdir(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	path := filepath.Join(dir, "checkpoints")
	_, err := Open(path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "write access") {
		t.Errorf("Open = %v, want an error naming %s", err, path)
	}
	_, err = Open(filepath.Join(dir, "sub", "checkpoints"))
	if err == nil || !strings.Contains(err.Error(), "create directory") {
		t.Errorf("Open in an uncreatable directory = %v", err)
	}
}

func TestOpenOnReadOnlyFilesystemNamesPath(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("uses /proc, read-only for every user")
	}
	path := "/proc/checkpoints"
	_, err := Open(path)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("Open = %v, want an error naming %s", err, path)
	}
}

func TestOpenWhereParentIsAFileNamesPath(t *testing.T) {
	parent := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(parent, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(parent, "checkpoints")
	_, err := Open(path)
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "create directory") {
		t.Errorf("Open = %v, want a create-directory error naming %s", err, path)
	}
}

func TestClosedStoreReturnsErrClosed(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "checkpoints"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	if err := s.Save([]record.Position{pos("/a", "", 1)}); err != ErrClosed {
		t.Errorf("Save = %v", err)
	}
	if _, err := s.Load(testFlow); err != ErrClosed {
		t.Errorf("Load = %v", err)
	}
	if _, err := s.DeleteExpired(1); err != ErrClosed {
		t.Errorf("DeleteExpired = %v", err)
	}
}

func TestPathWithURICharactersIsUsedLiterally(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a?b#c%20d")
	path := filepath.Join(dir, "checkpoints")
	s := mustOpen(t, path)
	if err := s.Save([]record.Position{pos("/x", "(dev=1,ino=1)", 1)}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := os.Stat(path); err != nil {
		t.Errorf("database not at the literal path: %v", err)
	}
}

func TestRenameBackAndForthLeavesOneRow(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "checkpoints"))
	for i, path := range []string{"/d/a", "/d/a", "/d/b", "/d/a", "/d/a"} {
		if err := s.Save([]record.Position{pos(path, "(dev=1,ino=7)", int64(10*(i+1)))}); err != nil {
			t.Fatal(err)
		}
	}
	ps, err := s.Load(testFlow)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 || ps[0].Path != "/d/a" || ps[0].Offset != 50 || ps[0].Fingerprint != "fp-(dev=1,ino=7)" {
		t.Errorf("Load = %+v, want only /d/a@50 with its fingerprint", ps)
	}
	var n int
	if err := s.db.QueryRow("select count(*) from GO_FILE_STATE").Scan(&n); err != nil || n != 1 {
		t.Errorf("GO_FILE_STATE rows = %d (%v), want 1", n, err)
	}
}

func TestSaveRecreatesRowDeletedBehindItsBack(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "checkpoints"))
	p := pos("/d/a", "(dev=1,ino=7)", 10)
	if err := s.Save([]record.Position{p}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"delete from FILE_CHECKPOINTS", "delete from GO_FILE_STATE"} {
		if _, err := s.db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	p.Offset = 20
	if err := s.Save([]record.Position{p}); err != nil {
		t.Fatal(err)
	}
	ps, err := s.Load(testFlow)
	if err != nil || len(ps) != 1 || ps[0].Offset != 20 || ps[0].Fingerprint != p.Fingerprint {
		t.Errorf("Load = %+v, %v", ps, err)
	}
}

func TestConcurrentSavesOfSeveralFlows(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "checkpoints"))
	const flows, rounds = 4, 25
	errs := make(chan error, flows)
	for f := range flows {
		go func() {
			var err error
			for r := range rounds {
				p := pos("/d/a", "(dev=1,ino=1)", int64(r))
				p.Flow = fmt.Sprintf("flow-%d", f)
				if err = s.Save([]record.Position{p}); err != nil {
					break
				}
				if _, err = s.Load(p.Flow); err != nil {
					break
				}
			}
			errs <- err
		}()
	}
	for range flows {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for f := range flows {
		ps, err := s.Load(fmt.Sprintf("flow-%d", f))
		if err != nil || len(ps) != 1 || ps[0].Offset != rounds-1 {
			t.Errorf("flow %d: %+v, %v", f, ps, err)
		}
	}
}

// checkpoints.queryTimeoutSeconds bounds how long the TTL delete at start
// waits for a lock another process holds (Java: setQueryTimeout on that
// statement), whatever the store's own busy timeout.
func TestDeleteExpiredWaitsForALockAtMostTheQueryTimeout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "checkpoints")
	s, err := Open(path, WithBusyTimeout(60*time.Second), WithQueryTimeout(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	other, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := s.DeleteExpired(7); done <- err }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("DeleteExpired succeeded while another process held the write lock")
		}
	case <-time.After(30 * time.Second): // the busy timeout is 60 s
		t.Fatal("DeleteExpired still waiting after 30 s: the query timeout (200 ms) was not applied")
	}
	_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
	if err := s.Save([]record.Position{pos("/d/a.log", "(dev=1,ino=2)", 1)}); err != nil {
		t.Fatalf("save after the delete: %v", err)
	}
}

// The store's cache of rows saved since open is bounded: an agent that
// sees a new file per run for months does not hold one entry per file
// ever saved (it held up to 100,000, ~40 MB).
func TestRowCacheStaysBounded(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "cp"))
	for b := 0; b < 12; b++ {
		ps := make([]record.Position, 0, 1000)
		for i := 0; i < 1000; i++ {
			k := b*1000 + i
			ps = append(ps, pos(fmt.Sprintf("/var/log/airline_tickets/t-%06d.log", k), fmt.Sprintf("(dev=fd01,ino=%d)", 100000+k), 10))
		}
		if err := s.Save(ps); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(s.last); n > 10_000 {
		t.Fatalf("%d cached rows after 12,000 files, want at most 10,000", n)
	}
}

// A row this agent saved is its own even without a fingerprint (a file
// that was empty): only rows without its state are the Java agent's.
func TestARowSavedWithoutFingerprintIsNotTakenForJavas(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "checkpoints"))
	p := pos("/d/empty.log", "(dev=803,ino=5)", 0)
	p.Fingerprint = ""
	if err := s.Save([]record.Position{p}); err != nil {
		t.Fatal(err)
	}
	ps, err := s.Load(testFlow)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 || ps[0].JavaOnly {
		t.Errorf("Load = %+v, want one row of this agent's", ps)
	}
}

// What the warning of checkpointTimeToLiveDays 0 says (agent/config): with
// Java's query, 0 deletes every row, even one saved a second ago, and a
// negative number deletes none ('+-1 days' is not a modifier SQLite reads:
// the condition is NULL), however old.
func TestATTLOfZeroDeletesEveryRowAndANegativeOneNone(t *testing.T) {
	s := mustOpen(t, filepath.Join(t.TempDir(), "checkpoints"))
	save := func() {
		t.Helper()
		if err := s.Save([]record.Position{pos("/d/a", "(dev=1,ino=1)", 1)}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.db.Exec(`update FILE_CHECKPOINTS set lastUpdated=strftime('%Y-%m-%d %H:%M:%f','now','-1 seconds')`); err != nil {
			t.Fatal(err)
		}
	}
	save()
	if n, err := s.DeleteExpired(0); err != nil || n != 1 {
		t.Errorf("ttl 0: deleted %d (%v), want the row saved a second ago", n, err)
	}
	save()
	if _, err := s.db.Exec(`update FILE_CHECKPOINTS set lastUpdated=strftime('%Y-%m-%d %H:%M:%f','now','-4000 days')`); err != nil {
		t.Fatal(err)
	}
	if n, err := s.DeleteExpired(-1); err != nil || n != 0 {
		t.Errorf("ttl -1: deleted %d (%v), want none, even 4000 days old", n, err)
	}
}

// Before 2026-11-23 this agent wrote a high inode (2^63 or more: Amazon
// EFS) unsigned, where Java and the tailer now write it signed: such a row
// loads in the signed spelling, with its fingerprint, so that its file
// resumes after the upgrade, and a save of the file under a new name
// deletes the old-spelled row of its old name.
func TestRowOfOursWithAHighInodeSpelledUnsignedLoadsInJavasSignedSpelling(t *testing.T) {
	path := filepath.Join(t.TempDir(), "checkpoints")
	const legacy, signed = "(dev=2e,ino=13828537608286807988)", "(dev=2e,ino=-4618206465422743628)"
	s := mustOpen(t, path)
	if err := s.Save([]record.Position{pos("/d/app.log", legacy, 100)}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s = mustOpen(t, path)
	ps, err := s.Load(testFlow)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 || ps[0].FileID != signed || ps[0].Offset != 100 || ps[0].Fingerprint != "fp-"+legacy || ps[0].JavaOnly {
		t.Fatalf("Load = %+v, want /d/app.log@100 as %s with its fingerprint", ps, signed)
	}
	// Renamed while the agent was down; saved under the new name now.
	if err := s.Save([]record.Position{pos("/d/app.log.1", signed, 150)}); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.db.QueryRow("select count(*) from FILE_CHECKPOINTS where fileId=?", legacy).Scan(&n); err != nil || n != 0 {
		t.Errorf("%d rows left in the old spelling (%v), want 0", n, err)
	}
	ps, _ = s.Load(testFlow)
	if len(ps) != 1 || ps[0].Path != "/d/app.log.1" || ps[0].FileID != signed || ps[0].Offset != 150 {
		t.Errorf("after the save under the new name: %+v", ps)
	}
	// Other ids are left as they are.
	for _, id := range []string{"(dev=803,ino=12)", "(dev=803,ino=9223372036854775807)", signed, "", "garbage", "(dev=1,ino=x)"} {
		if got := signedFileID(id); got != id {
			t.Errorf("signedFileID(%q) = %q", id, got)
		}
	}
	if got := legacyFileID(signed); got != legacy {
		t.Errorf("legacyFileID(%s) = %s, want %s", signed, got, legacy)
	}
}
