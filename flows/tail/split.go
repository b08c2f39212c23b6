package tail

import (
	"bytes"

	"github.com/kinesis-agent-go/aws-kinesis-agent/processors/javaregex"
)

// splitMode says how much of the unterminated tail a split may take.
type splitMode int

const (
	// splitNormal emits only records known to be complete.
	splitNormal splitMode = iota
	// splitIdle is used when the file has been idle: a multi-line record
	// whose data ends with '\n' is taken as complete.
	splitIdle
	// splitFinal is used when a file is let go for good: everything left,
	// including a last line without '\n', becomes a record.
	splitFinal
)

// splitter cuts file bytes into records as the Java agent does (spec
// §3.7-3.9). It keeps the state that spans reads: header lines still to
// skip, a runaway record being discarded, and how much of a pending
// multi-line record has already been scanned.
type splitter struct {
	multi  *javaregex.Regexp
	footer *javaregex.Regexp
	agg    int // Firehose aggregatedRecordSizeBytes (0 = off; ignored with multi)
	max    int // read buffer size: the longest record

	headerLeft int  // header lines still to skip
	skipping   bool // dropping bytes up to and including the next '\n'
	countSkip  bool // the dropped bytes are counted as discarded (runaway)
	scanned    int  // multi-line: bytes of the pending data already scanned
	// flushAt (multi-line, 0 = off): a record longer than this (the
	// destination's record limit) is emitted in parts of at most this many
	// bytes, split at line ends, as soon as they are complete: not cut as
	// a runaway or truncated by the batch builder.
	flushAt int

	// zeros: dropping a run of zero bytes that started a line (a hole,
	// see holeRunMin) that may go on in the next data.
	zeros bool

	// Counters since the owner last took them.
	runaways  int64
	discarded int64
	// holeBytes: zero bytes dropped at line starts (not in discarded);
	// firstHole: where in the data of the split that counted the first of
	// them their run starts (valid while holeBytes > 0).
	holeBytes int64
	firstHole int
	// firstRunaway is where in the data of the split that counted the
	// first of those runaways its record starts (valid while runaways > 0:
	// the owner takes them after each split).
	firstRunaway int
}

// countRunaway counts a runaway record starting at data[pos].
func (sp *splitter) countRunaway(pos int) {
	if sp.runaways == 0 {
		sp.firstRunaway = pos
	}
	sp.runaways++
}

func newSplitter(multi, footer *javaregex.Regexp, agg, max, headerLines int) *splitter {
	if max <= 0 {
		max = 5 << 20
	}
	if multi != nil {
		agg = 0
	}
	return &splitter{multi: multi, footer: footer, agg: agg, max: max, headerLeft: headerLines}
}

// reset prepares for a file (re)started at offset 0 or at a record boundary.
func (sp *splitter) reset(headerLines int) {
	sp.headerLeft = headerLines
	sp.skipping = false
	sp.countSkip = false
	sp.scanned = 0
	sp.zeros = false
}

// holeRunMin is the shortest run of zero bytes at the start of a line
// taken for a hole rather than data: a crash that extended the file
// before its data reached the disk (the next line is written after the
// zeros), or a writer without O_APPEND going on at its old offset after a
// truncation the tailer read past. Java sends the zeros as (the start of)
// a record, the next line glued to them or, past the buffer, cut off.
// Shorter runs are data (a UTF-16BE line's first byte, a NUL in a
// binary-ish line): byte for byte, as ever.
const holeRunMin = 512

// holeMin is the shortest run of zero bytes at a line start taken for a
// hole: holeRunMin, or the buffer size when smaller (a run that long would
// be a runaway record of zero bytes anyway).
func (sp *splitter) holeMin() int { return min(holeRunMin, sp.max) }

// zeroRun returns how many zero bytes data begins with.
func zeroRun(data []byte) int {
	for i, b := range data {
		if b != 0 {
			return i
		}
	}
	return len(data)
}

// split consumes data, whose first byte is the first byte not yet
// accounted for, and calls emit(s, e) for every record data[s:e], in order.
// It returns how many bytes of data are accounted for (records, skipped
// header lines, footers and discarded bytes); the rest must be passed again,
// followed by newer bytes, in the next call.
func (sp *splitter) split(data []byte, mode splitMode, emit func(s, e int)) int {
	if sp.multi != nil {
		return sp.splitMulti(data, mode, emit)
	}
	return sp.splitLines(data, mode, emit)
}

// skip handles the states in which bytes are dropped rather than parsed.
// It returns the new position and whether parsing may go on from there.
func (sp *splitter) skip(data []byte, pos int, mode splitMode) (int, bool) {
	for pos < len(data) {
		if sp.skipping {
			i := bytes.IndexByte(data[pos:], '\n')
			if i < 0 {
				if sp.countSkip {
					sp.discarded += int64(len(data) - pos)
				}
				return len(data), false
			}
			if sp.countSkip {
				sp.discarded += int64(i + 1)
			}
			pos += i + 1
			sp.skipping = false
			continue
		}
		if sp.zeros || data[pos] == 0 {
			n := zeroRun(data[pos:])
			if sp.zeros || n >= sp.holeMin() {
				if sp.holeBytes == 0 {
					sp.firstHole = pos
				}
				sp.holeBytes += int64(n)
				pos += n
				sp.zeros = pos == len(data) // (it may go on)
				continue
			}
			if pos+n == len(data) && mode != splitFinal {
				return pos, false // (too short to tell yet)
			}
		}
		if sp.headerLeft > 0 {
			i := bytes.IndexByte(data[pos:], '\n')
			if i < 0 {
				if mode == splitFinal {
					sp.headerLeft--
					return len(data), false
				}
				if len(data)-pos >= sp.max {
					// A header line longer than the buffer: drop it whole.
					sp.headerLeft--
					sp.skipping, sp.countSkip = true, false
					return len(data), false
				}
				return pos, false
			}
			pos += i + 1
			sp.headerLeft--
			continue
		}
		return pos, true
	}
	return pos, false
}

// runaway emits the first max bytes at pos as a record and arranges for the
// rest of that line to be dropped. It returns the position after the emitted bytes.
func (sp *splitter) runaway(data []byte, pos int, emit func(s, e int)) int {
	emit(pos, pos+sp.max)
	sp.countRunaway(pos)
	// Then the bytes up to and including the next '\n' are discarded
	// (§3.8), also when the cut fell just after one (multi-line: the next
	// line of the runaway record; a single line that long is never cut at
	// its '\n', it would fit).
	sp.skipping, sp.countSkip = true, true
	return pos + sp.max
}

// isFooter reports whether the record is a footer (Java: the UTF-8 text,
// trimmed of chars <= ' ', fully matches fileFooterPattern).
func (sp *splitter) isFooter(rec []byte) bool {
	if sp.footer == nil {
		return false
	}
	s, e := 0, len(rec)
	for s < e && rec[s] <= ' ' {
		s++
	}
	for e > s && rec[e-1] <= ' ' {
		e--
	}
	return sp.footer.Matches(string(rec[s:e]))
}

// splitLines handles single-line records and Firehose aggregation (greedy
// complete lines while the total stays <= agg; a longer line alone).
func (sp *splitter) splitLines(data []byte, mode splitMode, emit func(s, e int)) int {
	pos := 0
	gs, ge := 0, 0 // pending aggregated group data[gs:ge]
	flush := func() {
		if ge > gs {
			emit(gs, ge)
		}
		gs, ge = 0, 0
	}
	for pos < len(data) {
		np, ok := sp.skip(data, pos, mode)
		if np != pos {
			flush() // (a group is contiguous: not across dropped bytes)
		}
		if pos = np; !ok {
			break
		}
		i := bytes.IndexByte(data[pos:], '\n')
		if i < 0 {
			if len(data)-pos >= sp.max {
				flush()
				pos = sp.runaway(data, pos, emit)
				continue
			}
			if mode == splitFinal {
				flush()
				if !sp.isFooter(data[pos:]) {
					emit(pos, len(data))
				}
				pos = len(data)
			}
			break
		}
		e := pos + i + 1
		switch {
		case e-pos > sp.max:
			flush()
			emit(pos, pos+sp.max)
			sp.countRunaway(pos)
			sp.discarded += int64(e - pos - sp.max)
		case sp.isFooter(data[pos:e]):
			flush()
		case sp.agg <= 0:
			emit(pos, e)
		case ge > gs && e-gs > sp.agg:
			flush()
			gs, ge = pos, e
		case ge > gs:
			ge = e
		default:
			gs, ge = pos, e
		}
		pos = e
	}
	flush()
	return pos
}

// splitMulti handles multiLineStartPattern: a record is its first line
// plus every following line up to the next line that starts a record
// (LookingAt). A record is emitted when the next start line is complete, or
// when the owner signals idleness (splitIdle) and the data ends with '\n'.
func (sp *splitter) splitMulti(data []byte, mode splitMode, emit func(s, e int)) int {
	pos := 0
	record := func(s, e int) {
		if !sp.isFooter(data[s:e]) {
			emit(s, e)
		}
	}
	for pos < len(data) {
		var ok bool
		if pos, ok = sp.skip(data, pos, mode); !ok {
			sp.scanned = 0
			break
		}
		rs := pos // record start
		// The first line always belongs to the record.
		i := bytes.IndexByte(data[rs:], '\n')
		if i < 0 {
			if len(data)-rs >= sp.max {
				pos = sp.runaway(data, rs, emit)
				sp.scanned = 0
				continue
			}
			if mode == splitFinal {
				record(rs, len(data))
				pos = len(data)
			}
			sp.scanned = 0
			break
		}
		ls := rs + i + 1 // start of the next line to test
		if sp.scanned > ls-rs {
			ls = rs + sp.scanned
		}
		next := -1 // start of the next record
		for ls < len(data) {
			if ls-rs > sp.max {
				break
			}
			if data[ls] == 0 {
				if n := zeroRun(data[ls:]); n >= sp.holeMin() {
					next = ls // (a hole ends the record; skip drops it)
					break
				} else if ls+n == len(data) {
					break // (too short to tell yet)
				}
			}
			j := bytes.IndexByte(data[ls:], '\n')
			if j < 0 {
				break
			}
			if sp.multi.LookingAt(data[ls : ls+j+1]) {
				next = ls
				break
			}
			ls += j + 1
		}
		if sp.flushAt > 0 && i+1 <= sp.max && (next >= 0 && next-rs > sp.flushAt || next < 0 && ls-rs > sp.flushAt) {
			// Longer than the destination's record limit (which would
			// truncate it): the lines go out as records of at most the
			// limit, split at line ends rather than cut, whether or not the
			// next start line is in sight yet (a pattern that never
			// matches, a busy writer that is never idle). Java emits every
			// read's lines.
			e := rs + i + 1 // the first line always belongs to the record (a runaway below when longer than the buffer)
			if i+1 < sp.flushAt {
				if k := bytes.LastIndexByte(data[e:rs+sp.flushAt], '\n'); k >= 0 {
					e += k + 1
				}
			}
			record(rs, e)
			pos = e
			sp.scanned = 0
			continue
		}
		if next >= 0 {
			if next-rs > sp.max {
				pos = sp.runaway(data, rs, emit)
				sp.scanned = 0
				continue
			}
			record(rs, next)
			pos = next
			sp.scanned = 0
			continue
		}
		if ls-rs > sp.max {
			// Longer than the buffer with no start line in sight.
			pos = sp.runaway(data, rs, emit)
			sp.scanned = 0
			continue
		}
		if len(data)-ls >= sp.max {
			// The unterminated last line alone fills the buffer: it is a
			// runaway whether it starts a record or continues this one.
			if sp.multi.LookingAt(data[ls:]) || sp.flushAt > 0 {
				// (With flushAt the complete lines go out on their own,
				// as when that line is complete: records split, not cut.)
				record(rs, ls)
				pos = ls
			} else {
				pos = sp.runaway(data, rs, emit)
			}
			sp.scanned = 0
			continue
		}
		// No start line among the complete lines [rs, ls).
		if mode == splitFinal && ls < len(data) && sp.multi.LookingAt(data[ls:]) {
			// The unterminated last line starts a record of its own: the
			// record before it ends here, and it goes out alone next.
			record(rs, ls)
			pos = ls
			sp.scanned = 0
			continue
		}
		if mode == splitFinal && sp.flushAt > 0 && len(data)-rs > sp.flushAt {
			// The complete lines (within the limit, see above) go out, and
			// the unterminated last line alone next: split, not truncated.
			record(rs, ls)
			pos = ls
			sp.scanned = 0
			continue
		}
		if mode == splitFinal && len(data)-rs > sp.max {
			pos = sp.runaway(data, rs, emit)
			sp.scanned = 0
			continue
		}
		switch {
		case mode == splitFinal:
			record(rs, len(data))
			pos = len(data)
			sp.scanned = 0
		case mode == splitIdle && ls == len(data):
			record(rs, ls)
			pos = ls
			sp.scanned = 0
		default:
			sp.scanned = ls - rs
			pos = rs
		}
		break
	}
	return pos
}
