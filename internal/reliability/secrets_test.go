package reliability

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/faultproxy"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/kinesistest"
)

// sampleBody is one successful Travelpayouts answer (two tickets).
const sampleBody = `{"success":true,"data":[
{"show_to_affiliates":false,"trip_class":0,"origin":"LED","destination":"KZN","depart_date":"2026-12-01","return_date":"2026-12-02","number_of_changes":0,"value":4813,"found_at":"2026-11-20T10:01:02","distance":1201,"actual":true,"duration":100,"gate":"Pobeda"},
{"value":5120.50,"gate":"S7","destination":"KZN","origin":"LED","trip_class":1,"actual":false,"depart_date":"2026-12-03","return_date":"2026-12-04","number_of_changes":1,"found_at":"2026-11-19T23:59:59","distance":1201,"duration":245,"show_to_affiliates":true}
],"error":"","currency":"rub"}`

// TestSecretsNeverReachLogsOrOutput runs api_caller against a fake API that
// echoes the token back in every kind of error, then the agent at DEBUG
// with credentials and a session token from the environment while the
// destination rejects the token for a while (ExpiredTokenException,
// UnrecognizedClientException) and then accepts: the api_caller token, the
// secret key and the session token appear in no output (every other test
// of this package checks its agent runs the same way).
func TestSecretsNeverReachLogsOrOutput(t *testing.T) {
	parallel(t)
	s := newSetup(t, 1)
	var mode atomic.Value
	mode.Store("401")
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok := r.Header.Get("X-Access-Token")
		switch mode.Load().(string) {
		case "401":
			w.WriteHeader(401)
			fmt.Fprintf(w, `{"error":"token %s is not valid"}`, tok)
		case "500":
			w.WriteHeader(500)
			fmt.Fprintf(w, "internal error for %s at %s", tok, r.URL)
		case "false":
			fmt.Fprintf(w, `{"success":false,"data":null,"error":"token %s: quota exceeded","message":{"token":%q}}`, tok, tok)
		case "malformed":
			fmt.Fprintf(w, `{"success":tru %s`, tok)
		default:
			fmt.Fprint(w, sampleBody)
		}
	}))
	defer api.Close()
	var apiOut strings.Builder
	for i, m := range []string{"401", "500", "false", "malformed", "ok"} {
		mode.Store(m)
		args := []string{"--base-url", api.URL, "--out-dir", s.logs, "--timeout", "10s"}
		env := []string{"PATH=/usr/bin:/bin"}
		if i%2 == 0 {
			args = append(args, apiToken) // as the argument
		} else {
			env = append(env, "TRAVELPAYOUTS_TOKEN="+apiToken)
		}
		cmd := exec.Command(apiCallerBin, args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		fmt.Fprintf(&apiOut, "%s: %v: %s\n", m, err, out)
		if m == "ok" && err != nil {
			t.Fatalf("api_caller against a good answer: %v\n%s", err, out)
		}
		if m != "ok" && err == nil {
			t.Errorf("api_caller exited 0 on a %s answer", m)
		}
	}
	checkNoSecrets(t, "api_caller's output", apiOut.String())
	files, _ := filepath.Glob(filepath.Join(s.logs, "*"))
	if len(files) != 1 {
		t.Fatalf("api_caller wrote %d files, want 1 (from the good answer)", len(files))
	}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		checkNoSecrets(t, "api_caller's CSV file", string(b))
		if err := os.Rename(f, filepath.Join(s.logs, "tickets.log")); err != nil {
			t.Fatal(err)
		}
	}

	// The agent, at DEBUG, with the token rejected, then accepted.
	proxy, err := faultproxy.New(s.kinesaliteEndpoint())
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	s.endpoint = proxy.URL()
	s.envCreds = true
	proxy.SetPlan(func(call, _ int) faultproxy.Fault {
		switch {
		case call <= 2:
			return faultproxy.Fault{Status: 400, Code: "ExpiredTokenException"}
		case call <= 4:
			return faultproxy.Fault{Status: 400, Code: "UnrecognizedClientException"}
		}
		return faultproxy.Fault{}
	})
	writeSeqFile(t, filepath.Join(s.logs, "app.log"), 0, 100)
	p := s.start("-L", "DEBUG")
	var tl tally
	waitFor(60*time.Second, 500*time.Millisecond, func() bool {
		tl = countSeq(kinesistest.ReadAll(t, s.client, s.stream))
		return tl.records >= 102
	})
	p.term(t, 15*time.Second)
	if m, some := tl.missing(0, 100); m > 0 {
		t.Fatalf("%d lines lost (%v)", m, some)
	}
	if len(tl.bad) != 2 { // the two ticket lines
		t.Errorf("%d records besides the sequence lines, want the 2 tickets", len(tl.bad))
	}
	log := p.log()
	if !strings.Contains(log, "ExpiredTokenException") {
		t.Errorf("the rejected token was not reported:\n%s", tail(log, 2000))
	}
	t.Logf("secrets: api_caller (5 runs: 401, 500, success=false, malformed, ok; token as argument and in TRAVELPAYOUTS_TOKEN) and the agent at DEBUG (%d log bytes, %d PutRecords calls, 4 rejected for the token) print none of the secret key, session token or API token",
		len(log), proxy.Calls())
}

// TestSecretCheckFindsALeak proves the check every test runs can fail.
func TestSecretCheckFindsALeak(t *testing.T) {
	for _, sec := range []string{secretKey, sessionToken, apiToken} {
		if len(leaks("2026-11-21 ERROR x: signing with "+sec+" failed")) != 1 {
			t.Errorf("the secret check misses %.12s...", sec)
		}
	}
	if l := leaks("credentials=<redacted> " + accessKeyID); len(l) != 0 {
		t.Errorf("false positive: %v", l)
	}
}
