package awsclient_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/config"
)

// A credential_process whose output the SDK cannot parse (here: an
// Expiration that is not RFC 3339, as a hand-written helper often prints)
// makes the SDK quote the whole output, secret key and session token
// included, in the error. Redact cannot know them (they were never
// retrieved), so the preflight error, which the agent logs at ERROR and
// --check-destinations prints, carries them.
func TestAnUnparsableCredentialProcessOutputIsNotQuotedInErrors(t *testing.T) {
	isolateEnv(t)
	const secret, token = "PROCSECRETwJalrXUtnFEMIK7MDENGbPxRfiCY77", "PROCTOKENabcdef0123456789"
	dir := t.TempDir()
	script := filepath.Join(dir, "cp.sh")
	out := `{"Version": 1, "AccessKeyId": "AKIAPROCKEY00000001", "SecretAccessKey": "` + secret +
		`", "SessionToken": "` + token + `", "Expiration": "2030-01-01 00:00:00"}`
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho '"+out+"'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(dir, "config")
	if err := os.WriteFile(cfgFile, []byte("[default]\ncredential_process = "+script+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CONFIG_FILE", cfgFile)
	srv := newFakeAWS(t, nil)
	cfg := baseConfig()
	cfg.KinesisRegion, cfg.KinesisEndpoint = "us-east-1", srv.URL
	c := mustNew(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	errs := c.Preflight(ctx, []config.Flow{{Kind: config.Kinesis, Destination: "s"}})
	if len(errs) == 0 {
		t.Fatal("expected a credentials error")
	}
	for _, err := range errs {
		if msg := err.Error(); strings.Contains(msg, secret) || strings.Contains(msg, token) {
			t.Errorf("credential_process output (secret key / session token) in the error:\n%s", msg)
		}
	}
}
