package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// --validate promises the checks a start makes; an endpoint a start
// refuses (exit 1, "kinesis.endpoint: invalid endpoint ...") passes it
// with "Configuration OK" and exit 0. The start's message also does not
// name the file.
func TestValidateRefusesAnEndpointTheStartRefuses(t *testing.T) {
	tmp := t.TempDir()
	p := filepath.Join(tmp, "agent.json")
	if err := os.WriteFile(p, []byte(`{"kinesis.endpoint":"::bad url","kinesis.region":"us-east-1",`+
		`"flows":[{"filePattern":"/a/b","kinesisStream":"s"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := runAgent(t, "--validate", "-c", p, "-d", filepath.Join(tmp, "none"))
	if code != 1 || !strings.Contains(stderr, "kinesis.endpoint") || !strings.Contains(stderr, p) {
		t.Errorf("--validate: exit %d, want 1 naming %s and kinesis.endpoint\nstdout:\n%s\nstderr:\n%s", code, p, stdout, stderr)
	}
}
