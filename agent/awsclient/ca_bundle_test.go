package awsclient_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/awsclient"
)

// A bad AWS_CA_BUNDLE (not PEM, missing) stops the start with an error
// naming the variable, the path and what is wrong: the SDK's said only
// "failed to load custom CA bundle PEM file".
func TestABadCABundleIsNamedWithItsPathAndWhatIsWrong(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "bundle.der")
	if err := os.WriteFile(notPEM, []byte("\x30\x82\x01\x0a not a PEM file"), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pem")
	for path, want := range map[string]string{
		notPEM:  "AWS_CA_BUNDLE=" + notPEM + ": no PEM certificate found: fix or unset it (the Java agent ignores this variable)",
		missing: "AWS_CA_BUNDLE=" + missing + ": cannot be read: no such file or directory: fix or unset it (the Java agent ignores this variable)",
	} {
		isolateEnv(t)
		t.Setenv("AWS_CA_BUNDLE", path)
		cfg := baseConfig()
		cfg.KinesisRegion = "eu-west-1"
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := awsclient.New(ctx, cfg)
		cancel()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("AWS_CA_BUNDLE=%s: error %v, want %q", path, err, want)
		}
	}
}
