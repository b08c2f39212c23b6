package tail

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/kinesis-agent-go/aws-kinesis-agent/processors/javaregex"
)

// feed runs the splitter over pieces as successive reads, the way the
// tailer does (unconsumed bytes are passed again with the next piece), then
// applies a last call in mode. It returns the records and the bytes accounted.
func feed(sp *splitter, mode splitMode, pieces ...string) (recs []string, consumed int) {
	var pend []byte
	for i, p := range pieces {
		data := append(append([]byte(nil), pend...), p...)
		m := splitNormal
		if i == len(pieces)-1 {
			m = mode
		}
		n := sp.split(data, m, func(s, e int) { recs = append(recs, string(data[s:e])) })
		consumed += n
		pend = data[n:]
	}
	return recs, consumed
}

func TestSplitter(t *testing.T) {
	dig := func() *javaregex.Regexp { re, _ := javaregex.Compile(`\d{4}-`, 0); return re }
	foot, _ := javaregex.Compile(`--END--`, 0)
	tests := map[string]struct {
		sp       *splitter
		mode     splitMode
		in       []string
		want     []string
		consumed int
	}{
		"lines incl newline, empty line, CR kept": {
			sp: newSplitter(nil, nil, 0, 100, 0), in: []string{"a\n\nb\r\nc"},
			want: []string{"a\n", "\n", "b\r\n"}, consumed: 6,
		},
		"partial line completed by a later read": {
			sp: newSplitter(nil, nil, 0, 100, 0), in: []string{"ab", "c\nd"},
			want: []string{"abc\n"}, consumed: 4,
		},
		"final mode ships the unterminated line": {
			sp: newSplitter(nil, nil, 0, 100, 0), mode: splitFinal, in: []string{"a\nrest"},
			want: []string{"a\n", "rest"}, consumed: 6,
		},
		"aggregation §10.25": {
			sp: newSplitter(nil, nil, 10, 100, 0), in: []string{"AAAA\nBBBB\nCCCC\n"},
			want: []string{"AAAA\nBBBB\n", "CCCC\n"}, consumed: 15,
		},
		"aggregation: a longer line alone": {
			sp: newSplitter(nil, nil, 6, 100, 0), in: []string{"a\nlonger line\nb\nc\n"},
			want: []string{"a\n", "longer line\n", "b\nc\n"}, consumed: 18,
		},
		"aggregation only packs what is available": {
			sp: newSplitter(nil, nil, 100, 1000, 0), in: []string{"a\n", "b\n"},
			want: []string{"a\n", "b\n"}, consumed: 4,
		},
		"multi-line §10.26 waits for the next start": {
			sp: newSplitter(dig(), nil, 0, 100, 0), in: []string{"2024-a\n cont\n2024-b\n"},
			want: []string{"2024-a\n cont\n"}, consumed: 13,
		},
		"multi-line idle flush takes data ending in newline": {
			sp: newSplitter(dig(), nil, 0, 100, 0), mode: splitIdle, in: []string{"2024-a\n cont\n2024-b\n"},
			want: []string{"2024-a\n cont\n", "2024-b\n"}, consumed: 20,
		},
		"multi-line idle flush leaves a partial line": {
			sp: newSplitter(dig(), nil, 0, 100, 0), mode: splitIdle, in: []string{"2024-a\n con"},
			want: nil, consumed: 0,
		},
		"multi-line continuation across reads": {
			sp: newSplitter(dig(), nil, 0, 100, 0), in: []string{"2024-a\n c1\n", " c2\n", "2024-b\n"},
			want: []string{"2024-a\n c1\n c2\n"}, consumed: 15,
		},
		"multi-line first line need not match": {
			sp: newSplitter(dig(), nil, 0, 100, 0), in: []string{"junk\n2024-a\n2024-b\n"},
			want: []string{"junk\n", "2024-a\n"}, consumed: 12,
		},
		"header lines skipped but accounted": {
			sp: newSplitter(nil, nil, 0, 100, 2), in: []string{"h1\nh", "2\nd\n"},
			want: []string{"d\n"}, consumed: 8,
		},
		"runaway: first max bytes, rest of line discarded": {
			sp: newSplitter(nil, nil, 0, 4, 0), in: []string{"abcdefgh\nok\n"},
			want: []string{"abcd", "ok\n"}, consumed: 12,
		},
		"runaway across reads without newline": {
			sp: newSplitter(nil, nil, 0, 4, 0), in: []string{"abc", "defg", "hij\nok\n"},
			want: []string{"abcd", "ok\n"}, consumed: 14,
		},
		"line of exactly max bytes is whole": {
			sp: newSplitter(nil, nil, 0, 4, 0), in: []string{"abc\nxyz\n"},
			want: []string{"abc\n", "xyz\n"}, consumed: 8,
		},
		"multi-line runaway": {
			sp: newSplitter(dig(), nil, 0, 10, 0), in: []string{"2024-a\n c1\n c2\n c3\n2024-b\n"},
			want: []string{"2024-a\n c1", " c2\n c3\n"}, consumed: 19,
		},
		"footer dropped, trimmed text full match": {
			sp: newSplitter(nil, foot, 0, 100, 0), in: []string{"a\n  --END--\t\r\nb\n"},
			want: []string{"a\n", "b\n"}, consumed: 16,
		},
		"footer is not a partial match": {
			sp: newSplitter(nil, foot, 0, 100, 0), in: []string{"x --END--\n"},
			want: []string{"x --END--\n"}, consumed: 10,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, n := feed(tc.sp, tc.mode, tc.in...)
			if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tc.want) {
				t.Fatalf("records %q, want %q", got, tc.want)
			}
			if n != tc.consumed {
				t.Fatalf("consumed %d, want %d", n, tc.consumed)
			}
		})
	}
}

// A run of zero bytes that starts a line (a hole: a crash, a writer at an
// old offset) is dropped and counted, in every mode, also across reads;
// a shorter one is data; one inside a line is data.
func TestSplitterDropsAHoleAtTheStartOfALine(t *testing.T) {
	hole := strings.Repeat("\x00", holeRunMin)
	dig, _ := javaregex.Compile(`\d{4}-`, 0)
	for name, tc := range map[string]struct {
		sp    *splitter
		in    []string
		want  []string
		holes int64
	}{
		"single lines":              {newSplitter(nil, nil, 0, 1<<20, 0), []string{"a\n" + hole + "b\n"}, []string{"a\n", "b\n"}, holeRunMin},
		"across reads":              {newSplitter(nil, nil, 0, 1<<20, 0), []string{"a\n" + hole[:100], hole[100:] + "\x00\x00", "b\n"}, []string{"a\n", "b\n"}, holeRunMin + 2},
		"shorter: data":             {newSplitter(nil, nil, 0, 1<<20, 0), []string{"a\n" + hole[1:] + "b\n"}, []string{"a\n", hole[1:] + "b\n"}, 0},
		"inside a line: data":       {newSplitter(nil, nil, 0, 1<<20, 0), []string{"a" + hole + "b\n"}, []string{"a" + hole + "b\n"}, 0},
		"aggregated: not grouped":   {newSplitter(nil, nil, 4096, 1<<20, 0), []string{"a\nb\n" + hole + "c\nd\n"}, []string{"a\nb\n", "c\nd\n"}, holeRunMin},
		"multi-line: ends a record": {newSplitter(dig, nil, 0, 1<<20, 0), []string{"2024-a\n x\n" + hole + " y\n2024-b\n"}, []string{"2024-a\n x\n", " y\n", "2024-b\n"}, holeRunMin},
		"at the end, final":         {newSplitter(nil, nil, 0, 1<<20, 0), []string{"a\n" + hole}, []string{"a\n"}, holeRunMin},
	} {
		t.Run(name, func(t *testing.T) {
			recs, n := feed(tc.sp, splitFinal, tc.in...)
			total := len(strings.Join(tc.in, ""))
			if fmt.Sprintf("%q", recs) != fmt.Sprintf("%q", tc.want) || n != total || tc.sp.holeBytes != tc.holes {
				t.Fatalf("records %q (accounted %d of %d, hole bytes %d), want %q (hole bytes %d)", recs, n, total, tc.sp.holeBytes, tc.want, tc.holes)
			}
		})
	}
}

func TestSplitterRunawayCounters(t *testing.T) {
	sp := newSplitter(nil, nil, 0, 4, 0)
	feed(sp, splitNormal, "abcdefgh\nok\n")
	if sp.runaways != 1 || sp.discarded != 5 {
		t.Fatalf("runaways %d discarded %d", sp.runaways, sp.discarded)
	}
}

// Splitting must not depend on how the bytes were cut into reads.
func FuzzSplitterReadBoundaries(f *testing.F) {
	f.Add([]byte("a\nbb\n\nccc\r\nd"), uint8(3), uint8(0), uint16(0), false)
	f.Add([]byte("2024-a\n x\n2024-b\n y\n"), uint8(5), uint8(1), uint16(0), true)
	f.Add([]byte("AAAA\nBBBB\nCCCC\n"), uint8(7), uint8(0), uint16(10), false)
	f.Add([]byte(strings.Repeat("z", 40)+"\nq\n"), uint8(9), uint8(2), uint16(0), false)
	hole := strings.Repeat("\x00", holeRunMin+88)
	f.Add([]byte("a\n"+hole+"b\n"+hole), uint8(16), uint8(0), uint16(0), false)
	f.Add([]byte("2024-a\n x\n"+hole+" y\n2024-b\n\x00\x00\n"), uint8(4), uint8(0), uint16(0), true)
	f.Add([]byte("AAAA\nBB\n"+hole+"CC\n"+hole[:holeRunMin-1]+"D\n"), uint8(6), uint8(1), uint16(10), false)
	re, _ := javaregex.Compile(`\d{4}-`, 0)
	f.Fuzz(func(t *testing.T, data []byte, cut uint8, hdr uint8, agg uint16, multi bool) {
		const max = 16
		mk := func() *splitter {
			var m *javaregex.Regexp
			if multi {
				m = re
			}
			sp := newSplitter(m, nil, int(agg%64), max, int(hdr%3))
			if multi && cut&1 == 1 {
				sp.flushAt = 8 // records past it are split at line ends
			}
			return sp
		}
		whole, n1 := feed(mk(), splitFinal, string(data))
		// The same bytes one at a time, or in pieces of cut bytes.
		step := int(cut%17) + 1
		var pieces []string
		for i := 0; i < len(data); i += step {
			pieces = append(pieces, string(data[i:min(len(data), i+step)]))
		}
		if len(pieces) == 0 {
			pieces = []string{""}
		}
		parts, n2 := feed(mk(), splitFinal, pieces...)
		if n1 != len(data) || n2 != len(data) {
			t.Fatalf("final split accounted %d and %d of %d bytes", n1, n2, len(data))
		}
		for _, r := range append(append([]string(nil), whole...), parts...) {
			if len(r) == 0 || len(r) > max && agg == 0 {
				t.Fatalf("bad record length %d", len(r))
			}
		}
		if agg%64 == 0 {
			// Aggregation legitimately depends on what one read holds.
			if fmt.Sprintf("%q", whole) != fmt.Sprintf("%q", parts) {
				t.Fatalf("whole %q\nparts %q", whole, parts)
			}
		}
		// Without headers, runaways or holes, the records are exactly the
		// file's bytes.
		sp := mk()
		recs, _ := feed(sp, splitFinal, pieces...)
		if hdr%3 == 0 && sp.runaways == 0 && sp.holeBytes == 0 && strings.Join(recs, "") != string(data) {
			t.Fatalf("records %q do not rebuild %q", recs, data)
		}
	})
}

// The tailer leaves a run without '\n' unheld (harvester.spill) and skips
// the split while the bytes that follow hold no '\n' and the run stays
// shorter than the buffer: the split must then account for nothing, emit
// nothing and keep its state, in every mode. (A splitter dropping a
// runaway's rest consumes such bytes, but it leaves none unaccounted.)
func FuzzSplitterIgnoresARunWithoutNewline(f *testing.F) {
	f.Add([]byte("a\nbbbbbbb"), uint8(3), uint8(0), uint16(0), false)
	f.Add([]byte("2024-a\n x\n2024-b y z"), uint8(5), uint8(1), uint16(0), true)
	f.Add([]byte("AAAA\nBBBBCCCC"), uint8(7), uint8(2), uint16(10), false)
	re, _ := javaregex.Compile(`\d{4}-`, 0)
	f.Fuzz(func(t *testing.T, data []byte, cut uint8, hdr uint8, agg uint16, multi bool) {
		const max = 16
		var m *javaregex.Regexp
		if multi {
			m = re
		}
		sp := newSplitter(m, nil, int(agg%64), max, int(hdr%3))
		if multi && cut&1 == 1 {
			sp.flushAt = 8
		}
		step := int(cut%17) + 1
		var pend []byte
		for i := 0; i < len(data); i += step {
			piece := data[i:min(len(data), i+step)]
			buf := append(append([]byte(nil), pend...), piece...)
			// (pend is never empty then: spilling begins with a run left.)
			skip := len(pend) > 0 && bytes.IndexByte(pend, '\n') < 0 && bytes.IndexByte(piece, '\n') < 0 && len(buf) < max
			before := *sp
			emitted := 0
			n := sp.split(buf, splitNormal, func(s, e int) { emitted++ })
			if skip && (n != 0 || emitted != 0 || *sp != before) {
				t.Fatalf("a run of %d bytes without '\\n' (%q): accounted %d, emitted %d, state %+v -> %+v",
					len(buf), buf, n, emitted, before, *sp)
			}
			pend = buf[n:]
		}
	})
}

func benchData(lineLen, n int) []byte {
	var b bytes.Buffer
	line := strings.Repeat("x", lineLen-1) + "\n"
	for i := 0; i < n; i++ {
		b.WriteString(line)
	}
	return b.Bytes()
}

func benchSplit(b *testing.B, sp *splitter, data []byte) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	recs := 0
	emit := func(s, e int) { recs++ }
	for b.Loop() {
		sp.split(data, splitNormal, emit)
	}
	_ = recs
}

func BenchmarkSplitSingleLine(b *testing.B) {
	benchSplit(b, newSplitter(nil, nil, 0, 5<<20, 0), benchData(200, 1300))
}

func BenchmarkSplitAggregated(b *testing.B) {
	benchSplit(b, newSplitter(nil, nil, 4096, 4<<20, 0), benchData(200, 1300))
}

func BenchmarkSplitMultiLine(b *testing.B) {
	re, _ := javaregex.Compile(`\d{4}-`, 0)
	var buf bytes.Buffer
	for buf.Len() < 256<<10 {
		buf.WriteString("2024-01-01 event\n  at frame one\n  at frame two\n")
	}
	benchSplit(b, newSplitter(re, nil, 0, 5<<20, 0), buf.Bytes())
}

// §3.8: a runaway's first buffer-size bytes are one record, then the bytes
// up to and including the next newline are discarded, also when the cut
// falls just after a newline (multi-line: " x\n" continues the runaway
// record and was sent as a record of its own).
func TestMultiLineRunawayCutJustAfterANewlineDiscardsTheNextLine(t *testing.T) {
	re, _ := javaregex.Compile(`S`, 0)
	sp := newSplitter(re, nil, 0, 10, 0)
	// "Sabcdefgh\n" is exactly 10 bytes; the record "Sabcdefgh\n x\n" is 13.
	got, n := feed(sp, splitNormal, "Sabcdefgh\n x\nSb\n")
	want := []string{"Sabcdefgh\n"} // then " x\n" discarded; "Sb\n" waits for the next start
	if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) || sp.discarded != 3 {
		t.Fatalf("records %q (consumed %d, discarded %d), want %q with 3 bytes discarded", got, n, sp.discarded, want)
	}
}

// Spec §3.5: END_OF_FILE "first skip header lines if configured"; §3.9: "If
// the file has fewer lines, skipping continues as lines arrive."
