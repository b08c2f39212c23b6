package tail

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"
)

// watcher turns directory change notifications into wake-ups of the
// tailer loop. When inotify is unavailable or out of watches it falls back
// to polling (logged once); a periodic rescan runs in every mode.
type watcher struct {
	mu      sync.Mutex
	w       *fsnotify.Watcher
	dir     string // watched: the flow's directory, or
	parent  string // its parent while the directory does not exist
	polling bool
	done    chan struct{}
}

func (w *watcher) active() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w != nil && w.dir != ""
}

func (w *watcher) isPolling() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.polling
}

func (t *Tailer) startWatcher(ctx context.Context) {
	fw, err := fsnotify.NewWatcher()
	if err == nil && t.noNotify {
		fw.Close()
		err = errors.New("disabled")
	}
	if err != nil {
		t.fallbackToPolling(err)
		return
	}
	t.watcher.w = fw
	t.watcher.done = make(chan struct{})
	go func() {
		defer close(t.watcher.done)
		var lastWrite time.Time
		writeT := time.NewTimer(time.Hour)
		writeT.Stop()
		defer writeT.Stop()
		var writeC <-chan time.Time
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-fw.Events:
				if !ok {
					return
				}
				// A new file is opened at once, so that one deleted right
				// after it was written is still read (the descriptor keeps it).
				if ev.Has(fsnotify.Create) {
					t.preopen(ev.Name)
				}
				// Writes to a file already open only need a read; anything
				// else (create, rename, remove, writes to a closed file)
				// needs a rescan.
				scan := !(ev.Has(fsnotify.Write) && t.isOpen(ev.Name))
				if scan {
					t.poke(true)
					continue
				}
				if writeC != nil {
					continue // a wake-up is already due
				}
				if d := time.Since(lastWrite); d < writeWakeGap {
					writeT.Reset(writeWakeGap - d)
					writeC = writeT.C
					continue
				}
				t.poke(false)
				t.writeWakes.Add(1)
				lastWrite = time.Now()
			case <-writeC:
				writeC = nil
				t.poke(false)
				t.writeWakes.Add(1)
				lastWrite = time.Now()
			case err, ok := <-fw.Errors:
				if !ok {
					return
				}
				if errors.Is(err, fsnotify.ErrEventOverflow) {
					t.log.Debug("Change notifications overflowed; rescanning")
				}
				t.poke(true)
			}
		}
	}()
}

func (t *Tailer) fallbackToPolling(err error) {
	w := &t.watcher
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.polling {
		w.polling = true
		t.log.Warn("File change notification unavailable; polling the directory instead", "dir", t.cfg.Dir, "err", err)
	}
}

// ensure keeps a watch on the flow's directory, or on its parent while
// the directory is missing. Called by the Run goroutine before listing.
func (w *watcher) ensure(t *Tailer) {
	w.mu.Lock()
	fw := w.w
	dir, parent := w.dir, w.parent
	w.mu.Unlock()
	if fw == nil {
		return
	}
	if dir != "" {
		if _, err := os.Stat(dir); err == nil {
			return
		}
		// The directory went away: its watch is gone with it.
		_ = fw.Remove(dir)
		dir = ""
	}
	err := fw.Add(t.cfg.Dir)
	switch {
	case err == nil:
		if parent != "" {
			_ = fw.Remove(parent)
			parent = ""
		}
		dir = t.cfg.Dir
	case errors.Is(err, os.ErrNotExist):
		if parent == "" {
			p := filepath.Dir(t.cfg.Dir)
			if fw.Add(p) == nil {
				parent = p
			}
		}
	case errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EMFILE):
		w.close()
		t.fallbackToPolling(err)
		return
	default:
		t.warnOnce(0, t.cfg.Dir, "Cannot watch directory; relying on periodic rescans", "err", err)
	}
	w.mu.Lock()
	w.dir, w.parent = dir, parent
	w.mu.Unlock()
}

func (w *watcher) close() {
	w.mu.Lock()
	fw := w.w
	w.w = nil
	w.dir, w.parent = "", ""
	done := w.done
	w.mu.Unlock()
	if fw != nil {
		fw.Close()
		if done != nil {
			<-done
		}
	}
}

// preopened is a descriptor opened by the watcher goroutine for a file
// just created, handed to the Run goroutine at its next scan.
type preopened struct {
	f    *os.File
	path string
	st   fileStat
}

// preopen opens a newly created matching file (watcher goroutine).
func (t *Tailer) preopen(path string) {
	if filepath.Dir(path) != filepath.Clean(t.cfg.Dir) {
		return
	}
	name := filepath.Base(path)
	if !t.glob.match(name) || excludedName(name) {
		return
	}
	f, err := t.openFn(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return // the scan reports it
	}
	fi, err := f.Stat()
	st, ok := fileStat{}, false
	if err == nil && fi.Mode().IsRegular() {
		st, ok = statOf(fi)
	}
	if ok && t.onOpen != nil {
		t.onOpen(st.key)
	}
	t.preMu.Lock()
	if !ok || t.pre[st.key] != nil || t.pre == nil {
		t.preMu.Unlock()
		f.Close()
		return
	}
	t.pre[st.key] = &preopened{f: f, path: path, st: st}
	t.preMu.Unlock()
}

// takePreopened returns the descriptors opened by the watcher so far.
func (t *Tailer) takePreopened() map[fileKey]*preopened {
	t.preMu.Lock()
	defer t.preMu.Unlock()
	if len(t.pre) == 0 {
		return nil
	}
	m := t.pre
	t.pre = map[fileKey]*preopened{}
	return m
}

// writeWakeGap is the least time between two wake-ups of the tailer for
// writes to open files.
//
// A writer that logs line by line makes one inotify event per write(2).
// The first write after a quiet spell wakes the tailer at once; later ones
// within the gap arm one timer that wakes it at the end of the gap.
// Events are always read at once, so creates, renames and removes are
// never held behind writes. (An earlier version stopped reading events
// for the gap, letting the kernel merge a file's repeated events: cheaper
// for one writer, 2.9 against 4.0 CPU-µs per line at 50,000 single-line
// writes a second, but events of two files alternate and do not merge, so
// a backlog grew and a file created and deleted behind it was never read:
// TestFileCreatedAmongInterleavedLineWritersIsOpenedBeforeItIsDeleted.)
const writeWakeGap = 10 * time.Millisecond
