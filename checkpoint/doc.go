// Package checkpoint stores durable per-file offsets in a SQLite database
// that the Java Amazon Kinesis Agent can read and write too.
//
// # File format
//
// The database holds Java's table, created with Java's own DDL:
//
//	FILE_CHECKPOINTS(flow text, path text, fileId text, lastModifiedTime bigint,
//	                 size bigint, offset bigint, lastUpdated datetime,
//	                 primary key (flow, path))
//
// flow is the flow id, path the absolute path, fileId Java's file key text
// "(dev=<hex>,ino=<decimal>)", lastModifiedTime epoch milliseconds, size
// bytes, offset the end (exclusive) of the last acknowledged byte, and
// lastUpdated the text of SQLite's strftime('%Y-%m-%d %H:%M:%f','now')
// (UTC, "YYYY-MM-DD HH:MM:SS.SSS"), written by SQL exactly as Java writes it.
// A Java agent's file is therefore resumed by this package and ours by Java.
//
// What Java has no column for (the fingerprint of a file's first bytes,
// used by tailing to detect inode reuse) lives in a table of its own in the
// same file, GO_FILE_STATE(flow, path, fileId, fingerprint); Java never
// reads it. A fingerprint is only returned with a checkpoint row whose flow,
// path and fileId all match, so a row that a Java agent rewrote for another
// file does not inherit a stale fingerprint.
//
// # Durability
//
// The database runs in WAL mode with synchronous=FULL: every commit appends
// the transaction to the write-ahead log and fsyncs it before Save returns,
// so a saved position survives a crash or power loss. WAL makes that one
// fsync per commit (a rollback journal needs several) and lets readers (the
// status endpoint, an operator's sqlite3) run while a save is in progress.
// synchronous=NORMAL would skip that fsync and could lose the last commits on
// power loss, i.e. move a checkpoint backwards; that costs duplicates, not
// data, but FULL costs only one fsync per flush interval, so we take it.
// Close checkpoints the log into the main file and removes it, so a
// cleanly closed file is a plain SQLite file again. A Java agent
// (sqlite-jdbc) opens a WAL-mode file without trouble.
//
// # Renames and the (flow, path) key
//
// Java keys rows by (flow, path) and, for records read before a rename,
// keeps writing under the pre-rename path. We save every file under the path
// it is known by now (record.Source.PathNow). When Save writes a fileId under
// a path, it deletes, in the same transaction, every other row of the same
// flow with the same fileId: one file identity has one position, so the row
// of the old name cannot come back as a separate file on resume. (Two live
// files never share a fileId: the tailer rejects hard links, and an inode is
// only reused once its file is gone.)
//
// Files written by Java can still hold several rows for one fileId (the
// pre-rename path and the new one). Load returns, for each fileId, only the
// most recently updated row: the older ones describe the same bytes at an
// earlier offset.
//
// # Resume: every file, not only the newest
//
// Java resumes only the newest row of a flow and ignores the others. Load
// returns all rows of the flow, newest first; tailing decides which files to
// resume (we resume every file that is still there).
//
// # Default location
//
// Java keeps the database at JavaDefaultPath, under /var/run, which is a
// tmpfs wiped at every reboot (Java issue 129: after a reboot the agent
// re-reads or skips data, and on Debian cannot even recreate the directory).
// We default to DefaultPath under /var/lib. On first start, when DefaultPath
// does not exist yet, ImportJava copies Java's database there (a consistent
// snapshot taken with VACUUM INTO) so an upgrade continues where Java
// stopped.
//
// # One agent per file
//
// SQLite's locks last one transaction, so two agents given the same file
// would both run, overwrite each other's rows and send lines twice (Java
// has this problem). LockFor takes a lock on LockPath(file) for the agent's
// lifetime; the agent takes it before the import and Open, and a second
// agent is refused at start with the first one's pid.
package checkpoint
