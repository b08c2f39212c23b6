package checkpoint

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"

	"modernc.org/sqlite" // registers the "sqlite" database/sql driver (pure Go)
	sqlite3 "modernc.org/sqlite/lib"
)

const (
	// DefaultPath is where the agent keeps checkpoints when checkpointFile
	// is not configured. Java's default is under /var/run, which is wiped
	// on reboot; see the package documentation.
	DefaultPath = "/var/lib/aws-kinesis-agent/checkpoints"
	// JavaDefaultPath is the Java agent's default checkpointFile.
	JavaDefaultPath = "/var/run/aws-kinesis-agent/checkpoints"

	// DefaultBusyTimeout is how long a statement waits for a lock held by
	// another connection (another process) before failing.
	DefaultBusyTimeout = 5 * time.Second

	// TimeLayout is the text layout of lastUpdated (UTC), as written by
	// SQLite's strftime('%Y-%m-%d %H:%M:%f','now').
	TimeLayout = "2006-01-02 15:04:05.000"
)

// ErrClosed is returned by the methods of a closed Store.
var ErrClosed = errors.New("checkpoint store is closed")

// Java's DDL, byte for byte (sqlite_master keeps the text).
const javaDDL = "create table if not exists FILE_CHECKPOINTS(" +
	"       flow text," +
	"       path text," +
	"       fileId text," +
	"       lastModifiedTime bigint," +
	"       size bigint," +
	"       offset bigint," +
	"       lastUpdated datetime," +
	"       primary key (flow, path))"

const goDDL = `create table if not exists GO_FILE_STATE(
	flow text not null,
	path text not null,
	fileId text,
	fingerprint text,
	primary key (flow, path))`

// Indexes for the rename deletes in Save (by flow and fileId). An extra
// index on Java's table changes nothing for Java, which never names it.
const (
	goIndexCheckpoints = `create index if not exists GO_FILE_CHECKPOINTS_FILEID on FILE_CHECKPOINTS(flow, fileId)`
	goIndexState       = `create index if not exists GO_FILE_STATE_FILEID on GO_FILE_STATE(flow, fileId)`
)

const (
	sqlNow = `strftime('%Y-%m-%d %H:%M:%f','now')`

	sqlUpdate = `update FILE_CHECKPOINTS set fileId=?, offset=?, lastModifiedTime=?, size=?, ` +
		`lastUpdated=` + sqlNow + ` where flow=? and path=?`
	sqlInsert = `insert into FILE_CHECKPOINTS(flow, path, fileId, lastModifiedTime, size, offset, lastUpdated) ` +
		`values(?, ?, ?, ?, ?, ?, ` + sqlNow + `)`
	sqlDeleteRenamed   = `delete from FILE_CHECKPOINTS where flow=? and fileId=? and path<>?`
	sqlDeleteRenamedGo = `delete from GO_FILE_STATE where flow=? and fileId=? and path<>?`
	sqlUpsertGo        = `insert into GO_FILE_STATE(flow, path, fileId, fingerprint) values(?, ?, ?, ?) ` +
		`on conflict(flow, path) do update set fileId=excluded.fileId, fingerprint=excluded.fingerprint`

	// lastUpdated is cast to text: the driver would otherwise parse the
	// datetime column itself, and we want Java's text as it is.
	sqlLoad = `select f.path, f.fileId, f.lastModifiedTime, f.size, f.offset, ` +
		`cast(f.lastUpdated as text), g.fingerprint ` +
		`from FILE_CHECKPOINTS f left join GO_FILE_STATE g ` +
		`on g.flow=f.flow and g.path=f.path and g.fileId=f.fileId ` +
		`where f.flow=? order by f.lastUpdated desc, f.rowid desc`

	sqlDeleteOrphansGo = `delete from GO_FILE_STATE where not exists (select 1 from FILE_CHECKPOINTS f ` +
		`where f.flow=GO_FILE_STATE.flow and f.path=GO_FILE_STATE.path)`
)

// Option configures Open.
type Option func(*options)

type options struct {
	busyTimeout  time.Duration
	queryTimeout time.Duration
}

// WithQueryTimeout sets how long the TTL delete at startup waits for a lock
// held by another process (checkpoints.queryTimeoutSeconds, Java's
// setQueryTimeout on that statement); 0 keeps the busy timeout.
func WithQueryTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.queryTimeout = d
		}
	}
}

// WithBusyTimeout sets how long a statement waits for a lock held by another
// process (default DefaultBusyTimeout).
func WithBusyTimeout(d time.Duration) Option {
	return func(o *options) {
		if d >= 0 {
			o.busyTimeout = d
		}
	}
}

// Store is an open checkpoint database. Its methods are safe for concurrent
// use; all statements go through one connection, so they run one at a time.
// A Store expects to be the only writer of its file while it is open (as
// the agent is); other processes may read it at any time.
type Store struct {
	path string
	opts options
	dsn  string

	// dbMu serializes the database's users, so that a Save that finds the
	// file deleted or replaced can reopen it (db, statements, fi).
	dbMu sync.Mutex
	db   *sql.DB
	fi   os.FileInfo // the file as opened: Save checks it is still there
	// last holds, per (flow, path), the position this Store committed
	// last (guarded by dbMu). A position with the same fileId and
	// fingerprint skips the rename deletes and fingerprint upsert, which
	// already ran (the UPDATE alone suffices; one that finds no row falls
	// back to the full path); and every position is written back if the
	// file is deleted or replaced while running.
	last map[rowKey]record.Position

	mu     sync.Mutex // guards closed
	closed bool

	update, insert, delRenamed, delRenamedGo, upsertGo *sql.Stmt
}

type rowKey struct{ flow, path string }

// maxKnown bounds last (one entry per file saved since Open, ~400 bytes
// each): 4 MB at most, for an agent that sees a new file per run for
// months. When it is reached the cache starts again (the next save of each
// file rewrites its fingerprint row; a recreate writes back what is known).
const maxKnown = 10_000

// Open opens (creating it and its parent directories if needed) the
// checkpoint database at path, creates Java's table and ours if missing, and
// checks that an existing FILE_CHECKPOINTS table has Java's columns. Errors
// name the path.
func Open(path string, opts ...Option) (*Store, error) {
	o := options{busyTimeout: DefaultBusyTimeout}
	for _, f := range opts {
		f(&o)
	}
	if path == "" {
		return nil, errors.New("checkpoint: open: empty path")
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: open %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return nil, fmt.Errorf("checkpoint: open %s: create directory: %w", abs, err)
	}
	if fi, err := os.Stat(abs); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("checkpoint: open %s: is a directory", abs)
	}

	dsn := fileURI(abs) +
		fmt.Sprintf("?_pragma=busy_timeout(%d)", o.busyTimeout.Milliseconds()) +
		"&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(FULL)" +
		"&_txlock=immediate"
	db, err := openDB(dsn)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: open %s: %w", abs, err)
	}

	s := &Store{path: abs, opts: o, dsn: dsn, db: db, last: map[rowKey]record.Position{}}
	if err := s.init(); err != nil {
		db.Close()
		return nil, fmt.Errorf("checkpoint: open %s: %w%s", abs, err, hint(err, abs))
	}
	if s.fi, err = os.Stat(abs); err != nil {
		s.Close()
		return nil, fmt.Errorf("checkpoint: open %s: %w", abs, err)
	}
	return s, nil
}

// openDB opens dsn with one connection: statements of this process never
// contend for SQLite's locks among themselves, and the WAL stays attached
// to one handle.
func openDB(dsn string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	return db, nil
}

// reopen opens the database file again after it was deleted or replaced
// (SQLite would go on writing to the deleted file). Called with dbMu held.
func (s *Store) reopen() error {
	s.closeStatements()
	s.db.Close()
	// Its directory may be gone too (rm -rf of the state directory).
	if err := os.MkdirAll(filepath.Dir(s.path), 0o755); err != nil {
		return fmt.Errorf("create directory: %w", err)
	}
	db, err := openDB(s.dsn)
	if err != nil {
		return err
	}
	s.db = db
	if err := s.init(); err != nil {
		return err
	}
	fi, err := os.Stat(s.path)
	if err != nil {
		return err
	}
	s.fi = fi
	return nil
}

// gone reports whether the file opened is no longer at the path.
func (s *Store) gone() bool {
	fi, err := os.Stat(s.path)
	return err != nil || !os.SameFile(fi, s.fi)
}

// ErrRecreated is wrapped by the error of a Save that found the checkpoint
// file deleted or replaced while running: it recreated the file, wrote back
// every position saved since start with ps, and committed them. The error
// names the file; saving ps again is harmless.
var ErrRecreated = errors.New("was deleted or replaced while the agent ran: recreated it and wrote back the positions saved since start")

// quickCheck returns the first problems PRAGMA quick_check finds ("" when
// none).
func (s *Store) quickCheck(ctx context.Context) (string, error) {
	rows, err := s.db.QueryContext(ctx, "PRAGMA quick_check(4)")
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			return "", err
		}
		if l != "ok" {
			lines = append(lines, strings.ReplaceAll(l, "\n", " "))
		}
	}
	return strings.Join(lines, "; "), rows.Err()
}

// errDamaged is the integrity check's failure at open.
var errDamaged = errors.New("the database is damaged (PRAGMA quick_check)")

// hint adds a human explanation for the SQLite errors an operator meets
// with the checkpoint file at path.
func hint(err error, path string) string {
	if errors.Is(err, errDamaged) {
		return " (move it away or point checkpointFile elsewhere; the agent then starts without positions, as on a first start)"
	}
	if errors.Is(err, errNotWritable) {
		return "" // whyNotWritable said it
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return ""
	}
	// A full file system: SQLITE_FULL, or SQLITE_IOERR_SHMSIZE from the
	// 32 KiB -shm file WAL mode writes at every open; out of inodes, the
	// -wal or -shm cannot be created at all (SQLITE_CANTOPEN).
	if c := se.Code(); c&0xff == sqlite3.SQLITE_FULL || c == sqlite3.SQLITE_IOERR_SHMSIZE ||
		(c&0xff == sqlite3.SQLITE_CANTOPEN || c&0xff == sqlite3.SQLITE_IOERR) && fsFull(filepath.Dir(path)) {
		return fmt.Sprintf(" (the file system holding %s is full (or out of inodes): free space; the checkpoint file needs about 32 KiB beside it to open)", filepath.Dir(path))
	}
	switch se.Code() & 0xff { // primary result code
	case sqlite3.SQLITE_NOTADB:
		return " (the file is not a SQLite database: move it away or point checkpointFile elsewhere)"
	case sqlite3.SQLITE_CORRUPT:
		return " (the database is corrupt: move it away or point checkpointFile elsewhere)"
	case sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM:
		return " (the agent needs write access to the file and its directory)"
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return " (another process holds the file: another agent, or a Java agent still running, using the same checkpointFile; stop it, or give each agent its own checkpointFile)"
	}
	return ""
}

// fsFull reports whether the file system holding dir has less room than
// the -shm file needs (32 KiB) or no free inode left.
func fsFull(dir string) bool {
	var st unix.Statfs_t
	if unix.Statfs(dir, &st) != nil {
		return false
	}
	return uint64(st.Bavail)*uint64(st.Bsize) < 32<<10 || st.Files > 0 && st.Ffree == 0
}

// fileURI turns an absolute path into a SQLite file: URI, escaping the
// characters that URI parsing (the driver's and SQLite's) would take.
func fileURI(abs string) string {
	r := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")
	return "file:" + r.Replace(abs)
}

func (s *Store) init() error {
	ctx := context.Background()
	if err := s.db.PingContext(ctx); err != nil {
		return err
	}
	// A damaged file must stop the start, not fail every save for the
	// life of the process (quick_check: the b-trees, not the row values;
	// milliseconds for a checkpoint file).
	if problems, err := s.quickCheck(ctx); err != nil {
		return err
	} else if problems != "" {
		return fmt.Errorf("%w: %s", errDamaged, problems)
	}
	// SQLite opens a file it may not write read-only, silently, and every
	// statement below is a no-op on an existing database: the agent would
	// start, fail every save and send everything again at each restart.
	// A write rolled back (probeWrite) is refused on such a file, or on a
	// -wal it may not write.
	if err := s.probeWrite(ctx); err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, javaDDL); err != nil {
		return fmt.Errorf("create FILE_CHECKPOINTS: %w", err)
	}
	// An existing table must have Java's columns.
	rows, err := s.db.QueryContext(ctx,
		`select flow, path, fileId, lastModifiedTime, size, offset, lastUpdated from FILE_CHECKPOINTS limit 0`)
	if err != nil {
		return fmt.Errorf("FILE_CHECKPOINTS does not have the Java agent's columns: %w", err)
	}
	rows.Close()
	if _, err := s.db.ExecContext(ctx, goDDL); err != nil {
		return fmt.Errorf("create GO_FILE_STATE: %w", err)
	}
	for _, q := range []string{goIndexCheckpoints, goIndexState} {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("create index: %w", err)
		}
	}

	prep := func(q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var st *sql.Stmt
		st, err = s.db.PrepareContext(ctx, q)
		return st
	}
	s.update = prep(sqlUpdate)
	s.insert = prep(sqlInsert)
	s.delRenamed = prep(sqlDeleteRenamed)
	s.delRenamedGo = prep(sqlDeleteRenamedGo)
	s.upsertGo = prep(sqlUpsertGo)
	if err != nil {
		return fmt.Errorf("prepare statements: %w", err)
	}
	return nil
}

// errNotWritable is wrapped by the error of Open when the database file, or
// its -wal or -shm file, opened read-only.
var errNotWritable = errors.New("the agent cannot write it")

// probeWrite creates a table in a transaction it rolls back (nothing
// reaches the file): SQLITE_READONLY there means the file opened
// read-only. (BEGIN IMMEDIATE alone is no test: SQLite turns it into a
// read transaction on a read-only database.)
func (s *Store) probeWrite(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err == nil {
		_, err = tx.ExecContext(ctx, `create table GO_WRITE_PROBE(x)`)
		if rerr := tx.Rollback(); err == nil {
			return rerr
		}
	}
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_READONLY {
		return fmt.Errorf("%w: %w%s", err, errNotWritable, whyNotWritable(s.path))
	}
	if errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY {
		// Another connection writes (an operator's sqlite3 shell): the
		// file is writable, only busy; saves wait and retry as ever.
		return nil
	}
	return err
}

// whyNotWritable says which of the database file and its -wal and -shm
// files this process may not write, with owner and mode, and how to give
// them back (the generic advice when it cannot tell: root passes every
// mode check).
func whyNotWritable(path string) string {
	euid := os.Geteuid()
	var names, which []string
	mine := true
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		if err != nil {
			continue
		}
		aerr := unix.Access(p, unix.W_OK)
		if aerr == nil {
			continue
		}
		if errors.Is(aerr, syscall.EROFS) {
			return fmt.Sprintf(": %s is on a read-only file system", p)
		}
		uid := -1
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			uid = int(st.Uid)
		}
		mine = mine && uid == euid
		names = append(names, p)
		w := fmt.Sprintf("owner uid %d, mode %v", uid, fi.Mode().Perm())
		if p != path {
			w = p + ": " + w
		}
		which = append(which, w)
	}
	switch {
	case len(names) == 0:
		return " (the agent needs write access to the file and its directory)"
	case mine:
		return fmt.Sprintf(": %s: make it writable (chmod u+w %s)", strings.Join(which, "; "), strings.Join(names, " "))
	}
	return fmt.Sprintf(": %s, and the agent runs as uid %d (as a run as root leaves it): chown it to the service's user (sudo chown %d %s)",
		strings.Join(which, "; "), euid, euid, strings.Join(names, " "))
}

func (s *Store) closeStatements() {
	for _, st := range []*sql.Stmt{s.update, s.insert, s.delRenamed, s.delRenamedGo, s.upsertGo} {
		if st != nil {
			st.Close()
		}
	}
}

// Path returns the absolute path of the database file.
func (s *Store) Path() string { return s.path }

func (s *Store) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// Load returns the saved positions of flow, most recently updated first.
// When several rows share a fileId (Java keeps the pre-rename path of a
// renamed file), only the most recently updated one is returned. Updated
// is lastUpdated (UTC); ModTime comes from lastModifiedTime (epoch ms).
func (s *Store) Load(flow string) ([]record.Position, error) {
	if s.isClosed() {
		return nil, ErrClosed
	}
	s.dbMu.Lock()
	defer s.dbMu.Unlock()
	rows, err := s.db.Query(sqlLoad, flow)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: load flow %s from %s: %w", flow, s.path, err)
	}
	defer rows.Close()
	var out []record.Position
	seen := map[string]bool{}
	for rows.Next() {
		var (
			path, fileID, updated, fingerprint sql.NullString
			mtime, size, offset                sql.NullInt64
		)
		if err := rows.Scan(&path, &fileID, &mtime, &size, &offset, &updated, &fingerprint); err != nil {
			return nil, fmt.Errorf("checkpoint: load flow %s from %s: %w", flow, s.path, err)
		}
		if !path.Valid {
			continue
		}
		id := signedFileID(fileID.String) // (a row of ours from before 2026-11-23 may spell a high inode unsigned)
		if id != "" {
			if seen[id] {
				continue
			}
			seen[id] = true
		}
		p := record.Position{
			Flow:        flow,
			Path:        path.String,
			FileID:      id,
			Fingerprint: fingerprint.String,
			Size:        size.Int64,
			Offset:      offset.Int64,
			Updated:     parseUpdated(updated.String),
			JavaOnly:    !fingerprint.Valid,
		}
		if mtime.Valid && mtime.Int64 != 0 { // Save writes 0 for a zero ModTime
			p.ModTime = time.UnixMilli(mtime.Int64)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("checkpoint: load flow %s from %s: %w", flow, s.path, err)
	}
	return out, nil
}

// parseUpdated reads lastUpdated text (Java writes "YYYY-MM-DD HH:MM:SS.SSS";
// other SQLite datetime texts are accepted too). Unparsable text is zero.
func parseUpdated(v string) time.Time {
	for _, layout := range []string{TimeLayout, "2006-01-02 15:04:05", time.RFC3339Nano, "2006-01-02T15:04:05.000"} {
		if t, err := time.ParseInLocation(layout, v, time.UTC); err == nil {
			return t
		}
	}
	return time.Time{}
}

// Save writes ps in one transaction: for each position, UPDATE the row of
// (flow, path), else INSERT it (Java's statements); lastUpdated is set by
// SQL to strftime('%Y-%m-%d %H:%M:%f','now') and Position.Updated is
// ignored. Rows of the same flow and fileId under another path (the file's
// pre-rename names) are deleted in the same transaction. Either every
// position is saved or, on error, none is. When Save returns nil the
// transaction is on disk (fsynced). Save does not keep ps.
func (s *Store) Save(ps []record.Position) (err error) {
	if len(ps) == 0 {
		return nil
	}
	defer func() {
		if h := hint(err, s.path); h != "" && !strings.HasSuffix(err.Error(), h) {
			err = fmt.Errorf("%w%s", err, h) // what to do about it, in the ERROR line
		}
	}()
	if s.isClosed() {
		return ErrClosed
	}
	s.dbMu.Lock()
	defer s.dbMu.Unlock()
	var recreated error
	if s.gone() {
		if err := s.reopen(); err != nil {
			return fmt.Errorf("checkpoint: %s was deleted or replaced while the agent ran, and reopening it failed: %w", s.path, err) // (hint added by the deferred wrapper)
		}
		all := make([]record.Position, 0, len(s.last)+len(ps))
		for _, p := range s.last {
			all = append(all, p)
		}
		recreated = fmt.Errorf("checkpoint: %s %w (%d)", s.path, ErrRecreated, len(all))
		ps = append(all, ps...)
	}
	defer func() {
		if err == nil {
			err = recreated
		}
	}()
	tx, err := s.db.Begin()
	if err != nil {
		return fmt.Errorf("checkpoint: save to %s: begin: %w", s.path, err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	update, insert := tx.Stmt(s.update), tx.Stmt(s.insert)
	delRenamed, delRenamedGo, upsertGo := tx.Stmt(s.delRenamed), tx.Stmt(s.delRenamedGo), tx.Stmt(s.upsertGo)
	known := make([]bool, len(ps))
	for i := range ps {
		m, ok := s.last[rowKey{ps[i].Flow, ps[i].Path}]
		known[i] = ok && m.FileID == ps[i].FileID && m.Fingerprint == ps[i].Fingerprint
	}
	for i := range ps {
		p := &ps[i]
		if p.Flow == "" || p.Path == "" {
			return fmt.Errorf("checkpoint: save to %s: position %d has an empty flow or path", s.path, i)
		}
		mtime := p.ModTime.UnixMilli()
		if p.ModTime.IsZero() {
			mtime = 0
		}
		res, err := update.Exec(p.FileID, p.Offset, mtime, p.Size, p.Flow, p.Path)
		if err != nil {
			return fmt.Errorf("checkpoint: save %s@%d to %s: %w", p.Path, p.Offset, s.path, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			known[i] = false
			if _, err := insert.Exec(p.Flow, p.Path, p.FileID, mtime, p.Size, p.Offset); err != nil {
				return fmt.Errorf("checkpoint: save %s@%d to %s: %w", p.Path, p.Offset, s.path, err)
			}
		}
		if known[i] {
			continue
		}
		if p.FileID != "" {
			if _, err := delRenamed.Exec(p.Flow, p.FileID, p.Path); err != nil {
				return fmt.Errorf("checkpoint: save %s@%d to %s: %w", p.Path, p.Offset, s.path, err)
			}
			if _, err := delRenamedGo.Exec(p.Flow, p.FileID, p.Path); err != nil {
				return fmt.Errorf("checkpoint: save %s@%d to %s: %w", p.Path, p.Offset, s.path, err)
			}
			if legacy := legacyFileID(p.FileID); legacy != "" { // its rows from before 2026-11-23
				if _, err := delRenamed.Exec(p.Flow, legacy, p.Path); err != nil {
					return fmt.Errorf("checkpoint: save %s@%d to %s: %w", p.Path, p.Offset, s.path, err)
				}
				if _, err := delRenamedGo.Exec(p.Flow, legacy, p.Path); err != nil {
					return fmt.Errorf("checkpoint: save %s@%d to %s: %w", p.Path, p.Offset, s.path, err)
				}
			}
		}
		if _, err := upsertGo.Exec(p.Flow, p.Path, p.FileID, p.Fingerprint); err != nil {
			return fmt.Errorf("checkpoint: save %s@%d to %s: %w", p.Path, p.Offset, s.path, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("checkpoint: save to %s: commit: %w", s.path, err)
	}
	if len(s.last)+len(ps) > maxKnown {
		clear(s.last)
	}
	// Rows of the same file id under other paths were deleted above for
	// the positions not known: forget them here too, or a recreate after
	// the file is deleted would write them back (in map order, over the
	// current one). One pass over the cache, whatever the number of
	// positions (all of them after a recreate).
	type fileRef struct{ flow, fileID string }
	var moved map[fileRef]string // the path each file id is saved under now
	for i := range ps {
		if !known[i] && ps[i].FileID != "" {
			if moved == nil {
				moved = map[fileRef]string{}
			}
			moved[fileRef{ps[i].Flow, ps[i].FileID}] = ps[i].Path
		}
	}
	if moved != nil {
		for k, m := range s.last {
			if p, ok := moved[fileRef{k.flow, m.FileID}]; ok && p != k.path {
				delete(s.last, k)
			}
		}
	}
	for i := range ps {
		s.last[rowKey{ps[i].Flow, ps[i].Path}] = ps[i]
	}
	return nil
}

// DeleteExpired deletes the rows not updated for ttlDays days, with Java's
// condition datetime(lastUpdated, '+<ttlDays> days') < CURRENT_TIMESTAMP,
// and the fingerprints of rows that no longer exist. It returns the number
// of FILE_CHECKPOINTS rows deleted.
func (s *Store) DeleteExpired(ttlDays int) (n int, err error) {
	if s.isClosed() {
		return 0, ErrClosed
	}
	s.dbMu.Lock()
	defer s.dbMu.Unlock()
	if qt := s.opts.queryTimeout; qt > 0 && qt != s.opts.busyTimeout {
		// One connection: the pragma holds for this statement, then the
		// store's own busy timeout comes back.
		if _, err := s.db.Exec(fmt.Sprintf("PRAGMA busy_timeout = %d", qt.Milliseconds())); err == nil {
			defer s.db.Exec(fmt.Sprintf("PRAGMA busy_timeout = %d", s.opts.busyTimeout.Milliseconds()))
		}
	}
	tx, err := s.db.Begin()
	if err != nil {
		return 0, fmt.Errorf("checkpoint: delete expired in %s: begin: %w", s.path, err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	del := fmt.Sprintf(`delete from FILE_CHECKPOINTS where datetime(lastUpdated, '+%d days') < CURRENT_TIMESTAMP`, ttlDays)
	var deleted int64
	var gone []rowKey // cached rows deleted: their write-back goes with them
	if len(s.last) == 0 {
		// (At a start: nothing cached to forget, however many rows go.)
		res, err := tx.Exec(del)
		if err != nil {
			return 0, fmt.Errorf("checkpoint: delete expired in %s: %w", s.path, err)
		}
		if deleted, err = res.RowsAffected(); err != nil {
			return 0, fmt.Errorf("checkpoint: delete expired in %s: %w", s.path, err)
		}
	} else {
		// The deleted rows themselves (one statement: a row expiring
		// between a select and the delete would be deleted and still
		// written back).
		rows, err := tx.Query(del + ` returning flow, path`)
		if err != nil {
			return 0, fmt.Errorf("checkpoint: delete expired in %s: %w", s.path, err)
		}
		for rows.Next() {
			deleted++
			var k rowKey
			if err = rows.Scan(&k.flow, &k.path); err != nil {
				break
			}
			if _, ok := s.last[k]; ok {
				gone = append(gone, k)
			}
		}
		if err = errors.Join(err, rows.Err(), rows.Close()); err != nil {
			return 0, fmt.Errorf("checkpoint: delete expired in %s: %w", s.path, err)
		}
	}
	if _, err := tx.Exec(sqlDeleteOrphansGo); err != nil {
		return 0, fmt.Errorf("checkpoint: delete expired in %s: %w", s.path, err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("checkpoint: delete expired in %s: commit: %w", s.path, err)
	}
	// Those rows are gone: the next save of each takes the full path, and a
	// file recreated while the agent runs does not get them back. (It runs
	// every hour: the others' write-back stays.)
	for _, k := range gone {
		delete(s.last, k)
	}
	return int(deleted), nil
}

// Close closes the database; the write-ahead log is folded into the main
// file. Calling Close again returns nil.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.dbMu.Lock()
	defer s.dbMu.Unlock()
	s.closeStatements()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("checkpoint: close %s: %w", s.path, err)
	}
	return nil
}

// Flows returns the flow ids that have rows, in no order.
func (s *Store) Flows() ([]string, error) {
	if s.isClosed() {
		return nil, ErrClosed
	}
	s.dbMu.Lock()
	defer s.dbMu.Unlock()
	rows, err := s.db.Query(`select distinct flow from FILE_CHECKPOINTS`)
	if err != nil {
		return nil, fmt.Errorf("checkpoint: list flows in %s: %w", s.path, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var f sql.NullString
		if err := rows.Scan(&f); err != nil {
			return nil, fmt.Errorf("checkpoint: list flows in %s: %w", s.path, err)
		}
		if f.Valid {
			out = append(out, f.String)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("checkpoint: list flows in %s: %w", s.path, err)
	}
	return out, nil
}
