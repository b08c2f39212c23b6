package tail

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/kinesis-agent-go/aws-kinesis-agent/processors/javaregex"
)

// A file let go (splitFinal) whose last line starts a new record but has no
// '\n': the record before it stays separate (it was joined to it, or the
// two were cut as one runaway when together longer than the buffer).
func TestAFinalUnterminatedStartLineIsARecordOfItsOwn(t *testing.T) {
	re, _ := javaregex.Compile(`\d{4}-`, 0)
	cases := []struct {
		max  int
		in   string
		want []string
	}{
		{100, "2024-a\n cont\n2024-b partial", []string{"2024-a\n cont\n", "2024-b partial"}},
		{100, "2024-a\n2024-b", []string{"2024-a\n", "2024-b"}},
		// Both records fit the buffer; together they do not.
		{10, "2024-a\n2024-bcde", []string{"2024-a\n", "2024-bcde"}},
	}
	for _, tc := range cases {
		sp := newSplitter(re, nil, 0, tc.max, 0)
		got, n := feed(sp, splitFinal, tc.in)
		if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tc.want) || n != len(tc.in) {
			t.Errorf("max %d %q: records %q (consumed %d), want %q", tc.max, tc.in, got, n, tc.want)
		}
	}
}

// End to end: a multi-line log renamed out of the pattern whose last line
// (a new record's start) has no '\n'. When the file is let go, the last
// complete record and that line are two records, not one.
func TestALetGoMultiLineFileShipsItsUnterminatedStartLineAlone(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	cfg := testConfig(dir, "app.log")
	cfg.MultiLineStart = mustRegexp(t, `\d{4}-`)
	mustWrite(t, p, "2024-a\n")
	c := startTailer(t, cfg)
	c.waitRecords(1) // idle flush of 2024-a
	mustAppend(t, p, "2024-b\n cont\n2024-c crashed mid-li")
	mustRename(t, p, filepath.Join(dir, "old.1"))
	waitFor(t, "old file let go", func() bool { return len(c.tl.cfg.Stats.Files()) == 0 })
	c.settle()
	got := c.records()
	eq(t, got, "2024-a\n", "2024-b\n cont\n", "2024-c crashed mid-li")
	c.checkContiguous()
}
