package ack

import (
	"testing"
	"time"
)

// The tailer releases (and detaches) a truncated file's old Source before
// the truncation's held multi-line record (its orphans) goes out at the
// next pass. A flush between may evict the Source's idle, acknowledged
// state; the orphan then starts a state afresh, from where the Source's
// last chunk ended, not from its Start: no gap (found by a review).
func TestAReleasedSourcesChunkAfterItsStateWasEvictedIsNoGap(t *testing.T) {
	ms := newMemSaver()
	var reports [][2]int64
	tr := New(flow, ms, WithGapReport(func(path string, from, to int64) { reports = append(reports, [2]int64{from, to}) }))
	s := src("/d/app.log", 1)
	s.Start = 0              // as ensureSource sets it (beginOff)
	c := chunk(s, 0, 100, 2) // its last chunk before the truncation; ReadAt long ago (idle)
	tr.Add(c)
	c.Ack(2)
	if err := tr.Flush(); err != nil {
		t.Fatal(err)
	}
	// truncated(): orphans made from pend ([100,150)), then SetDetached(true), Release().
	orphan := chunk(s, 100, 150, 1)
	orphan.ReadAt = time.Now()
	s.SetDetached(true)
	s.Release()
	if err := tr.Flush(); err != nil { // the tracker's Run flushes meanwhile: evicted
		t.Fatal(err)
	}
	tr.mu.Lock()
	n := len(tr.files)
	tr.mu.Unlock()
	t.Logf("file states after the flush: %d", n)
	tr.Add(orphan) // the next pump's sendOrphans
	orphan.Ack(1)
	if len(reports) > 0 {
		t.Errorf("false gap reported: %v (the orphan starts where the Source's last chunk ended)", reports)
	}
}
