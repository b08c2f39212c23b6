//go:build unix && !linux

package checkpoint

import "testing"

// needOFDLocks skips tests that take two locks in one process: process
// locks only exclude other processes.
func needOFDLocks(t *testing.T) {
	t.Helper()
	t.Skip("no open-file-description locks here")
}
