package agent_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/agent"
	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/config"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/faultproxy"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/kinesistest"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/syncbuf"
)

// TestHealthzTurns503WhileKinesisIsUnreachableAndRecovers runs the agent
// with its status endpoint, sends through a proxy that refuses connections,
// and expects /healthz to report 503 once the flow has had pending data and
// no successful send for the stall window, then 200 after the endpoint
// comes back and everything has arrived. /metrics must show the flow.
func TestHealthzTurns503WhileKinesisIsUnreachableAndRecovers(t *testing.T) {
	ep := kinesistest.Endpoint(t)
	client := kinesistest.Client(t, ep)
	stream := kinesistest.CreateStream(t, client, 1)
	proxy, err := faultproxy.New(ep)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	proxy.SetRefuse(true)

	addr := freeLoopbackAddr(t)
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, proxy.URL(), stream, "")
	text, _ := os.ReadFile(cfgPath)
	withStatus := strings.Replace(string(text), `"shutdownTimeoutMillis": 5000,`,
		fmt.Sprintf(`"shutdownTimeoutMillis": 5000, "status.listenAddress": %q,`, addr), 1)
	withStatus = strings.Replace(withStatus, `"maxBufferAgeMillis": 1000`, `"maxBufferAgeMillis": 1000, "retryMaxBackoffMillis": 500`, 1)
	if err := os.WriteFile(cfgPath, []byte(withStatus), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "logs", "app.log"), []byte("one\ntwo\nthree\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(cfgPath, filepath.Join(dir, "agent.d"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var logs syncbuf.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	go func() {
		done <- agent.Run(ctx, cfg, agent.Options{Logger: logger, StatusStallAfter: 2 * time.Second})
	}()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Error("agent did not stop")
		}
	}()

	waitHealth(t, addr, http.StatusServiceUnavailable, 30*time.Second)
	proxy.SetRefuse(false)
	kinesistest.WaitForRecords(t, client, stream, 3, 30*time.Second)
	waitHealth(t, addr, http.StatusOK, 30*time.Second)

	body := get(t, "http://"+addr+"/metrics")
	for _, want := range []string{"kinesis_agent_", stream} {
		if !strings.Contains(body, want) {
			t.Fatalf("/metrics lacks %q:\n%s", want, body)
		}
	}
}

func waitHealth(t *testing.T, addr string, want int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := 0
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			last = resp.StatusCode
			resp.Body.Close()
			if last == want {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("/healthz stayed %d, want %d within %v", last, want, timeout)
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
