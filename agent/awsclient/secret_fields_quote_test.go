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

// A credential_process helper written in Python that prints its dict
// (print(creds) instead of json.dumps(creds)) writes single-quoted keys
// and values. The SDK cannot parse it and quotes the whole output in its
// error ("parse failed of process output: %s"); redact.Fields only knows
// double-quoted JSON keys and bare ini/env/header names, so the secret key
// and the session token reach the preflight error (and a send's ERROR
// line). From a review of the first fix.
func TestASingleQuotedCredentialProcessOutputIsNotQuotedInErrors(t *testing.T) {
	isolateEnv(t)
	const secret, token = "PYSECRETwJalrXUtnFEMIK7MDENGbPxRfiCY7777", "PYTOKENabcdef0123456789"
	dir := t.TempDir()
	script := filepath.Join(dir, "cp.sh")
	out := `{'Version': 1, 'AccessKeyId': 'AKIAPROCKEY00000001', 'SecretAccessKey': '` + secret +
		`', 'SessionToken': '` + token + `', 'Expiration': '2030-01-01T00:00:00Z'}`
	if err := os.WriteFile(script, []byte("#!/bin/sh\necho \""+out+"\"\n"), 0o755); err != nil {
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
