package awsclient_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/config"
)

// The start-up check's error for a failure getting credentials names the
// call that failed, its HTTP status and the credential source: an STS
// AssumeRole 403 with an empty body said "UnknownError: UnknownError
// (while getting credentials)", and a container endpoint's refusal did
// not say it came from the container endpoint.
func TestPreflightErrorsGettingCredentialsNameTheCallTheStatusAndTheSource(t *testing.T) {
	t.Run("STS AssumeRole 403 with an empty body", func(t *testing.T) {
		isolateEnv(t)
		sts := newFakeAWS(t, func(w http.ResponseWriter, _ *http.Request, _ []byte) { w.WriteHeader(http.StatusForbidden) })
		kin := newFakeAWS(t, nil)
		cfg := baseConfig()
		cfg.KinesisRegion = "us-east-1"
		cfg.KinesisEndpoint, cfg.STSEndpoint = kin.URL, sts.URL
		cfg.AWSAccessKeyID, cfg.AWSSecretAccessKey = "AKIDBASE", baseSecret
		cfg.AssumeRoleARN = "arn:aws:iam::123456789012:role/agent"
		c := mustNew(t, cfg)
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		errs := c.Preflight(ctx, []config.Flow{{Kind: config.Kinesis, Destination: "s"}})
		if len(errs) != 1 {
			t.Fatalf("Preflight: %v", errs)
		}
		msg := errs[0].Error()
		want := "STS: AssumeRole: HTTP 403 Forbidden: no error code or message in the answer (while getting credentials: " +
			"assume role arn:aws:iam::123456789012:role/agent (long-lived: awsAccessKeyId/awsSecretAccessKey from agent.json))"
		if !strings.Contains(msg, want) || strings.Contains(msg, "UnknownError") || strings.Contains(msg, baseSecret) {
			t.Errorf("error:\n%s\nwant:\n%s", msg, want)
		}
	})
	t.Run("container endpoint 403", func(t *testing.T) {
		isolateEnv(t)
		ecs := newFakeAWS(t, func(w http.ResponseWriter, _ *http.Request, _ []byte) {
			w.WriteHeader(http.StatusForbidden)
			_, _ = io.WriteString(w, "task role not found")
		})
		t.Setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", ecs.URL+"/creds")
		kin := newFakeAWS(t, nil)
		cfg := baseConfig()
		cfg.KinesisRegion = "us-east-1"
		cfg.KinesisEndpoint = kin.URL
		c := mustNew(t, cfg)
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		errs := c.Preflight(ctx, []config.Flow{{Kind: config.Kinesis, Destination: "s"}})
		if len(errs) != 1 {
			t.Fatalf("Preflight: %v", errs)
		}
		u, _ := url.Parse(ecs.URL)
		want := "container credential endpoint: HTTP 403 Forbidden: task role not found (while getting credentials: default credential chain (container credential endpoint " + u.Host + "))"
		if msg := errs[0].Error(); !strings.Contains(msg, want) {
			t.Errorf("error:\n%s\nwant:\n%s", msg, want)
		}
	})
}
