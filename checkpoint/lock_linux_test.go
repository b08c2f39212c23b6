package checkpoint

import (
	"errors"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// needOFDLocks skips tests that take two locks in one process where the
// kernel has no open-file-description locks (before 3.15: process locks,
// which only exclude other processes).
func needOFDLocks(t *testing.T) {
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
