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
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// TimeLayout is the line timestamp layout (log4j's yyyy-MM-dd HH:mm:ss.SSSZ).
const TimeLayout = "2006-01-02 15:04:05.000-0700"

// ComponentKey is the attribute naming the component that logs.
const ComponentKey = "component"

// Output is the log destination: a file that can be reopened, or stderr.
type Output struct {
	mu   sync.Mutex
	path string // "" for a plain writer (stderr)
	w    io.Writer
	f    *os.File
}

// New returns a logger writing to path ("-" means stderr) at the given
// minimum level, and the Output to Reopen (on SIGHUP) and Close.
func New(path string, level slog.Level) (*slog.Logger, *Output, error) {
	out, err := Open(path)
	if err != nil {
		return nil, nil, err
	}
	return slog.New(NewHandler(out, level)), out, nil
}

// Open opens the log output; "-" is stderr. The file is opened for
// appending and created (with its directory) if needed.
func Open(path string) (*Output, error) {
	if path == "-" || path == "" {
		return &Output{w: os.Stderr}, nil
	}
	f, err := openFile(path)
	if err != nil {
		return nil, err
	}
	return &Output{path: path, w: f, f: f}, nil
}

// NewWriterOutput wraps any writer (tests, stdout); Reopen is a no-op.
func NewWriterOutput(w io.Writer) *Output { return &Output{w: w} }

func openFile(path string) (*os.File, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("logging: create log directory: %w", err)
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("logging: open log file: %w", err)
	}
	return f, nil
}

// Reopen reopens the log file by name (after logrotate moved it away).
// On failure the old file stays in use and the error is returned.
func (o *Output) Reopen() error {
	if o.path == "" {
		return nil
	}
	f, err := openFile(o.path)
	if err != nil {
		return err
	}
	o.mu.Lock()
	old := o.f
	o.f, o.w = f, f
	o.mu.Unlock()
	if old != nil {
		return old.Close()
	}
	return nil
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

// Write writes one complete line.
func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.w.Write(p)
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
