//go:build !linux

package tail

import (
	"errors"
	"os"
)

// Without inotify the tailer polls (watch.go falls back when newNotifier
// fails).
type notifier struct{}

type notifyEvent struct {
	path  string
	mask  uint32
	named bool
	wd    int32
}

const (
	notifyStructural = 0
	notifyWrites     = 0
	notifyOverflow   = 0
	notifyIgnored    = 0
	notifyCreated    = 0
)

func newNotifier() (*notifier, error) { return nil, errors.New("inotify is only available on Linux") }

func (*notifier) add(string, uint32) (int32, error) { return -1, errors.New("no inotify") }

func (*notifier) addFile(string, *os.File, uint32) (int32, error) {
	return -1, errors.New("no inotify")
}

func (*notifier) rename(int32, string) {}

func (*notifier) remove(int32) {}

func (*notifier) has(int32) bool { return false }

func (*notifier) read([]byte, []notifyEvent) ([]notifyEvent, error) {
	return nil, errors.New("no inotify")
}

func (*notifier) readNow([]byte, []notifyEvent) ([]notifyEvent, error) {
	return nil, errors.New("no inotify")
}

func (*notifier) close() error { return nil }
