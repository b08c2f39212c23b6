package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/kinesistest"
)

// TestCheckDestinationsNamesAMissingStreamAndPassesForAnExistingOne runs
// `--validate --check-destinations` against kinesalite: exit 1 with a
// message naming the missing stream and the endpoint, exit 0 once the
// stream exists. Credentials come from the environment, as on a host.
func TestCheckDestinationsNamesAMissingStreamAndPassesForAnExistingOne(t *testing.T) {
	ep := kinesistest.Endpoint(t)
	client := kinesistest.Client(t, ep)
	existing := kinesistest.CreateStream(t, client, 1)
	missing := kinesistest.StreamName(t) + "-missing"
	dir := t.TempDir()
	write := func(stream string) string {
		p := filepath.Join(dir, stream+".json")
		cfg := fmt.Sprintf(`{"kinesis.endpoint": %q, "kinesis.region": "us-east-1", "cloudwatch.emitMetrics": false,
		  "flows": [{"filePattern": %q, "kinesisStream": %q}]}`, ep, filepath.Join(dir, "*.log"), stream)
		if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDCHECKDEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "check-dest-secret")
	empty := t.TempDir()

	stdout, stderr, code := runAgent(t, "--validate", "--check-destinations", "-c", write(missing), "-d", empty)
	if code != 1 || !strings.Contains(stderr, missing) || !strings.Contains(stderr, ep) {
		t.Fatalf("missing stream: exit %d, stderr %q; want exit 1 naming %s and %s", code, stderr, missing, ep)
	}
	if strings.Contains(stdout+stderr, "check-dest-secret") {
		t.Fatal("the secret key was printed")
	}

	stdout, stderr, code = runAgent(t, "--validate", "--check-destinations", "-c", write(existing), "-d", empty)
	if code != 0 {
		t.Fatalf("existing stream: exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}
}
