package agent_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/kinesis-agent-go/aws-kinesis-agent/agent"
	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/config"
	"github.com/kinesis-agent-go/aws-kinesis-agent/checkpoint"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/faultproxy"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/kinesistest"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/locktest"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/syncbuf"
)

func TestMain(m *testing.M) { kinesistest.Main(m) }

// writeConfig writes an agent.json whose single flow tails dir/*.log into
// stream on the local Kinesis, and returns its path.
func writeConfig(t *testing.T, dir, endpoint, stream string, flowExtra string) string {
	t.Helper()
	cfg := fmt.Sprintf(`{
  // local test configuration
  "cloudwatch.emitMetrics": false,
  "kinesis.endpoint": %q,
  "kinesis.region": "us-east-1",
  "awsAccessKeyId": "AKIDTESTE2E",
  "awsSecretAccessKey": "e2e-secret-never-logged",
  "checkpointFile": %q,
  "shutdownTimeoutMillis": 5000,
  "flows": [{
    "filePattern": %q,
    "kinesisStream": %q,
    "initialPosition": "START_OF_FILE",
    "maxBufferAgeMillis": 1000%s
  }]
}`, endpoint, filepath.Join(dir, "checkpoints"), filepath.Join(dir, "logs", "*.log"), stream, flowExtra)
	p := filepath.Join(dir, "agent.json")
	if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "logs"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// runAgent starts the agent on the config and returns a stop function that
// shuts it down gracefully and fails the test if Run returned an error.
// PutRecords travel in CBOR, the default (the test harness's kinesalite
// keeps the data of CBOR puts: .ci/emulators/kinesalite.js).
func runAgent(t *testing.T, cfgPath string, logs *syncbuf.Buffer) (stop func()) {
	t.Helper()
	return runAgentWith(t, cfgPath, logs, agent.Options{Version: "test"})
}

// runAgentWith is runAgent with opts (Logger is set here).
func runAgentWith(t *testing.T, cfgPath string, logs *syncbuf.Buffer, opts agent.Options) (stop func()) {
	t.Helper()
	cfg, err := config.Load(cfgPath, filepath.Join(t.TempDir(), "agent.d"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts.Logger = logger
	go func() { done <- agent.Run(ctx, cfg, opts) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("agent.Run: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("agent did not stop within 20s of cancellation")
		}
	}
	t.Cleanup(stop)
	return stop
}

func TestWalkingSkeletonShipsRawLinesByteForByte(t *testing.T) {
	ep := kinesistest.Endpoint(t)
	client := kinesistest.Client(t, ep)
	stream := kinesistest.CreateStream(t, client, 2)
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, ep, stream, "")
	lines := []string{"first line\n", "second, with a CRLF\r\n", "\n", "ünïcödé and \x01 bytes\n"}
	content := strings.Join(lines, "") + "partial line without newline"
	logFile := filepath.Join(dir, "logs", "app.log")
	if err := os.WriteFile(logFile, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	var logs syncbuf.Buffer
	stop := runAgent(t, cfgPath, &logs)
	got := kinesistest.WaitForRecords(t, client, stream, len(lines), 30*time.Second)
	want := append([]string(nil), lines...)
	gotS := make([]string, len(got))
	for i, r := range got {
		gotS[i] = string(r)
	}
	sort.Strings(want)
	sort.Strings(gotS)
	if strings.Join(gotS, "|") != strings.Join(want, "|") {
		t.Fatalf("records read back differ:\n got %q\nwant %q", gotS, want)
	}
	stop()
	// The checkpoint covers exactly the complete lines; the partial line waits.
	store, err := checkpoint.Open(filepath.Join(dir, "checkpoints"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ps, err := store.Load("kinesis:" + stream + ":" + filepath.Join(dir, "logs") + "/*.log")
	if err != nil {
		t.Fatal(err)
	}
	completeBytes := int64(len(strings.Join(lines, "")))
	if len(ps) != 1 || ps[0].Offset != completeBytes || ps[0].Path != logFile {
		t.Fatalf("checkpoint rows = %+v, want one row for %s at offset %d", ps, logFile, completeBytes)
	}
	if strings.Contains(logs.String(), "e2e-secret-never-logged") {
		t.Fatal("the secret access key appeared in the agent's log")
	}
}

func TestRestartResumesAtCheckpointWithoutLossOrDuplicates(t *testing.T) {
	o := newOneFile(t, "a1\na2\na3\n")
	var logs syncbuf.Buffer
	stop := runAgent(t, o.cfgPath, &logs)
	kinesistest.WaitForRecords(t, o.client, o.stream, 3, 30*time.Second)
	stop()

	o.append(t, "b1\nb2\n")
	stop2 := runAgent(t, o.cfgPath, &logs)
	kinesistest.WaitForRecords(t, o.client, o.stream, 5, 30*time.Second)
	stop2()
	// Nothing more may arrive: read again after the agent stopped.
	if got := o.sortedRecords(t); got != "a1\na2\na3\nb1\nb2\n" {
		t.Fatalf("after restart the stream holds %q, want each of a1..a3, b1..b2 exactly once", got)
	}
}

// oneFile is a stream on the local Kinesis and an agent.json whose flow
// tails dir/logs/*.log into it, with one file, logFile.
type oneFile struct {
	client           *kinesis.Client
	stream, dir      string
	cfgPath, logFile string
}

func newOneFile(t *testing.T, content string) *oneFile {
	t.Helper()
	ep := kinesistest.Endpoint(t)
	o := &oneFile{client: kinesistest.Client(t, ep), dir: t.TempDir()}
	o.stream = kinesistest.CreateStream(t, o.client, 1)
	o.cfgPath = writeConfig(t, o.dir, ep, o.stream, "")
	o.logFile = filepath.Join(o.dir, "logs", "app.log")
	if err := os.WriteFile(o.logFile, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return o
}

func (o *oneFile) append(t *testing.T, lines string) {
	t.Helper()
	f, err := os.OpenFile(o.logFile, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(lines); err != nil {
		t.Fatal(err)
	}
}

// sortedRecords is everything in the stream, records sorted, concatenated.
func (o *oneFile) sortedRecords(t *testing.T) string {
	t.Helper()
	var s []string
	for _, r := range kinesistest.ReadAll(t, o.client, o.stream) {
		s = append(s, string(r))
	}
	sort.Strings(s)
	return strings.Join(s, "")
}

// A second agent started on the same checkpoint file (a manual run beside
// the service) is refused at start with an error naming the file: it would
// overwrite the first's rows and send its lines again. The first goes on,
// and every line arrives once.
func TestASecondAgentOnTheSameCheckpointFileIsRefusedAndLinesArriveOnce(t *testing.T) {
	locktest.NeedOFDLocks(t)
	o := newOneFile(t, "a1\na2\n")
	var logs syncbuf.Buffer
	stop := runAgent(t, o.cfgPath, &logs)
	kinesistest.WaitForRecords(t, o.client, o.stream, 2, 30*time.Second)

	cfg, err := config.Load(o.cfgPath, filepath.Join(t.TempDir(), "agent.d"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = agent.Run(ctx, cfg, agent.Options{Version: "test"})
	if !errors.Is(err, checkpoint.ErrInUse) || !strings.Contains(err.Error(), filepath.Join(o.dir, "checkpoints")) {
		t.Fatalf("second agent: Run = %v, want checkpoint.ErrInUse naming the checkpoint file", err)
	}

	o.append(t, "a3\n")
	kinesistest.WaitForRecords(t, o.client, o.stream, 3, 30*time.Second)
	stop()
	if got := o.sortedRecords(t); got != "a1\na2\na3\n" {
		t.Fatalf("the stream holds %q, want each of a1..a3 exactly once", got)
	}
}

// An agent whose lock file was deleted while it ran, and taken by another
// agent meanwhile, shuts down and returns that error (exit 1: systemd
// restarts it, and the start is refused while the other runs).
func TestAnAgentThatLostItsCheckpointLockToAnotherShutsDown(t *testing.T) {
	locktest.NeedOFDLocks(t)
	o := newOneFile(t, "a1\n")
	var logs syncbuf.Buffer
	cfg, err := config.Load(o.cfgPath, filepath.Join(t.TempDir(), "agent.d"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- agent.Run(ctx, cfg, agent.Options{Version: "test", CheckpointLockCheck: 20 * time.Millisecond,
			Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	}()
	kinesistest.WaitForRecords(t, o.client, o.stream, 1, 30*time.Second)
	// The other agent's lock file replaces this one's in one step (its
	// lock taken under another name, then renamed into place), so that
	// this agent cannot take the lock again in between.
	cp := filepath.Join(o.dir, "checkpoints")
	other, err := checkpoint.LockFor(cp + ".other")
	if err != nil {
		t.Fatalf("the other agent's lock: %v", err)
	}
	defer other.Release()
	if err := os.Rename(checkpoint.LockPath(cp+".other"), checkpoint.LockPath(cp)); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, checkpoint.ErrInUse) {
			t.Fatalf("Run = %v, want checkpoint.ErrInUse", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the agent did not shut down within 30 s; log: %s", logs.String())
	}
}

// An agent that cannot open its checkpoint file (here a directory) stops
// with an error naming it and lets go of the file's lock, so that the next
// start (the service restarting after the operator's fix) is not refused.
func TestAFailedStartReleasesTheCheckpointLock(t *testing.T) {
	locktest.NeedOFDLocks(t)
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, "http://127.0.0.1:1", "s", "")
	cp := filepath.Join(dir, "checkpoints")
	if err := os.Mkdir(cp, 0o755); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(cfgPath, filepath.Join(t.TempDir(), "agent.d"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := agent.Run(ctx, cfg, agent.Options{Version: "test"}); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Fatalf("Run = %v, want the checkpoint file's error", err)
	}
	l, err := checkpoint.LockFor(cp)
	if err != nil {
		t.Fatalf("the failed start kept the lock: %v", err)
	}
	l.Release()
}

// TestReferenceWorkloadSampleTicketsArriveAsJSONObjects runs the reference path:
// api_caller --sample writes ticket CSV files, the agent tails them with
// agent.json.example's flow (CSVTOJSON, RANDOM keys) pointed at a local
// Kinesis, and every record arrives as a JSON object whose 14 fields equal
// the CSV: on kinesalite with PutRecords in JSON (AWS_CBOR_DISABLE), and on
// kinesis-local in CBOR, the agent's default wire format.
func TestReferenceWorkloadSampleTicketsArriveAsJSONObjects(t *testing.T) {
	t.Run("kinesalite, PutRecords in JSON", func(t *testing.T) {
		referenceWorkload(t, kinesistest.Endpoint(t), true)
	})
	t.Run("kinesis-local, PutRecords in CBOR", func(t *testing.T) {
		referenceWorkload(t, kinesistest.MockEndpoint(t), false)
	})
}

func referenceWorkload(t *testing.T, ep string, disableCBOR bool) {
	client := kinesistest.Client(t, ep)
	stream := kinesistest.CreateStream(t, client, 2)
	dir := t.TempDir()
	logDir := filepath.Join(dir, "airline_tickets")

	example, err := os.ReadFile(filepath.Join(repoRoot(t), "agent.json.example"))
	if err != nil {
		t.Fatal(err)
	}
	cfgText := strings.NewReplacer(
		"/var/log/airline_tickets/", logDir+"/",
		`"kinesisStream": "airline_tickets"`, fmt.Sprintf(`"kinesisStream": %q, "initialPosition": "START_OF_FILE", "maxBufferAgeMillis": 1000`, stream),
		`"cloudwatch.emitMetrics": true`, fmt.Sprintf(`"cloudwatch.emitMetrics": false, "kinesis.endpoint": %q, "checkpointFile": %q, "awsAccessKeyId": "AKIDTESTE2E", "awsSecretAccessKey": "x"`, ep, filepath.Join(dir, "checkpoints")),
	).Replace(string(example))
	if cfgText == string(example) || !strings.Contains(cfgText, stream) || !strings.Contains(cfgText, ep) {
		t.Fatalf("could not point agent.json.example at the test stream; its text changed?\n%s", cfgText)
	}
	cfgPath := filepath.Join(dir, "agent.json")
	if err := os.WriteFile(cfgPath, []byte(cfgText), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		t.Fatal(err)
	}
	var logs syncbuf.Buffer
	stop := runAgentWith(t, cfgPath, &logs, agent.Options{Version: "test", DisableCBOR: disableCBOR})

	bin := filepath.Join(t.TempDir(), "api_caller")
	build := exec.Command("go", "build", "-o", bin, "./cmd/api_caller")
	build.Dir = repoRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build api_caller: %v\n%s", err, out)
	}
	if out, err := exec.Command(bin, "--sample", "1000", "--seed", "7", "--out-dir", logDir).CombinedOutput(); err != nil {
		t.Fatalf("api_caller --sample: %v\n%s", err, out)
	}
	names := []string{"cost", "trip_class", "show_to_affiliates", "return_date", "origin", "number_of_changes", "gate", "found_at", "duration", "distance", "destination", "depart_date", "actual", "record_id"}
	files, _ := filepath.Glob(filepath.Join(logDir, "*log"))
	want := map[string][]string{} // record_id -> row
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, r := range rows {
			if len(r) != len(names) {
				t.Fatalf("%s: row with %d columns: %q", f, len(r), r)
			}
			want[r[13]] = r
		}
	}
	if len(want) != 1000 {
		t.Fatalf("api_caller wrote %d distinct tickets, want 1000", len(want))
	}
	got := kinesistest.WaitForRecords(t, client, stream, 1000, 60*time.Second)
	stop()
	seen := map[string]bool{}
	for _, rec := range got {
		if !bytes.HasSuffix(rec, []byte("}\n")) {
			t.Fatalf("record is not one JSON object line: %q", rec)
		}
		var obj map[string]*string
		if err := json.Unmarshal(rec, &obj); err != nil {
			t.Fatalf("record is not JSON: %v: %q", err, rec)
		}
		id := *obj["record_id"]
		row, ok := want[id]
		if !ok || seen[id] {
			t.Fatalf("unexpected or duplicate record %s", id)
		}
		seen[id] = true
		for i, n := range names {
			if obj[n] == nil || *obj[n] != row[i] {
				t.Fatalf("record %s field %s = %v, want %q", id, n, obj[n], row[i])
			}
		}
		// Key order as customFieldNames.
		if !bytes.HasPrefix(rec, []byte(`{"cost":`)) {
			t.Fatalf("field order differs from customFieldNames: %q", rec)
		}
	}
	if len(seen) != 1000 {
		t.Fatalf("%d tickets arrived, want 1000", len(seen))
	}
	wire := "in CBOR (application/x-amz-cbor-1.1)"
	if disableCBOR {
		wire = "in JSON (application/x-amz-json-1.1): AWS_CBOR_DISABLE is set"
	}
	if !strings.Contains(logs.String(), "Kinesis PutRecords requests") || !strings.Contains(logs.String(), wire) {
		t.Fatalf("no start-up line saying PutRecords are sent %s:\n%s", wire, logs.String())
	}
}

func repoRoot(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// TestFileReadButUndeliveredBeforeRestartIsSentAfterRestart: with the
// default END_OF_FILE, a file created while the agent runs is read from 0;
// if none of its records were delivered before the agent stopped
// (destination unreachable), the restart must resume it at 0, not take it
// for a file present at first start and skip to its end.
func TestFileReadButUndeliveredBeforeRestartIsSentAfterRestart(t *testing.T) {
	ep := kinesistest.Endpoint(t)
	client := kinesistest.Client(t, ep)
	stream := kinesistest.CreateStream(t, client, 1)
	proxy, err := faultproxy.New(ep)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	proxy.SetRefuse(true)
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, proxy.URL(), stream, "")
	text, _ := os.ReadFile(cfgPath)
	text = []byte(strings.Replace(string(text), `"initialPosition": "START_OF_FILE",`, ``, 1))
	text = []byte(strings.Replace(string(text), `"shutdownTimeoutMillis": 5000`, `"shutdownTimeoutMillis": 1000`, 1))
	if err := os.WriteFile(cfgPath, text, 0o644); err != nil {
		t.Fatal(err)
	}
	var logs syncbuf.Buffer
	stop := runAgent(t, cfgPath, &logs)
	// Let the agent's first scan pass, then create the file: read from 0.
	time.Sleep(300 * time.Millisecond) // not a wait for a result: only orders the file after the first scan
	if err := os.WriteFile(filepath.Join(dir, "logs", "b.log"), []byte("b1\nb2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(dir, "checkpoints")
	deadline := time.Now().Add(20 * time.Second)
	for {
		store, err := checkpoint.Open(cp)
		if err == nil {
			ps, _ := store.Load("kinesis:" + stream + ":" + filepath.Join(dir, "logs") + "/*.log")
			store.Close()
			if len(ps) == 1 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no checkpoint row for b.log while it was being sent")
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop() // nothing was delivered
	if recs := kinesistest.ReadAll(t, client, stream); len(recs) != 0 {
		t.Fatalf("%d records arrived through a refusing proxy", len(recs))
	}
	// Java's line, once, from the agent (spec §5.9).
	if n := strings.Count(logs.String(), `msg="Not all executing send tasks finished cleanly by shutdown." component=Agent`); n != 1 {
		t.Errorf("%d agent lines about unfinished sends at the stop, want 1:\n%s", n, logs.String())
	}
	proxy.SetRefuse(false)
	stop2 := runAgent(t, cfgPath, &logs)
	got := kinesistest.WaitForRecords(t, client, stream, 2, 30*time.Second)
	stop2()
	if len(got) != 2 {
		t.Fatalf("after restart %d records, want b1 and b2", len(got))
	}
}
