package tail

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/processors/javaregex"
)

// Multi-line lines with no start line in sight are emitted at a line end
// once they reach the destination's record limit (flushAt), instead of
// growing to the read buffer and being cut as a runaway.
func TestMultiLineLinesWithoutAStartLineAreSplitAtTheRecordLimitNotCut(t *testing.T) {
	re, _ := javaregex.Compile(`NEVER`, 0)
	for _, tc := range []struct {
		name, data string
		want       []string
	}{
		{"short lines", strings.Repeat("abcdefghi\n", 10), []string{
			strings.Repeat("abcdefghi\n", 3), strings.Repeat("abcdefghi\n", 3), strings.Repeat("abcdefghi\n", 3)}},
		{"a first line longer than the limit goes alone", strings.Repeat("x", 40) + "\n" + strings.Repeat("abcdefghi\n", 4),
			[]string{strings.Repeat("x", 40) + "\n", strings.Repeat("abcdefghi\n", 3)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sp := newSplitter(re, nil, 0, 1000, 0)
			sp.flushAt = 35
			got, n := feed(sp, splitNormal, tc.data)
			if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tc.want) || sp.runaways != 0 || sp.discarded != 0 {
				t.Fatalf("records %q (consumed %d, runaways %d), want %q", got, n, sp.runaways, tc.want)
			}
			if rest := tc.data[n:]; len(rest) > sp.flushAt {
				t.Fatalf("%d bytes left pending, more than the limit", len(rest))
			}
		})
	}
}

// End to end in the tailer: a pattern that never matches and a writer that
// is never idle lose nothing (a runaway cut bytes before).
func TestMultiLineNeverMatchingWithABusyWriterLosesNoBytes(t *testing.T) {
	dir := t.TempDir()
	p := dir + "/app.log"
	mustWrite(t, p, "")
	cfg := testConfig(dir, "app.log")
	cfg.MultiLineStart = mustRegexp(t, `NEVER`)
	cfg.ReadBufferBytes = 1000
	cfg.MultiLineFlushBytes = 200
	c := startTailer(t, cfg)
	c.settle()
	var all strings.Builder
	for i := 0; i < 60; i++ {
		line := fmt.Sprintf("line %04d %019d\n", i, i)
		all.WriteString(line)
		mustAppend(t, p, line)
		time.Sleep(20 * time.Millisecond) // the writer's pace: never idle for the tailer
	}
	waitFor(t, "every byte", func() bool { return len(strings.Join(c.records(), "")) >= all.Len() })
	c.settle()
	if got := strings.Join(c.records(), ""); got != all.String() || cfg.Stats.RecordsLargerThanBuffer.Load() != 0 {
		t.Fatalf("%d of %d bytes delivered, %d runaways", len(got), all.Len(), cfg.Stats.RecordsLargerThanBuffer.Load())
	}
}

// A file let go (final split) whose last record's complete lines fit the
// record limit but whose unterminated last line takes it over: split at
// the line end, not emitted whole (then truncated by the batch builder).
func TestFinalMultiLineRecordOverTheLimitIsSplitAtALineEnd(t *testing.T) {
	re, _ := javaregex.Compile(`S`, 0)
	sp := newSplitter(re, nil, 0, 100, 0)
	sp.flushAt = 10
	got, _ := feed(sp, splitFinal, "Sa\nbb\ncccccc") // 6 bytes of lines + 6 unterminated
	for _, r := range got {
		if len(r) > sp.flushAt {
			t.Fatalf("records %q: %q is %d bytes, over flushAt %d; want %q", got, r, len(r), sp.flushAt,
				fmt.Sprint([]string{"Sa\nbb\n", "cccccc"}))
		}
	}
}
