package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --validate checks the proxy variables as a start does: a proxy URL
// net/http would drop (a bad percent escape in the password) is a WARN
// naming the variable, without the password (the start tells it at ERROR
// and goes on: the Java agent ignores these variables).
func TestValidateWarnsOfAProxyURLNetHTTPWouldDrop(t *testing.T) {
	tmp := t.TempDir()
	p := filepath.Join(tmp, "agent.json")
	if err := os.WriteFile(p, []byte(`{"kinesis.region":"us-east-1","flows":[{"filePattern":"/a/b","kinesisStream":"s"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"} {
		t.Setenv(k, "")
	}
	t.Setenv("HTTPS_PROXY", "http://corp:50%off@127.0.0.1:3128")
	stdout, stderr, code := runAgent(t, "--validate", "-c", p, "-d", filepath.Join(tmp, "none"))
	if code != 0 || !strings.Contains(stderr, "WARN HTTPS_PROXY=http://corp:***@127.0.0.1:3128") || strings.Contains(stderr+stdout, "50%off") {
		t.Errorf("--validate: exit %d, want 0 with a WARN naming HTTPS_PROXY with the password masked\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	t.Setenv("HTTPS_PROXY", "http://corp:50%25off@127.0.0.1:3128")
	stdout, stderr, code = runAgent(t, "--validate", "-c", p, "-d", filepath.Join(tmp, "none"))
	if code != 0 || !strings.Contains(stdout, "Proxy: https:// endpoints through http://corp:***@127.0.0.1:3128 (HTTPS_PROXY)") {
		t.Errorf("--validate: exit %d, want 0 naming the proxy\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
}
