//go:build linux

package tail

import (
	"os"

	"golang.org/x/sys/unix"
)

// birthTime is when the file was created, in nanoseconds (statx), and
// whether the file system keeps it (ext4, xfs, btrfs, tmpfs do). Device
// and inode name a file only while it exists: ext4 gives a deleted file's
// inode to the next new file at once, and a new file that starts with the
// same bytes as the deleted one can only be told apart by this.
func birthTime(f *os.File) (int64, bool) {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, false
	}
	var stx unix.Statx_t
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = unix.Statx(int(fd), "", unix.AT_EMPTY_PATH|unix.AT_STATX_DONT_SYNC, unix.STATX_BTIME, &stx)
	}); err != nil || serr != nil || stx.Mask&unix.STATX_BTIME == 0 {
		return 0, false
	}
	return stx.Btime.Sec*1e9 + int64(stx.Btime.Nsec), true
}
