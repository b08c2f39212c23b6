package tail

import (
	"bytes"
	"math/rand"
	"slices"
	"testing"
)

// spans counts each byte once: overlapping, nested, touching, empty and
// unordered ranges.
func TestSpansCountEachByteOnce(t *testing.T) {
	for _, tc := range []struct {
		in   [][2]int64
		want int64
	}{
		{nil, 0},
		{[][2]int64{{5, 5}}, 0},
		{[][2]int64{{10, 20}, {0, 5}}, 15},
		{[][2]int64{{0, 10}, {5, 15}, {2, 3}}, 15},
		{[][2]int64{{0, 10}, {10, 20}}, 20},
		{[][2]int64{{0, 100}, {10, 20}, {30, 40}}, 100},
		{[][2]int64{{30, 40}, {0, 35}, {50, 60}, {55, 58}}, 50},
	} {
		var s spans
		for _, r := range tc.in {
			s.add(r[0], r[1])
		}
		if got := s.len(); got != tc.want {
			t.Errorf("%v: %d, want %d", tc.in, got, tc.want)
		}
	}
}

// holdsSeek on random originals read from a random start (0, its end, a
// checkpoint) in random reads, some closed for inactivity: every kept
// byte is the original's; a prefix of the original (a copy) is taken
// exactly when it reaches min(16, the bytes kept past the first KiB) of
// them (those below its end when it ends where a read ended); a variant
// that differs in one kept byte past the first KiB that it reaches (a
// look-alike) is never taken; nothing panics. From a review.
func TestHoldsSeekTakesPrefixCopiesAndNeverALookAlike(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for iter := 0; iter < 50000; iter++ {
		n := rng.Intn(6000)
		orig := make([]byte, n)
		for i := range orig {
			orig[i] = byte('a' + rng.Intn(3))
		}
		begin := 0
		if n > 0 && rng.Intn(3) == 0 {
			begin = rng.Intn(n + 1)
		}
		h := &harvester{}
		h.forgetReads(int64(begin))
		h.head = slices.Clone(orig[:min(n, fpMax)])
		off := begin
		for off < n {
			var r int
			switch rng.Intn(4) {
			case 0:
				r = 1 + rng.Intn(8)
			case 1:
				r = 1 + rng.Intn(200)
			case 2:
				r = 1 + rng.Intn(3000)
			default:
				r = n - off
			}
			r = min(r, n-off)
			h.noteRead(orig[off:off+r], int64(off+r))
			off += r
			if rng.Intn(5) == 0 {
				break
			}
		}
		if rng.Intn(10) == 0 {
			h.win = nil // closed for inactivity
		}
		g := ghost{head: h.head, seeks: h.samples(), win: slices.Clone(h.win), winEnd: h.winEnd}
		if len(h.win) > winLen {
			t.Fatalf("win %d", len(h.win))
		}
		kept := map[int64]byte{}
		if len(g.win) > 0 {
			for i, b := range g.win {
				kept[g.winEnd-int64(len(g.win))+int64(i)] = b
			}
		}
		for _, s := range g.seeks {
			for i := 0; i < s.hn; i++ {
				kept[s.start+int64(i)] = s.h[i]
			}
			for i := 0; i < s.tn; i++ {
				kept[s.end-int64(s.tn)+int64(i)] = s.t[i]
			}
		}
		skip := int64(len(g.head))
		var held int64
		for p, b := range kept {
			if orig[p] != b {
				t.Fatalf("kept byte at %d wrong", p)
			}
			if p >= skip {
				held++
			}
		}
		k := rng.Intn(n + 1)
		cp := orig[:k]
		var reach int64
		for p := range kept {
			if p >= skip && p < int64(k) {
				reach++
			}
		}
		got := func() (ok bool) {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("panic: %v (n=%d begin=%d k=%d)", r, n, begin, k)
				}
			}()
			return holdsSeek(bytes.NewReader(cp), int64(k), g)
		}()
		need := held
		for _, s := range g.seeks {
			if s.end == int64(k) {
				need = reach
			}
		}
		want := len(g.seeks) == 0 || reach >= min(seekEvidence, need)
		if got != want {
			t.Fatalf("copy k=%d n=%d begin=%d: got %v want %v (reach %d held %d)", k, n, begin, got, want, reach, held)
		}
		// look-alike: flip one kept byte past skip that cp reaches
		if reach > 0 && len(g.seeks) > 0 {
			la := slices.Clone(cp)
			for p := range kept {
				if p >= skip && p < int64(k) {
					la[p] ^= 0x40
					break
				}
			}
			if holdsSeek(bytes.NewReader(la), int64(k), g) {
				t.Fatalf("look-alike taken n=%d begin=%d k=%d", n, begin, k)
			}
		}
	}
}
