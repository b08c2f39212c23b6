package tail

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A new file whose first KiB equals a live file's (a wide CSV's header)
// waits a moment as a possible copy of it. When the live file was
// rewritten meanwhile (`cp report-20261123.csv latest.csv` right after the
// report was made), the report was taken for latest.csv's copytruncate
// copy: reading began at the offset read of latest.csv, and the report's
// lines before it were never sent (INFO "File is a copy of a truncated
// file"). A copy must also hold the last bytes read of the original where
// they were read (Splunk's seekCRC); the report does not.
func TestANewFileWithTheSameFirstKiBIsNotTakenForTheCopyOfAFileRewrittenWhileItWaits(t *testing.T) {
	dir := t.TempDir()
	header := strings.Repeat("column_name_x,", 80) + "end\n" // 1.1 KiB
	latest, report := filepath.Join(dir, "latest.csv"), filepath.Join(dir, "report-20261123.csv")
	mustWrite(t, latest, header+lines("old", 0, 50))
	c := startTailer(t, testConfig(dir, "*.csv"))
	c.waitRecords(51)
	today := header + lines("new", 0, 30)
	mustWrite(t, report, today)
	mustWrite(t, latest, today)
	waitFor(t, "latest.csv's new content", func() bool { return len(c.recordsOf("latest.csv")) >= 51+31 })
	waitFor(t, "the report's lines", func() bool { return len(c.recordsOf("report-20261123.csv")) >= 31 })
	c.settle()
	if n := len(c.recordsOf("report-20261123.csv")); n != 31 {
		t.Fatalf("report-20261123.csv: %d records, want 31", n)
	}
	if n := len(c.recordsOf("latest.csv")); n != 82 {
		t.Fatalf("latest.csv: %d records, want 82", n)
	}
}

// The same with a real copytruncate: a look-alike new file (the same
// first 4 KiB) is waiting when a.csv is copied and truncated. The copy
// continues where a.csv was read; the look-alike is read whole. The
// look-alike used to take a.csv's identity when the scan reached it first:
// its lines were lost, its start was mid-line, and the real copy was sent
// again from 0.
func TestACopytruncateWithALookAlikeWaitingSendsEachLineOnce(t *testing.T) {
	dir := t.TempDir()
	prefix := strings.Repeat("shared-prefix-line-0123456789abcdefghijklmnopqrstuvwxyz\n", 75) // 4.2 KiB
	a, b := filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.csv")
	mustWrite(t, a, prefix+lines("a", 0, 20))
	c := startTailer(t, testConfig(dir, "*.csv*"))
	c.waitRecords(95)
	mustWrite(t, b, prefix+lines("b", 0, 30)) // longer than what was read of a.csv
	data, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, a+"-20261123", string(data)) // copytruncate
	mustTruncate(t, a, 0)
	mustAppend(t, a, lines("a", 20, 30))
	waitFor(t, "every line", func() bool { return len(c.records()) >= 95+75+30+10 })
	c.settle()
	seen := countRecords(c.records())
	wantLines(t, seen, lines("a", 0, 30), 1, "a.csv's lines")
	wantLines(t, seen, lines("b", 0, 30), 1, "b.csv's own lines")
	if n := len(c.records()); n != 95+75+30+10 {
		t.Fatalf("%d records, want %d", n, 95+75+30+10)
	}
}

// A look-alike shorter than what was read of the truncated file (today's
// report, fewer rows than yesterday's latest.csv) could not be checked
// against the original's last bytes read, and was taken for the copy,
// started at its own end: all its lines lost. Also when latest.csv's
// header was read alone (written first, the rows later): the samples of
// the reads the report reached lay in the header both share. It is
// another file. From two reviews.
func TestAShorterLookAlikeIsNotTakenForTheCopyOfAFileRewrittenWhileItWaits(t *testing.T) {
	for _, headerAlone := range []bool{false, true} {
		t.Run(map[bool]string{false: "one read", true: "header read alone"}[headerAlone], func(t *testing.T) {
			dir := t.TempDir()
			header := strings.Repeat("column_name_x,", 80) + "end\n" // 1.1 KiB
			latest, report := filepath.Join(dir, "latest.csv"), filepath.Join(dir, "report-20261123.csv")
			if headerAlone {
				mustWrite(t, latest, header)
			} else {
				mustWrite(t, latest, header+lines("old", 0, 200))
			}
			c := startTailer(t, testConfig(dir, "*.csv"))
			if headerAlone {
				c.waitRecords(1)
				mustAppend(t, latest, lines("old", 0, 200)) // one read: 2 KiB
			}
			c.waitRecords(201)
			today := header + lines("new", 0, 100) // short of what was read
			mustWrite(t, report, today)
			mustWrite(t, latest, today)
			waitFor(t, "latest.csv's new content", func() bool { return len(c.recordsOf("latest.csv")) >= 201+101 })
			waitFor(t, "the report's lines", func() bool { return len(c.recordsOf("report-20261123.csv")) >= 101 })
			c.settle()
			if n := len(c.recordsOf("report-20261123.csv")); n != 101 {
				t.Fatalf("report-20261123.csv: %d records, want 101", n)
			}
		})
	}
}

// A copytruncate under a busy writer: the copy ends before the last lines
// read of the original (written and read between the copy and the
// truncation), and a shorter look-alike (the same first 4 KiB) waits
// meanwhile. The look-alike, unchecked, took the original's place (its
// lines lost) and the real copy was read again from 0; also when the
// shared prefix was read alone, whose sample the look-alike reaches. The
// copy reaches the original's earlier reads. From two reviews.
func TestABusyCopytruncateWithAShorterLookAlikeWaitingSendsEachLineOnce(t *testing.T) {
	for _, prefixAlone := range []bool{false, true} {
		t.Run(map[bool]string{false: "one read", true: "prefix read alone"}[prefixAlone], func(t *testing.T) {
			dir := t.TempDir()
			prefix := strings.Repeat("shared-prefix-line-0123456789abcdefghijklmnopqrstuvwxyz\n", 75) // 4.2 KiB
			a, b := filepath.Join(dir, "a.csv"), filepath.Join(dir, "0.csv")                          // sorts before the copy
			if prefixAlone {
				mustWrite(t, a, prefix)
			} else {
				mustWrite(t, a, prefix+lines("a", 0, 60))
			}
			c := startTailer(t, testConfig(dir, "*.csv*"))
			if prefixAlone {
				c.waitRecords(75)
				mustAppend(t, a, lines("a", 0, 60))
			}
			c.waitRecords(135)
			mustWrite(t, b, prefix+lines("b", 0, 10)) // shorter than what was read of a.csv
			data, err := os.ReadFile(a)               // logrotate's copy begins
			if err != nil {
				t.Fatal(err)
			}
			mustAppend(t, a, lines("a", 60, 70)) // the writer goes on; read
			c.waitRecords(145)
			mustWrite(t, a+"-20261123", string(data)) // copytruncate
			mustTruncate(t, a, 0)
			mustAppend(t, a, lines("a", 70, 75))
			waitFor(t, "every line", func() bool { return len(c.records()) >= 150+85 })
			c.settle()
			seen := countRecords(c.records())
			wantLines(t, seen, lines("b", 0, 10), 1, "0.csv's own lines")
			wantLines(t, seen, lines("a", 0, 75), 1, "a.csv's lines")
			if n := len(c.records()); n != 150+85 {
				t.Fatalf("%d records, want %d", n, 150+85)
			}
		})
	}
}

// Two files with the same header, each read header first then rows,
// copytruncated one after the other under busy writers (both copies wait):
// a.csv's copy, checked against b.csv's newer ghost first, reached only
// the shared header's sample and was taken for b.csv's copy; b.csv's copy
// was then read from 0 (duplicates; loss had a.csv unread bytes). From a
// review.
func TestTwoFilesWithTheSameHeaderCopytruncatedTogetherEachContinueInTheirOwnCopy(t *testing.T) {
	dir := t.TempDir()
	header := strings.Repeat("column_name_x,", 80) + "end\n"
	a, b := filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.csv")
	mustWrite(t, a, header)
	mustWrite(t, b, header)
	c := startTailer(t, testConfig(dir, "*.csv*"))
	c.waitRecords(2)
	mustAppend(t, a, lines("a", 0, 50))
	mustAppend(t, b, lines("b", 0, 200))
	c.waitRecords(252)
	da, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	mustAppend(t, a, lines("a", 50, 60)) // written and read after the copy
	c.waitRecords(262)
	mustWrite(t, a+".1", string(da))
	mustTruncate(t, a, 0)
	db, err := os.ReadFile(b)
	if err != nil {
		t.Fatal(err)
	}
	mustAppend(t, b, lines("b", 200, 210))
	c.waitRecords(272)
	mustWrite(t, b+".1", string(db))
	mustTruncate(t, b, 0)
	// Both copies decided (each waits a copyWait while shorter than what
	// was read of its original): each gives a chunk, an empty one when it
	// continues where its original was read.
	waitFor(t, "both copies begun", func() bool {
		var ca, cb bool
		for _, g := range c.snapshot() {
			if g.src != nil {
				ca = ca || filepath.Base(g.src.PathNow()) == "a.csv.1"
				cb = cb || filepath.Base(g.src.PathNow()) == "b.csv.1"
			}
		}
		return ca && cb
	})
	c.settle()
	seen := countRecords(c.records())
	wantLines(t, seen, lines("a", 0, 60), 1, "a.csv's lines")
	wantLines(t, seen, lines("b", 0, 210), 1, "b.csv's lines")
	if n := len(c.records()); n != 272 {
		t.Fatalf("%d records, want 272", n)
	}
}
