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
	if !strings.Contains(logs.String(), "takes over 1 checkpoint rows of flow kinesis:"+o.stream+":"+old) {
		t.Errorf("the take-over was not logged:\n%s", logs.String())
	}
}

// The same edit widening the pattern to files the old one did not follow
// (app.log to *.log, another application's log beside it): those start by
// initialPosition, as for a new flow. The old flow's rows said nothing of
// them, but taken for the new flow's own they did: under END_OF_FILE a
// file without a row changed since the newest row was sent whole (its
// history: h1..h3), and under START_OF_FILE one unchanged since started
// at its end. From a review of the take-over.
func TestAWidenedFilePatternStartsTheNewlyMatchedFilesByInitialPosition(t *testing.T) {
	o := newOneFile(t, "a1\na2\n")
	cfg, err := os.ReadFile(o.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg = []byte(strings.Replace(string(cfg), `"START_OF_FILE"`, `"END_OF_FILE"`, 1))
	all := filepath.Join(o.dir, "logs", "*.log")
	only := strings.Replace(string(cfg), all, filepath.Join(o.dir, "logs", "app.log"), 1)
	if err := os.WriteFile(o.cfgPath, []byte(only), 0o644); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(o.dir, "logs", "other.log")
	if err := os.WriteFile(other, []byte("h1\nh2\nh3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var logs syncbuf.Buffer
	stop := runAgent(t, o.cfgPath, &logs)
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(logs.String(), "Started tailing file"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("app.log not begun:\n%s", logs.String())
		}
	}
	o.append(t, "a3\n") // app.log began at its end (END_OF_FILE)
	kinesistest.WaitForRecords(t, o.client, o.stream, 1, 30*time.Second)
	stop()
	o.append(t, "a4\n") // while stopped
	f, err := os.OpenFile(other, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("o-new\n")
	f.Close()
	if err := os.WriteFile(o.cfgPath, cfg, 0o644); err != nil { // *.log
		t.Fatal(err)
	}
	stop = runAgent(t, o.cfgPath, &logs)
	kinesistest.WaitForRecords(t, o.client, o.stream, 2, 30*time.Second)
	o.append(t, "a5\n")
	kinesistest.WaitForRecords(t, o.client, o.stream, 3, 30*time.Second)
	stop()
	if got := o.sortedRecords(t); got != "a3\na4\na5\n" {
		t.Fatalf("records %q, want a3, a4 (resumed) and a5, and nothing of other.log (new to the flow: END_OF_FILE); log:\n%s", got, logs.String())
	}
}
