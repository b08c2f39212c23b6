// Package logging sets up the agent's log/slog logger: one line per event
// in a Java-agent-like layout,
//
//	2026-11-21 12:00:30.123+0000 INFO Agent: Progress: ... key=value
//
// where the component ("Agent", "FileTailer[<flowId>]", ...) comes from the
// `component` attribute. The log file is reopened by Output.Reopen (wired
// to SIGHUP by the main) so that logrotate can rotate it; attributes that
// look like secrets are masked.
package logging

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"
)

// TimeLayout is the line timestamp layout (log4j's yyyy-MM-dd HH:mm:ss.SSSZ).
const TimeLayout = "2006-01-02 15:04:05.000-0700"

// ComponentKey is the attribute naming the component that logs.
const ComponentKey = "component"

// Output is the log destination: a file that can be reopened, or stderr.
//
// A log file that cannot be written (a full disk, a file logrotate created
// with the wrong owner) is told on the report writer (stderr: the journal
// under systemd), since the log itself cannot say it: one line at the first
// failed write, one a minute while writes keep failing (with the number of
// log lines lost), and one when a write works again, which also writes a
// line into the file counting the lines lost before it. A failed Reopen is
// told there too. Every reopenCheck a write also checks that the path
// still names the open file, and reopens it when it does not (deleted, or
// replaced without a SIGHUP).
type Output struct {
	mu     sync.Mutex
	path   string // "" for a plain writer (stderr)
	w      io.Writer
	f      *os.File
	report io.Writer        // where failures of the log file are told
	now    func() time.Time // time.Now; tests set a fake clock

	lost        int       // log lines not written since writes began to fail
	failedSince time.Time // first failed write of the current run of failures
	lastErr     error     // the last write error
	reportedAt  time.Time // last line told on report (kept across recoveries: a flapping file is told once a minute)
	toldRun     bool      // the current run of failures was told (its recovery is told then)
	partial     bool      // a failed write left part of a line in the file

	checkAt        time.Time // next check that path still names f
	toldDirMissing bool      // the missing directory of a deleted file was told
}

// failureReportEvery is the least time between two lines on the report
// writer while writes to the log file keep failing.
const failureReportEvery = time.Minute

// reopenCheck is how often a write checks that the log file's path still
// names the open file.
const reopenCheck = 10 * time.Second

// New returns a logger writing to path ("-" means stderr) at the given
// minimum level, and the Output to Reopen (on SIGHUP) and Close. Failures
// of the log file are told on os.Stderr.
func New(path string, level slog.Level) (*slog.Logger, *Output, error) {
	return NewReporting(path, level, os.Stderr)
}

// NewReporting is New with failures of the log file told on report
// instead of os.Stderr.
func NewReporting(path string, level slog.Level, report io.Writer) (*slog.Logger, *Output, error) {
	out, err := OpenReporting(path, report)
	if err != nil {
		return nil, nil, err
	}
	return slog.New(NewHandler(out, level)), out, nil
}

// Open opens the log output; "-" is stderr. The file is opened for
// appending and created (with its directory) if needed. Failures of the
// file are told on os.Stderr.
func Open(path string) (*Output, error) { return OpenReporting(path, os.Stderr) }

// OpenReporting is Open with failures of the log file told on report.
func OpenReporting(path string, report io.Writer) (*Output, error) {
	if path == "-" || path == "" {
		return &Output{w: os.Stderr}, nil
	}
	f, err := openFile(path)
	if err != nil {
		return nil, err
	}
	return &Output{path: path, w: f, f: f, report: report, now: time.Now, checkAt: time.Now().Add(reopenCheck)}, nil
}

// NewWriterOutput wraps any writer (tests, stdout); Reopen is a no-op.
func NewWriterOutput(w io.Writer) *Output { return &Output{w: w} }

func openFile(path string) (*os.File, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("logging: create log directory: %w", err)
		}
	}
	return openExisting(path)
}

// openExisting opens path for appending, creating the file but not its
// directory.
func openExisting(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("logging: open log file: %w", err)
	}
	return f, nil
}

// Reopen reopens the log file by name (after logrotate moved it away).
// On failure the old file stays in use, the failure is told on the report
// writer (the log may be what cannot be written) and the error is
// returned.
func (o *Output) Reopen() error {
	if o.path == "" {
		return nil
	}
	f, err := openFile(o.path)
	if err != nil {
		o.mu.Lock()
		o.tell(slog.LevelError, "Cannot reopen the log file %s (still writing to the file open before): %v", o.path, err)
		o.mu.Unlock()
		return err
	}
	o.mu.Lock()
	old := o.swap(f)
	o.mu.Unlock()
	if old != nil {
		return old.Close()
	}
	return nil
}

// swap makes f the open file and returns the one it replaces (nil after
// Close). o.mu is held.
func (o *Output) swap(f *os.File) *os.File {
	old := o.f
	o.f, o.w = f, f
	o.toldDirMissing = false
	if o.now != nil {
		o.checkAt = o.now().Add(reopenCheck)
	}
	return old
}

// Close closes the log file (not stderr). Later writes are dropped.
func (o *Output) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.f == nil {
		return nil
	}
	err := o.f.Close()
	o.f = nil
	o.w = io.Discard
	return err
}

// Write writes one complete line. A failure is told on the report writer
// (see Output); the path is checked every reopenCheck. Allocation-free
// while writes succeed.
func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.f == nil { // stderr, a plain writer, or closed
		return o.w.Write(p)
	}
	now := o.now()
	if !now.Before(o.checkAt) {
		o.checkAt = now.Add(reopenCheck)
		o.checkPath()
	}
	if o.lost > 0 {
		return o.writeAfterFailure(p, now)
	}
	n, err := o.w.Write(p)
	if err != nil {
		o.failed(n, err, now)
	}
	return n, err
}

// failed counts one lost line and tells the failure: at once at the first
// failure, then at most once per failureReportEvery. o.mu is held.
func (o *Output) failed(n int, err error, now time.Time) {
	if o.lost == 0 {
		o.failedSince, o.toldRun = now, false
	}
	o.lost++
	o.lastErr = err
	if n > 0 {
		o.partial = true // (a full disk takes what fits)
	}
	if !o.reportedAt.IsZero() && now.Sub(o.reportedAt) < failureReportEvery {
		return
	}
	if o.toldRun {
		o.tell(slog.LevelError, "Still cannot write the log file %s: %v; %d log lines lost since %s", o.path, err, o.lost, o.failedSince.Format(TimeLayout))
	} else {
		o.tell(slog.LevelError, "Cannot write the log file %s: %v; its lines are lost until it can be written again (told here at most once a minute)", o.path, err)
	}
	o.toldRun, o.reportedAt = true, now
}

// writeAfterFailure writes, before p, a line counting the lines lost, and
// tells on the report writer that the file works again. o.mu is held.
func (o *Output) writeAfterFailure(p []byte, now time.Time) (int, error) {
	var note []byte
	if o.partial {
		note = append(note, '\n') // (ends the part of a line left)
	}
	note = append(note, o.line(slog.LevelWarn, fmt.Sprintf("%d log lines before this one were lost: the log file could not be written from %s (%v)",
		o.lost, o.failedSince.Format(TimeLayout), o.lastErr))...)
	if m, err := o.w.Write(note); err != nil {
		o.partial = m > 0
		o.failed(m, err, now)
		return 0, err
	}
	if o.toldRun {
		o.tell(slog.LevelInfo, "Writing the log file %s works again; %d log lines were lost since %s (%v)", o.path, o.lost, o.failedSince.Format(TimeLayout), o.lastErr)
		o.reportedAt = now
	}
	o.lost, o.lastErr, o.failedSince, o.toldRun, o.partial = 0, nil, time.Time{}, false, false
	n, err := o.w.Write(p)
	if err != nil {
		o.failed(n, err, now)
	}
	return n, err
}

// checkPath reopens the log file when its path names another file than
// the open one (replaced without a SIGHUP), or none while the open one is
// deleted (rm). A directory deleted with it is not made again: that is
// told once, and the deleted file stays in use until the directory is
// back. A file renamed away (logrotate before its create and SIGHUP) is
// left alone. o.mu is held.
func (o *Output) checkPath() {
	fi, err := os.Stat(o.path)
	if err == nil {
		if cur, err := o.f.Stat(); err != nil || os.SameFile(fi, cur) {
			return
		}
	} else if !errors.Is(err, fs.ErrNotExist) || !deleted(o.f) {
		return
	}
	f, err := openExisting(o.path)
	if err != nil {
		if !o.toldDirMissing {
			o.toldDirMissing = true
			if errors.Is(err, fs.ErrNotExist) {
				o.tell(slog.LevelError, "The log file %s was deleted and cannot be made again: %v; its lines go to the deleted file until it can be (make its directory again, then systemctl reload aws-kinesis-agent)", o.path, err)
			} else {
				o.tell(slog.LevelError, "The log file %s was deleted or replaced, and what is at its name now cannot be opened: %v; its lines go to the file open before until it can be (fix the owner or mode of %s, then systemctl reload aws-kinesis-agent)", o.path, err, o.path)
			}
		}
		return
	}
	if old := o.swap(f); old != nil {
		_ = old.Close()
	}
	o.tell(slog.LevelWarn, "The log file %s was deleted or replaced; reopened it", o.path)
}

// deleted reports whether f has no name left.
func deleted(f *os.File) bool {
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && st.Nlink == 0
}

// tell writes one line to the report writer, in the log's own format.
// o.mu is held.
func (o *Output) tell(level slog.Level, format string, args ...any) {
	if o.report != nil {
		_, _ = o.report.Write(o.line(level, fmt.Sprintf(format, args...)))
	}
}

// line formats one log line of the component Agent at o's clock's time,
// through the Handler (the log's own format).
func (o *Output) line(level slog.Level, msg string) []byte {
	now := time.Now()
	if o.now != nil {
		now = o.now()
	}
	r := slog.NewRecord(now, level, msg, 0)
	r.AddAttrs(slog.String(ComponentKey, "Agent"))
	var b bytes.Buffer
	_ = NewHandler(NewWriterOutput(&b), slog.LevelDebug).Handle(context.Background(), r)
	return b.Bytes()
}

// ParseLevel parses DEBUG, INFO, WARN (or WARNING) and ERROR, in any case,
// and TRACE as DEBUG (the Java agent's 1.x -L took TRACE; its init script
// passed -L $AGENT_LOG_LEVEL, which may still be in AGENT_ARGS).
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "DEBUG", "TRACE":
		return slog.LevelDebug, nil
	case "INFO":
		return slog.LevelInfo, nil
	case "WARN", "WARNING":
		return slog.LevelWarn, nil
	case "ERROR":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("unknown log level %q (use DEBUG, INFO, WARN or ERROR; TRACE is DEBUG)", s)
}

// Redacted replaces the value of an attribute that looks like a secret.
const Redacted = "<redacted>"

// safeKeys are attribute names that contain "key" or "token" but are not
// secrets.
var safeKeys = map[string]bool{
	"partitionkey": true, "partitionkeyoption": true, "explicithashkey": true,
	"credentialsource": true, "hashkey": true, "key": true, "keys": true, "sortkey": true, "objectkey": true,
	"nexttoken": true, "shardid": true, "sequencenumber": true, "monkey": true,
	"keycount": true, "sessionname": true,
}

// isSecretKey reports whether an attribute of that name must be masked.
func isSecretKey(name string) bool {
	k := strings.ToLower(name)
	if i := strings.LastIndexByte(k, '.'); i >= 0 {
		k = k[i+1:]
	}
	k = strings.NewReplacer("_", "", "-", "").Replace(k)
	if safeKeys[k] {
		return false
	}
	for _, s := range []string{"secret", "password", "passwd", "token", "credential", "authorization", "signature", "privatekey", "apikey"} {
		if strings.Contains(k, s) {
			return true
		}
	}
	return strings.HasSuffix(k, "key") || strings.HasSuffix(k, "keyid")
}

// MaskSecrets is a slog ReplaceAttr function: attributes named like a
// secret (secret, password, token, credential, ...key, except known-safe
// names such as partitionKey) get the value "<redacted>". Access key ids
// keep their last four characters, as the AWS CLI shows them.
func MaskSecrets(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindGroup || !isSecretKey(a.Key) {
		return a
	}
	k := strings.ToLower(a.Key)
	if strings.HasSuffix(k, "accesskeyid") || strings.HasSuffix(k, "access_key_id") {
		s := a.Value.Resolve().String()
		if len(s) > 4 {
			return slog.String(a.Key, "****"+s[len(s)-4:])
		}
	}
	return slog.String(a.Key, Redacted)
}

// Handler formats records as one Java-like line each.
type Handler struct {
	out       *Output
	level     slog.Leveler
	component string
	attrs     []byte // preformatted " k=v" of WithAttrs
	groups    string // open group prefix, "g1.g2." or ""
}

// NewHandler returns a Handler writing to out at the given minimum level.
func NewHandler(out *Output, level slog.Leveler) *Handler {
	return &Handler{out: out, level: level}
}

// Enabled implements slog.Handler.
func (h *Handler) Enabled(_ context.Context, l slog.Level) bool { return l >= h.level.Level() }

// WithAttrs implements slog.Handler.
func (h *Handler) WithAttrs(as []slog.Attr) slog.Handler {
	h2 := *h
	h2.attrs = append([]byte(nil), h.attrs...)
	for _, a := range as {
		if h.groups == "" && a.Key == ComponentKey {
			h2.component = a.Value.Resolve().String()
			continue
		}
		h2.attrs = appendAttr(h2.attrs, h.groups, a)
	}
	return &h2
}

// WithGroup implements slog.Handler.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	h2 := *h
	h2.groups = h.groups + name + "."
	return &h2
}

// Handle implements slog.Handler.
func (h *Handler) Handle(_ context.Context, r slog.Record) error {
	comp := h.component
	var tail []byte
	r.Attrs(func(a slog.Attr) bool {
		if h.groups == "" && a.Key == ComponentKey {
			comp = a.Value.Resolve().String()
			return true
		}
		tail = appendAttr(tail, h.groups, a)
		return true
	})
	t := r.Time
	if t.IsZero() {
		t = time.Now()
	}
	buf := make([]byte, 0, 128+len(r.Message)+len(h.attrs)+len(tail))
	buf = t.AppendFormat(buf, TimeLayout)
	buf = append(buf, ' ')
	buf = append(buf, r.Level.String()...)
	buf = append(buf, ' ')
	if comp != "" {
		buf = appendOneLine(buf, comp)
		buf = append(buf, ": "...)
	}
	buf = appendOneLine(buf, r.Message)
	buf = append(buf, h.attrs...)
	buf = append(buf, tail...)
	buf = append(buf, '\n')
	_, err := h.out.Write(buf)
	return err
}

// appendOneLine appends s with line breaks escaped, so that one event is
// one line.
func appendOneLine(buf []byte, s string) []byte {
	if !strings.ContainsAny(s, "\r\n") {
		return append(buf, s...)
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\n':
			buf = append(buf, `\n`...)
		case '\r':
			buf = append(buf, `\r`...)
		default:
			buf = append(buf, s[i])
		}
	}
	return buf
}

func appendAttr(buf []byte, prefix string, a slog.Attr) []byte {
	a = MaskSecrets(nil, a)
	v := a.Value.Resolve()
	if v.Kind() == slog.KindGroup {
		p := prefix
		if a.Key != "" {
			p = prefix + a.Key + "."
		}
		for _, ga := range v.Group() {
			buf = appendAttr(buf, p, ga)
		}
		return buf
	}
	if a.Equal(slog.Attr{}) {
		return buf
	}
	buf = append(buf, ' ')
	buf = append(buf, prefix...)
	buf = append(buf, a.Key...)
	buf = append(buf, '=')
	var s string
	switch v.Kind() {
	case slog.KindTime:
		s = v.Time().Format(time.RFC3339Nano)
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			s = err.Error()
		} else {
			s = v.String()
		}
	default:
		s = v.String()
	}
	return appendValue(buf, s)
}

func needsQuote(s string) bool {
	if s == "" {
		return true
	}
	for _, r := range s {
		if r <= ' ' || r == '=' || r == '"' || r == 0x7F || r == utf8.RuneError {
			return true
		}
	}
	return false
}

func appendValue(buf []byte, s string) []byte {
	if needsQuote(s) {
		return strconv.AppendQuote(buf, s)
	}
	return append(buf, s...)
}
