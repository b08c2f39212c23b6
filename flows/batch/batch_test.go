package batch

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

func TestJavaDoubleToStringVectors(t *testing.T) {
	cases := []struct {
		f    float64
		want string
	}{
		{730878.1907032909, "730878.1907032909"},
		{0.0005, "5.0E-4"},
		{0.001, "0.001"},
		{0.0009999999999999998, "9.999999999999998E-4"},
		{0.002, "0.002"},
		{0.1, "0.1"},
		{0.5, "0.5"},
		{1, "1.0"},
		{12, "12.0"},
		{100, "100.0"},
		{123456, "123456.0"},
		{1.0 / 3, "0.3333333333333333"},
		{999999.9999999999, "999999.9999999999"},
		{9999999, "9999999.0"},
		{1e7, "1.0E7"},
		{12345678, "1.2345678E7"},
		{1e-4, "1.0E-4"},
		{1.234e-5, "1.234E-5"},
		{0, "0.0"},
		{math.Copysign(0, -1), "-0.0"},
		{-1.5, "-1.5"},
		{math.SmallestNonzeroFloat64, "4.9E-324"},
		{math.MaxFloat64, "1.7976931348623157E308"},
		{1e23, "1.0E23"},
		{math.NaN(), "NaN"},
		{math.Inf(1), "Infinity"},
		{math.Inf(-1), "-Infinity"},
	}
	for _, c := range cases {
		if got := string(AppendJavaDouble(nil, c.f)); got != c.want {
			t.Errorf("AppendJavaDouble(%v) = %q, want %q", c.f, got, c.want)
		}
	}
}

func TestRandomKeysAreJavaDoublesBelowOneMillion(t *testing.T) {
	vals := []float64{0, 0.7308781907032909, 5e-10, 0.999999999999, 1e-9 + 1e-12}
	i := 0
	b := NewBuilder(Options{Limits: KinesisLimits(0, 0, 0), Keys: KeyRandom, Random: func() float64 { v := vals[i%len(vals)]; i++; return v }})
	want := []string{"0.0", "730878.1907032909", "5.0E-4", "999999.999999", "0.001001"}
	for j := range vals {
		b.Add([]byte("x\n"), nil)
		_ = j
	}
	got := b.Flush(time.Now())
	for j, e := range got.Entries {
		if e.Key != want[j] {
			t.Errorf("key %d = %q, want %q", j, e.Key, want[j])
		}
		f, err := strconv.ParseFloat(e.Key, 64)
		if err != nil || f < 0 || f >= 1e6 {
			t.Errorf("key %q: %v %v", e.Key, f, err)
		}
	}
	// The default source: parseable, in range, varied.
	b = NewBuilder(Options{Limits: KinesisLimits(0, 0, 0), Keys: KeyRandom})
	seen := map[string]bool{}
	for j := 0; j < 200; j++ {
		b.Add([]byte("y"), nil)
	}
	for _, e := range b.Flush(time.Now()).Entries {
		f, err := strconv.ParseFloat(e.Key, 64)
		if err != nil || f < 0 || f >= 1e6 {
			t.Fatalf("key %q: %v %v", e.Key, f, err)
		}
		seen[e.Key] = true
	}
	if len(seen) < 190 {
		t.Fatalf("only %d distinct keys of 200", len(seen))
	}
}

func collect(b *Builder, recs [][]byte) []*Batch {
	var out []*Batch
	for _, r := range recs {
		if full := b.Add(r, nil); full != nil {
			out = append(out, full)
		}
		if b.Due(time.Now()) {
			out = append(out, b.Flush(time.Now()))
		}
	}
	if last := b.Flush(time.Now()); last != nil {
		out = append(out, last)
	}
	return out
}

func lines(n, size int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		s := fmt.Sprintf("%0*d\n", size-1, i)
		out[i] = []byte(s)
	}
	return out
}

func TestThousandShortLinesMakeTwoBatchesByDefaultAndTenWithMaxRecords100(t *testing.T) {
	got := collect(NewBuilder(Options{Limits: KinesisLimits(0, 0, 0), Keys: KeyRandom}), lines(1000, 10))
	if len(got) != 2 || got[0].Len() != 500 || got[1].Len() != 500 {
		t.Fatalf("default: %d batches", len(got))
	}
	got = collect(NewBuilder(Options{Limits: KinesisLimits(100, 0, 0), Keys: KeyRandom}), lines(1000, 10))
	if len(got) != 10 {
		t.Fatalf("maxBufferSizeRecords 100: %d batches, want 10", len(got))
	}
	n := 0
	for _, b := range got {
		if b.Len() != 100 {
			t.Fatalf("batch of %d records", b.Len())
		}
		for _, e := range b.Entries {
			if want := fmt.Sprintf("%09d\n", n); string(e.Data) != want {
				t.Fatalf("record %d = %q", n, e.Data)
			}
			n++
		}
	}
}

func TestKinesisBatchSealsAtFiveMiBCountingKeys(t *testing.T) {
	// 32-char deterministic keys: 5 records of (1 MiB - 32) data + key fill 5 MiB exactly.
	rec := bytes.Repeat([]byte{'a'}, KinesisMaxRecordBytes-DeterministicKeyLen)
	b := NewBuilder(Options{Limits: KinesisLimits(0, 0, 0), Keys: KeyDeterministic})
	for i := 0; i < 4; i++ {
		if full := b.Add(rec, nil); full != nil {
			t.Fatalf("sealed after %d records", i+1)
		}
	}
	full := b.Add(rec, nil)
	if full == nil || full.Len() != 5 || full.Bytes != KinesisMaxBytes {
		t.Fatalf("5th record: got %+v, want a sealed batch of 5 records / 5 MiB", full)
	}
	if full.DataBytes != 5*len(rec) {
		t.Fatalf("DataBytes %d", full.DataBytes)
	}
	// One byte more than fits: the previous batch is sealed first.
	b.Add(rec[:100], nil)
	b.Add(rec, nil)
	b.Add(rec, nil)
	b.Add(rec, nil)
	b.Add(rec[:len(rec)-100], nil)
	recs, by := b.Pending()
	if by > KinesisMaxBytes {
		t.Fatalf("pending %d records %d bytes over the limit", recs, by)
	}
	over := b.Add(bytes.Repeat([]byte{'b'}, KinesisMaxBytes-by+1-DeterministicKeyLen), nil)
	if over == nil || over.Bytes != by {
		t.Fatalf("a record that does not fit must seal the previous batch (%d bytes), got %+v", by, over)
	}
	if r, _ := b.Pending(); r != 1 {
		t.Fatalf("new batch holds %d records, want 1", r)
	}
}

func TestFirehoseBatchSealsAtFourMiBWithoutKeys(t *testing.T) {
	rec := bytes.Repeat([]byte{'f'}, FirehoseMaxRecordBytes)
	b := NewBuilder(Options{Limits: FirehoseLimits(0, 0, 0)})
	var sealed []*Batch
	for i := 0; i < 9; i++ {
		if full := b.Add(rec, nil); full != nil {
			sealed = append(sealed, full)
		}
	}
	// 4 records of 1,024,000 = 4,096,000 <= 4,194,304; a 5th would exceed.
	if len(sealed) != 2 || sealed[0].Len() != 4 || sealed[0].Bytes != 4*FirehoseMaxRecordBytes {
		t.Fatalf("sealed %d batches; first %d records", len(sealed), sealed[0].Len())
	}
	for _, e := range sealed[0].Entries {
		if e.Key != "" {
			t.Fatalf("firehose entry has key %q", e.Key)
		}
	}
}

type logSink struct{ bytes.Buffer }

func newLogger(buf *logSink) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}))
}

func chunkFor(path string) *record.Chunk {
	return &record.Chunk{Source: record.NewSource("f", path, "(dev=1,ino=2)", 1, 2, "")}
}

// Spec §10 item 23: a 2,000,000-byte line (+\n) on Kinesis becomes one record of
// exactly 1048576 - len(key) data bytes ending with the terminator.
func TestKinesisOversizedRecordIsTruncatedToMaxMinusKeyWithTerminator(t *testing.T) {
	line := append(bytes.Repeat([]byte{'x'}, 2_000_000), '\n')
	for _, tc := range []struct {
		term string
		mode KeyMode
	}{{"\n", KeyRandom}, {"EOR\n", KeyRandom}, {"\n", KeyDeterministic}, {"EOR\n", KeyDeterministic}} {
		var logs logSink
		st := flowstats.New("f", "s", false)
		opts := Options{Limits: KinesisLimits(0, 0, 0), Keys: tc.mode, Stats: st, Logger: newLogger(&logs)}
		if tc.term != "\n" {
			opts.Terminator = []byte(tc.term)
		}
		b := NewBuilder(opts)
		b.Add(line, chunkFor("/var/log/app.log"))
		bt := b.Flush(time.Now())
		e := bt.Entries[0]
		if got, want := len(e.Data), KinesisMaxRecordBytes-len(e.Key); got != want {
			t.Fatalf("%v %q: data %d bytes, want %d (key %q)", tc.mode, tc.term, got, want, e.Key)
		}
		if !bytes.HasSuffix(e.Data, []byte(tc.term)) || e.Data[0] != 'x' || bytes.Count(e.Data, []byte{'x'}) != len(e.Data)-len(tc.term) {
			t.Fatalf("%q: record does not end with the terminator over x's: ...%q", tc.term, e.Data[len(e.Data)-8:])
		}
		if bt.Bytes != KinesisMaxRecordBytes {
			t.Fatalf("counted bytes %d", bt.Bytes)
		}
		if st.RecordsTruncated.Load() != 1 {
			t.Fatalf("RecordsTruncated = %d", st.RecordsTruncated.Load())
		}
		want := "Truncated a record in /var/log/app.log, because it exceeded the the configured max record size: 1048576"
		if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), want) {
			t.Fatalf("log %q lacks %q", logs.String(), want)
		}
		if tc.mode == KeyDeterministic {
			sum := md5.Sum(e.Data)
			if e.Key != hex.EncodeToString(sum[:]) {
				t.Fatalf("deterministic key %s is not the MD5 of the record as sent", e.Key)
			}
		}
	}
}

// Spec §10 item 24 at the batch level: the tailer hands a first record of
// 4194304 bytes (one parser buffer); it is cut to 1024000 bytes ending with
// the terminator; the next line is delivered intact.
func TestFirehoseRecordOfParserBufferSizeIsTruncatedTo1024000(t *testing.T) {
	st := flowstats.New("f", "d", true)
	b := NewBuilder(Options{Limits: FirehoseLimits(0, 0, 0), Stats: st})
	b.Add(bytes.Repeat([]byte{'z'}, 4194304), nil)
	b.Add([]byte("next line\n"), nil)
	bt := b.Flush(time.Now())
	if bt.Len() != 2 || len(bt.Entries[0].Data) != 1024000 || bt.Entries[0].Data[1023999] != '\n' || bt.Entries[0].Data[1023998] != 'z' {
		t.Fatalf("first record %d bytes", len(bt.Entries[0].Data))
	}
	if string(bt.Entries[1].Data) != "next line\n" || st.RecordsTruncated.Load() != 1 {
		t.Fatalf("second %q truncated=%d", bt.Entries[1].Data, st.RecordsTruncated.Load())
	}
	// Exactly at the limit: not truncated.
	b.Add(bytes.Repeat([]byte{'z'}, 1024000), nil)
	if e := b.Flush(time.Now()).Entries[0]; e.Data[1023999] != 'z' || st.RecordsTruncated.Load() != 1 {
		t.Fatal("a record of exactly the max size must not be truncated")
	}
}

func TestKinesisRecordOfExactlyMaxWithKeyIsKept(t *testing.T) {
	b := NewBuilder(Options{Limits: KinesisLimits(0, 0, 0), Keys: KeyDeterministic})
	rec := bytes.Repeat([]byte{'k'}, KinesisMaxRecordBytes-DeterministicKeyLen)
	b.Add(rec, nil)
	b.Add(append(rec, 'k'), nil)
	bt := b.Flush(time.Now())
	if !bytes.Equal(bt.Entries[0].Data, rec) {
		t.Fatal("record of exactly 1 MiB with its key was changed")
	}
	if d := bt.Entries[1].Data; len(d) != len(rec) || d[len(d)-1] != '\n' {
		t.Fatalf("record one byte over: %d bytes", len(d))
	}
}

func TestDeterministicKeyIsMD5OfRecord(t *testing.T) {
	b := NewBuilder(Options{Limits: KinesisLimits(0, 0, 0), Keys: KeyDeterministic})
	b.Add([]byte("hello\n"), nil)
	b.Add([]byte("hello\n"), nil)
	b.Add([]byte("world\n"), nil)
	bt := b.Flush(time.Now())
	if bt.Entries[0].Key != "b1946ac92492d2347c6235b4d2611184" || bt.Entries[0].Key != bt.Entries[1].Key || bt.Entries[2].Key == bt.Entries[0].Key {
		t.Fatalf("keys %q %q %q", bt.Entries[0].Key, bt.Entries[1].Key, bt.Entries[2].Key)
	}
	if bt.Bytes != 3*(6+32) {
		t.Fatalf("Bytes %d, want data+keys", bt.Bytes)
	}
}

func TestTrickleBecomesDueAtMaxAge(t *testing.T) {
	now := time.Unix(1000, 0)
	b := NewBuilder(Options{Limits: KinesisLimits(0, 0, 2*time.Second), Keys: KeyRandom, Now: func() time.Time { return now }})
	if b.Due(now) {
		t.Fatal("empty builder due")
	}
	if _, ok := b.Deadline(); ok {
		t.Fatal("deadline without records")
	}
	b.Add([]byte("a\n"), nil)
	now = now.Add(1500 * time.Millisecond)
	b.Add([]byte("b\n"), nil)
	if b.Due(now) {
		t.Fatal("due before MaxAge")
	}
	if d, _ := b.Deadline(); !d.Equal(time.Unix(1002, 0)) {
		t.Fatalf("deadline %v", d)
	}
	now = now.Add(499 * time.Millisecond)
	if b.Due(now) {
		t.Fatal("due 1 ms before MaxAge")
	}
	now = now.Add(time.Millisecond)
	if !b.Due(now) {
		t.Fatal("not due at MaxAge after the first record")
	}
	bt := b.Flush(now)
	if bt.Len() != 2 || !bt.Created.Equal(time.Unix(1000, 0)) {
		t.Fatalf("flushed %d records created %v", bt.Len(), bt.Created)
	}
	if b.Flush(now) != nil || b.Due(now.Add(time.Hour)) {
		t.Fatal("flush of an empty builder")
	}
}

func TestAddSealingPreviousAndFillingNextLeavesItDue(t *testing.T) {
	b := NewBuilder(Options{Limits: KinesisLimits(1, 0, 0), Keys: KeyRandom})
	first := b.Add([]byte("1"), nil)
	if first == nil || first.Len() != 1 || first.ID != 1 {
		t.Fatalf("MaxRecords 1: first Add returned %+v", first)
	}
	second := b.Add([]byte("2"), nil)
	if second == nil || second.ID != 2 || string(second.Entries[0].Data) != "2" {
		t.Fatalf("second %+v", second)
	}
	// Previous full batch left in place (by an Add that already returned one):
	b2 := NewBuilder(Options{Limits: Limits{MaxRecords: 500, MaxBytes: 10, CountKey: false}})
	b2.Add([]byte("12345"), nil)
	sealed := b2.Add([]byte("1234567890"), nil) // does not fit: seals "12345"; then fills the next
	if sealed == nil || string(sealed.Entries[0].Data) != "12345" {
		t.Fatalf("sealed %+v", sealed)
	}
	if !b2.Due(time.Now()) {
		t.Fatal("full batch left by Add is not due")
	}
}

func TestReleasedBatchesAreReusedWithoutAllocating(t *testing.T) {
	b := NewBuilder(Options{Limits: KinesisLimits(100, 0, 0), Keys: KeyDeterministic})
	rec := []byte("2026-11-21T00:00:00Z INFO some log line of moderate length for the benchmark\n")
	// Warm up the pool.
	for i := 0; i < 1000; i++ {
		if full := b.Add(rec, nil); full != nil {
			full.Release()
		}
	}
	allocs := testing.AllocsPerRun(5000, func() {
		if full := b.Add(rec, nil); full != nil {
			full.Release()
		}
	})
	if allocs > 0.01 {
		t.Fatalf("Add allocates %.3f times per record in steady state", allocs)
	}
	rb := NewBuilder(Options{Limits: KinesisLimits(100, 0, 0), Keys: KeyRandom})
	for i := 0; i < 1000; i++ {
		if full := rb.Add(rec, nil); full != nil {
			full.Release()
		}
	}
	allocs = testing.AllocsPerRun(5000, func() {
		if full := rb.Add(rec, nil); full != nil {
			full.Release()
		}
	})
	if allocs > 0.01 {
		t.Fatalf("Add with RANDOM keys allocates %.3f times per record", allocs)
	}
}

func TestEntriesKeepTheirBytesAcrossArenaGrowth(t *testing.T) {
	b := NewBuilder(Options{Limits: KinesisLimits(0, 0, 0), Keys: KeyDeterministic})
	var want [][]byte
	for i := 0; i < 400; i++ {
		r := bytes.Repeat([]byte{byte('a' + i%26)}, 1+i*37%9000)
		want = append(want, r)
		if b.Add(r, nil) != nil {
			t.Fatal("unexpected seal")
		}
	}
	bt := b.Flush(time.Now())
	for i, e := range bt.Entries {
		sum := md5.Sum(want[i])
		if !bytes.Equal(e.Data, want[i]) || e.Key != hex.EncodeToString(sum[:]) {
			t.Fatalf("entry %d corrupted", i)
		}
	}
}

func BenchmarkBuilderAdd(b *testing.B) {
	rec := []byte("2026-11-21T00:00:00Z INFO [main] com.example.Service - request handled in 12 ms status=200 path=/api/v1/items\n")
	for _, mode := range []struct {
		name string
		k    KeyMode
		lim  Limits
	}{{"kinesis-random", KeyRandom, KinesisLimits(0, 0, 0)}, {"kinesis-deterministic", KeyDeterministic, KinesisLimits(0, 0, 0)}, {"firehose", KeyNone, FirehoseLimits(0, 0, 0)}} {
		b.Run(mode.name, func(b *testing.B) {
			bl := NewBuilder(Options{Limits: mode.lim, Keys: mode.k})
			b.SetBytes(int64(len(rec)))
			b.ReportAllocs()
			for b.Loop() {
				if full := bl.Add(rec, nil); full != nil {
					full.Release()
				}
			}
		})
	}
}

// Java's truncation WARN names the file only; in a file of hundreds of
// megabytes the user cannot find the record. Java's text stays as it is
// (a compatibility contract), with the offset in the file where the
// record (or the piece of a record added in parts) starts as an
// attribute, also when bytes that are no record (a header line) come
// before it in its chunk.
func TestTruncationWarningNamesTheOffsetInTheFileWhereTheRecordStarts(t *testing.T) {
	line := append(bytes.Repeat([]byte{'x'}, 2_000_000), '\n')
	c := chunkFor("/var/log/app.log")
	c.Start = 1000
	c.Append([]byte("ok\n"), 1010) // after 10 bytes of header
	c.Append(line, 1013)
	for _, tc := range []struct {
		within int
		want   string
	}{{0, "offset=1013"}, {500, "offset=1513"}} {
		var logs logSink
		b := NewBuilder(Options{Limits: KinesisLimits(0, 0, 0), Keys: KeyRandom, Logger: newLogger(&logs)})
		b.AddRecord(line[tc.within:], c, 1, tc.within)
		java := "Truncated a record in /var/log/app.log, because it exceeded the the configured max record size: 1048576"
		if got := logs.String(); !strings.Contains(got, java) || !strings.Contains(got, tc.want) {
			t.Errorf("record 1 from byte %d: log %q lacks %q (Java's text) or %s", tc.within, got, java, tc.want)
		}
	}
}
