package flows

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/batch"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
	"github.com/kinesis-agent-go/aws-kinesis-agent/processors"
)

// A multi-line record near the destination's limit that a converter makes
// longer (ADDMETADATA escapes every tab and newline) was cut by the batch
// builder and its checkpoint moved past the lost lines. It is now sent as
// pieces cut at line ends, each converted alone: every line arrives once,
// nothing is truncated, and every record is whole JSON. Both a 3 MiB record
// (flushed in pieces at the limit by the splitter) and a pattern that never
// matches (the splitter's runaway flush) are covered.
func TestAMultiLineRecordTooLongOnceConvertedIsSentInPiecesCutAtLineEnds(t *testing.T) {
	for name, pattern := range map[string]string{"long record": "^START", "pattern never matches": "^NEVER"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "a.log")
			content, frames := longRecord(3<<20, func(i int) string {
				return fmt.Sprintf("\tat frame %08d %s\n", i, strings.Repeat("x", 70))
			})
			if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			chain := addMetadata(t)
			snd, sv := &memSender{}, &memSaver{saved: map[string]record.Position{}}
			cfg := flowConfig(dir)
			cfg.MultiLineStartPattern = pattern
			stats := flowstats.New(cfg.ID, "s", false)
			stop := startFlow(t, cfg, Deps{Sender: snd, Saver: sv, Chain: chain, Stats: stats})
			want := int64(len(content) - len("START next\n"))
			if pattern == "^NEVER" {
				want = int64(len(content))
			}
			eventually(t, "the checkpoint at the last complete record", func() bool { return sv.offset(p) >= want })
			stop()

			if n := stats.RecordsTruncated.Load(); n != 0 {
				t.Errorf("%d records truncated", n)
			}
			seen := make([]int, frames)
			frame := regexp.MustCompile(`\tat frame (\d{8}) `)
			for _, r := range snd.got() {
				if len(r) > 1<<20-256 {
					t.Errorf("a record of %d bytes", len(r))
				}
				var v struct {
					Data string `json:"data"`
				}
				if err := json.Unmarshal([]byte(r), &v); err != nil {
					t.Fatalf("a record is not whole JSON: %v (%d bytes, ends %q)", err, len(r), r[max(0, len(r)-40):])
				}
				for _, m := range frame.FindAllStringSubmatch(v.Data, -1) {
					i, _ := strconv.Atoi(m[1])
					seen[i]++
				}
			}
			for i, n := range seen {
				if n != 1 {
					t.Fatalf("frame %d arrived %d times", i, n)
				}
			}
		})
	}
}

func TestLineEndNearCutsAtTheLineEndClosestToTheMiddle(t *testing.T) {
	for _, tc := range []struct {
		rec  string
		want int
	}{
		{"", 0},
		{"\n", 0},
		{"one line\n", 0},
		{"no newline at all", 0},
		{"a\nb\n", 2},
		{"aaaa\nb\nccccccc\n", 7},      // before the middle (7)
		{"a\nbbbbbbbbbbbbbb\ncc\n", 2}, // the only one before the middle
		{"aaaaaaaaaaaaaa\nbb\n", 15},   // none before the middle: the next one
		{"aaaaaaaaaaaaaa\nbb", 15},     // an unterminated last line
	} {
		if got := lineEndNear([]byte(tc.rec)); got != tc.want {
			t.Errorf("lineEndNear(%q) = %d, want %d", tc.rec, got, tc.want)
		}
	}
}

// Each piece of a split record counts one more acknowledgement before it is
// handed on: pieces acknowledged at once (a fast destination) must not
// complete the chunk while the record itself is not done, or its checkpoint
// would move past pieces not yet delivered.
func TestPiecesOfASplitRecordDoNotCompleteTheirChunkEarly(t *testing.T) {
	chain := addMetadata(t)
	rec := []byte(strings.Repeat("\tline\n", 100))
	c := &record.Chunk{Data: rec, Ends: []int{len(rec)}}
	done := 0
	c.Track(1, func(*record.Chunk) { done++ })
	var pieces []string
	add := func(out []byte, c *record.Chunk, ri, within int) bool {
		if ri != 0 || within < 0 || within >= len(rec) || (within > 0 && rec[within-1] != '\n') {
			t.Errorf("piece at record %d byte %d: not a line start of record 0", ri, within)
		}
		pieces = append(pieces, string(out))
		c.Ack(1) // delivered at once
		return true
	}
	var buf []byte
	var n pieceCounts
	if !addPieces(chain, rec, 200, &buf, &n, c, 0, 0, add) {
		t.Fatal("addPieces stopped")
	}
	if done != 0 {
		t.Fatalf("the chunk completed while its split record was not done (%d pieces)", len(pieces))
	}
	if len(pieces) < 4 || n.transformed != int64(len(pieces)) {
		t.Fatalf("%d pieces, counts %+v", len(pieces), n)
	}
	c.Ack(1) // the record itself
	if done != 1 {
		t.Fatalf("done %d times after the record's own acknowledgement, want 1", done)
	}
}

// A stop while the pieces of a split record are being handed on leaves the
// record unacknowledged: the pieces not handed on were never counted, so
// acknowledging the record would complete its chunk and move the checkpoint
// past lines never sent.
func TestAStopAmidThePiecesOfASplitRecordKeepsItsCheckpointBeforeIt(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.log")
	// Control characters: ADDMETADATA writes each as \u0001, six bytes.
	content, lines := longRecord(1<<20, func(i int) string { return fmt.Sprintf("\x01\x01\x01\x01\x01\x01\x01\x01L%07dE\n", i) })
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	chain := addMetadata(t)
	started := make(chan struct{}, 64)
	snd := &memSender{delay: 300 * time.Millisecond, hold: func(*batch.Batch) bool { started <- struct{}{}; return false }}
	sv := &memSaver{saved: map[string]record.Position{}}
	cfg := flowConfig(dir)
	cfg.MultiLineStartPattern = "^START"
	cfg.MaxBufferSizeRecords = 1 // a piece per batch
	stop := startFlow(t, cfg, Deps{Sender: snd, Saver: sv, Chain: chain, Senders: 1})
	<-started // the first piece is being sent; the next ones wait for the one sender
	stop()
	got := map[string]bool{}
	line := regexp.MustCompile(`L(\d{7})E`)
	for _, r := range snd.got() {
		for _, m := range line.FindAllString(r, -1) {
			got[m] = true
		}
	}
	missing := 0 // the first line not sent
	for missing < lines && got[fmt.Sprintf("L%07dE", missing)] {
		missing++
	}
	if missing == lines {
		t.Fatalf("all %d lines sent: the stop did not land amid the pieces", lines)
	}
	head, lineLen := int64(len("START of a long record\n")), int64(len("\x01\x01\x01\x01\x01\x01\x01\x01L0000000E\n"))
	if off, at := sv.offset(p), head+int64(missing)*lineLen; off > at {
		t.Fatalf("checkpoint %d past line %d (at %d), which was not sent", off, missing, at)
	}
	if len(snd.got()) >= 8 {
		t.Fatalf("%d pieces sent: the stop did not land amid them", len(snd.got()))
	}
}

// LOGTOJSON with a matchPattern only the record's first line passes takes
// the whole record; its pieces alone would be skipped, dropping their
// lines. They are sent raw instead.
func TestPiecesProcessingSkipsOnTheirOwnAreSentRaw(t *testing.T) {
	chain, err := processors.Build([]processors.Option{{Key: "l", Name: "LOGTOJSON", LogFormat: "COMMONAPACHELOG",
		MatchPattern: `(?s)^(ERROR) (.*)$`, HasMatchPattern: true, CustomFieldNames: []string{"a", "b"}, HasCustomFieldNames: true}}, processors.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	rec := []byte("ERROR boom\n" + strings.Repeat("\tat frame\n", 100))
	if _, res := chain.Process(nil, rec); res == processors.Skipped {
		t.Fatal("the whole record is skipped")
	}
	c := &record.Chunk{Data: rec, Ends: []int{len(rec)}}
	c.Track(1, func(*record.Chunk) {})
	frames := 0
	add := func(out []byte, c *record.Chunk, _, _ int) bool {
		frames += strings.Count(string(out), "at frame")
		return true
	}
	var buf []byte
	var n pieceCounts
	if !addPieces(chain, rec, 200, &buf, &n, c, 0, 0, add) {
		t.Fatal("addPieces stopped")
	}
	if frames != 100 || n.raw == 0 {
		t.Fatalf("%d of 100 frame lines sent, counts %+v", frames, n)
	}
}

// addMetadata is a chain that wraps each record in ADDMETADATA's JSON,
// which escapes every tab, newline and control character.
func addMetadata(t *testing.T) *processors.Chain {
	t.Helper()
	chain, err := processors.Build([]processors.Option{{Key: "m", Name: "ADDMETADATA", Metadata: json.RawMessage(`{"host":"h"}`)}}, processors.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	return chain
}

// longRecord is a file's content: a multi-line record that starts with
// "START of a long record", continued by line(0), line(1)... until it holds
// at least size bytes, and the start of the next record ("START next").
// n is how many continuation lines it has.
func longRecord(size int, line func(i int) string) (content string, n int) {
	var sb strings.Builder
	sb.WriteString("START of a long record\n")
	for sb.Len() < size {
		sb.WriteString(line(n))
		n++
	}
	sb.WriteString("START next\n")
	return sb.String(), n
}
