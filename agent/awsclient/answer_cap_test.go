package awsclient_test

import (
	"net/http"
	"strings"
	"testing"
)

// A wrong endpoint, a proxy or a captive portal that answers 200 with a
// huge (or endless) body: the SDK read it whole into memory (a 128 MiB
// answer: +400 MiB of heap). Answers are cut at 16 MiB and the call fails,
// naming the cause.
func TestAnAnswerOfMoreThan16MiBIsNotReadWhole(t *testing.T) {
	isolateEnv(t)
	srv := newFakeAWS(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		pad := []byte(strings.Repeat(" ", 1<<20))
		for range 20 {
			if _, err := w.Write(pad); err != nil {
				return
			}
		}
		_, _ = w.Write([]byte("{}"))
	})
	cfg := baseConfig()
	cfg.KinesisRegion, cfg.KinesisEndpoint = "us-east-1", srv.URL
	cfg.AWSAccessKeyID, cfg.AWSSecretAccessKey = "AKIDEXAMPLE", "secret"
	c := mustNew(t, cfg)
	err := describe(t, c)
	if err == nil || !strings.Contains(err.Error(), "larger than 16 MiB") {
		t.Fatalf("a 20 MiB answer: %v, want the call refused as larger than 16 MiB", err)
	}
}
