package flows

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/syncbuf"
	"github.com/kinesis-agent-go/aws-kinesis-agent/processors"
)

// A converter that fails sends the original record (Java's raw fallback),
// counts a processing error per record, and logs one WARN with the count
// (at most every 10 s), not one line per record.
func TestFailingConverterSendsTheRawRecordsCountsThemAndWarnsOnceWithTheCount(t *testing.T) {
	// ADDEC2METADATA fails on records that are not JSON objects once it has
	// metadata, so a fake instance metadata service is enough to make it fail.
	imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPut && r.URL.Path == "/latest/api/token":
			w.Write([]byte("token"))
		case r.URL.Path == "/latest/dynamic/instance-identity/document":
			w.Write([]byte(`{"instanceId":"i-0123456789abcdef0","region":"us-east-1"}`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer imds.Close()
	chain, err := processors.Build([]processors.Option{{Key: "t", Name: "ADDEC2METADATA", LogFormat: "SYSLOG"}}, processors.Deps{IMDSEndpoint: imds.URL})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "a.log")
	content := "plain one\n{\"json\":true}\nplain two\nplain three\n"
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	var logs syncbuf.Buffer
	snd, sv := &memSender{}, &memSaver{saved: map[string]record.Position{}}
	cfg := flowConfig(dir)
	stats := flowstats.New(cfg.ID, "s", false)
	startFlow(t, cfg, Deps{Sender: snd, Saver: sv, Chain: chain, Stats: stats, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	eventually(t, "checkpoint at the end of the file", func() bool { return sv.offset(p) == int64(len(content)) })

	got := strings.Join(snd.got(), "")
	for _, raw := range []string{"plain one\n", "plain two\n", "plain three\n"} {
		if !strings.Contains(got, raw) {
			t.Errorf("raw record %q not sent as is; sent %q", raw, got)
		}
	}
	if !strings.Contains(got, `"instanceId":"i-0123456789abcdef0"`) {
		t.Errorf("the JSON record was not converted: %q", got)
	}
	if n := stats.ProcessingErrors.Load(); n != 3 {
		t.Errorf("processing errors %d, want 3", n)
	}
	if n := stats.RecordsTransformed.Load(); n != 1 {
		t.Errorf("records transformed %d, want 1", n)
	}
	warns := strings.Count(logs.String(), "falling back to raw data")
	if warns != 1 || !strings.Contains(logs.String(), "records=3") {
		t.Errorf("%d fallback WARN lines, want 1 with records=3:\n%s", warns, logs.String())
	}
}
