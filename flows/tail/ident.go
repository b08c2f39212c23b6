package tail

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// fpMax is how many leading bytes identify a file's content.
const fpMax = 1024

// fileKey is a file's device and inode.
type fileKey struct{ dev, ino uint64 }

// fileID is Java's file key text "(dev=<hex>,ino=<decimal>)". Java's
// UnixFileKey holds st_ino in a signed long, so an inode number of 2^63 or
// more (Amazon EFS hands those out) is written negative; the same here, or
// Java's rows of such files would never match. Rows this agent wrote before
// in the unsigned form are read in the signed one (checkpoint.Load).
func (k fileKey) fileID() string { return fmt.Sprintf("(dev=%x,ino=%d)", k.dev, int64(k.ino)) }

// fileStat is what a listing knows of a file.
type fileStat struct {
	key     fileKey
	size    int64
	modTime time.Time
	// changeTime is the inode's change time (ctime), zero where unknown:
	// a rename or a new file sets it, whatever mtime says.
	changeTime time.Time
}

func statOf(fi os.FileInfo) (fileStat, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileStat{}, false
	}
	return fileStat{
		key:        fileKey{dev: uint64(st.Dev), ino: uint64(st.Ino)}, //nolint:unconvert // int32 on some platforms
		size:       fi.Size(),
		modTime:    fi.ModTime(),
		changeTime: changeTime(st),
	}, true
}

// readHead returns the first min(size, fpMax) bytes of f (fewer if the file
// is shorter by now).
func readHead(f *os.File, buf []byte) ([]byte, error) {
	buf = buf[:fpMax]
	n, err := f.ReadAt(buf, 0)
	if err == io.EOF {
		err = nil
	}
	return buf[:n], err
}

// fingerprint is the text form of a file's identity by content:
// "<n>:<hex of the first 16 bytes of SHA-256 over the first n bytes>", with
// n = min(size, 1024) when the file was identified. A file that was short
// when identified keeps its identity as it grows: comparisons hash the same
// n leading bytes of the other file. Empty for an empty file.
func fingerprint(head []byte) string {
	if len(head) == 0 {
		return ""
	}
	sum := sha256.Sum256(head)
	return strconv.Itoa(len(head)) + ":" + hex.EncodeToString(sum[:16])
}

// fingerprintMatches reports whether head (the file's first bytes, up to
// fpMax) is consistent with fingerprint fp. known is false when fp is empty
// or malformed (no content identity to check).
func fingerprintMatches(fp string, head []byte) (match, known bool) {
	ns, _, ok := strings.Cut(fp, ":")
	if !ok {
		return false, false
	}
	n, err := strconv.Atoi(ns)
	if err != nil || n <= 0 || n > fpMax {
		return false, false
	}
	if len(head) < n {
		return false, true
	}
	return fingerprint(head[:n]) == fp, true
}

// samePrefix reports whether a and b agree on their common length.
func samePrefix(a, b []byte) bool {
	n := min(len(a), len(b))
	return bytes.Equal(a[:n], b[:n])
}
