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

// A credential_process whose output the SDK cannot parse makes the SDK
// quote the whole output, secret key and session token included, in the
// error. Redact cannot know them (they were never retrieved), so the
// preflight error, which the agent logs at ERROR and --check-destinations
// prints, carried them. The outputs: JSON with an Expiration that is not
// RFC 3339 (as a hand-written helper often prints), and a Python helper
// printing its dict (print(creds) instead of json.dumps: single quotes;
// from a review of the first fix).
func TestAnUnparsableCredentialProcessOutputIsNotQuotedInErrors(t *testing.T) {
	const secret, token = "PROCSECRETwJalrXUtnFEMIK7MDENGbPxRfiCY77", "PROCTOKENabcdef0123456789"
	for name, script := range map[string]string{
		"json, bad expiration": `echo '{"Version": 1, "AccessKeyId": "AKIAPROCKEY00000001", "SecretAccessKey": "` + secret +
			`", "SessionToken": "` + token + `", "Expiration": "2030-01-01 00:00:00"}'`,
		"python dict": `echo "{'Version': 1, 'AccessKeyId': 'AKIAPROCKEY00000001', 'SecretAccessKey': '` + secret +
			`', 'SessionToken': '` + token + `', 'Expiration': '2030-01-01T00:00:00Z'}"`,
	} {
		t.Run(name, func(t *testing.T) {
			isolateEnv(t)
			dir := t.TempDir()
			path := filepath.Join(dir, "cp.sh")
			if err := os.WriteFile(path, []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
				t.Fatal(err)
			}
			cfgFile := filepath.Join(dir, "config")
			if err := os.WriteFile(cfgFile, []byte("[default]\ncredential_process = "+path+"\n"), 0o644); err != nil {
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
		})
	}
}
