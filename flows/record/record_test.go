package record

import "testing"

// A chunk's record bytes and record ends go back to the pool together and
// come out again for the next chunk (sync.Pool may drop some under the
// race detector, so reuse must be seen at least once in many rounds).
func TestReleasedChunkBuffersAreReused(t *testing.T) {
	p := NewBufPool(1024)
	reused := false
	for i := 0; i < 100 && !reused; i++ {
		data, ends := p.Get(16)
		if cap(data) != 1024 || len(data) != 0 || cap(ends) < 16 || len(ends) != 0 {
			t.Fatalf("Get: data len %d cap %d, ends len %d cap %d", len(data), cap(data), len(ends), cap(ends))
		}
		data = append(data, "a\nb\n"...)
		ends = append(ends, 2, 4)
		c := &Chunk{Data: data, Ends: ends}
		c.SetRelease(p.Put)
		c.ReleaseData()
		if c.Data != nil || c.Ends != nil {
			t.Fatal("ReleaseData left the chunk its buffers")
		}
		c.ReleaseData() // a second call is harmless

		d2, e2 := p.Get(1)
		reused = cap(d2) > 0 && &d2[:1][0] == &data[0] && cap(e2) > 0 && &e2[:1][0] == &ends[0]
		if len(d2) != 0 || len(e2) != 0 {
			t.Fatalf("reused buffers are not empty: %d bytes, %d ends", len(d2), len(e2))
		}
		p.Put(d2, e2)
	}
	if !reused {
		t.Fatal("released buffers never came back from the pool")
	}
}

// Ends of at least the requested capacity come out even when the pooled
// ones are smaller; record bytes of another capacity (a record larger than
// the class) are not pooled.
func TestBufPoolKeepsOnlyItsClass(t *testing.T) {
	p := NewBufPool(64)
	d, e := p.Get(1)
	p.Put(d, e)
	if _, e := p.Get(1000); cap(e) < 1000 {
		t.Fatalf("ends capacity %d, want at least 1000", cap(e))
	}
	big := make([]byte, 0, 128)
	p.Put(big, make([]int, 0, 4))
	for i := 0; i < 10; i++ {
		if d, _ := p.Get(0); cap(d) != 64 {
			t.Fatalf("Get returned a %d-byte buffer from a 64-byte class", cap(d))
		}
	}
}
