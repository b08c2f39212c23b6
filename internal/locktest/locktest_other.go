//go:build !linux

// Package locktest holds test helpers for the checkpoint file's lifetime
// lock.
package locktest

import "testing"

// NeedOFDLocks skips a test that takes two checkpoint locks in one
// process: outside Linux the agent takes process locks, which only exclude
// other processes.
func NeedOFDLocks(t testing.TB) {
	t.Helper()
	t.Skip("no open-file-description locks here")
}
