package sample_test

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kinesis-agent-go/aws-kinesis-agent/cmd/api_caller/internal/sample"
)

var base = time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)

func gen(t testing.TB, seed uint64, n int) string {
	var b bytes.Buffer
	if err := sample.New(seed, base).Write(&b, n); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestSameSeedSameOutput(t *testing.T) {
	a, b := gen(t, 7, 500), gen(t, 7, 500)
	if a != b {
		t.Error("same seed gave different output")
	}
	if gen(t, 8, 500) == a {
		t.Error("different seeds gave the same output")
	}
}

func TestSampleRowsArePlausible(t *testing.T) {
	gates := map[string]bool{"Aeroflot": true, "S7": true, "Pobeda": true, "Rossiya": true, "Ural Airlines": true, "UTair": true}
	ids := map[string]bool{}
	lines := strings.Split(strings.TrimSuffix(gen(t, 1, 5000), "\n"), "\n")
	if len(lines) != 5000 {
		t.Fatalf("%d lines", len(lines))
	}
	for _, l := range lines {
		c := strings.Split(l, ",")
		if len(c) != 14 {
			t.Fatalf("%d columns: %q", len(c), l)
		}
		num := func(i int, lo, hi int) {
			v, err := strconv.Atoi(c[i])
			if err != nil || v < lo || v > hi {
				t.Fatalf("column %d = %q outside [%d,%d]: %q", i, c[i], lo, hi, l)
			}
		}
		num(0, 1000, 500000) // cost
		num(1, 0, 2)         // trip_class
		num(5, 0, 2)         // changes
		num(8, 30, 24*60)    // duration minutes
		num(9, 150, 9000)    // distance km
		if c[4] == c[10] || len(c[4]) != 3 || len(c[10]) != 3 {
			t.Fatalf("route %s-%s", c[4], c[10])
		}
		if !gates[c[6]] {
			t.Fatalf("gate %q", c[6])
		}
		dep, err1 := time.Parse("2006-01-02", c[11])
		ret, err2 := time.Parse("2006-01-02", c[3])
		found, err3 := time.Parse("2006-01-02T15:04:05", c[7])
		if err1 != nil || err2 != nil || err3 != nil || !ret.After(dep) || !dep.After(found) {
			t.Fatalf("dates found %s depart %s return %s", c[7], c[11], c[3])
		}
		if c[2] != "true" && c[2] != "false" || c[12] != "true" && c[12] != "false" {
			t.Fatalf("booleans %q %q", c[2], c[12])
		}
		u, err := uuid.Parse(c[13])
		if err != nil || u.Version() != 4 {
			t.Fatalf("record_id %q", c[13])
		}
		if ids[c[13]] {
			t.Fatalf("duplicate record_id %s", c[13])
		}
		ids[c[13]] = true
	}
}

func TestAppendRowDoesNotAllocate(t *testing.T) {
	g := sample.New(1, base)
	buf := make([]byte, 0, 512)
	if n := testing.AllocsPerRun(1000, func() { buf = g.AppendRow(buf[:0]) }); n != 0 {
		t.Errorf("%v allocations per row", n)
	}
}

func BenchmarkSampleWrite(b *testing.B) {
	g := sample.New(1, base)
	line := g.AppendRow(nil)
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	b.ResetTimer()
	if err := g.Write(io.Discard, b.N); err != nil {
		b.Fatal(err)
	}
}
