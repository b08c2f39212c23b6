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
			var sb strings.Builder
			sb.WriteString("START of a long record\n")
			frames := 0
			for sb.Len() < 3<<20 {
				fmt.Fprintf(&sb, "\tat frame %08d %s\n", frames, strings.Repeat("x", 70))
				frames++
			}
			sb.WriteString("START next\n")
			content := sb.String()
			if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			chain, err := processors.Build([]processors.Option{{Key: "m", Name: "ADDMETADATA", Metadata: json.RawMessage(`{"host":"h"}`)}}, processors.Deps{})
			if err != nil {
				t.Fatal(err)
			}
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
	chain, err := processors.Build([]processors.Option{{Key: "m", Name: "ADDMETADATA", Metadata: json.RawMessage(`{"host":"h"}`)}}, processors.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	rec := []byte(strings.Repeat("\tline\n", 100))
	c := &record.Chunk{Data: rec, Ends: []int{len(rec)}}
	done := 0
	c.Track(1, func(*record.Chunk) { done++ })
	var pieces []string
	add := func(out []byte, c *record.Chunk) bool {
		pieces = append(pieces, string(out))
		c.Ack(1) // delivered at once
		return true
	}
	var buf []byte
	var n pieceCounts
	if !addPieces(chain, rec, 200, &buf, &n, c, add) {
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
