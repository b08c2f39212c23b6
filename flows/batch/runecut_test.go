package batch

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
)

// A record cut to the destination's limit keeps whole UTF-8 characters:
// Java cuts mid-character, and the record then is not valid UTF-8
// (Firehose format conversion and JSON readers downstream refuse it).
func TestATruncatedRecordIsNotCutInsideAUTF8Character(t *testing.T) {
	for name, lim := range map[string]Limits{"kinesis": KinesisLimits(0, 0, 0), "firehose": FirehoseLimits(0, 0, 0)} {
		for _, term := range []string{"\n", "EOR\n"} {
			for shift := 0; shift < 6; shift++ {
				char := "😀"
				if shift%2 == 1 {
					char = "\uFFFD" // (decoded as utf8.RuneError, yet valid)
				}
				line := []byte(strings.Repeat("x", shift) + strings.Repeat(char, 700_000) + "\n")
				st := flowstats.New("f", "s", false)
				opts := Options{Limits: lim, Keys: KeyRandom, Stats: st, Logger: newLogger(&logSink{})}
				if term != "\n" {
					opts.Terminator = []byte(term)
				}
				b := NewBuilder(opts)
				b.Add(line, chunkFor("/var/log/app.log"))
				e := b.Flush(time.Now()).Entries[0]
				if !utf8.Valid(e.Data) || !bytes.HasSuffix(e.Data, []byte(term)) {
					t.Fatalf("%s %q shift %d: record of %d bytes ends %q", name, term, shift, len(e.Data), e.Data[len(e.Data)-8:])
				}
				counted := len(e.Data)
				if lim.CountKey {
					counted += len(e.Key)
				}
				if counted > lim.MaxRecordBytes || counted < lim.MaxRecordBytes-3 {
					t.Fatalf("%s %q shift %d: %d bytes counted, want within 3 of %d", name, term, shift, counted, lim.MaxRecordBytes)
				}
			}
		}
	}
	// Bytes that are not UTF-8 are cut at the limit, as Java does.
	if got := runeCut([]byte{0x80, 0x80, 0x80, 0x80, 0x80}, 3); got != 3 {
		t.Fatalf("runeCut of continuation bytes = %d, want 3", got)
	}
}
