package tail

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// sizeOf gives what os.File.Stat gives, and on Linux without allocating:
// a full pass calls it for every open file.
func TestSizeOfMatchesStatWithoutAllocating(t *testing.T) {
	p := filepath.Join(t.TempDir(), "a.log")
	mustWrite(t, p, "one\ntwo\n")
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	size, mtime, err := sizeOf(f)
	if err != nil || size != fi.Size() || !mtime.Equal(fi.ModTime()) {
		t.Fatalf("sizeOf = %d, %v, %v; Stat says %d, %v", size, mtime, err, fi.Size(), fi.ModTime())
	}
	if runtime.GOOS == "linux" {
		if n := testing.AllocsPerRun(100, func() { _, _, _ = sizeOf(f) }); n != 0 {
			t.Errorf("sizeOf allocates %.0f times per call, want 0", n)
		}
	}
	f.Close()
	if _, _, err := sizeOf(f); err == nil {
		t.Error("sizeOf of a closed file succeeded")
	}
}
