//go:build !linux

package tail

import (
	"os"
	"time"
)

// sizeOf returns the size and modification time of the open file f.
func sizeOf(f *os.File) (int64, time.Time, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, time.Time{}, err
	}
	return fi.Size(), fi.ModTime(), nil
}

// unlinked reports whether the file of fi has no name left (not known
// here: false).
func unlinked(fi os.FileInfo) bool { return false }
