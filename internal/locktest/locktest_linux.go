// Package locktest holds test helpers for the checkpoint file's lifetime
// lock.
package locktest

import (
	"errors"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// NeedOFDLocks skips a test that takes two checkpoint locks in one process
// where the kernel has no open-file-description locks (before 3.15): the
// agent then falls back to process locks, which only exclude other
// processes.
func NeedOFDLocks(t testing.TB) {
	t.Helper()
	f, err := os.CreateTemp(t.TempDir(), "ofd")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fl := unix.Flock_t{Type: unix.F_WRLCK}
	if err := unix.FcntlFlock(f.Fd(), unix.F_OFD_GETLK, &fl); errors.Is(err, unix.EINVAL) {
		t.Skip("no open-file-description locks on this kernel")
	}
}
