package agent_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/agent"
	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/config"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/fakeaws"
)

// Every goroutine the agent starts ends by the time Run returns, or just
// after: the flows, the background services (status endpoint, CloudWatch
// emitter, reporter, preflight, lock keeper) and the HTTP clients' pooled
// connections, whose net/http goroutines outlived Run until the server or
// the idle timeout closed them. From a review.
func TestRunLeavesNoGoroutinesBehind(t *testing.T) {
	fh := fakeaws.NewFirehose("fh")
	fhSrv := httptest.NewServer(fh)
	defer fhSrv.Close()
	cw := fakeaws.NewCloudWatch()
	cwSrv := httptest.NewServer(cw)
	defer cwSrv.Close()
	dir := t.TempDir()
	cfgPath := writeRawConfig(t, dir, fmt.Sprintf(`{
	  "kinesis.region": "us-east-1", "firehose.endpoint": %q,
	  "cloudwatch.endpoint": %q, "cloudwatch.metricsBufferTimeMillis": 500,
	  "status.listenAddress": "127.0.0.1:0",
	  "awsAccessKeyId": "AKIDFH", "awsSecretAccessKey": "fh-secret", "checkpointFile": "%%DIR%%/cp",
	  "flows": [{"filePattern": "%%DIR%%/logs/*.log", "deliveryStream": "fh",
	             "initialPosition": "START_OF_FILE", "maxBufferAgeMillis": 1000}]}`, fhSrv.URL, cwSrv.URL))
	if err := os.WriteFile(filepath.Join(dir, "logs", "a.log"), []byte("one\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(cfgPath, filepath.Join(t.TempDir(), "agent.d"))
	if err != nil {
		t.Fatal(err)
	}
	base := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- agent.Run(ctx, cfg, agent.Options{Version: "test", Logger: slog.New(slog.DiscardHandler)})
	}()
	wctx, wcancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer wcancel()
	if _, err := fh.WaitForRecords(wctx, "fh", 1); err != nil {
		t.Fatal(err)
	}
	for len(cw.Requests()) == 0 { // a connection to CloudWatch too
		if wctx.Err() != nil {
			t.Fatal("no CloudWatch call")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			var left []string
			for _, g := range strings.Split(string(buf), "\n\n") {
				if !strings.Contains(g, "testing.") && !strings.Contains(g, "TestRunLeavesNoGoroutinesBehind") && !strings.Contains(g, "httptest.(*Server).goServe") {
					left = append(left, g)
				}
			}
			t.Fatalf("5 s after Run returned: %d goroutines, %d before Run. Left:\n%s",
				runtime.NumGoroutine(), base, strings.Join(left, "\n\n"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}
