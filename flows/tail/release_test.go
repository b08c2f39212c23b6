package tail

import (
	"os"
	"path/filepath"
	"testing"
)

// The tailer releases the Source of a file it forgets (here deleted and let
// go), so that the acknowledgement stage may forget it too; a file still
// tailed is not released, however quiet.
func TestSourceIsReleasedWhenTheTailerLetsTheFileGo(t *testing.T) {
	dir := t.TempDir()
	keep, gone := filepath.Join(dir, "keep.log"), filepath.Join(dir, "gone.log")
	mustWrite(t, keep, "k\n")
	mustWrite(t, gone, "g\n")
	c := startTailer(t, testConfig(dir, "*.log"))
	c.waitRecords(2)
	var keepSrc, goneSrc = c.snapshot()[0].src, c.snapshot()[1].src
	if filepath.Base(keepSrc.PathNow()) != "keep.log" {
		keepSrc, goneSrc = goneSrc, keepSrc
	}
	if err := os.Remove(gone); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "gone.log's Source released", goneSrc.Released)
	c.settle()
	if keepSrc.Released() {
		t.Fatal("the Source of a file still tailed was released")
	}
}
