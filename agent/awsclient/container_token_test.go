package awsclient_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/config"
)

// echoingContainerEndpoint is a container credential endpoint that refuses
// every request and quotes its Authorization header in the error answer.
func echoingContainerEndpoint(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, "invalid authorization token "+r.Header.Get("Authorization")+" for this task")
	}))
	t.Cleanup(srv.Close)
	return srv
}

// AWS_CONTAINER_AUTHORIZATION_TOKEN, and the contents of
// AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (read again when it is rotated),
// are masked where a credential endpoint's error answer quotes them: in
// the start-up check's error and in Redact (the senders' log lines).
func TestTheContainerAuthorizationTokenIsMaskedWhereTheEndpointEchoesIt(t *testing.T) {
	const envToken = "EnvContainerToken-0123456789abcdef"
	fileTokens := []string{"FileContainerToken-first-0123456789", "FileContainerToken-rotated-987654321"}
	for _, tc := range []struct {
		name   string
		tokens []string
		setup  func(t *testing.T) func(i int)
	}{
		{"variable", []string{envToken}, func(t *testing.T) func(int) {
			t.Setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", envToken)
			return func(int) {}
		}},
		{"file, rotated", fileTokens, func(t *testing.T) func(int) {
			p := filepath.Join(t.TempDir(), "token")
			write := func(i int) {
				if err := os.WriteFile(p, []byte(fileTokens[i]), 0o600); err != nil {
					t.Fatal(err)
				}
				// (A rotation a second later: a new modification time.)
				mt := time.Now().Add(time.Duration(i) * time.Second)
				if err := os.Chtimes(p, mt, mt); err != nil {
					t.Fatal(err)
				}
			}
			write(0)
			t.Setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", p)
			return write
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			isolateEnv(t)
			rotate := tc.setup(t)
			t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", echoingContainerEndpoint(t).URL+"/creds")
			kin := newFakeAWS(t, nil)
			cfg := baseConfig()
			cfg.KinesisRegion = "us-east-1"
			cfg.KinesisEndpoint = kin.URL
			cfg.Flows = []config.Flow{{Kind: config.Kinesis, Destination: "s"}}
			c := mustNew(t, cfg)
			defer c.Close()
			for i, tok := range tc.tokens {
				rotate(i)
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				errs := c.Preflight(ctx, cfg.Flows)
				cancel()
				if len(errs) != 1 {
					t.Fatalf("Preflight: %v, want one error", errs)
				}
				msg := errs[0].Error()
				if !strings.Contains(msg, "invalid authorization token") {
					t.Fatalf("the endpoint's answer is not in the error: %s", msg)
				}
				if strings.Contains(msg, tok) {
					t.Errorf("Preflight error shows the token %s: %s", tok, msg)
				}
				if got := c.Redact("answer: token " + tok); strings.Contains(got, tok) {
					t.Errorf("Redact left the token %s: %s", tok, got)
				}
			}
		})
	}
}
