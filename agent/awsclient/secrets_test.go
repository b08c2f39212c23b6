package awsclient_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/awsclient"
	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/config"
)

// A server that echoes every secret it can see back in its error message
// (as a misbehaving proxy might) must not get them into our errors or logs.
func TestSecretsNeverInErrorsOrLogs(t *testing.T) {
	isolateEnv(t)
	echo := func(w http.ResponseWriter, r *http.Request, _ []byte) {
		msg := "denied for " + r.Header.Get("Authorization") + " token " + r.Header.Get("X-Amz-Security-Token") +
			" secrets " + assumedSecret + " " + baseSecret
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(400)
		_, _ = io.WriteString(w, fmt.Sprintf(`{"__type":"AccessDeniedException","message":%q}`, msg))
	}
	stsSrv := newFakeSTS(t, make(chan url.Values, 10), make(chan string, 10))
	kin := newFakeAWS(t, echo)
	fh := newFakeAWS(t, echo)

	var logs logBuffer
	cfg := baseConfig()
	cfg.KinesisRegion = "eu-west-1"
	cfg.KinesisEndpoint, cfg.FirehoseEndpoint, cfg.STSEndpoint = kin.URL, fh.URL, stsSrv.URL
	cfg.AWSAccessKeyID, cfg.AWSSecretAccessKey = "AKIDBASE", baseSecret
	cfg.AssumeRoleARN = "arn:aws:iam::123456789012:role/agent"
	cfg.AssumeRoleExternalID = "ext-id-42"
	c := mustNew(t, cfg, awsclient.WithLogger(logs.logger()))

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	errs := c.Preflight(ctx, []config.Flow{
		{Kind: config.Kinesis, Destination: "stream-a"},
		{Kind: config.Firehose, Destination: "delivery-b"},
	})
	if len(errs) != 2 {
		t.Fatalf("%d errors, want 2: %v", len(errs), errs)
	}

	// A failing STS that echoes the base secret.
	stsBad := newFakeAWS(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(403)
		_, _ = io.WriteString(w, `<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not allowed: `+
			baseSecret+`</Message></Error><RequestId>1</RequestId></ErrorResponse>`)
	})
	cfg2 := *cfg
	cfg2.STSEndpoint = stsBad.URL
	c2 := mustNew(t, &cfg2, awsclient.WithLogger(logs.logger()))
	errs2 := c2.Preflight(ctx, []config.Flow{{Kind: config.Kinesis, Destination: "stream-c"}})
	if len(errs2) != 1 {
		t.Fatalf("errors %v", errs2)
	}

	var shown strings.Builder
	shown.WriteString(logs.String())
	for _, e := range append(errs, errs2...) {
		fmt.Fprintf(&shown, "%v\n%+v\n%s\n", e, e, errors.Unwrap(e))
	}
	fmt.Fprintf(&shown, "%v %+v %#v %s\n", c, c, c, c2)
	out := shown.String()
	for _, secret := range []string{baseSecret, assumedSecret, assumedToken} {
		if strings.Contains(out, secret) {
			t.Errorf("secret %q shown in:\n%s", secret, out)
		}
	}
	if strings.Contains(out, "ext-id-42") {
		t.Errorf("external id shown:\n%s", out)
	}
	// The errors still carry what an operator needs.
	for _, want := range []string{"stream-a", "delivery-b", "eu-west-1", kin.URL, fh.URL, "AccessDeniedException", "stream-c", "AccessDenied", "STS: AssumeRole: HTTP 403 Forbidden", "(while getting credentials: assume role"} {
		if !strings.Contains(out, want) {
			t.Errorf("%q missing from errors/logs:\n%s", want, out)
		}
	}
	if !strings.Contains(logs.String(), "AWS clients configured") {
		t.Errorf("no configuration log line:\n%s", logs.String())
	}
}
