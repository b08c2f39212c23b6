package checkpoint

import (
	"math"
	"strconv"
	"strings"
)

// Java's UnixFileKey.toString() writes st_ino as a signed long: an inode
// number of 2^63 or more (Amazon EFS hands those out) is written negative,
// "(dev=2e,ino=-4618206465422743628)". Before 2026-11-23 this agent wrote
// the unsigned number. signedFileID gives a row's fileId in Java's spelling,
// so that a row written in the old one still names its file after an
// upgrade; legacyFileID gives the old spelling of a negative one ("" if it
// has none), so that a save can delete a renamed file's old-spelled rows.

// splitFileID returns the text before the inode number and the number's
// text of "(dev=<hex>,ino=<decimal>)".
func splitFileID(id string) (prefix, ino string, ok bool) {
	if !strings.HasPrefix(id, "(dev=") || !strings.HasSuffix(id, ")") {
		return "", "", false
	}
	i := strings.LastIndex(id, ",ino=")
	if i < 0 {
		return "", "", false
	}
	return id[:i+len(",ino=")], id[i+len(",ino=") : len(id)-1], true
}

func signedFileID(id string) string {
	prefix, ino, ok := splitFileID(id)
	if !ok || strings.HasPrefix(ino, "-") {
		return id
	}
	n, err := strconv.ParseUint(ino, 10, 64)
	if err != nil || n <= math.MaxInt64 {
		return id
	}
	return prefix + strconv.FormatInt(int64(n), 10) + ")"
}

func legacyFileID(id string) string {
	prefix, ino, ok := splitFileID(id)
	if !ok || !strings.HasPrefix(ino, "-") {
		return ""
	}
	n, err := strconv.ParseInt(ino, 10, 64)
	if err != nil || n >= 0 {
		return ""
	}
	return prefix + strconv.FormatUint(uint64(n), 10) + ")"
}
