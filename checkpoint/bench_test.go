package checkpoint

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

// BenchmarkStoreSave100Positions measures one Save (one fsynced transaction)
// of 100 positions, all rows updated in place (the steady state).
func BenchmarkStoreSave100Positions(b *testing.B) {
	s := mustOpen(b, filepath.Join(b.TempDir(), "checkpoints"))
	ps := make([]record.Position, 100)
	for i := range ps {
		ps[i] = pos(fmt.Sprintf("/var/log/app/app.log.%d", i), fmt.Sprintf("(dev=803,ino=%d)", 1000+i), 0)
	}
	if err := s.Save(ps); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for n := 0; b.Loop(); n++ {
		for i := range ps {
			ps[i].Offset = int64(n)
		}
		if err := s.Save(ps); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(ps)), "ns/position")
}

// BenchmarkStoreSave1Position is the cost of a flush with one dirty file.
func BenchmarkStoreSave1Position(b *testing.B) {
	s := mustOpen(b, filepath.Join(b.TempDir(), "checkpoints"))
	ps := []record.Position{pos("/var/log/app/app.log", "(dev=803,ino=1)", 0)}
	b.ReportAllocs()
	for n := 0; b.Loop(); n++ {
		ps[0].Offset = int64(n)
		if err := s.Save(ps); err != nil {
			b.Fatal(err)
		}
	}
}
