package tail

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A crash that extended a log before its data reached the disk leaves
// zero bytes after the last line written, and the next line is written
// after them: the zeros are skipped (a WARN), not sent glued to that line.
func TestZeroBytesAfterALineAreSkippedAndTheNextLineIsSentAlone(t *testing.T) {
	for name, mid := range map[string]string{
		"hole":                    strings.Repeat("\x00", 8192),
		"hole longer than a read": strings.Repeat("\x00", 600<<10),
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "app.log")
			mustWrite(t, p, "before the power loss\n"+mid)
			c := startTailer(t, testConfig(dir, "app.log"))
			c.waitRecords(1)
			f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.WriteString("after the reboot\n"); err != nil {
				t.Fatal(err)
			}
			c.waitRecords(2)
			c.settle()
			got := c.records()
			want := []string{"before the power loss\n", "after the reboot\n"}
			if len(got) != len(want) {
				t.Fatalf("got %d records, want %d", len(got), len(want))
			}
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("record %d = %q (%d zero bytes), want %q", i, trunc(got[i]), strings.Count(got[i], "\x00"), want[i])
				}
			}
		})
	}
}

// A few zero bytes at the start of a line are data (UTF-16BE text, a
// binary-ish line): sent byte for byte.
func TestAFewZeroBytesAtTheStartOfALineAreSent(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	line := strings.Repeat("\x00", 100) + "x\n"
	mustWrite(t, p, "a\n"+line+"b\n")
	c := startTailer(t, testConfig(dir, "app.log"))
	c.waitRecords(3)
	c.settle()
	if got := c.records(); len(got) != 3 || got[1] != line {
		t.Fatalf("records %q, want the second to be the line with its 100 zero bytes", got)
	}
}

func trunc(s string) string {
	if len(s) > 80 {
		return s[:40] + "…" + s[len(s)-40:]
	}
	return s
}
