package batch

import (
	"math/rand/v2"
	"testing"
)

func TestRandomKeyIsJavasDoubleToStringOfItsValue(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	ns := []uint64{0, 1, 999_999, 1_000_000, 1_000_001, 1_000_000_000, 1_500_000_000, 123_456_789_012_345,
		999_999_999_999_999, 730_878_190_703_290, 100_000_000_000_000, 10_000_000, 999_999_000_000_000}
	for i := 0; i < 200_000; i++ {
		ns = append(ns, r.Uint64N(randomKeySteps))
	}
	for _, n := range ns {
		want := string(AppendJavaDouble(nil, float64(n)/1e9))
		if got := string(appendRandomKey(nil, n)); got != want {
			t.Fatalf("n=%d: %q, want Java's %q", n, got, want)
		}
	}
}

func FuzzAppendRandomKey(f *testing.F) {
	f.Add(uint64(730_878_190_703_290))
	f.Add(uint64(1_000_000))
	f.Fuzz(func(t *testing.T, n uint64) {
		n %= randomKeySteps
		want := string(AppendJavaDouble([]byte("k"), float64(n)/1e9))
		if got := string(appendRandomKey([]byte("k"), n)); got != want {
			t.Fatalf("n=%d: %q, want %q", n, got, want)
		}
	})
}

func BenchmarkRandomKey(b *testing.B) {
	buf := make([]byte, 0, 32)
	b.Run("JavaDouble", func(b *testing.B) {
		for b.Loop() {
			buf = AppendJavaDouble(buf[:0], rand.Float64()*1e6)
		}
	})
	b.Run("appendRandomKey", func(b *testing.B) {
		for b.Loop() {
			buf = appendRandomKey(buf[:0], rand.Uint64N(randomKeySteps))
		}
	})
}

// Around every place the printed form changes: the 0.001 switch to Java's
// exponent form, an integer part gaining a digit, the top of the range,
// and d·10^k ± 1 for every digit d.
func TestRandomKeyAroundEveryFormatBoundary(t *testing.T) {
	check := func(n uint64) {
		if want, got := string(AppendJavaDouble(nil, float64(n)/1e9)), string(appendRandomKey(nil, n)); got != want {
			t.Fatalf("n=%d: %q, want %q", n, got, want)
		}
	}
	for _, c := range []uint64{1_000_000, 10_000_000, 100_000_000, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, randomKeySteps} {
		lo := c - min(c, 20_000)
		for n := lo; n < c+20_000 && n < randomKeySteps; n++ {
			check(n)
		}
	}
	for k := uint64(1); k < randomKeySteps; k *= 10 {
		for d := uint64(1); d < 10; d++ {
			if n := d * k; n < randomKeySteps {
				check(n)
				check(n - 1)
				check(n + 1)
			}
		}
	}
}
