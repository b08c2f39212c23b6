package reliability

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/kinesistest"
)

// Kinesis limits (spec §3.8).
const (
	kinesisMaxRecord = 1 << 20 // data + partition key
	bigLineBytes     = 10 << 20
)

// TestBadInputShipsByteForByteAndTruncatesAHugeLineAsSpecified writes binary
// data, invalid UTF-8, NUL bytes, lines of only carriage returns and a 10 MB
// line: the agent does not crash, every ordinary line arrives byte for byte,
// and the 10 MB line becomes one record of exactly 1 MiB minus the
// partition key, ending with the terminator (spec §3.8); the rest of that
// line is discarded and the next line is intact.
func TestBadInputShipsByteForByteAndTruncatesAHugeLineAsSpecified(t *testing.T) {
	parallel(t)
	s := newSetup(t, 1)
	r := rand.New(rand.NewPCG(7, 7))
	var want [][]byte
	add := func(b []byte) { want = append(want, b) }
	for i := 0; i < 50; i++ { // binary: every byte value but '\n'
		b := make([]byte, 1+r.IntN(300))
		for j := range b {
			b[j] = byte(r.IntN(256))
			if b[j] == '\n' {
				b[j] = 0xff
			}
		}
		add(append(b, '\n'))
	}
	add([]byte("invalid utf-8 \xff\xfe\xc3\x28 \xed\xa0\x80 \xf4\x90\x80\x80\n"))
	add([]byte("nul\x00in\x00the\x00middle\n"))
	add([]byte("\x00\x00\x00\n"))
	add([]byte("\r\n"))
	add([]byte("\r\r\r\r\n"))
	add([]byte("\n"))
	add([]byte("before the huge line\n"))
	var content bytes.Buffer
	for _, b := range want {
		content.Write(b)
	}
	huge := bytes.Repeat([]byte("0123456789abcdef"), bigLineBytes/16)
	content.Write(huge)
	content.WriteByte('\n')
	after := []byte("after the huge line \r\n")
	content.Write(after)
	want = append(want, after)
	if err := os.WriteFile(filepath.Join(s.logs, "bad.log"), content.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	p := s.start()
	var recs [][]byte
	var keys []string
	waitFor(60*time.Second, 500*time.Millisecond, func() bool {
		rs := kinesistest.ReadAllRecords(t, s.client, s.stream)
		recs, keys = recs[:0], keys[:0]
		for _, r := range rs {
			recs = append(recs, r.Data)
			keys = append(keys, *r.PartitionKey)
		}
		return len(recs) >= len(want)+1
	})
	if !p.running() {
		t.Fatalf("agent exited on bad input\n%s", p.stderr.String())
	}
	p.term(t, 15*time.Second)

	var normal [][]byte
	var truncated []int
	for i, rec := range recs {
		if len(rec) > 1000 {
			truncated = append(truncated, i)
			continue
		}
		normal = append(normal, rec)
	}
	if len(truncated) != 1 {
		t.Fatalf("%d records longer than 1000 bytes, want exactly one (the 10 MB line truncated); %d records in all", len(truncated), len(recs))
	}
	i := truncated[0]
	maxData := kinesisMaxRecord - len(keys[i])
	rec := recs[i]
	if len(rec) != maxData || !bytes.Equal(rec[:maxData-1], huge[:maxData-1]) || rec[maxData-1] != '\n' {
		t.Errorf("huge line: record of %d bytes ending %q; want %d bytes (1 MiB minus the %d-byte key): the line's first %d bytes and the terminator \\n",
			len(rec), rec[max(0, len(rec)-8):], maxData, len(keys[i]), maxData-1)
	}
	sortBytes(normal)
	sortBytes(want)
	if len(normal) != len(want) {
		t.Fatalf("%d ordinary records, want %d", len(normal), len(want))
	}
	for j := range want {
		if !bytes.Equal(normal[j], want[j]) {
			t.Fatalf("record differs: got %q want %q", normal[j], want[j])
		}
	}
	log := p.log()
	for _, w := range []string{"Truncated a record", "larger than buffer"} {
		if !strings.Contains(log, w) {
			t.Errorf("no WARN %q in the log", w)
		}
	}
	t.Logf("bad input: %d ordinary records byte for byte (binary, invalid UTF-8, NUL, \\r-only lines); 10 MiB line -> one record of %d bytes (key %d chars) ending in the terminator; rest discarded; next line intact",
		len(want), len(rec), len(keys[i]))
}

func sortBytes(b [][]byte) {
	sort.Slice(b, func(i, j int) bool { return bytes.Compare(b[i], b[j]) < 0 })
}

// TestAMillionTinyLinesAllArriveOnce writes 100,000 (soak: 1,000,000)
// lines of a few bytes each: every line arrives exactly once.
func TestAMillionTinyLinesAllArriveOnce(t *testing.T) {
	parallel(t)
	n := pick(100_000, 1_000_000)
	s := newSetup(t, 4)
	var b bytes.Buffer
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "%x\n", i)
	}
	if err := os.WriteFile(filepath.Join(s.logs, "tiny.log"), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	p := s.start()
	// Wait for the checkpoint to reach the end of the file (cheap), then
	// read the stream once.
	flowID := "kinesis:" + s.stream + ":" + filepath.Join(s.logs, "*.log")
	size := int64(b.Len())
	if !waitFor(pick(90*time.Second, 15*time.Minute), 500*time.Millisecond, func() bool {
		ps := loadCheckpoints(t, s.ckpt, flowID)
		return len(ps) == 1 && ps[0].Offset == size
	}) {
		t.Errorf("the checkpoint did not reach the end of the file (%d bytes): %+v", size, loadCheckpoints(t, s.ckpt, flowID))
	}
	took := time.Since(start)
	p.term(t, 15*time.Second)
	recs := readStream(t, s.client, s.stream, 10*time.Minute)
	seen := make([]int, n)
	for _, r := range recs {
		var v int
		if _, err := fmt.Sscanf(string(r), "%x\n", &v); err != nil || v < 0 || v >= n || fmt.Sprintf("%x\n", v) != string(r) {
			t.Fatalf("unexpected record %q", r)
		}
		seen[v]++
	}
	lost, dups := 0, 0
	for _, c := range seen {
		if c == 0 {
			lost++
		}
		if c > 1 {
			dups += c - 1
		}
	}
	t.Logf("%d tiny lines (%d bytes): %d lost, %d duplicates, checkpoint at the end of the file %v after start", n, b.Len(), lost, dups, took.Round(100*time.Millisecond))
	if lost > 0 || dups > 0 {
		t.Fatalf("%d lost, %d duplicates", lost, dups)
	}
}
