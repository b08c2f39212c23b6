//go:build linux

package tail

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
)

// notifier is one inotify instance. Its descriptor is non-blocking and
// read through the Go runtime's poller, so close ends a pending read.
type notifier struct {
	f   *os.File
	fd  int
	mu  sync.Mutex
	wds map[int32]string // watch descriptor -> watched directory
}

// notifyEvent is one inotify event: the path it names (the directory
// itself when the event has no name), its mask, and whether it named an
// entry of the directory.
type notifyEvent struct {
	path  string
	mask  uint32
	named bool
	wd    int32 // the watch it came from
}

// Event masks: structural changes of a directory and its entries, and
// writes to its files.
const (
	notifyStructural = syscall.IN_CREATE | syscall.IN_DELETE | syscall.IN_MOVED_FROM | syscall.IN_MOVED_TO |
		syscall.IN_ATTRIB | syscall.IN_DELETE_SELF | syscall.IN_MOVE_SELF
	notifyWrites   = syscall.IN_MODIFY
	notifyOverflow = syscall.IN_Q_OVERFLOW
	notifyIgnored  = syscall.IN_IGNORED
	notifyCreated  = syscall.IN_CREATE | syscall.IN_MOVED_TO
)

func newNotifier() (*notifier, error) {
	fd, err := syscall.InotifyInit1(syscall.IN_CLOEXEC | syscall.IN_NONBLOCK)
	if err != nil {
		return nil, os.NewSyscallError("inotify_init1", err)
	}
	return &notifier{f: os.NewFile(uintptr(fd), "inotify"), fd: fd, wds: map[int32]string{}}, nil
}

// add watches dir for mask and returns the watch descriptor.
// The mutex is held across the call, so that a read cannot see an event
// of the new watch before its directory is known.
func (n *notifier) add(dir string, mask uint32) (int32, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	wd, err := syscall.InotifyAddWatch(n.fd, dir, mask|syscall.IN_ONLYDIR)
	if err != nil {
		return -1, &os.PathError{Op: "inotify_add_watch", Path: dir, Err: err}
	}
	n.wds[int32(wd)] = dir
	return int32(wd), nil
}

// addFile watches the file open as f (known as path) for mask. The watch
// is added through /proc/self/fd, so it is on f's inode even if path was
// renamed or replaced since f was opened.
func (n *notifier) addFile(path string, f *os.File, mask uint32) (int32, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	wd, err := syscall.InotifyAddWatch(n.fd, "/proc/self/fd/"+strconv.Itoa(int(f.Fd())), mask)
	if err != nil {
		return -1, &os.PathError{Op: "inotify_add_watch", Path: path, Err: err}
	}
	n.wds[int32(wd)] = path
	return int32(wd), nil
}

// rename sets the path that wd's events name.
func (n *notifier) rename(wd int32, path string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.wds[wd]; ok {
		n.wds[wd] = path
	}
}

// has reports whether wd is still a watch (the kernel drops a
// directory's watch when the directory is deleted: IN_IGNORED).
func (n *notifier) has(wd int32) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	_, ok := n.wds[wd]
	return ok
}

// remove drops a watch (the kernel may have dropped it already).
func (n *notifier) remove(wd int32) {
	n.mu.Lock()
	delete(n.wds, wd)
	n.mu.Unlock()
	_, _ = syscall.InotifyRmWatch(n.fd, uint32(wd))
}

// read waits for events and appends them to evs; buf holds the raw ones
// (the kernel returns as many whole events as fit). It fails once closed.
func (n *notifier) read(buf []byte, evs []notifyEvent) ([]notifyEvent, error) {
	k, err := n.f.Read(buf)
	if err != nil {
		return evs, err
	}
	return n.parse(buf[:k], evs), nil
}

// readNow is read without the wait: it appends the events already queued,
// if any. It reads the descriptor directly, not through n.f, whose read
// lock a pending read holds for as long as it waits; so it must only be
// called by the goroutine that closes n (the tailer's Run goroutine).
func (n *notifier) readNow(buf []byte, evs []notifyEvent) ([]notifyEvent, error) {
	k, err := syscall.Read(n.fd, buf)
	if err == syscall.EAGAIN || (err == nil && k <= 0) {
		return evs, nil
	}
	if err != nil {
		return evs, os.NewSyscallError("read inotify", err)
	}
	return n.parse(buf[:k], evs), nil
}

// parse appends the events of buf, whole events as the kernel returns them.
func (n *notifier) parse(buf []byte, evs []notifyEvent) []notifyEvent {
	k := len(buf)
	n.mu.Lock()
	defer n.mu.Unlock()
	for off := 0; off+syscall.SizeofInotifyEvent <= k; {
		wd := int32(binary.NativeEndian.Uint32(buf[off:]))
		mask := binary.NativeEndian.Uint32(buf[off+4:])
		nameLen := int(binary.NativeEndian.Uint32(buf[off+12:]))
		name := buf[off+syscall.SizeofInotifyEvent : min(k, off+syscall.SizeofInotifyEvent+nameLen)]
		off += syscall.SizeofInotifyEvent + nameLen
		for len(name) > 0 && name[len(name)-1] == 0 {
			name = name[:len(name)-1]
		}
		path := n.wds[wd]
		if mask&syscall.IN_IGNORED != 0 {
			delete(n.wds, wd) // the kernel dropped the watch
		}
		if len(name) > 0 {
			path = filepath.Join(path, string(name))
		}
		evs = append(evs, notifyEvent{path: path, mask: mask, named: len(name) > 0, wd: wd})
	}
	return evs
}

func (n *notifier) close() error { return n.f.Close() }
