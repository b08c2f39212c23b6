package agent_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/kinesis-agent-go/aws-kinesis-agent/agent"
	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/config"
	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/logging"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/fakeaws"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/kinesistest"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/syncbuf"
)

// writeRawConfig writes agent.json text (with %DIR% replaced) and the logs dir.
func writeRawConfig(t *testing.T, dir, text string) string {
	t.Helper()
	p := filepath.Join(dir, "agent.json")
	if err := os.WriteFile(p, []byte(strings.ReplaceAll(text, "%DIR%", dir)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "logs"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestFirehoseFlowAggregatesLinesAndSurvivesPartialFailure: a flow with both
// deliveryStream and kinesisStream is a Firehose flow (Java §10.6); with
// aggregatedRecordSizeBytes 10, lines written at once are packed as Java
// packs them (§10.25); an entry the server fails is resent alone and every
// record arrives exactly once.
func TestFirehoseFlowAggregatesLinesAndSurvivesPartialFailure(t *testing.T) {
	fh := fakeaws.NewFirehose("tickets-fh")
	fh.SetPlan(func(call, n int) fakeaws.FirehoseFault {
		if call == 1 {
			return fakeaws.FirehoseFault{FailEntries: []int{0}}
		}
		return fakeaws.FirehoseFault{}
	})
	srv := httptest.NewServer(fh)
	defer srv.Close()
	dir := t.TempDir()
	cfgPath := writeRawConfig(t, dir, fmt.Sprintf(`{
	  "cloudwatch.emitMetrics": false, "kinesis.region": "us-east-1", "firehose.endpoint": %q,
	  "awsAccessKeyId": "AKIDFH", "awsSecretAccessKey": "fh-secret", "checkpointFile": "%%DIR%%/cp",
	  "flows": [{"filePattern": "%%DIR%%/logs/*.log", "deliveryStream": "tickets-fh", "kinesisStream": "ignored",
	             "initialPosition": "START_OF_FILE", "maxBufferAgeMillis": 1000, "aggregatedRecordSizeBytes": 10,
	             "retryInitialBackoffMillis": 10}]}`, srv.URL))
	if err := os.WriteFile(filepath.Join(dir, "logs", "a.log"), []byte("AAAA\nBBBB\nCCCC\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var logs syncbuf.Buffer
	stop := runAgent(t, cfgPath, &logs)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := fh.WaitForRecords(ctx, "tickets-fh", 2); err != nil {
		t.Fatalf("waiting for Firehose records: %v (calls %d, errors %q)", err, fh.Calls(), fh.Errors())
	}
	stop()
	got := fh.Records("tickets-fh")
	var s []string
	for _, r := range got {
		s = append(s, string(r))
	}
	if len(s) != 2 || !contains(s, "AAAA\nBBBB\n") || !contains(s, "CCCC\n") {
		t.Fatalf("Firehose records %q, want exactly AAAA\\nBBBB\\n and CCCC\\n", s)
	}
	if fh.Calls() < 2 {
		t.Fatalf("%d PutRecordBatch calls; the failed entry should have been resent", fh.Calls())
	}
}

// TestCloudWatchMetricsAndProgressLinesMatchWhatWasShipped ships a known
// number of records and checks the CloudWatch datums (names, units,
// dimensions, namespace, sums) and the Java progress line counts; a
// CloudWatch that hangs on every call must not delay delivery.
func TestCloudWatchMetricsAndProgressLinesMatchWhatWasShipped(t *testing.T) {
	client, stream, cw, cfgPath := cloudWatchSetup(t, `"cloudwatch.emitMetrics": "yes", "log.statusReportingPeriodSeconds": 1`)
	dir := filepath.Dir(cfgPath)
	lines := "r1\nr2\nr3\nr4\nr5\nr6\nr7\n"
	if err := os.WriteFile(filepath.Join(dir, "logs", "a.log"), []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	var logs syncbuf.Buffer
	stop := runAgent(t, cfgPath, &logs)
	kinesistest.WaitForRecords(t, client, stream, 7, 30*time.Second)

	dest := "KinesisStream:" + stream
	sumIn := func(datums []fakeaws.CWDatum, name, destination string) (float64, string) {
		var total float64
		unit := ""
		for _, d := range datums {
			if v, _ := d.Dim("Destination"); d.MetricName == name && v == destination {
				if d.Namespace != "AWSKinesisAgent" {
					t.Fatalf("namespace %q, want AWSKinesisAgent", d.Namespace)
				}
				unit = d.Unit
				if d.Stats != nil {
					total += d.Stats.Sum
				} else if d.Value != nil {
					total += *d.Value
				}
			}
		}
		return total, unit
	}
	sum := func(name, destination string) (float64, string) { return sumIn(cw.Datums(), name, destination) }
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if !cw.WaitFor(ctx, func(reqs []fakeaws.CWRequest) bool {
		var datums []fakeaws.CWDatum
		for _, r := range reqs {
			datums = append(datums, r.Datums...)
		}
		n, _ := sumIn(datums, "RecordsSent", dest)
		_, u := sumIn(datums, "ConsecutiveProcessingErrors", stream)
		return n >= 7 && u != ""
	}) {
		t.Fatalf("CloudWatch never reported 7 RecordsSent for %s; datums: %+v", dest, cw.Datums())
	}
	for name, want := range map[string]struct {
		v    float64
		unit string
	}{
		"RecordSendAttempts": {7, "Count"}, "RecordsSent": {7, "Count"}, "RecordSendErrors": {0, "Count"},
		"ServiceErrors": {0, "Count"}, "BytesSent": {float64(len(lines)), "Bytes"},
	} {
		if v, u := sum(name, dest); v != want.v || u != want.unit {
			t.Errorf("%s{Destination=%s} = %v %s, want %v %s", name, dest, v, u, want.v, want.unit)
		}
	}
	if _, u := sum("ConsecutiveProcessingErrors", stream); u != "Count" {
		t.Errorf("ConsecutiveProcessingErrors with the bare destination %q: unit %q", stream, u)
	}

	// Progress lines with Java's wording and the right counts.
	progress := regexp.MustCompile(`Agent: Progress: 7 records parsed \(21 bytes\), and 7 records sent successfully to destinations\. Uptime: \d+ms`)
	tailer := regexp.MustCompile(`FileTailer\[kinesis:` + regexp.QuoteMeta(stream) + `:[^\]]+\]: Tailer Progress: Tailer has parsed 7 records \(21 bytes\), transformed 0 records, skipped 0 records, and has successfully sent 7 records to destination\.`)
	deadline := time.Now().Add(30 * time.Second)
	for !(progress.MatchString(logs.String()) && tailer.MatchString(logs.String())) {
		if time.Now().After(deadline) {
			t.Fatalf("no progress lines with 7 records in the log:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	// A CloudWatch that hangs does not slow delivery.
	cw.SetDelay(time.Minute)
	if err := os.WriteFile(filepath.Join(dir, "logs", "b.log"), []byte("s1\ns2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	kinesistest.WaitForRecords(t, client, stream, 9, 30*time.Second)
	cw.SetDelay(0)
	stop()
}

// TestEmitMetricsFalseMakesNoCloudWatchCall: with cloudwatch.emitMetrics
// false nothing is sent to CloudWatch at all.
func TestEmitMetricsFalseMakesNoCloudWatchCall(t *testing.T) {
	client, stream, cw, cfgPath := cloudWatchSetup(t, `"cloudwatch.emitMetrics": "no", "cloudwatch.tagInstance": true`)
	dir := filepath.Dir(cfgPath)
	if err := os.WriteFile(filepath.Join(dir, "logs", "a.log"), []byte("x\ny\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var logs syncbuf.Buffer
	stop := runAgent(t, cfgPath, &logs)
	kinesistest.WaitForRecords(t, client, stream, 2, 30*time.Second)
	stop() // shutdown would flush metrics if any were queued
	if n := len(cw.Requests()); n != 0 {
		t.Fatalf("%d CloudWatch calls with emitMetrics false, want 0", n)
	}
}

// A start that fails (the status port taken, say by node_exporter on 9100)
// sends nothing to CloudWatch: a final sample of ConsecutiveProcessingErrors
// would tell OBSERVABILITY.md's "agent gone" alarm, which relies on missing
// data, that an agent in a crash loop is alive.
func TestAFailedStartSendsNoMetricToCloudWatch(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	_, _, cw, cfgPath := cloudWatchSetup(t, fmt.Sprintf(`"status.listenAddress": %q`, taken.Addr().String()))
	cfg, err := config.Load(cfgPath, filepath.Join(t.TempDir(), "agent.d"))
	if err != nil {
		t.Fatal(err)
	}
	var logs syncbuf.Buffer
	err = agent.Run(context.Background(), cfg, agent.Options{Version: "test", Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err == nil {
		t.Fatal("the start succeeded on a taken status port")
	}
	if n := len(cw.Requests()); n != 0 {
		t.Fatalf("a failed start (%v) made %d CloudWatch calls, want 0", err, n)
	}
}

// cloudWatchSetup gives a Kinesis stream on kinesalite, a fake CloudWatch,
// and an agent.json (extra top-level keys spliced in) whose flow ships
// dir/logs/*.log to that stream from the start.
func cloudWatchSetup(t *testing.T, extra string) (*kinesis.Client, string, *fakeaws.CloudWatch, string) {
	t.Helper()
	ep := kinesistest.Endpoint(t)
	client := kinesistest.Client(t, ep)
	stream := kinesistest.CreateStream(t, client, 1)
	cw := fakeaws.NewCloudWatch()
	cwSrv := httptest.NewServer(cw)
	t.Cleanup(cwSrv.Close)
	cfgPath := writeRawConfig(t, t.TempDir(), fmt.Sprintf(`{
	  %s, "cloudwatch.endpoint": %q, "cloudwatch.metricsBufferTimeMillis": 500,
	  "kinesis.endpoint": %q, "kinesis.region": "us-east-1",
	  "awsAccessKeyId": "AKIDCW", "awsSecretAccessKey": "cw-secret", "checkpointFile": "%%DIR%%/cp",
	  "flows": [{"filePattern": "%%DIR%%/logs/*.log", "kinesisStream": %q,
	             "initialPosition": "START_OF_FILE", "maxBufferAgeMillis": 1000}]}`, extra, cwSrv.URL, ep, stream))
	return client, stream, cw, cfgPath
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// The start-up lines scripts parse keep Java's text and order (spec §1.2
// step 6): "null: Agent will use up to <N> threads…" (no component), then
// "Deleted <n> old checkpoints." (no component), then the start.
func TestStartupLinesKeepJavasTextAndOrder(t *testing.T) {
	fh := fakeaws.NewFirehose("s1")
	srv := httptest.NewServer(fh)
	defer srv.Close()
	dir := t.TempDir()
	cfgPath := writeRawConfig(t, dir, fmt.Sprintf(`{
	  "cloudwatch.emitMetrics": false, "kinesis.region": "us-east-1", "firehose.endpoint": %q,
	  "awsAccessKeyId": "AKIDFH", "awsSecretAccessKey": "fh-secret", "checkpointFile": "%%DIR%%/cp",
	  "maxSendingThreads": 7,
	  "flows": [{"filePattern": "%%DIR%%/logs/a*.log", "deliveryStream": "s1"}]}`, srv.URL))
	cfg, err := config.Load(cfgPath, "")
	if err != nil {
		t.Fatal(err)
	}
	var buf syncbuf.Buffer
	logger := slog.New(logging.NewHandler(logging.NewWriterOutput(&buf), slog.LevelInfo))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- agent.Run(ctx, cfg, agent.Options{Logger: logger}) }()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(buf.String(), "Startup completed") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	re := regexp.MustCompile(`(?s)^\S+ \S+ INFO null: Agent will use up to 7 threads for sending data\.\n(?:[^\n]*\n)*?` +
		`\S+ \S+ INFO Deleted 0 old checkpoints\.\n.*INFO Agent: Starting up\.\.\.`)
	if !re.MatchString(out) {
		t.Errorf("start-up lines differ from Java's text or order:\n%s", out)
	}
}

// A least-privilege role may send but not describe: the start-up check
// then logs a WARN naming the permission it lacks (not an ERROR, which
// reads as "cannot send"), and the records go out.
func TestARoleThatMaySendButNotDescribeGetsAWarnAndShips(t *testing.T) {
	fh := fakeaws.NewFirehose("s1")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Amz-Target") == "Firehose_20150804.DescribeDeliveryStream" {
			w.Header().Set("Content-Type", "application/x-amz-json-1.1")
			w.WriteHeader(400)
			_, _ = w.Write([]byte(`{"__type":"AccessDeniedException","message":"not authorized to perform: firehose:DescribeDeliveryStream"}`))
			return
		}
		fh.ServeHTTP(w, r)
	}))
	defer srv.Close()
	dir := t.TempDir()
	cfgPath := writeRawConfig(t, dir, fmt.Sprintf(`{
	  "cloudwatch.emitMetrics": false, "kinesis.region": "us-east-1", "firehose.endpoint": %q,
	  "awsAccessKeyId": "AKIDFH", "awsSecretAccessKey": "fh-secret", "checkpointFile": "%%DIR%%/cp",
	  "flows": [{"filePattern": "%%DIR%%/logs/*.log", "deliveryStream": "s1",
	             "initialPosition": "START_OF_FILE", "maxBufferAgeMillis": 1000}]}`, srv.URL))
	if err := os.WriteFile(filepath.Join(dir, "logs", "a.log"), []byte("one\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var logs syncbuf.Buffer
	stop := runAgent(t, cfgPath, &logs)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := fh.WaitForRecords(ctx, "s1", 1); err != nil {
		t.Fatalf("waiting for the record: %v\n%s", err, logs.String())
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "needs firehose:DescribeDeliveryStream") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	out := logs.String()
	warn := regexp.MustCompile(`(?m)^.* level=WARN .*firehose delivery stream .*s1.*AccessDeniedException.*needs firehose:DescribeDeliveryStream; sending needs firehose:PutRecordBatch`)
	if !warn.MatchString(out) {
		t.Errorf("no WARN naming the describe permission:\n%s", out)
	}
	if strings.Contains(out, "level=ERROR") {
		t.Errorf("an ERROR was logged for a role that may send:\n%s", out)
	}
}

// The sender's ERROR for a failing destination names the region its calls
// are signed for, as the start-up check does: a Firehose endpoint may name
// (or default to) another region than the agent's (here us-east-1 against
// AWS_REGION eu-west-1), and "Cannot send ... in region eu-west-1" sends
// the reader of a "not found" to the wrong region. From a review of the
// Java agent's issues (awslabs/amazon-kinesis-agent#13, #194).
func TestTheSendersErrorNamesTheRegionTheFirehoseCallsAreSignedFor(t *testing.T) {
	for _, k := range []string{"AWS_PROFILE", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))

	fh := fakeaws.NewFirehose("other")
	scopeRe := regexp.MustCompile(`Credential=[^/]+/\d+/([^/]+)/`)
	signed := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m := scopeRe.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
			select {
			case signed <- m[1]:
			default:
			}
		}
		fh.ServeHTTP(w, r)
	}))
	defer srv.Close()
	dir := t.TempDir()
	cfgPath := writeRawConfig(t, dir, fmt.Sprintf(`{
	  "cloudwatch.emitMetrics": false, "firehose.endpoint": %q,
	  "awsAccessKeyId": "AKIDFH", "awsSecretAccessKey": "fh-secret", "checkpointFile": "%%DIR%%/cp",
	  "flows": [{"filePattern": "%%DIR%%/logs/*.log", "deliveryStream": "missing",
	             "initialPosition": "START_OF_FILE", "maxBufferAgeMillis": 1000, "retryInitialBackoffMillis": 10}]}`, srv.URL))
	if err := os.WriteFile(filepath.Join(dir, "logs", "a.log"), []byte("one\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var logs syncbuf.Buffer
	stop := runAgent(t, cfgPath, &logs)
	errLine := ""
	for deadline := time.Now().Add(20 * time.Second); errLine == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, "Cannot send to delivery stream missing") {
				errLine = l
				break
			}
		}
	}
	stop()
	if errLine == "" {
		t.Fatalf("no sender ERROR for the missing delivery stream:\n%s", logs.String())
	}
	var region string
	select {
	case region = <-signed:
	default:
		t.Fatalf("no signed call:\n%s", logs.String())
	}
	if region == "eu-west-1" {
		t.Fatalf("the calls are signed for the agent's region %s: the test needs another", region)
	}
	if want := "in region " + region + " at endpoint"; !strings.Contains(errLine, want) {
		t.Errorf("the sender's ERROR does not name the region its calls are signed for (%q): %s", want, errLine)
	}
}
