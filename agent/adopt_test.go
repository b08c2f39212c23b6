package agent_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/kinesistest"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/syncbuf"
)

// A flow's id holds its filePattern: after an edit of it (logs/*.log to
// logs/app.log*; the copytruncate WARN advises app.log to app.log*), the
// new flow had no checkpoint rows, and its files started by
// initialPosition, silently: START_OF_FILE sent every file again (here a1
// and a2), END_OF_FILE skipped the lines written while the agent was
// stopped (a3, a4). The edited flow resumes the files the old one followed,
// to the same destination from the same directory. From a replay of
// LoongCollector reports (alibaba/loongcollector#1178: a config edit
// re-read files from their start).
func TestAnEditedFilePatternResumesTheFilesTheOldPatternFollowed(t *testing.T) {
	o := newOneFile(t, "a1\na2\n")
	var logs syncbuf.Buffer
	stop := runAgent(t, o.cfgPath, &logs)
	kinesistest.WaitForRecords(t, o.client, o.stream, 2, 30*time.Second)
	stop()
	o.append(t, "a3\na4\n") // while stopped
	cfg, err := os.ReadFile(o.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(o.dir, "logs", "*.log")
	edited := strings.Replace(string(cfg), old, filepath.Join(o.dir, "logs", "app.log*"), 1)
	if edited == string(cfg) {
		t.Fatalf("no %s in the config", old)
	}
	if err := os.WriteFile(o.cfgPath, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	stop = runAgent(t, o.cfgPath, &logs)
	kinesistest.WaitForRecords(t, o.client, o.stream, 4, 30*time.Second)
	stop()
	if got := o.sortedRecords(t); got != "a1\na2\na3\na4\n" {
		t.Fatalf("records %q, want each of a1..a4 once; log:\n%s", got, logs.String())
	}
	if !strings.Contains(logs.String(), "resumes 1 files from the checkpoints of flow kinesis:"+o.stream+":"+old) {
		t.Errorf("the take-over was not logged:\n%s", logs.String())
	}
}
