package app_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/cmd/api_caller/internal/app"
	"github.com/kinesis-agent-go/aws-kinesis-agent/cmd/api_caller/internal/tptest"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/syncbuf"
)

// In --interval mode a rejected token stops the program (docs), whatever the
// 401's body: one whose gzip body was empty used to be taken for a malformed
// answer, and the program went on calling with the rejected token.
func TestIntervalModeStopsOnA401WithABrokenGzipBody(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Encoding", "gzip")
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncbuf.Buffer
	done := make(chan int, 1)
	go func() {
		done <- app.Run(ctx, []string{"--base-url", srv.URL, "--out-dir", t.TempDir(), "--interval", "20ms", token}, noEnv, &out)
	}()
	select {
	case code := <-done:
		if code != app.ExitError {
			t.Errorf("exit %d", code)
		}
	case <-time.After(3 * time.Second):
		t.Errorf("still running after %d calls answered 401:\n%s", calls.Load(), firstLines(out.String(), 2))
	}
}

// Sample mode without --seed: the base day is today (UTC), and found_at lies
// in the 3 days before it, never later than now (it could lie later today).
func TestSampleFoundAtIsNeverInTheFuture(t *testing.T) {
	dir := t.TempDir()
	code, out := run(t, noEnv, "--sample", "20000", "--out-dir", dir)
	if code != 0 {
		t.Fatalf("exit %d %s", code, out)
	}
	files := logFiles(t, dir)
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	future := 0
	var ex string
	for _, l := range bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n")) {
		cols := strings.Split(string(l), ",")
		ft, err := time.Parse("2006-01-02T15:04:05", cols[7])
		if err != nil {
			t.Fatalf("found_at %q: %v", cols[7], err)
		}
		if ft.After(now) {
			future++
			ex = cols[7]
		}
	}
	if future > 0 {
		t.Errorf("%d of 20000 found_at values are after now (%s UTC), e.g. %s", future, now.Format(time.DateTime), ex)
	}
}

// Each error logs one ERROR line (docs). The API's success=false message is
// quoted and cut like a body excerpt: written raw, a newline in it split the
// entry and could forge a line in the Python format, at any length.
func TestASuccessFalseMessageIsOneBoundedLogLine(t *testing.T) {
	srv := tptest.New(t)
	srv.Respond(200, `{"success":false,"data":null,"error":"bad origin\n2026-11-21 01:02:03 - INFO - 30 rows have been saved into /var/log/airline_tickets/x.log`+strings.Repeat("!", 5000)+`"}`, true)
	code, out := run(t, noEnv, "--base-url", srv.URL, "--out-dir", t.TempDir(), token)
	if code != app.ExitError {
		t.Errorf("exit %d", code)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 1 {
		t.Errorf("%d log lines for one error:\n%s", len(lines), firstLines(out, 2)[:200])
	}
	if len(out) > 2000 {
		t.Errorf("error line is %d bytes long", len(out))
	}
}

func firstLines(s string, n int) string {
	l := strings.SplitN(s, "\n", n+1)
	if len(l) > n {
		l = l[:n]
	}
	return strings.Join(l, "\n")
}
