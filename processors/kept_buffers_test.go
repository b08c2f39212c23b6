package processors

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/kinesis-agent-go/aws-kinesis-agent/processors/javaregex"
)

// One record of megabytes (a stack dump, a line of delimiters, invalid
// UTF-8 that becomes three bytes per byte, control bytes JSON escaping makes
// six times longer) left a chain's working buffers at that size for the
// agent's life: three 5 MiB lines of commas through CSVTOJSON, 296 MB of
// RSS that never came back. Buffers over 1 MiB are not kept past the record.
func TestAChainKeepsNoBufferOfMegabytesAfterAHugeRecord(t *testing.T) {
	const size = 5 << 20
	for name, rec := range map[string][]byte{
		"delimiters":     append(bytes.Repeat([]byte("a,"), size/2), '\n'),
		"invalid UTF-8":  append(bytes.Repeat([]byte{0xff}, size), '\n'),
		"control bytes":  append(bytes.Repeat([]byte{0x01}, size), '\n'),
		"two converters": append(bytes.Repeat([]byte("b,"), size/2), '\n'),
	} {
		t.Run(name, func(t *testing.T) {
			opts := []Option{csvOpt([]string{"a", "b"}, "")}
			if name == "two converters" {
				opts = append([]Option{{Name: "SINGLELINE"}}, opts...)
			}
			c, err := Build(opts, Deps{})
			if err != nil {
				t.Fatal(err)
			}
			out, res := c.Process(nil, rec)
			if res != Converted || len(out) == 0 {
				t.Fatalf("result %v, %d bytes", res, len(out))
			}
			kept := cap(c.text) + cap(c.scratch[0]) + cap(c.scratch[1])
			for _, cv := range c.convs {
				if csv, ok := cv.(*csvConv); ok {
					kept += 16 * cap(csv.fields)
				}
			}
			if kept > 2<<20 {
				t.Fatalf("the chain keeps %.1f MiB of buffers after one %d MiB record", float64(kept)/(1<<20), size>>20)
			}
			// And still converts the next record.
			if out, _ := c.Process(nil, []byte("x,y\n")); string(out) != `{"a":"x","b":"y"}`+"\n" {
				t.Fatalf("next record: %q", out)
			}
		})
	}
}

// A split stopped once it has the fields the converter reads gives those
// fields as the full split does, Java's dropping of trailing empty fields
// included, for delimiters of several bytes too (overlapping ones).
func TestACSVSplitStoppedAtTheFieldsReadMatchesTheFullSplit(t *testing.T) {
	for d, pattern := range map[string]string{"||": `\|\|`, "aa": "aa", "aba": "aba", "::": "::"} {
		for _, s := range []string{"", "x", d, d + d, "x" + d, d + "x", "x" + d + d + d, "x" + d + "y" + d + d,
			"x" + d + d + "z", "aaa", "aaaa", "aaaaa", "abababa", "a" + d + "b" + d + "c" + d + "d" + d, strings.Repeat(d, 9) + "q"} {
			for _, names := range [][]string{{"a"}, {"a", "b"}, {"a", "b", "c", "d", "e"}} {
				lit := newCSV(names, javaregex.MustCompile(pattern, 0), false)
				if lit.lit == nil {
					t.Fatalf("%q not taken as a literal", d)
				}
				ref := newCSV(names, lit.re, false)
				ref.lit = nil
				lit.split([]byte(s))
				ref.split([]byte(s))
				if got, want := fieldsRead(lit), fieldsRead(ref); !slices.Equal(got, want) {
					t.Errorf("%q split by %q (%d read): got %v, want %v", s, d, len(names), got, want)
				}
			}
		}
	}
}
