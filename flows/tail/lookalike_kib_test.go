package tail

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

// Look-alikes that share the whole first KiB (a short CSV header and the
// first rows, reports that differ only past it), with the header read
// alone: the samples a shorter look-alike reached lay in that KiB, which
// the first-bytes check covers already, and it was taken for the copy
// (none of its lines sent). Only bytes past the first KiB count now, at
// least 16 of them. Variants: latest.csv closed for inactivity first (its
// last KiB read dropped: the samples judge), and a look-alike reaching a
// single byte of that KiB (a row's line end both have). From a review.
func TestALookAlikeSharingTheFirstKiBIsNotTakenForTheCopy(t *testing.T) {
	header := strings.Repeat("col_", 45) + "end\n" // 184 bytes
	shared := lines("item", 0, 80)                 // 960: the first KiB shared
	for _, tc := range []struct {
		name     string
		quiet    bool // closed for inactivity before the rewrite
		newRows  func(old string) int
		together bool // header and rows in one read
	}{
		{name: "shorter", newRows: func(string) int { return 200 }},
		{name: "after an inactivity close", quiet: true, newRows: func(string) int { return 350 }},
		{name: "one byte into the last KiB read", together: true, newRows: func(old string) int {
			n := 0
			for len(header)+len(shared)+11*n < len(old)-winLen+1 {
				n++
			}
			return n
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			latest, report := filepath.Join(dir, "latest.csv"), filepath.Join(dir, "report-20261123.csv")
			old := header + shared + lines("old", 0, 400)
			tune := func(tl *Tailer) {}
			if tc.quiet {
				tune = func(tl *Tailer) { tl.inactive = 300 * time.Millisecond }
			}
			if tc.together {
				mustWrite(t, latest, old)
			} else {
				mustWrite(t, latest, header)
			}
			c := startTailer(t, testConfig(dir, "*.csv"), tune)
			if !tc.together {
				c.waitRecords(1)
				mustAppend(t, latest, old[len(header):]) // the rows: one read
			}
			c.waitRecords(481)
			if tc.quiet {
				waitFor(t, "closed for inactivity", func() bool { return !c.tl.isOpen(latest) })
			}
			n := tc.newRows(old)
			today := header + shared + lines("new", 0, n)
			mustWrite(t, report, today)
			mustWrite(t, latest, today) // cp report-20261123.csv latest.csv
			waitFor(t, "latest.csv's new content", func() bool { return len(c.recordsOf("latest.csv")) >= 481+81+n })
			waitFor(t, "the report's lines", func() bool { return len(c.recordsOf("report-20261123.csv")) >= 81+n })
			c.settle()
			if got := len(c.recordsOf("report-20261123.csv")); got != 81+n {
				t.Fatalf("report-20261123.csv: %d records, want %d", got, 81+n)
			}
		})
	}
}

// A real copytruncate of a file whose first KiB a waiting look-alike
// shares, under a busy writer: the look-alike took the original's place
// (its lines lost) and the real copy was read again from 0. From a review.
func TestABusyCopytruncateWithALookAlikeSharingTheFirstKiBSendsEachLineOnce(t *testing.T) {
	dir := t.TempDir()
	header := strings.Repeat("col_", 45) + "end\n"
	shared := lines("item", 0, 80)
	a, b := filepath.Join(dir, "a.csv"), filepath.Join(dir, "0.csv")
	mustWrite(t, a, header)
	c := startTailer(t, testConfig(dir, "*.csv*"))
	c.waitRecords(1)
	mustAppend(t, a, shared+lines("a", 0, 400))
	c.waitRecords(481)
	mustWrite(t, b, header+shared+lines("b", 0, 100))
	data, err := os.ReadFile(a) // logrotate's copy begins
	if err != nil {
		t.Fatal(err)
	}
	mustAppend(t, a, lines("a", 400, 410)) // the writer goes on; read
	c.waitRecords(491)
	mustWrite(t, a+"-20261123", string(data))
	mustTruncate(t, a, 0)
	mustAppend(t, a, lines("a", 410, 420))
	waitFor(t, "every line", func() bool { return len(c.records()) >= 491+181+10 })
	c.settle()
	seen := countRecords(c.records())
	wantLines(t, seen, lines("b", 0, 100), 1, "0.csv's own lines")
	wantLines(t, seen, lines("a", 0, 420), 1, "a.csv's lines")
	if n := len(c.records()); n != 491+181+10 {
		t.Fatalf("%d records, want %d", n, 491+181+10)
	}
}

// A quiet log closed for inactivity (its last KiB read dropped), grown
// while closed, then copytruncated before it is reopened: the copy is
// known by the samples of the log's last reads, and goes on where the log
// was read (no line sent twice). Also a log no longer than its first KiB:
// known by it alone.
func TestAQuietFileCopytruncatedWhileClosedIsContinuedInItsCopy(t *testing.T) {
	for _, small := range []bool{false, true} {
		t.Run(map[bool]string{false: "past its first KiB", true: "within its first KiB"}[small], func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "app.log")
			mustWrite(t, p, "banner\n")
			c := startTailer(t, testConfig(dir, "app.log*"), func(tl *Tailer) { tl.inactive = 300 * time.Millisecond })
			c.waitRecords(1)
			rounds, per := 6, 50 // 3.3 KB
			if small {
				rounds, per = 1, 5
			}
			for i := 0; i < rounds; i++ {
				mustAppend(t, p, lines("a", i*per, i*per+per))
				c.waitRecords(1 + per*(i+1))
			}
			waitFor(t, "closed for inactivity", func() bool { return !c.tl.isOpen(p) })
			read := rounds * per
			mustAppend(t, p, lines("a", read, read+2))
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			mustWrite(t, p+".1", string(data))
			mustTruncate(t, p, 0)
			mustAppend(t, p, lines("a", read+2, read+4))
			want := 1 + read + 4
			waitFor(t, "every line", func() bool { return len(c.records()) >= want })
			c.settle()
			if n := len(c.records()); n != want {
				t.Fatalf("%d records, want %d", n, want)
			}
		})
	}
}

// begunOf reports whether the collector has a chunk (an empty one too)
// from a file of that base name.
func begunOf(c *collector, base string) bool {
	for _, g := range c.snapshot() {
		if g.src != nil && filepath.Base(g.src.PathNow()) == base {
			return true
		}
	}
	return false
}

// A log begun at its end (END_OF_FILE) or resumed from its checkpoint
// reads one short line, then is copytruncated: its ghost holds only those
// few bytes past the first KiB. Asked for 16 bytes of evidence (and
// counting overlapping samples of one read twice or thrice), the real
// copy was taken for another file and sent again whole (2,000 lines, and
// lines END_OF_FILE had skipped). From a review.
func TestACopyOfALogThatReadOneShortLineSinceItBeganIsContinued(t *testing.T) {
	for _, tc := range []struct {
		name          string
		line, late    string // late: written and read between the copy and the truncation
		quiet, resume bool
	}{
		{name: "begun at its end", line: "ok\n"},
		{name: "begun at its end, 5 bytes", line: "done\n"},
		{name: "closed for inactivity", line: "status\n", quiet: true},
		{name: "resumed from its checkpoint", line: "ok\n", resume: true},
		{name: "a line between the copy and the truncation", line: "ok\n", late: "a line written after the copy\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "app.log")
			mustWrite(t, p, lines("old", 0, 2000)) // ~22 KB, before the agent
			cfg := testConfig(dir, "app.log*")
			if tc.resume {
				c0 := startTailer(t, cfg)
				c0.waitRecords(2000)
				src, end := c0.snapshot()[0].src, c0.endOf("app.log")
				c0.stop()
				cfg.Resume = []record.Position{{Flow: "test", Path: p, FileID: fileIDOf(t, p),
					Fingerprint: src.Fingerprint(), Offset: end, Updated: time.Now()}}
			} else {
				cfg.StartAtEnd = true
			}
			tune := func(*Tailer) {}
			if tc.quiet {
				tune = func(tl *Tailer) { tl.inactive = 300 * time.Millisecond }
			}
			c := startTailer(t, cfg, tune)
			c.settle()
			mustAppend(t, p, tc.line)
			c.waitRecords(1)
			if tc.quiet {
				waitFor(t, "closed for inactivity", func() bool { return !c.tl.isOpen(p) })
			}
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			mustWrite(t, p+".1", string(data)) // logrotate copytruncate
			want := 4
			if tc.late != "" {
				mustAppend(t, p, tc.late)
				c.waitRecords(2)
				want++
			}
			mustTruncate(t, p, 0)
			mustAppend(t, p, lines("new", 0, 3))
			waitFor(t, "the copy begun", func() bool { return begunOf(c, "app.log.1") })
			waitFor(t, "the new lines", func() bool { return len(c.records()) >= want })
			c.settle()
			if n := len(c.records()); n != want {
				t.Fatalf("%d records, want %d (the copy app.log.1 sent %d)", n, want, len(c.recordsOf("app.log.1")))
			}
		})
	}
}
