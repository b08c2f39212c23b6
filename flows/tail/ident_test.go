package tail

import "testing"

// Java's UnixFileKey writes st_ino as a signed long: an Amazon EFS inode of
// 2^63 or more comes out negative, and a row of Java's must be matched by
// the same text, or the file is sent again from 0 after the upgrade.
func TestFileIDOfAnInodeOf2To63OrMoreIsJavasSignedText(t *testing.T) {
	for _, c := range []struct {
		key  fileKey
		want string
	}{
		{fileKey{dev: 0x2e, ino: 13828537608286807988}, "(dev=2e,ino=-4618206465422743628)"},
		{fileKey{dev: 0x2e, ino: 1 << 63}, "(dev=2e,ino=-9223372036854775808)"},
		{fileKey{dev: 0x803, ino: 1<<63 - 1}, "(dev=803,ino=9223372036854775807)"},
		{fileKey{dev: 0x803, ino: 12}, "(dev=803,ino=12)"},
	} {
		if got := c.key.fileID(); got != c.want {
			t.Errorf("fileID(%+v) = %s, want %s", c.key, got, c.want)
		}
	}
}
