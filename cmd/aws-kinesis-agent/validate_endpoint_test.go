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

// A -d given on the command line that is missing or a file adds no flows;
// said (the default's absence is normal and not). From a review.
func TestAnExplicitConfigDirThatIsNoDirectoryIsWarned(t *testing.T) {
	tmp := t.TempDir()
	p := filepath.Join(tmp, "agent.json")
	if err := os.WriteFile(p, []byte(`{"kinesis.region":"us-east-1","flows":[{"filePattern":"/a/b","kinesisStream":"s"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{filepath.Join(tmp, "typo"), p} {
		_, stderr, code := runAgent(t, "--validate", "-c", p, "-d", d)
		if code != 0 || !strings.Contains(stderr, "WARN --config-dir "+d) {
			t.Errorf("-d %s: exit %d, stderr:\n%s", d, code, stderr)
		}
	}
	if err := os.Mkdir(filepath.Join(tmp, "agent.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, stderr, _ := runAgent(t, "--validate", "-c", p, "-d", filepath.Join(tmp, "agent.d")); strings.Contains(stderr, "--config-dir") {
		t.Errorf("an existing directory warned:\n%s", stderr)
	}
}

// A LOGTOJSON matchPattern with more capture groups than customFieldNames
// (awslabs/amazon-kinesis-agent#84: `((\d{3}))` is two groups) skips every
// record, in Java and here. --validate says so, as a start does, naming
// the file, the option and both counts. From a review of the Java agent's
// issues.
func TestValidateWarnsThatAMatchPatternWithMoreGroupsThanNamesSkipsEveryRecord(t *testing.T) {
	tmp := t.TempDir()
	p := filepath.Join(tmp, "agent.json")
	cfg := `{
  "firehose.endpoint": "firehose.us-east-1.amazonaws.com",
  "flows": [{
    "filePattern": "/var/log/httpd/access_log",
    "deliveryStream": "ze-delivery-stream",
    "dataProcessingOptions": [{
      "optionName": "LOGTOJSON",
      "logFormat": "COMMONAPACHELOG",
      "matchPattern": "^([\\d:. ()-]+) (\\S+) (\\S+) \\[([\\w:/]+\\s[+\\-]\\d{4})\\] \"(.+?)\" ((\\d{3}))",
      "customFieldNames": ["host", "ident", "authuser", "datetime", "request", "response"]
    }]
  }]
}`
	if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, code := runAgent(t, "--validate", "-c", p, "-d", filepath.Join(tmp, "none"))
	want := "WARN " + p + ": flows[0].dataProcessingOptions[0]: matchPattern's capture groups (7) are not as many as customFieldNames (6): every record will be skipped"
	if code != 0 || !strings.Contains(stderr, want) {
		t.Errorf("--validate: exit %d, want 0 and %q\nstdout:\n%s\nstderr:\n%s", code, want, stdout, stderr)
	}
	if strings.Count(stderr, "capture groups") != 1 {
		t.Errorf("warned %d times, want once:\n%s", strings.Count(stderr, "capture groups"), stderr)
	}
}
