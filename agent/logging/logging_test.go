package logging

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestLineLayout(t *testing.T) {
	tests := map[string]struct {
		log  func(l *slog.Logger)
		want string // regexp of the whole line
	}{
		"component from WithAttrs, Java-like progress line": {
			log: func(l *slog.Logger) {
				l.With("component", "Agent").Info("Progress: 10 records parsed (100 bytes)")
			},
			want: `^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}[+-]\d{4} INFO Agent: Progress: 10 records parsed \(100 bytes\)\n$`,
		},
		"component from the record, attrs quoted when needed": {
			log: func(l *slog.Logger) {
				l.Warn("Tailer Progress", "component", "FileTailer[kinesis:s:/a/*.log]", "file", "/a/x y.log", "n", 3)
			},
			want: `^\S+ \S+ WARN FileTailer\[kinesis:s:/a/\*\.log\]: Tailer Progress file="/a/x y\.log" n=3\n$`,
		},
		"no component": {
			log:  func(l *slog.Logger) { l.Error("boom", "err", errors.New("bad thing")) },
			want: `^\S+ \S+ ERROR boom err="bad thing"\n$`,
		},
		"newlines are escaped so one event is one line": {
			log:  func(l *slog.Logger) { l.Info("a\nb", "v", "x\ny") },
			want: `^\S+ \S+ INFO a\\nb v="x\\ny"\n$`,
		},
		"groups prefix keys": {
			log:  func(l *slog.Logger) { l.WithGroup("g").Info("m", "k", 1, slog.Group("h", "x", 2)) },
			want: `^\S+ \S+ INFO m g\.k=1 g\.h\.x=2\n$`,
		},
		"debug is filtered at INFO": {
			log:  func(l *slog.Logger) { l.Debug("hidden") },
			want: `^$`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			l := slog.New(NewHandler(NewWriterOutput(&buf), slog.LevelInfo))
			tc.log(l)
			if !regexp.MustCompile(tc.want).MatchString(buf.String()) {
				t.Errorf("line %q does not match %s", buf.String(), tc.want)
			}
		})
	}
}

func TestSecretsAreMasked(t *testing.T) {
	tests := map[string]struct {
		key, value string
		masked     bool
		want       string
	}{
		"secret access key":             {"awsSecretAccessKey", "wJalrXUtnFEMI", true, Redacted},
		"session token":                 {"sessionToken", "FQoGZX", true, Redacted},
		"password":                      {"proxyPassword", "hunter2", true, Redacted},
		"generic key suffix":            {"apiKey", "abc", true, Redacted},
		"access key id keeps last four": {"awsAccessKeyId", "AKIAIOSFODNN7EXAMPLE", true, "****MPLE"},
		"partition key is safe":         {"partitionKey", "pk-1", false, "pk-1"},
		"partitionKeyOption is safe":    {"partitionKeyOption", "RANDOM", false, "RANDOM"},
		"plain attribute":               {"stream", "s1", false, "s1"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			l := slog.New(NewHandler(NewWriterOutput(&buf), slog.LevelInfo))
			l.Info("m", tc.key, tc.value)
			line := buf.String()
			if !strings.Contains(line, " "+tc.key+"="+tc.want) {
				t.Errorf("line %q lacks %s=%s", line, tc.key, tc.want)
			}
			if tc.masked && strings.Contains(line, tc.value) {
				t.Errorf("secret %q leaked: %q", tc.value, line)
			}
		})
	}
}

func TestReopenFollowsRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "agent.log")
	l, out, err := New(path, slog.LevelInfo)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	l.Info("before")
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	l.Info("still old")
	if err := out.Reopen(); err != nil {
		t.Fatal(err)
	}
	l.Info("after")
	old, _ := os.ReadFile(path + ".1")
	cur, _ := os.ReadFile(path)
	if !strings.Contains(string(old), "before") || !strings.Contains(string(old), "still old") || strings.Contains(string(old), "after") {
		t.Errorf("rotated file: %q", old)
	}
	if !strings.Contains(string(cur), "after") || strings.Contains(string(cur), "before") {
		t.Errorf("new file: %q", cur)
	}
}

func TestParseLevel(t *testing.T) {
	tests := map[string]struct {
		in   string
		want slog.Level
		ok   bool
	}{
		"debug":   {"DEBUG", slog.LevelDebug, true},
		"trace":   {"TRACE", slog.LevelDebug, true}, // Java 1.x's -L TRACE: a restart loop if refused
		"lower":   {"info", slog.LevelInfo, true},
		"warn":    {"WARN", slog.LevelWarn, true},
		"warning": {"warning", slog.LevelWarn, true},
		"error":   {"ERROR", slog.LevelError, true},
		"bogus":   {"LOUD", 0, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := ParseLevel(tc.in)
			if (err == nil) != tc.ok || got != tc.want {
				t.Errorf("ParseLevel(%q) = %v, %v", tc.in, got, err)
			}
		})
	}
}

func TestTimestampLayout(t *testing.T) {
	ts := time.Date(2026, 11, 21, 12, 0, 30, 123e6, time.UTC)
	if got := ts.Format(TimeLayout); got != "2026-11-21 12:00:30.123+0000" {
		t.Errorf("layout gives %q", got)
	}
}
