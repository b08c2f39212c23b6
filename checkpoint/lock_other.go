//go:build unix && !linux

package checkpoint

import (
	"os"

	"golang.org/x/sys/unix"
)

// setLock takes fl on fd without waiting (a process lock: between
// processes only).
func setLock(fd uintptr, fl *unix.Flock_t) error {
	return unix.FcntlFlock(fd, unix.F_SETLK, fl)
}

// openDir opens the lock file's directory.
func openDir(path string) (*os.File, error) { return os.Open(path) }
