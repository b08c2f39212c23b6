package processors

import (
	"bytes"
	"os"
	"testing"

	"github.com/kinesis-agent-go/aws-kinesis-agent/processors/javaregex"
)

// The Java repository's file-based parser fixtures (AbstractParserTest),
// copied into testdata.

func lines(t *testing.T, name string) [][]byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			out = append(out, b)
			break
		}
		out = append(out, b[:i+1])
		b = b[i+1:]
	}
	return out
}

func runFixture(t *testing.T, c *Chain, records [][]byte, expected string, wantSkipped int) {
	t.Helper()
	want := lines(t, expected)
	var got [][]byte
	skipped := 0
	for _, r := range records {
		out, res := c.Process(nil, r)
		switch res {
		case Skipped:
			skipped++
			if len(out) != 0 {
				t.Fatalf("skipped record produced %q", out)
			}
		case Fallback:
			t.Fatalf("fallback on %q: %v", r, c.LastError())
		default:
			got = append(got, out)
		}
	}
	if skipped != wantSkipped {
		t.Errorf("skipped %d records, want %d", skipped, wantSkipped)
	}
	if len(got) != len(want) {
		t.Fatalf("%d records, want %d", len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			t.Errorf("record %d:\n got  %q\n want %q", i, got[i], want[i])
		}
	}
}

func TestFixtureApacheTestLog(t *testing.T) {
	c := mustChain(t, logOpt("COMMONAPACHELOG"))
	runFixture(t, c, lines(t, "apache_test_log"), "apache_test_log_json", 2)
}

func TestFixtureSyslogTest(t *testing.T) {
	c := mustChain(t, logOpt("SYSLOG"))
	runFixture(t, c, lines(t, "syslog_test"), "syslog_test_json", 0)
}

// TestFixtureCloudTrailPrettyPrinted splits the file as the tailer does
// (skipHeaderLines 2, multiLineStartPattern "    \{" with lookingAt) and
// runs SINGLELINE with default options.
func TestFixtureCloudTrailPrettyPrinted(t *testing.T) {
	start := javaregex.MustCompile(`    \{`, 0)
	ls := lines(t, "pretty_printed_json")[2:]
	var records [][]byte
	var cur []byte
	for i, l := range ls {
		if i > 0 && start.LookingAt(l) {
			records = append(records, cur)
			cur = nil
		}
		cur = append(cur, l...)
	}
	records = append(records, cur)
	c := mustChain(t, Option{Name: "SINGLELINE"})
	runFixture(t, c, records, "parsed_singleline_json", 0)
	last, _ := c.Process(nil, records[len(records)-1])
	if !bytes.HasSuffix(last, []byte("}]}\n")) {
		t.Fatalf("last record ends %q", last[len(last)-10:])
	}
}
