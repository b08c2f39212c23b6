package checkpoint

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// setLock takes fl on fd without waiting: an open-file-description lock,
// which also excludes another description of the same process.
func setLock(fd uintptr, fl *unix.Flock_t) error {
	err := unix.FcntlFlock(fd, unix.F_OFD_SETLK, fl)
	if errors.Is(err, unix.EINVAL) {
		// A kernel older than 3.15 has no open-file-description locks; a
		// process lock does the same between processes.
		err = unix.FcntlFlock(fd, unix.F_SETLK, fl)
	}
	return err
}

// openDir opens the lock file's directory as a path handle: openat and
// fstat need no read permission on it.
func openDir(path string) (*os.File, error) {
	fd, err := unix.Open(path, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}
