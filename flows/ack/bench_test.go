package ack

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/flowstats"
	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

const benchChunkRecords = 500

// BenchmarkTrackerAckPerRecord is the acknowledgement path per record: one
// Ack(1) per record plus, per 500 records, the chunk's Add and completion.
// ns/op is per record.
func BenchmarkTrackerAckPerRecord(b *testing.B) {
	st := flowstats.New(flow, "s", false)
	s := src("/d/app.log", 1)
	st.SetFile(flowstats.FileState{FileID: s.FileID})
	tr := New(flow, newMemSaver(), WithStats(st))
	c := chunk(s, 0, 1, benchChunkRecords)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i%benchChunkRecords == 0 {
			// A fresh chunk, as the processing stage hands over (reusing the
			// Ends/Data of the previous one: the chunk's own allocation is
			// the tailer's, not the tracker's).
			c = &record.Chunk{Source: s, Ends: c.Ends, Data: c.Data, Start: int64(i), End: int64(i + benchChunkRecords)}
			tr.Add(c)
		}
		c.Ack(1)
		i++
	}
}

// BenchmarkTrackerAckParallel acknowledges records of 8 files from all
// cores at once (each goroutine owns one file's chunks). ns/op is per record.
func BenchmarkTrackerAckParallel(b *testing.B) {
	tr := New(flow, newMemSaver())
	var next atomic.Uint64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		id := next.Add(1)
		s := src(fmt.Sprintf("/d/f%d", id), id)
		c := chunk(s, 0, 1, benchChunkRecords)
		i := 0
		for pb.Next() {
			if i%benchChunkRecords == 0 {
				c = &record.Chunk{Source: s, Ends: c.Ends, Data: c.Data, Start: int64(i), End: int64(i + benchChunkRecords)}
				tr.Add(c)
			}
			c.Ack(1)
			i++
		}
	})
}

// BenchmarkTrackerChunk is the per-chunk cost: Add, one Ack for all its
// records, the completion (one lock) and the stats update.
func BenchmarkTrackerChunk(b *testing.B) {
	st := flowstats.New(flow, "s", false)
	s := src("/d/app.log", 1)
	st.SetFile(flowstats.FileState{FileID: s.FileID})
	tr := New(flow, newMemSaver(), WithStats(st))
	cs := make([]record.Chunk, 1024)
	ends := chunk(s, 0, 1, benchChunkRecords).Ends
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c := &cs[i%len(cs)]
		*c = record.Chunk{Source: s, Ends: ends, Start: int64(i), End: int64(i + 1)}
		tr.Add(c)
		c.Ack(benchChunkRecords)
		i++
	}
}
