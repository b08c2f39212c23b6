package app_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kinesis-agent-go/aws-kinesis-agent/cmd/api_caller/internal/app"
	"github.com/kinesis-agent-go/aws-kinesis-agent/cmd/api_caller/internal/tptest"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/syncbuf"
)

const token = "tok-SECRET-0123456789abcdef"

func noEnv(string) string { return "" }

func run(t *testing.T, getenv func(string) string, args ...string) (int, string) {
	t.Helper()
	var out syncbuf.Buffer
	code := app.Run(context.Background(), args, getenv, &out)
	if strings.Contains(out.String(), token) {
		t.Errorf("token printed:\n%s", out.String())
	}
	return code, out.String()
}

var logLine = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d - (INFO|WARNING|ERROR|DEBUG) - .+$`)

func checkLogFormat(t *testing.T, out string) {
	t.Helper()
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if !logLine.MatchString(l) {
			t.Errorf("log line not in Python format: %q", l)
		}
	}
}

func logFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*log"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestRunWritesOneRowPerTicketMappedByName(t *testing.T) {
	srv := tptest.New(t)
	dir := filepath.Join(t.TempDir(), "out")
	code, out := run(t, noEnv, "--base-url", srv.URL, "--out-dir", dir, "--month", "2026-12",
		"--origin", "MOW", "--destination", "AER", "--currency", "usd", "--trip-duration", "+3", // sent as 3
		"--show-to-affiliates", "TRUE", token)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	checkLogFormat(t, out)
	if !strings.Contains(out, " - INFO - API has returned 3 items\n") {
		t.Errorf("no item count line:\n%s", out)
	}
	files := logFiles(t, dir)
	if len(files) != 1 {
		t.Fatalf("files %v", files)
	}
	if !strings.Contains(out, " - INFO - 3 rows have been saved into "+files[0]+"\n") {
		t.Errorf("no saved line for %s:\n%s", files[0], out)
	}
	if !regexp.MustCompile(`/\d{8}-\d{6}\.log$`).MatchString(files[0]) {
		t.Errorf("file name %s", files[0])
	}
	q := srv.Requests()[0].Query
	for k, v := range map[string]string{"origin": "MOW", "destination": "AER", "currency": "usd",
		"trip_duration": "3", "show_to_affiliates": "true", "month": "2026-12-01"} {
		if q.Get(k) != v {
			t.Errorf("query %s=%q want %q", k, q.Get(k), v)
		}
	}
	b, _ := os.ReadFile(files[0])
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != len(tptest.SampleRows) {
		t.Fatalf("%d lines:\n%s", len(lines), b)
	}
	ids := map[string]bool{}
	for i, l := range lines {
		cut := strings.LastIndexByte(l, ',')
		if l[:cut] != tptest.SampleRows[i] {
			t.Errorf("row %d\n got %s\nwant %s", i, l[:cut], tptest.SampleRows[i])
		}
		id, err := uuid.Parse(l[cut+1:])
		if err != nil || id.Version() != 4 {
			t.Errorf("record_id %q", l[cut+1:])
		}
		if ids[id.String()] {
			t.Errorf("record_id %s repeated", id)
		}
		ids[id.String()] = true
	}
}

func TestRunTakesTokenFromEnvironment(t *testing.T) {
	srv := tptest.New(t)
	env := func(k string) string {
		if k == app.TokenEnv {
			return token
		}
		return ""
	}
	code, out := run(t, env, "--base-url", srv.URL, "--out-dir", t.TempDir())
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	if got := srv.Requests()[0].Token; got != token {
		t.Error("token from environment not sent")
	}
}

func TestRunTokenArgumentMayPrecedeFlags(t *testing.T) {
	srv := tptest.New(t)
	dir := t.TempDir()
	code, out := run(t, noEnv, token, "--base-url", srv.URL, "--out-dir", dir)
	if code != 0 || len(logFiles(t, dir)) != 1 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

func TestRunWithoutTokenIsUsageError(t *testing.T) {
	code, out := run(t, noEnv, "--out-dir", t.TempDir())
	if code != app.ExitUsage || !strings.Contains(out, "TRAVELPAYOUTS_TOKEN") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}

func TestRunBadFlagsAreUsageErrors(t *testing.T) {
	for name, args := range map[string][]string{
		"bad month":           {"--month", "2026-13", token},
		"bad show":            {"--show-to-affiliates", "maybe", token},
		"bad trip duration":   {"--trip-duration", "x", token},
		"two arguments":       {token, "extra"},
		"seed without sample": {"--seed", "1", token},
		"zero sample":         {"--sample", "0"},
		"bad month in sample": {"--sample", "5", "--month", "garbage"},
		"bad show in sample":  {"--sample", "5", "--show-to-affiliates", "maybe"},
		"unknown flag":        {"--nope", token},
	} {
		t.Run(name, func(t *testing.T) {
			if code, out := run(t, noEnv, args...); code != app.ExitUsage {
				t.Errorf("exit %d:\n%s", code, out)
			}
		})
	}
}

func TestRunErrorsLogOneLineAndLeaveNoFile(t *testing.T) {
	tests := map[string]struct {
		status int
		body   string
		want   string
	}{
		"token rejected 401": {401, `{"error":"Unauthorized ` + token + `"}`, "token rejected: HTTP 401"},
		"token rejected 403": {403, ``, "token rejected: HTTP 403"},
		"server error":       {502, `bad gateway`, "unexpected HTTP status: HTTP 502"},
		"success false":      {200, `{"success":false,"data":null,"error":"invalid origin"}`, `success=false: "invalid origin"`},
		"malformed json":     {200, `{"success":tru`, "malformed API response"},
		"empty data":         {200, `{"success":true,"data":[]}`, "API returned no tickets"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			srv := tptest.New(t)
			srv.Respond(tc.status, tc.body, true)
			dir := t.TempDir()
			code, out := run(t, noEnv, "--base-url", srv.URL, "--out-dir", dir, token)
			if code != app.ExitError {
				t.Errorf("exit %d", code)
			}
			checkLogFormat(t, out)
			if n := strings.Count(out, "\n"); n != 1 || !strings.Contains(out, " - ERROR - ") || !strings.Contains(out, tc.want) {
				t.Errorf("want one ERROR line containing %q, got:\n%s", tc.want, out)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("left files: %v", entries)
			}
		})
	}
}

func TestRunUnreachableServerFailsWithinTimeout(t *testing.T) {
	srv := tptest.New(t)
	srv.Close()
	dir := t.TempDir()
	code, out := run(t, noEnv, "--base-url", srv.URL, "--out-dir", dir, "--timeout", "2s", token)
	if code != app.ExitError || !strings.Contains(out, " - ERROR - GET ") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("left files: %v", entries)
	}
}

func TestRunUncreatableOutDirIsClearError(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f")
	_ = os.WriteFile(file, nil, 0o644)
	code, out := run(t, noEnv, "--sample", "3", "--out-dir", filepath.Join(file, "dir"))
	if code != app.ExitError || !strings.Contains(out, "create output directory") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

func TestSampleWithSeedIsReproducible(t *testing.T) {
	d1, d2 := t.TempDir(), t.TempDir()
	for _, d := range []string{d1, d2} {
		if code, out := run(t, noEnv, "--sample", "200", "--seed", "42", "--out-dir", d); code != 0 {
			t.Fatalf("exit %d:\n%s", code, out)
		}
	}
	f1, f2 := logFiles(t, d1), logFiles(t, d2)
	if len(f1) != 1 || len(f2) != 1 {
		t.Fatalf("files %v %v", f1, f2)
	}
	b1, _ := os.ReadFile(f1[0])
	b2, _ := os.ReadFile(f2[0])
	if !bytes.Equal(b1, b2) || bytes.Count(b1, []byte("\n")) != 200 {
		t.Error("outputs differ or are not 200 lines")
	}
}

func TestIntervalWritesAFilePerCallUntilCancelled(t *testing.T) {
	srv := tptest.New(t)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncbuf.Buffer
	done := make(chan int, 1)
	go func() {
		done <- app.Run(ctx, []string{"--base-url", srv.URL, "--out-dir", dir, "--interval", "20ms", token}, noEnv, &out)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for len(logFiles(t, dir)) < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("fewer than 3 files after 20s:\n%s", out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit %d", code)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("did not stop after cancel")
	}
	if strings.Contains(out.String(), token) {
		t.Error("token printed")
	}
	// The call in flight at cancel may be cut short: it leaves no file.
	if calls, files := len(srv.Requests()), len(logFiles(t, dir)); files != calls && files != calls-1 {
		t.Errorf("%d calls but %d files", calls, files)
	}
	if tmp, _ := filepath.Glob(filepath.Join(dir, ".*.tmp")); len(tmp) != 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
}

func TestIntervalKeepsGoingAfterServerErrorButStopsOnRejectedToken(t *testing.T) {
	srv := tptest.New(t)
	srv.Respond(500, "down", false)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncbuf.Buffer
	done := make(chan int, 1)
	go func() {
		done <- app.Run(ctx, []string{"--base-url", srv.URL, "--out-dir", dir, "--interval", "20ms", token}, noEnv, &out)
	}()
	deadline := time.Now().Add(20 * time.Second)
	for len(srv.Requests()) < 2 {
		if time.Now().After(deadline) {
			t.Fatal("no second call after a server error")
		}
		time.Sleep(5 * time.Millisecond)
	}
	srv.Respond(401, "no", false)
	select {
	case code := <-done:
		if code != app.ExitError {
			t.Errorf("exit %d after rejected token", code)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("kept running with a rejected token")
	}
	if len(logFiles(t, dir)) != 0 {
		t.Error("files written from errors")
	}
}
