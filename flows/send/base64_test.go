package send

import (
	"bytes"
	"encoding/base64"
	"math/rand/v2"
	"testing"
)

func TestAppendBase64MatchesStandardEncodingForEveryLengthAndPrefix(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 600; n++ {
		src := make([]byte, n)
		for i := range src {
			src[i] = byte(r.Uint32())
		}
		for _, prefix := range [][]byte{nil, []byte("{\"Data\":\""), make([]byte, 3, 3+base64.StdEncoding.EncodedLen(n))} {
			want := base64.StdEncoding.AppendEncode(bytes.Clone(prefix), src)
			if got := appendBase64(bytes.Clone(prefix), src); !bytes.Equal(got, want) {
				t.Fatalf("len %d prefix %q:\n got %s\nwant %s", n, prefix, got, want)
			}
			if got := appendBase64(prefix, src); !bytes.Equal(got, want) {
				t.Fatalf("len %d prefix %q with spare capacity:\n got %s\nwant %s", n, prefix, got, want)
			}
		}
	}
}

func FuzzAppendBase64(f *testing.F) {
	f.Add([]byte("cost,trip_class\n"), []byte(nil))
	f.Add(bytes.Repeat([]byte{0xff}, 61), []byte("x"))
	f.Fuzz(func(t *testing.T, src, prefix []byte) {
		want := base64.StdEncoding.AppendEncode(bytes.Clone(prefix), src)
		if got := appendBase64(bytes.Clone(prefix), src); !bytes.Equal(got, want) {
			t.Fatalf("got %s want %s", got, want)
		}
	})
}

// A CSVTOJSON record of the reference workload is ~290 bytes.
func BenchmarkAppendBase64(b *testing.B) {
	src := make([]byte, 290)
	for i := range src {
		src[i] = byte(i * 7)
	}
	dst := make([]byte, 0, 512)
	b.Run("stdlib", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		for b.Loop() {
			dst = base64.StdEncoding.AppendEncode(dst[:0], src)
		}
	})
	b.Run("appendBase64", func(b *testing.B) {
		b.SetBytes(int64(len(src)))
		for b.Loop() {
			dst = appendBase64(dst[:0], src)
		}
	})
}
