package awsclient_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"

	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/awsclient"
	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/config"
)

// startKinesalite starts kinesalite on a free port and returns its URL.
// Without node or kinesalite it skips, or fails when
// AGENT_REQUIRE_EMULATORS=1. (A small starter; internal/kinesistest is the
// shared harness.)
func startKinesalite(t *testing.T) string {
	t.Helper()
	unavailable := func(format string, a ...any) {
		t.Helper()
		if os.Getenv("AGENT_REQUIRE_EMULATORS") == "1" {
			t.Fatalf("kinesalite required: "+format, a...)
		}
		t.Skipf("kinesalite unavailable: "+format, a...)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		unavailable("no node: %v", err)
	}
	cli := ""
	for dir, _ := os.Getwd(); ; dir = filepath.Dir(dir) {
		p := filepath.Join(dir, ".ci", "emulators", "node_modules", "kinesalite", "cli.js")
		if _, err := os.Stat(p); err == nil {
			cli = p
			break
		}
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil || filepath.Dir(dir) == dir {
			break
		}
	}
	if cli == "" {
		unavailable("no .ci/emulators/node_modules/kinesalite (run make emulators)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command(node, cli, "--port", fmt.Sprint(port), "--createStreamMs", "20", "--shardLimit", "1000")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		unavailable("start: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
	})
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(url + "/") // any HTTP answer (403) means ready
		if err == nil {
			resp.Body.Close()
			return url
		}
		select {
		case <-done:
			t.Fatalf("kinesalite exited before answering")
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("kinesalite not answering on %s after 20s: %v", url, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// countingClient counts requests per X-Amz-Target.
type countingClient struct {
	targets map[string]*atomic.Int32
	next    *http.Client
}

func (c *countingClient) Do(r *http.Request) (*http.Response, error) {
	if n, ok := c.targets[r.Header.Get("X-Amz-Target")]; ok {
		n.Add(1)
	}
	return c.next.Do(r)
}

func TestPreflightAgainstKinesalite(t *testing.T) {
	isolateEnv(t)
	ep := startKinesalite(t)
	counts := &countingClient{
		targets: map[string]*atomic.Int32{
			"Kinesis_20131202.DescribeStreamSummary":   {},
			"Firehose_20150804.DescribeDeliveryStream": {},
		},
		next: &http.Client{},
	}
	cfg := baseConfig()
	cfg.KinesisRegion = "us-east-1"
	cfg.KinesisEndpoint = ep
	cfg.FirehoseEndpoint = ep // kinesalite knows no Firehose: an error to report
	cfg.AWSAccessKeyID, cfg.AWSSecretAccessKey = "AKIDEXAMPLE", "secret"
	c := mustNew(t, cfg, awsclient.WithHTTPClient(counts))

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := c.Kinesis.CreateStream(ctx, &kinesis.CreateStreamInput{StreamName: aws.String("present"), ShardCount: aws.Int32(1)}); err != nil {
		t.Fatal(err)
	}
	w := kinesis.NewStreamExistsWaiter(c.Kinesis, func(o *kinesis.StreamExistsWaiterOptions) { o.MinDelay = 50 * time.Millisecond })
	if err := w.Wait(ctx, &kinesis.DescribeStreamInput{StreamName: aws.String("present")}, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	counts.targets["Kinesis_20131202.DescribeStreamSummary"].Store(0)

	flows := []config.Flow{
		{Kind: config.Kinesis, Destination: "present"},
		{Kind: config.Kinesis, Destination: "missing"},
		{Kind: config.Kinesis, Destination: "present"},
		{Kind: config.Firehose, Destination: "fh-stream"},
		{Kind: config.Kinesis, Destination: "missing"},
		{Kind: config.Firehose, Destination: "fh-stream"},
	}
	errs := c.Preflight(ctx, flows)
	t.Logf("preflight errors: %v", errs)
	if len(errs) != 2 {
		t.Fatalf("%d errors, want 2 (missing, fh-stream): %v", len(errs), errs)
	}
	var pe *awsclient.PreflightError
	if !errors.As(errs[0], &pe) || pe.Destination != "missing" || pe.Code != "ResourceNotFoundException" {
		t.Errorf("first error %v (%+v)", errs[0], pe)
	}
	msg := errs[0].Error()
	for _, want := range []string{`kinesis stream "missing"`, "us-east-1", ep, "ResourceNotFoundException", "missing"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if !errors.As(errs[1], &pe) || pe.Kind != config.Firehose || pe.Destination != "fh-stream" || pe.Code == "" {
		t.Errorf("second error %v", errs[1])
	}
	if !strings.Contains(errs[1].Error(), `firehose delivery stream "fh-stream"`) {
		t.Errorf("second error %q", errs[1])
	}
	if n := counts.targets["Kinesis_20131202.DescribeStreamSummary"].Load(); n != 2 {
		t.Errorf("%d DescribeStreamSummary calls, want 2 (one per distinct stream)", n)
	}
	if n := counts.targets["Firehose_20150804.DescribeDeliveryStream"].Load(); n != 1 {
		t.Errorf("%d DescribeDeliveryStream calls, want 1", n)
	}
	if errs := c.Preflight(ctx, flows[:1]); len(errs) != 0 {
		t.Errorf("existing stream reported: %v", errs)
	}
}

func TestPreflightReportsUnreachableEndpoint(t *testing.T) {
	isolateEnv(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ep := "http://" + l.Addr().String()
	l.Close()
	cfg := baseConfig()
	cfg.KinesisRegion, cfg.KinesisEndpoint = "us-east-1", ep
	cfg.AWSAccessKeyID, cfg.AWSSecretAccessKey = "AKID", "secret"
	c := mustNew(t, cfg, awsclient.WithMaxAttempts(1))
	errs := c.Preflight(context.Background(), []config.Flow{{Kind: config.Kinesis, Destination: "s"}})
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), ep) || !strings.Contains(errs[0].Error(), "connection refused") {
		t.Fatalf("errors %v", errs)
	}
}
