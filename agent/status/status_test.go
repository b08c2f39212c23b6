package status

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// serve starts s and stops it when the test ends.
func serve(t *testing.T, s *Server) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return "http://" + s.Addr()
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestNewRefusesNonLoopbackListenAddressUnlessAllowed(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "[::]:0", "192.0.2.10:0", "example.com:0"} {
		_, err := New(addr, false, nil)
		if !errors.Is(err, ErrNotLoopback) {
			t.Errorf("New(%q) = %v, want ErrNotLoopback", addr, err)
		}
	}
	if _, err := New("127.0.0.1", false, nil); err == nil || errors.Is(err, ErrNotLoopback) {
		t.Errorf("address without port: %v", err)
	}
	for _, addr := range []string{"127.0.0.1:0", "localhost:0"} {
		s, err := New(addr, false, nil)
		if err != nil {
			t.Fatalf("New(%q): %v", addr, err)
		}
		serve(t, s)
	}
	s, err := New(":0", true, nil)
	if err != nil {
		t.Fatalf("New(:0, allowRemote): %v", err)
	}
	serve(t, s)
}

func TestMetricsEndpointExposesFlowCountersAndLatency(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	f := flowstats.New("kinesis:s:/var/log/*.log", "s", false)
	f.RecordsParsed.Store(1000)
	f.BytesParsed.Store(123456)
	f.RecordsSkipped.Store(3)
	f.RecordsSent.Store(950)
	f.BytesSent.Store(95000)
	f.RecordSendErrors.Store(7)
	f.RetriedRecords.Store(7)
	f.LastSuccess.Store(clock.t.Add(-time.Second))
	f.SetFile(flowstats.FileState{FileID: "1", Path: "/var/log/a.log", Size: 5000, ReadOffset: 4000, AckedOffset: 3000,
		OldestUnacked: clock.t.Add(-42 * time.Second)})
	f.SetFile(flowstats.FileState{FileID: "2", Path: "/var/log/b.log", Size: 10})

	lat := NewLatencyObserver()
	lat.ObserveCall(flowstats.Call{Destination: "KinesisStream:s", Attempted: 2, Sent: 2, Latency: 30 * time.Millisecond})
	lat.ObserveCall(flowstats.Call{Destination: "KinesisStream:s", Attempted: 2, ServiceError: true, Latency: 2 * time.Second})

	s, err := New("127.0.0.1:0", false, []*flowstats.Flow{f}, WithLatency(lat), WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	code, body := get(t, serve(t, s)+"/metrics")
	if code != 200 {
		t.Fatalf("/metrics %d: %s", code, body)
	}
	l := `{destination="s",flow="kinesis:s:/var/log/*.log"} `
	for _, want := range []string{
		"kinesis_agent_records_parsed_total" + l + "1000",
		"kinesis_agent_bytes_parsed_total" + l + "123456",
		"kinesis_agent_records_skipped_total" + l + "3",
		"kinesis_agent_records_sent_total" + l + "950",
		"kinesis_agent_bytes_sent_total" + l + "95000",
		"kinesis_agent_records_failed_total" + l + "7",
		"kinesis_agent_records_retried_total" + l + "7",
		"kinesis_agent_bytes_behind" + l + "1010",
		"kinesis_agent_files_behind" + l + "2",
		"kinesis_agent_checkpoint_lag_bytes" + l + "1000",
		"kinesis_agent_oldest_unacked_age_seconds" + l + "42",
		"kinesis_agent_consecutive_processing_errors" + l + "0",
		"kinesis_agent_healthy" + l + "1",
		`kinesis_agent_send_latency_seconds_bucket{destination="KinesisStream:s",outcome="success",le="0.05"} 1`,
		`kinesis_agent_send_latency_seconds_count{destination="KinesisStream:s",outcome="error"} 1`,
		"# TYPE kinesis_agent_records_sent_total counter",
		"# TYPE kinesis_agent_bytes_behind gauge",
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(body)
	}
}

func TestHealthzReportsStalledFlowAndRecoversAfterSuccess(t *testing.T) {
	start := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := &fakeClock{t: start}
	f := flowstats.New("fh:d:/l/*", "d", true)
	// Everything read, half of it not yet acknowledged: data is pending.
	f.SetFile(flowstats.FileState{FileID: "1", Path: "/l/x", Size: 100, ReadOffset: 100, AckedOffset: 50, OldestUnacked: start})
	s, err := New("127.0.0.1:0", false, []*flowstats.Flow{f}, WithClock(clock.Now), WithStallAfter(2*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	url := serve(t, s) + "/healthz"

	clock.Set(start.Add(119 * time.Second))
	if code, body := get(t, url); code != 200 || body != "ok\n" {
		t.Fatalf("before the stall time: %d %q", code, body)
	}
	clock.Set(start.Add(2 * time.Minute))
	code, body := get(t, url)
	if code != 503 || !strings.Contains(body, "flow fh:d:/l/*: data pending") || !strings.Contains(body, "no successful send for 2m0s") {
		t.Fatalf("stalled flow: %d %q", code, body)
	}

	f.LastSuccess.Store(clock.Now())
	if code, body := get(t, url); code != 200 {
		t.Fatalf("after a success: %d %q", code, body)
	}
	clock.Set(start.Add(5 * time.Minute))
	if code, _ := get(t, url); code != 503 {
		t.Fatalf("stalled again after the last success: %d", code)
	}
	// Nothing pending: an old success is fine.
	f.UpdateFile("1", func(s *flowstats.FileState) { s.AckedOffset = 100; s.OldestUnacked = time.Time{} })
	if code, body := get(t, url); code != 200 {
		t.Fatalf("idle flow with nothing pending: %d %q", code, body)
	}
	f.ConsecutiveErrors.Store(3)
	if code, body := get(t, url); code != 503 || !strings.Contains(body, "3 consecutive processing errors") {
		t.Fatalf("consecutive errors: %d %q", code, body)
	}
	f.ConsecutiveErrors.Store(0)
	if code, _ := get(t, url); code != 200 {
		t.Fatalf("after errors cleared: %d", code)
	}
}

func TestStatusEndpointReportsFlowsAndFiles(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	f := flowstats.New("kinesis:s:/l/*", "s", false)
	f.RecordsSent.Store(5)
	f.SetFile(flowstats.FileState{FileID: "(dev=1,ino=2)", Path: "/l/a", Size: 30, ReadOffset: 20, AckedOffset: 10, OldestUnacked: clock.t.Add(-3 * time.Second)})
	s, err := New("127.0.0.1:0", false, []*flowstats.Flow{f}, WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	code, body := get(t, serve(t, s)+"/status")
	if code != 200 {
		t.Fatalf("/status %d", code)
	}
	var st Status
	if err := json.Unmarshal([]byte(body), &st); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	if len(st.Flows) != 1 || len(st.Flows[0].Files) != 1 {
		t.Fatalf("status: %s", body)
	}
	fl, fi := st.Flows[0], st.Flows[0].Files[0]
	if fl.ID != "kinesis:s:/l/*" || fl.RecordsSent != 5 || fl.BytesBehind != 10 || fl.CheckpointLagBytes != 10 ||
		fl.OldestUnackedAgeSeconds != 3 || !fl.Healthy || !st.Healthy {
		t.Errorf("flow: %+v", fl)
	}
	if fi.Path != "/l/a" || fi.FileID != "(dev=1,ino=2)" || fi.ReadOffset != 20 || fi.AckedOffset != 10 || fi.BytesBehind != 10 {
		t.Errorf("file: %+v", fi)
	}
}

func TestCloseReleasesAddressOfUnusedServer(t *testing.T) {
	s, err := New("127.0.0.1:0", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	addr := s.Addr()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := New(addr, false, nil)
	if err != nil {
		t.Fatalf("address not released: %v", err)
	}
	s2.ln.Close()
}
