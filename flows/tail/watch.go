package tail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// watcher turns change notifications into wake-ups of the tailer loop. It
// uses two inotify instances: one watches the flow's directory for
// structural events (creates, renames, removes, attribute changes), read
// at once; the other watches each file the flow tails for writes
// (IN_MODIFY), read at most once per writeWakeGap, and while they wait
// unread the kernel merges a file's repeated writes into one event.
// Writes are watched per file, not on the directory, so that other files
// of the directory (a busy syslog beside the flow's logs) cost nothing.
// When inotify is unavailable, or the directory cannot be watched for
// lack of instances or watches, the flow polls (logged once); a file that
// cannot be watched is read every poll instead (watchWrites). A periodic
// rescan runs in every mode.
//
// fsnotify was used before: it cannot leave IN_MODIFY out of a watch, so
// every single-line write cost a read and a wake-up of its reader
// goroutine (docs/PERFORMANCE.md, fourth session).
type watcher struct {
	mu      sync.Mutex
	s       *notifier // structural events of the directory, read at once
	m       *notifier // writes to the tailed files, read once per writeWakeGap
	dir     string    // watched: the flow's directory, or
	parent  string    // its parent while the directory does not exist
	dirKey  fileKey   // device and inode of dir when its watch was added
	sWD     int32     // s's watch of dir
	pWD     int32     // s's watch of parent
	polling bool
	quit    chan struct{} // closed by close: the readers stop
	wg      sync.WaitGroup
	// targets: the directories that matched symbolic links point into
	// (/var/log/containers/*.log -> /var/log/pods/<pod>/<container>/0.log),
	// watched by s too, by directory and by watch; see syncTargets.
	targets  map[string]*linkDir
	targetWD map[int32]*linkDir
	// targetsShort: a target directory could not be watched (missing, out
	// of watches) or a matched link dangles; the flow's directory is
	// rescanned every second instead (scanEvery).
	targetsShort bool
}

// linkDir is a directory that matched symbolic links point into: its
// watch, and the names of the link targets in it.
type linkDir struct {
	wd    int32
	key   fileKey // its identity when its watch was added
	names map[string]bool
	paths map[string]bool // the paths it is watched for (one but for bind mounts)
}

func (w *watcher) active() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.s != nil && w.dir != ""
}

// writes is the write notifier (nil when not watching).
func (w *watcher) writes() *notifier {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.m
}

func (w *watcher) isPolling() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.polling
}

// eventBufSize is the read buffer of each inotify instance: 1,000 events
// with 16-byte names.
const eventBufSize = 32 << 10

func (t *Tailer) startWatcher(ctx context.Context) {
	t.checkRemoteFS()
	s, err := newNotifier()
	var m *notifier
	if err == nil {
		if m, err = newNotifier(); err != nil {
			s.close()
		}
	}
	if err == nil && t.noNotify {
		s.close()
		m.close()
		err = errors.New("disabled")
	}
	if err != nil {
		t.fallbackToPolling(err)
		return
	}
	w := &t.watcher
	w.mu.Lock()
	w.s, w.m = s, m
	quit := make(chan struct{})
	w.quit = quit
	w.mu.Unlock()
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		t.readStructural(s)
	}()
	if !t.passReadsOnly {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			t.readWrites(ctx, m, quit)
		}()
	}
}

// readStructural reads creates, renames, removes and attribute changes
// as they come, until the notifier is closed.
func (t *Tailer) readStructural(s *notifier) {
	buf := make([]byte, eventBufSize)
	var evs []notifyEvent
	for {
		var err error
		if evs, err = s.read(buf, evs[:0]); err != nil {
			return
		}
		relevant := false
		for _, ev := range evs {
			if !t.concerns(ev) {
				continue
			}
			relevant = true
			// A new file is opened at once, so that one deleted right
			// after it was written is still read (the descriptor keeps it).
			if ev.mask&notifyCreated != 0 {
				t.preopen(ev.path)
			}
			if ev.mask&notifyOverflow != 0 {
				t.log.Debug("Change notifications overflowed; rescanning")
			}
		}
		if relevant {
			t.poke(true)
		}
	}
}

// readWrites reads write events at most once per writeWakeGap, until the
// notifier is closed or ctx ends. Every event is of a file the flow
// tails: a write to an open one only needs a read (recorded, so that the
// next pass reads that file: markWritten); a write to one closed for
// inactivity, or an overflow, needs a rescan (which reopens it).
func (t *Tailer) readWrites(ctx context.Context, m *notifier, quit <-chan struct{}) {
	buf := make([]byte, eventBufSize)
	var evs []notifyEvent
	gap := time.NewTimer(time.Hour)
	gap.Stop()
	defer gap.Stop()
	busy := time.NewTimer(time.Hour)
	busy.Stop()
	defer busy.Stop()
	for {
		// Writes are read when the loop waits for a change, or after
		// busyWriteRead if it does not. While it reads, pauses to let lines
		// accumulate, or waits for the consumer, it reads the queued events
		// itself when its next pass starts (takeWriteEvents); meanwhile the
		// kernel merges the unread events.
		busy.Reset(busyWriteRead)
		select {
		case <-ctx.Done():
			return
		case <-quit:
			return
		case <-t.idling:
		case <-busy.C:
		}
		busy.Stop()
		var err error
		if evs, err = m.read(buf, evs[:0]); err != nil {
			return
		}
		t.writeReads.Add(1)
		woke := time.Now()
		scan, read := t.noteWrites(evs)
		switch {
		case scan:
			t.poke(true)
		case read:
			t.poke(false)
			t.writeWakes.Add(1)
		}
		// Leave the next writes unread for the rest of the gap.
		gap.Reset(writeWakeGap - time.Since(woke))
		select {
		case <-ctx.Done():
			return
		case <-quit:
			return
		case <-gap.C:
		}
	}
}

// noteWrites records write events for the next pass of the loop (a write
// to an open file makes it due) and reports whether they need a rescan (a
// write to a file closed for inactivity, which reopens it, or lost
// events) or only a read.
func (t *Tailer) noteWrites(evs []notifyEvent) (scan, read bool) {
	for _, ev := range evs {
		if ev.mask&notifyIgnored != 0 {
			continue // a dropped watch: the file was forgotten or deleted
		}
		if ev.mask&notifyOverflow != 0 {
			t.log.Debug("Write notifications overflowed; rescanning")
			t.markLost()
			scan = true
		} else if t.isOpen(ev.path) {
			t.markWritten(ev.wd)
			read = true
		} else if t.isHeld(ev.wd) {
			// A closed file a light scan holds while a send waits: the
			// full scan after reopens it; another light scan would only
			// list the directory again.
			t.scanReq.Store(true)
			read = true
		} else {
			scan = true
		}
	}
	return scan, read
}

// takeWriteEvents reads the write events already queued, at the start of
// a pass (Run goroutine). The reader goroutine reads them only while the
// loop waits, or after busyWriteRead: while one file keeps the loop busy,
// a write to another would otherwise wait for that, not for the next pass.
func (t *Tailer) takeWriteEvents() {
	m := t.watcher.writes()
	if m == nil {
		return
	}
	if t.evBuf == nil {
		t.evBuf = make([]byte, 4<<10) // holds at least one event of any name
	}
	evs, err := m.readNow(t.evBuf, t.evs[:0])
	t.evs = evs[:0]
	if err != nil || len(evs) == 0 {
		return
	}
	if scan, _ := t.noteWrites(evs); scan {
		t.scanReq.Store(true)
		t.lightReq.Store(true) // (for a send that waits in this pass)
	}
}

// concerns reports whether a change notification can matter to this flow:
// an overflow, an event of a watched directory itself (removed, moved, or
// the flow's directory appearing in its parent), or an event of an entry
// of the flow's directory whose name matches the pattern (any entry while
// a matching one is a symlink: its target may have any name). Other
// entries of the directory (temporary files coming and going beside the
// flow's files) are none of the flow's business: before this filter each
// of their changes cost a rescan of the directory.
func (t *Tailer) concerns(ev notifyEvent) bool {
	if ev.mask&notifyOverflow != 0 || !ev.named || ev.path == t.cfg.Dir {
		return true
	}
	if is, named := t.watcher.targetEvent(ev); is {
		return named
	}
	dir, name := filepath.Split(ev.path)
	if filepath.Clean(dir) != t.cfg.Dir {
		return false
	}
	return t.links.Load() || t.glob.match(name) && !excludedName(name)
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
	s := w.s
	dir, parent, dirKey, sWD, pWD := w.dir, w.parent, w.dirKey, w.sWD, w.pWD
	w.mu.Unlock()
	if s == nil {
		return
	}
	if dir != "" {
		// (Same identity is not enough: a directory removed and made again
		// may get the same inode, and its old watch is gone.)
		if key, ok := dirIdentity(dir); ok && key == dirKey && s.has(sWD) {
			return
		}
		// The directory went away or was replaced (renamed over, or moved
		// aside and made again): its watch is on the old one.
		s.remove(sWD)
		dir = ""
	}
	// The identity is taken before the watches are added: if the directory
	// is replaced in between, the next call sees a different one.
	key, keyOK := dirIdentity(t.cfg.Dir)
	wd, err := s.add(t.cfg.Dir, notifyStructural)
	if err == nil && !keyOK {
		s.remove(wd)
		err = &os.PathError{Op: "stat", Path: t.cfg.Dir, Err: os.ErrNotExist}
	}
	if err == nil {
		sWD = wd
	}
	switch {
	case err == nil:
		delete(t.warned, watchDirKey) // (logged again if it fails again)
		if parent != "" {
			s.remove(pWD)
			parent = ""
		}
		dir, dirKey = t.cfg.Dir, key
	case errors.Is(err, os.ErrNotExist):
		if parent == "" {
			p := filepath.Dir(t.cfg.Dir)
			if wd, err := s.add(p, notifyStructural); err == nil {
				parent, pWD = p, wd
			}
		}
	case errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EMFILE):
		w.close()
		t.fallbackToPolling(err)
		return
	default:
		t.warnOnceAs(0, watchDirKey, t.cfg.Dir, "Cannot watch directory; relying on periodic rescans", "err", err)
	}
	w.mu.Lock()
	w.dir, w.parent, w.dirKey, w.sWD, w.pWD = dir, parent, dirKey, sWD, pWD
	w.mu.Unlock()
}

// stale reports whether the flow's directory is no longer the one
// watched: removed (and maybe made again) while a file of it is held open
// (deleted, read to its end). The open file keeps the old directory
// alive, so the kernel reports its removal only when the file is closed,
// and no event tells of the new one: until the next scan's ensure, new
// files were not opened on their creation, and one moved away meanwhile
// was never read. Run checks it every second (one stat).
func (w *watcher) stale() bool {
	w.mu.Lock()
	s, dir, dirKey, sWD := w.s, w.dir, w.dirKey, w.sWD
	w.mu.Unlock()
	if s == nil || dir == "" {
		return false // (not watching, or watching its parent for it)
	}
	key, ok := dirIdentity(dir)
	return !ok || key != dirKey || !s.has(sWD)
}

// watchWrites puts h's file under the write notifier's watch, through its
// descriptor, so that the watch is on the inode h reads whatever its name
// is now or becomes. The watch lasts as long as h (a file closed for
// inactivity keeps it, so that a write reopens it). Called by the Run
// goroutine when h gets a descriptor: adding a watch the inode already
// has returns the same one, and a reopened file may be another inode.
//
// A file that cannot be watched (fs.inotify.max_user_watches reached, no
// /proc) is not fatal: open files are read every MinPoll anyway, and while
// any tracked file has no watch the directory is rescanned every second
// (scanEvery), so a write to such a file closed for inactivity reopens it.
func (t *Tailer) watchWrites(h *harvester) {
	m := t.watcher.writes()
	if m == nil || h.f == nil {
		return
	}
	add := m.addFile
	if t.addFileWatch != nil {
		add = t.addFileWatch
	}
	wd, err := add(h.path, h.f, notifyWrites)
	if err != nil {
		t.warnOnceAs(slog.LevelWarn, watchFilesKey, h.path, "Cannot watch a file for writes; reading it every poll and rescanning the directory every second",
			"err", err, "hint", "raise fs.inotify.max_user_watches")
		if h.wd != 0 {
			m.remove(h.wd) // of the inode h had before, if it was another
			h.wd = 0
		}
		t.setUnwatched(h, true)
		return
	}
	if h.wd != 0 && h.wd != wd {
		m.remove(h.wd) // the watch of the inode h had before
	}
	h.wd = wd
	t.setUnwatched(h, false)
}

// setUnwatched records whether h lacks a write watch (Run goroutine).
func (t *Tailer) setUnwatched(h *harvester, v bool) {
	if h.unwatched != v {
		h.unwatched = v
		if v {
			t.unwatched++
		} else {
			t.unwatched--
		}
	}
}

// unwatchWrites drops h's write watch (h is forgotten).
func (t *Tailer) unwatchWrites(h *harvester) {
	t.setUnwatched(h, false)
	if h.wd == 0 {
		return
	}
	m := t.watcher.writes()
	if m != nil {
		m.remove(h.wd)
	}
	h.wd = 0
}

// renameWatch records h's new path for its write watch's events.
func (t *Tailer) renameWatch(h *harvester) {
	if h.wd == 0 {
		return
	}
	m := t.watcher.writes()
	if m != nil {
		m.rename(h.wd, h.path)
	}
}

// dirIdentity is the device and inode of the directory at path.
func dirIdentity(path string) (fileKey, bool) {
	fi, err := os.Stat(path)
	if err != nil || !fi.IsDir() {
		return fileKey{}, false
	}
	st, ok := statOf(fi)
	return st.key, ok
}

// targetEvent reports whether ev is of a directory that matched links
// point into (is), and then whether it names one of their targets there
// (a rotation renaming it away, its new file created: the link now leads
// to another file, or nowhere).
func (w *watcher) targetEvent(ev notifyEvent) (is, named bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	d := w.targetWD[ev.wd]
	if d == nil {
		return false, false
	}
	return true, d.names[filepath.Base(ev.path)]
}

// isTarget reports whether path is a matched link's target (by name: a
// file just created there, which the link leads to now).
func (w *watcher) isTarget(path string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	d := w.targets[filepath.Dir(path)]
	return d != nil && d.names[filepath.Base(path)]
}

// maxLinkHops bounds the links followed from one matched entry.
const maxLinkHops = 8

// linkHops appends the directory and name of each link target from p on
// (one per link followed: /var/log/containers/x.log ->
// /var/log/pods/.../0.log -> /var/lib/docker/containers/<id>/<id>-json.log),
// a dangling one's too: its directory is where its next file appears. p's
// directory must be resolved (no link in it): a relative target is
// resolved from the physical directory, as the kernel does.
func linkHops(p string, resolved map[string]string, add func(dir, name string)) (dangling bool) {
	for range maxLinkHops {
		li, err := os.Lstat(p)
		if err != nil || li.Mode()&os.ModeSymlink == 0 {
			return err != nil
		}
		dst, err := os.Readlink(p)
		if err != nil {
			return
		}
		if !filepath.IsAbs(dst) {
			dst = filepath.Join(filepath.Dir(p), dst)
		}
		dir := filepath.Dir(dst)
		if r, ok := resolved[dir]; ok {
			dir = r // (one resolution per directory and scan: a pod's links share theirs)
		} else if r, err := filepath.EvalSymlinks(dir); err == nil {
			resolved[dir], dir = r, r
		}
		name := filepath.Base(dst)
		add(dir, name)
		p = filepath.Join(dir, name)
	}
	return false
}

// syncTargets watches the directories that the matched symbolic links
// among names point into, and stops watching those no link points into
// any more (Run goroutine, at each scan). Without it a link's target
// rotated by rename (kubelet: 0.log -> 0.log.<time>, a new 0.log; Docker's
// json-file: x-json.log -> x-json.log.1) was seen only at the next
// periodic rescan, 10 s by default: lines waited that long, and a file
// created and rotated away between two rescans was never read. A
// directory that cannot be watched (out of watches, or missing: a
// dangling link) makes the flow's directory rescanned every second
// instead, as when polling.
//
// The flow's own directory, reached through a link (a "current" link to
// a file beside it, under a path with a link in it: /var/log ->
// /mnt/log), is left out by its identity: inotify gives the same watch for
// the same directory, which was then taken for a target's and its events
// filtered by the targets' names (new files went unseen).
func (w *watcher) syncTargets(t *Tailer, names []string, links bool) {
	w.mu.Lock()
	s, dir, dirKey := w.s, w.dir, w.dirKey
	have := len(w.targets) > 0
	w.mu.Unlock()
	if s == nil || dir == "" || !links && !have {
		if !links {
			w.mu.Lock()
			w.targetsShort = false // (no link left to dangle)
			w.mu.Unlock()
		}
		return
	}
	want := map[string]map[string]bool{}
	// Directory identities are taken here, not under w.mu: a stat that
	// hangs (a network mount) must not stall the event reader too.
	type identity struct {
		key fileKey
		ok  bool
	}
	ids := map[string]identity{}
	dangling := false
	if links {
		root := t.cfg.Dir
		if r, err := filepath.EvalSymlinks(root); err == nil {
			root = r
		}
		own := map[string]bool{root: true}
		resolved := map[string]string{}
		for _, n := range names {
			dangling = linkHops(filepath.Join(root, n), resolved, func(d, name string) {
				if own[d] {
					return // (watched already)
				}
				if want[d] == nil {
					key, ok := dirIdentity(d)
					ids[d] = identity{key, ok}
					if ok && key == dirKey {
						own[d] = true // (another path of it: a bind mount)
						return
					}
					want[d] = map[string]bool{}
				}
				want[d][name] = true
			}) || dangling
		}
	}
	// (Every directory wanted has its identity in ids; one no longer
	// wanted needs none.)
	idOf := func(d string) (fileKey, bool) {
		if id, ok := ids[d]; ok {
			return id.key, id.ok
		}
		return dirIdentity(d) // (not expected)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.s != s {
		return // closed meanwhile
	}
	for d, ld := range w.targets {
		// Not pointed into any more; or no longer the directory watched:
		// deleted (the kernel dropped its watch, or holds that back while
		// a file of it is open), renamed away (its watch follows it), made
		// again. One still wanted is watched anew below, or, missing,
		// rescanned every second.
		gone := want[d] == nil
		if !gone {
			key, ok := idOf(d)
			gone = !ok || key != ld.key || !s.has(ld.wd)
		}
		if gone {
			delete(w.targets, d)
			delete(ld.paths, d)
			if len(ld.paths) == 0 {
				s.remove(ld.wd)
				delete(w.targetWD, ld.wd)
			} else {
				for p := range ld.paths {
					s.rename(ld.wd, p) // (its events named by a path it has)
					break
				}
			}
		}
	}
	for _, ld := range w.targetWD {
		clear(ld.names) // (refilled below from every path of it)
	}
	short := false
	for d, ns := range want {
		ld := w.targets[d]
		if ld == nil {
			key, keyOK := idOf(d) // (taken before the watch is added)
			wd, err := s.add(d, notifyStructural)
			if err == nil && !keyOK {
				s.remove(wd)
				err = &os.PathError{Op: "stat", Path: d, Err: os.ErrNotExist}
			}
			if err != nil {
				// (Missing: a dangling link into a directory removed; its
				// making again is an event of no watched directory.)
				short = true
				if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EMFILE) {
					t.warnOnceAs(slog.LevelWarn, watchTargetsKey, d, "Cannot watch the directory a matched symbolic link points into; rescanning the flow's directory every second instead",
						"err", err, "hint", "raise fs.inotify.max_user_watches")
				}
				continue
			}
			if wd == w.sWD || wd == w.pWD {
				// The flow's directory or its parent after all (replaced
				// between the check and the add): its events keep their
				// path.
				if wd == w.sWD {
					s.rename(wd, w.dir)
				} else {
					s.rename(wd, w.parent)
				}
				continue
			}
			if w.targets == nil {
				w.targets, w.targetWD = map[string]*linkDir{}, map[int32]*linkDir{}
			}
			if ld = w.targetWD[wd]; ld == nil { // (else the same directory at another path)
				ld = &linkDir{wd: wd, key: key, names: map[string]bool{}, paths: map[string]bool{}}
				w.targetWD[wd] = ld
			}
			ld.paths[d] = true
			w.targets[d] = ld
		}
		for n := range ns {
			ld.names[n] = true
		}
	}
	// While a link dangles (mid-rotation, or its directory removed while
	// a file of it is held open, which holds the kernel's removal event
	// back: its making again would be told by no event), every second.
	w.targetsShort = short || dangling
}

// rescanTargets reports whether the directories links point into are not
// all watched (a rescan every second makes up for it).
func (w *watcher) rescanTargets() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.targetsShort
}

func (w *watcher) close() {
	w.mu.Lock()
	s, m, quit := w.s, w.m, w.quit
	w.s, w.m, w.quit = nil, nil, nil
	w.dir, w.parent = "", ""
	w.targets, w.targetWD, w.targetsShort = nil, nil, false
	w.mu.Unlock()
	if s != nil {
		close(quit)
		s.close()
		m.close()
		w.wg.Wait()
	}
}

// preopened is a descriptor opened by the watcher goroutine for a file
// just created, or by a scan that found it at a listed file's name,
// handed to the Run goroutine at its next scan.
type preopened struct {
	f    *os.File
	path string
	st   fileStat
}

// preopen opens a newly created matching file (watcher goroutine).
func (t *Tailer) preopen(path string) {
	name := filepath.Base(path)
	if filepath.Dir(path) != filepath.Clean(t.cfg.Dir) {
		// A link's target made anew (after its rotation): opened too, so
		// that it is read even if rotated away before the scan; the scan
		// takes it by identity through the link.
		if !t.watcher.isTarget(path) || t.fdShort.Load() {
			return
		}
	} else if !t.glob.match(name) || excludedName(name) || t.fdShort.Load() {
		return // (out of descriptors: the next full scan opens it)
	}
	f, err := t.openFn(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		if errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
			// Held files may have taken every descriptor while a send
			// waits: the next light scan gives some back.
			t.fdShort.Store(true)
			t.fdFree.Store(true)
		}
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
	if !ok {
		f.Close()
		return
	}
	if t.handToNextScan(&preopened{f: f, path: path, st: st}) {
		t.log.Debug("Opened a new file on its creation", "path", path, "fileId", st.key.fileID(), "size", st.size)
	}
}

// handToNextScan keeps p's descriptor for the next scan (takePreopened),
// unless one of the same file is kept already or the tailer has stopped:
// then it closes it and reports false.
func (t *Tailer) handToNextScan(p *preopened) bool {
	t.preMu.Lock()
	if t.pre == nil || t.pre[p.st.key] != nil {
		t.preMu.Unlock()
		p.f.Close()
		return false
	}
	t.pre[p.st.key] = p
	t.preMu.Unlock()
	return true
}

// takePreopened returns the descriptors handed to the next scan so far.
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

// busyWriteRead is how long write notifications stay unread by the reader
// goroutine while the tailer loop does not wait for them. A loop kept busy
// by one file (it reads something at every iteration, then pauses) reads
// them itself at the start of every pass (takeWriteEvents); this bounds
// how long they wait while it cannot, as when it waits for the consumer,
// so that the event queue cannot fill up.
const busyWriteRead = 100 * time.Millisecond

// writeWakeGap is the least time between two reads of write events.
//
// A writer that logs line by line makes one IN_MODIFY per write(2). The
// first write after a quiet spell wakes the tailer at once; the writes of
// the next writeWakeGap stay unread in their own inotify instance, where
// the kernel merges a file's consecutive identical events, and are read
// together at its end. Creates, renames and removes come through the other
// instance and are never held behind writes: events of two files written
// alternately do not merge, and a file created and deleted behind such a
// backlog must still be opened in time
// (TestFileCreatedAmongInterleavedLineWritersIsOpenedBeforeItIsDeleted).
const writeWakeGap = 10 * time.Millisecond

// remoteFSTypes names the file systems (statfs f_type) on which a file
// created by another client, or on the server, gives no inotify event:
// inotify sees only this host's own calls.
var remoteFSTypes = map[int64]string{
	0x6969:     "nfs",
	0x517B:     "smb",
	0xFE534D42: "smb2",
	0xFF534D42: "cifs",
	0x65735546: "fuse",
	0x00C36400: "ceph",
	0x01021997: "9p",
	0x5346414F: "afs",
	0x6B414653: "afs",
	0x0BD00BD0: "lustre",
	0x47504653: "gpfs",
	0x01161970: "gfs2",
	0x7461636F: "ocfs2",
	0x19830326: "beegfs",
	0x786F4256: "vboxsf",
}

// checkRemoteFS notes whether the flow's directory is on a file system of
// remoteFSTypes: the flow then rescans it every second (scanEvery), as
// without inotify, since new files made by other clients are found only by
// a listing. One INFO line names the directory and the file system.
func (t *Tailer) checkRemoteFS() {
	typ, err := t.fsType(t.cfg.Dir)
	if t.remoteChecked = err == nil; err != nil {
		return // (a directory not there yet: tried again every second)
	}
	name := remoteFSTypes[typ]
	if name != "" && name != t.remoteFS {
		t.log.Info("The flow's directory is on a network or FUSE file system, where files made by other clients give no change notification; rescanning it every second",
			"dir", t.cfg.Dir, "fs", name, "f_type", fmt.Sprintf("%#x", typ))
	}
	t.remoteFS = name
}
