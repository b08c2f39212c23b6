package logline_test

import (
	"bytes"
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"github.com/kinesis-agent-go/aws-kinesis-agent/cmd/api_caller/internal/logline"
)

func TestLinesHavePythonFormat(t *testing.T) {
	var b bytes.Buffer
	log := slog.New(logline.New(&b, slog.LevelDebug))
	log.Debug("d")
	log.Info("API has returned 3 items")
	log.Warn("w", "file", "/tmp/a b")
	log.With("component", "x").Error("boom", "n", 2)
	want := []string{
		`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d - DEBUG - d$`,
		`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d - INFO - API has returned 3 items$`,
		`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d - WARNING - w file="/tmp/a b"$`,
		`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d - ERROR - boom component=x n=2$`,
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != len(want) {
		t.Fatalf("lines:\n%s", b.String())
	}
	for i, w := range want {
		if !regexp.MustCompile(w).MatchString(lines[i]) {
			t.Errorf("line %q does not match %s", lines[i], w)
		}
	}
}

func TestLevelFilter(t *testing.T) {
	var b bytes.Buffer
	log := slog.New(logline.New(&b, nil))
	log.Debug("hidden")
	if b.Len() != 0 {
		t.Errorf("debug shown at default level: %q", b.String())
	}
}
