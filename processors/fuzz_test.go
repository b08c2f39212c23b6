package processors

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kinesis-agent-go/aws-kinesis-agent/processors/javaregex"
)

func checkJSONRecord(t *testing.T, out []byte) {
	t.Helper()
	if !utf8.Valid(out) {
		t.Fatalf("invalid UTF-8 output %q", out)
	}
	if len(out) == 0 || out[len(out)-1] != '\n' {
		t.Fatalf("output does not end with one newline: %q", out)
	}
	body := out[:len(out)-1]
	if !json.Valid(body) {
		t.Fatalf("invalid JSON %q", out)
	}
	if bytes.HasSuffix(body, []byte("\n")) {
		t.Fatalf("more than one trailing newline: %q", out)
	}
}

func FuzzCSVToJSON(f *testing.F) {
	f.Add([]byte("4613,0,false,2026-12-02,LED,0,Pobeda\n"), ",", false)
	f.Add([]byte("a\tb\t\tc\r\n"), `\t`, true)
	f.Add([]byte("\x00\xff\xe2\x82,é😀\u2028"), `\s*;\s*`, false)
	f.Add([]byte(",,,\n"), "|", false)
	f.Fuzz(func(t *testing.T, rec []byte, delim string, pretty bool) {
		o := csvOpt([]string{"a", "b", "c", "a"}, delim)
		if pretty {
			o.JSONFormat = "PRETTYPRINT"
		}
		c, err := Build([]Option{o}, Deps{})
		if err != nil {
			return // invalid delimiter regex is rejected at build
		}
		out, res := c.Process(nil, rec)
		if res != Converted {
			t.Fatalf("CSVTOJSON never skips or fails: %v %v", res, c.LastError())
		}
		checkJSONRecord(t, out)
	})
}

func FuzzLogToJSON(f *testing.F) {
	f.Add([]byte(`123.45.67.89 - - [27/Oct/2000:09:27:09 -0400] "GET / HTTP/1.0" 200 10450 "-" "Mozilla"`), uint8(1), false)
	f.Add([]byte("Mar 12 12:00:08 server2 rcd[308]: Loaded\n"), uint8(3), true)
	f.Add([]byte("[Fri Sep 09 10:42:29.902022 2011] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187] x\xff"), uint8(2), false)
	f.Add([]byte("2024-05-01T12:00:30Z h p: m"), uint8(4), false)
	formats := []string{"COMMONAPACHELOG", "COMBINEDAPACHELOG", "APACHEERRORLOG", "SYSLOG", "RFC3339SYSLOG"}
	f.Fuzz(func(t *testing.T, rec []byte, format uint8, pretty bool) {
		o := logOpt(formats[int(format)%len(formats)])
		if pretty {
			o.JSONFormat = "PRETTYPRINT"
		}
		c := mustChain(t, o)
		out, res := c.Process([]byte("keep"), rec)
		switch res {
		case Skipped:
			if string(out) != "keep" {
				t.Fatalf("skip changed dst: %q", out)
			}
		case Converted:
			checkJSONRecord(t, out[4:])
		default:
			t.Fatalf("LOGTOJSON fell back: %v", c.LastError())
		}
	})
}

// FuzzJSONWriter round-trips arbitrary JSON through the order-preserving
// parser and the Jackson-style writer (ADDEC2METADATA's path and
// ADDMETADATA's metadata).
func FuzzJSONWriter(f *testing.F) {
	f.Add([]byte(`{"a":1,"b":[1.5,-0,1e400,"x\u0001\ud800"],"c":{"d":null,"a":true}}`), false)
	f.Add([]byte(`{"k\u00e9":"\ud83d\ude00","e":{},"f":[]}`), true)
	f.Add([]byte(`[{"a":{"b":[{}]}}]`), true)
	f.Fuzz(func(t *testing.T, in []byte, pretty bool) {
		v, err := parseFirstValue(in)
		if err != nil {
			return
		}
		out := appendValue(nil, &v, pretty, 0)
		if !utf8.Valid(out) {
			t.Fatalf("invalid UTF-8 %q", out)
		}
		if !json.Valid(out) {
			t.Fatalf("invalid JSON %q from %q", out, in)
		}
		// writing what we wrote is stable
		v2, err := parseFirstValue(out)
		if err != nil {
			t.Fatalf("reparse %q: %v", out, err)
		}
		if out2 := appendValue(nil, &v2, pretty, 0); !bytes.Equal(out, out2) {
			t.Fatalf("not stable:\n%q\n%q", out, out2)
		}
		// strings we accept, encoding/json accepts too (if it is an object
		// whose keys are unique, the parse must agree on the key count)
		if v.k == kObject && json.Valid(in) {
			var m map[string]json.RawMessage
			if json.Unmarshal(in, &m) == nil && len(m) != len(v.obj) {
				t.Fatalf("key count %d vs %d for %q", len(v.obj), len(m), in)
			}
		}
	})
}

// FuzzApacheFastPath: whenever the Apache fast path decides, the built-in
// regular expression must match with exactly the same groups.
func FuzzApacheFastPath(f *testing.F) {
	f.Add([]byte(apacheCombined), true)
	f.Add([]byte(`lj1036.inktomisearch.com - frank [07/Mar/2004:17:18:36 -0800] "GET /robots.txt HTTP/1.0" 200 -`), false)
	f.Add([]byte(`1.2.3.4. a-b c.d [31/Dec/1999:23:59:59 +0000] "x" -5 +7 "r" "a" tail`), true)
	f.Fuzz(func(t *testing.T, line []byte, combined bool) {
		if !utf8.Valid(line) {
			line = appendJavaUTF8(nil, line)
		}
		n, format := 7, "COMMONAPACHELOG"
		if combined {
			n, format = 9, "COMBINEDAPACHELOG"
		}
		idx := make([]int, 2*n)
		if !apacheFast(line, combined, idx) {
			return
		}
		want := builtinFor(format).FindSubmatchIndex(line)
		if want == nil {
			t.Fatalf("fast path matched, regex did not: %q", line)
		}
		for i := range idx {
			if idx[i] != want[i+2] {
				t.Fatalf("groups differ for %q:\n fast  %v\n regex %v", line, idx, want[2:])
			}
		}
	})
}

// needsEscapeLoop is needsEscape one byte at a time.
func needsEscapeLoop(s []byte) bool {
	for _, b := range s {
		if escapeByte[b] != 0 {
			return true
		}
	}
	return false
}

// Every byte appendQuoted escapes is found at every position of a word and
// of the tail; no other byte is.
func TestNeedsEscapeFindsEveryEscapedByteAtEveryPosition(t *testing.T) {
	for b := 0; b < 256; b++ {
		for pos := 0; pos < 17; pos++ {
			s := bytes.Repeat([]byte{'a'}, 17)
			s[pos] = byte(b)
			if got, want := needsEscape(s), escapeByte[b] != 0; got != want {
				t.Fatalf("byte %#02x at %d: needsEscape %v, want %v", b, pos, got, want)
			}
		}
	}
}

func FuzzNeedsEscape(f *testing.F) {
	f.Add([]byte(`plain text, 16+ bytes long "q"`))
	f.Add([]byte("\x1f\x20\x21\x5b\x5c\x5d\x7f\x80\xff"))
	f.Fuzz(func(t *testing.T, s []byte) {
		if got, want := needsEscape(s), needsEscapeLoop(s); got != want {
			t.Fatalf("%q: needsEscape %v, want %v", s, got, want)
		}
	})
}

// CSVTOJSON's copy of values that need no escaping writes exactly what
// escaping every value field by field writes.
func FuzzCSVToJSONRawCopyMatchesEscaping(f *testing.F) {
	f.Add([]byte("4613,0,false,2026-12-02,LED,0,Pobeda\n"), false, byte(','))
	f.Add([]byte("a,\"b\",c\\d,\x01\n"), true, byte(','))
	f.Add([]byte(",,x,,\n"), false, byte(','))
	f.Add([]byte("4613\t0\t \tPobeda\t\"\n"), false, byte('\t'))
	f.Add([]byte("a\"b\"\"c\\\n"), false, byte('"'))
	f.Fuzz(func(t *testing.T, rec []byte, pretty bool, d byte) {
		if !utf8.Valid(rec) {
			return // the chain falls back before converting invalid UTF-8
		}
		d &= 0x7f // a delimiter of one byte is ASCII: agent.json is UTF-8
		c := newCSV([]string{"a", "b", "c", "a", "e"}, javaregex.MustCompile(fmt.Sprintf(`\x%02x`, d), 0), pretty)
		got, _, _ := c.convert(nil, rec)
		// The reference: every value through appendString.
		s := trimNL(rec)
		c.split(s)
		want := []byte{'{'}
		for j := range c.keys {
			want = appendKey(want, &c.keys[j], j, c.pretty)
			if col := c.src[j]; col < len(c.fields) {
				want = appendString(want, s[c.fields[col][0]:c.fields[col][1]])
			} else {
				want = append(want, "null"...)
			}
		}
		want = appendClose(want, len(c.keys), c.pretty)
		if !bytes.Equal(got, want) {
			t.Fatalf("%q:\n got %q\nwant %q", rec, got, want)
		}
	})
}

// The literal-delimiter split gives the same fields as the regex engine's
// Java String.split, for every delimiter byte at every position of a word
// and of the tail (the literal split reads eight bytes at a time).
func FuzzCSVLiteralSplitMatchesRegexSplit(f *testing.F) {
	f.Add([]byte("4613,0,false,2026-12-02,LED,0,Pobeda,2026-11-20T08:13:22,95,1199,KZN"), byte(','))
	f.Add([]byte(",,,,,,,,,,,,,,,,,"), byte(','))
	f.Add([]byte("a\x00b\x00\x00\x80\x00"), byte(0))
	f.Add([]byte("\xff\xfe\xff\x7f\xff\x80\xff\xff\xff"), byte(0xff))
	f.Add([]byte("a\tb\t\tc\t\t"), byte('\t'))
	f.Fuzz(func(t *testing.T, s []byte, d byte) {
		d &= 0x7f // a delimiter of one byte is ASCII: agent.json is UTF-8
		for _, names := range [][]string{{"a"}, {"a", "b", "c"}, strings.Split("abcdefghijklmnopqrstuvwxyz", "")} {
			lit := newCSV(names, javaregex.MustCompile(fmt.Sprintf(`\x%02x`, d), 0), false)
			if len(lit.lit) != 1 {
				t.Fatalf("delimiter %q is not taken as a literal", d)
			}
			lit.split(s)
			ref := newCSV(names, lit.re, false)
			ref.lit = nil
			ref.split(s)
			// The literal split keeps only the fields the converter reads.
			if got, want := fieldsRead(lit), fieldsRead(ref); !slices.Equal(got, want) {
				t.Fatalf("%q split by %q (%d fields read):\n got %v\nwant %v", s, d, len(names), got, want)
			}
		}
	})
}

// A delimiter that JSON escapes (a tab) is left out of the test for bytes
// to escape, and nothing else is.
func FuzzNeedsEscapeBut(f *testing.F) {
	f.Add([]byte("4613\t0\t \tPobeda\t"), byte('\t'))
	f.Add([]byte("a\"b\"\"c\\"), byte('"'))
	f.Add([]byte("\x1f\x20\x21\x5b\x5c\x5d\x7f\x80\xff"), byte('\\'))
	f.Fuzz(func(t *testing.T, s []byte, d byte) {
		want := false
		for _, b := range s {
			if escapeByte[b] != 0 && b != d {
				want = true
			}
		}
		if got := needsEscapeBut(s, d); got != want {
			t.Fatalf("%q but %q: needsEscapeBut %v, want %v", s, d, got, want)
		}
	})
}

// fieldsRead is the bounds of each field c's converter reads, {-1, -1}
// for one past the split (null).
func fieldsRead(c *csvConv) [][2]int {
	out := make([][2]int, c.need)
	for i := range out {
		out[i] = [2]int{-1, -1}
		if i < len(c.fields) {
			out[i] = c.fields[i]
		}
	}
	return out
}
