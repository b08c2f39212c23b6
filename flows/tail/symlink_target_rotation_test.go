package tail

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// startPodLink makes a pod's container directory with its 0.log (lines
// a-0 to a-4) and, in the flow's directory, a link app.log to it, and
// starts a tailer on *.log there with no periodic rescan within a test;
// it returns once the 5 lines are read.
func startPodLink(t *testing.T, tune ...func(*Tailer)) (cdir, target string, c *collector) {
	t.Helper()
	dir, pods := t.TempDir(), t.TempDir()
	cdir = filepath.Join(pods, "app")
	if err := os.Mkdir(cdir, 0o755); err != nil {
		t.Fatal(err)
	}
	target = filepath.Join(cdir, "0.log")
	mustWrite(t, target, lines("a", 0, 5))
	if err := os.Symlink(target, filepath.Join(dir, "app.log")); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(dir, "*.log")
	cfg.MaxRefresh = time.Minute
	c = startTailer(t, cfg, tune...)
	c.waitRecords(5)
	return cdir, target, c
}

// waitWithin polls cond until it holds or d has passed.
func waitWithin(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

func countPrefix(rs []string, prefix string) int {
	n := 0
	for _, r := range rs {
		if strings.HasPrefix(r, prefix) {
			n++
		}
	}
	return n
}

// The Kubernetes layout: the flow's pattern names symbolic links
// (/var/log/containers/*.log) into other directories (/var/log/pods/
// <pod>/<container>/0.log), where the kubelet or Docker's json-file driver
// rotates the target by rename and makes a new one. The new target was
// found only at the next periodic rescan (10 s by default): its lines
// waited that long, and a target made and rotated away (then compressed
// and deleted) between two rescans was never read (fluent/fluent-bit#1108,
// #2110, vectordotdev/vector#7934: lost lines under frequent rotation).
// The directories the links point into are watched now: the new target
// is found at once, and one made and rotated away before any scan is read
// through the descriptor taken at its creation.
func TestASymlinkTargetRotatedTwiceBetweenRescansIsReadWhole(t *testing.T) {
	dir, pods := t.TempDir(), t.TempDir()
	target := filepath.Join(pods, "0.log")
	mustWrite(t, target, lines("a", 0, 10))
	if err := os.Symlink(target, filepath.Join(dir, "web_default_app-1234.log")); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(dir, "*.log")
	cfg.MaxRefresh = time.Minute // (no periodic rescan within the test)
	dangling := &levelCounter{msg: "Skipping dangling symbolic link"}
	cfg.Logger = slog.New(dangling)
	var mu sync.Mutex
	opened := map[fileKey]bool{}
	c := startTailer(t, cfg, func(tl *Tailer) {
		tl.onOpen = func(k fileKey) {
			mu.Lock()
			opened[k] = true
			mu.Unlock()
		}
	})
	c.waitRecords(10)

	// Rotated: the new target is found at once, not at the next rescan.
	// The rename alone is seen first: the link dangles for a moment, as
	// in every rotation, which is not worth a warning.
	mustRename(t, target, target+".20261123-000001")
	waitFor(t, "a scan finding the link dangling", func() bool { w, d := dangling.count(); return w+d > 0 })
	mustWrite(t, target, lines("b", 0, 10))
	if !waitWithin(5*time.Second, func() bool { return countPrefix(c.records(), "b-") == 10 }) {
		t.Fatalf("the new target's lines not read within 5 s: %d of 10", countPrefix(c.records(), "b-"))
	}

	// Rotated twice, the middle file compressed and deleted at once.
	mustRename(t, target, target+".20261123-000002")
	mustWrite(t, target, lines("c", 0, 10))
	// (Lived long enough to be opened: one renamed away within
	// microseconds of its making may be gone before anything opens it.)
	fi, err := os.Stat(target)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := statOf(fi)
	waitFor(t, "the middle file opened", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return opened[st.key]
	})
	mustRename(t, target, target+".20261123-000003")
	mustWrite(t, target, lines("d", 0, 10))
	for _, n := range []string{"000001", "000002", "000003"} {
		if err := os.Remove(target + ".20261123-" + n); err != nil {
			t.Fatal(err)
		}
	}
	if !waitWithin(5*time.Second, func() bool { return len(c.records()) >= 40 }) {
		rs := c.records()
		t.Fatalf("after two quick rotations: c %d of 10, d %d of 10", countPrefix(rs, "c-"), countPrefix(rs, "d-"))
	}
	c.settle()
	if got := c.records(); len(got) != 40 {
		t.Fatalf("got %d records, want 40", len(got))
	}
	if w, d := dangling.count(); w != 0 || d == 0 {
		t.Fatalf("the link dangling during a rotation: %d warnings, %d debug lines; want none and some", w, d)
	}
}

// levelCounter counts the records with message msg, warnings and above
// apart from the others.
type levelCounter struct {
	msg         string
	mu          sync.Mutex
	warn, lower int
}

func (h *levelCounter) Enabled(context.Context, slog.Level) bool { return true }
func (h *levelCounter) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.mu.Lock()
		if r.Level >= slog.LevelWarn {
			h.warn++
		} else {
			h.lower++
		}
		h.mu.Unlock()
	}
	return nil
}
func (h *levelCounter) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *levelCounter) WithGroup(string) slog.Handler      { return h }
func (h *levelCounter) count() (warn, lower int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.warn, h.lower
}

// A link into a directory that is removed (a pod's) dangles; when the
// directory and the target are made again, the target is read within a
// second (the flow's directory is rescanned every second while a link's
// directory cannot be watched), not at the periodic rescan.
func TestASymlinkIntoADirectoryMadeAgainIsFollowedWithinASecond(t *testing.T) {
	cdir, target, c := startPodLink(t)
	n := c.tl.scans.Load()
	if err := os.RemoveAll(cdir); err != nil {
		t.Fatal(err)
	}
	// The removal is an event of the watched directory: a scan follows,
	// which finds the link dangling.
	waitFor(t, "the scan after the removal", func() bool { return c.tl.scans.Load() > n })
	if err := os.Mkdir(cdir, 0o755); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, target, lines("b", 0, 5))
	if !waitWithin(5*time.Second, func() bool { return countPrefix(c.records(), "b-") == 5 }) {
		t.Fatalf("the target made again in a directory made again not read within 5 s: %d of 5", countPrefix(c.records(), "b-"))
	}
}

// The flow's directory under a path with a link in it (/var/log ->
// /mnt/log), and a "current" link in it to a file beside it (Tomcat,
// cronolog), re-pointed with `ln -sfn`: the link's directory, resolved, is
// the flow's own, whose watch inotify gave back for it; taken for a
// target's, its events were filtered by the target's name, and the new
// file behind the link, or any new file, waited for the periodic rescan.
// From a review.
func TestALinkIntoTheFlowsOwnDirectoryUnderALinkedPathKeepsItsEvents(t *testing.T) {
	for _, flowDirIsLink := range []bool{false, true} {
		t.Run(map[bool]string{false: "ancestor link", true: "directory link"}[flowDirIsLink], func(t *testing.T) {
			base := t.TempDir()
			realDir := filepath.Join(base, "mnt-log", "app")
			if err := os.MkdirAll(realDir, 0o755); err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(base, "varlog", "app")
			if flowDirIsLink {
				if err := os.Mkdir(filepath.Join(base, "varlog"), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(realDir, dir); err != nil {
					t.Fatal(err)
				}
			} else if err := os.Symlink(filepath.Join(base, "mnt-log"), filepath.Join(base, "varlog")); err != nil {
				t.Fatal(err)
			}
			mustWrite(t, filepath.Join(dir, "access_log.1"), lines("a", 0, 5))
			if err := os.Symlink("access_log.1", filepath.Join(dir, "current")); err != nil {
				t.Fatal(err)
			}
			cfg := testConfig(dir, "*")
			cfg.MaxRefresh = time.Minute
			c := startTailer(t, cfg)
			c.waitRecords(5)
			// A new file beside it, matched by the pattern.
			mustWrite(t, filepath.Join(dir, "job.log"), lines("j", 0, 5))
			if !waitWithin(5*time.Second, func() bool { return countPrefix(c.records(), "j-") == 5 }) {
				t.Fatalf("a new file in the flow's directory not read within 5 s: %d of 5", countPrefix(c.records(), "j-"))
			}
			// The link re-pointed at the next file.
			mustWrite(t, filepath.Join(dir, "access_log.2"), lines("b", 0, 5))
			if err := os.Symlink("access_log.2", filepath.Join(dir, ".current.tmp")); err != nil {
				t.Fatal(err)
			}
			mustRename(t, filepath.Join(dir, ".current.tmp"), filepath.Join(dir, "current"))
			if !waitWithin(5*time.Second, func() bool { return countPrefix(c.records(), "b-") == 5 }) {
				t.Fatalf("the re-pointed link's file not read within 5 s: %d of 5", countPrefix(c.records(), "b-"))
			}
		})
	}
}

// A relative link target (../pods/c/0.log) under a flow directory that is
// itself a link (/var/log/containers -> /data/k8s/containers) is resolved
// from the physical directory, as the kernel does: the target's real
// directory is watched (not a missing one under the link's path, which
// kept the flow on one-second rescans and lost targets rotated away
// within that second). From a review.
func TestARelativeLinkTargetUnderALinkedFlowDirectoryIsWatchedWhereItIs(t *testing.T) {
	base := t.TempDir()
	realFlow := filepath.Join(base, "data", "k8s", "containers")
	pdir := filepath.Join(base, "data", "k8s", "pods", "c")
	for _, d := range []string{realFlow, pdir, filepath.Join(base, "var", "log")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	alias := filepath.Join(base, "var", "log", "containers")
	if err := os.Symlink(realFlow, alias); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(pdir, "0.log")
	mustWrite(t, target, lines("a", 0, 5))
	if err := os.Symlink("../pods/c/0.log", filepath.Join(realFlow, "c.log")); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(alias, "*.log")
	cfg.MaxRefresh = time.Minute
	c := startTailer(t, cfg)
	c.waitRecords(5)
	resolved, err := filepath.EvalSymlinks(pdir)
	if err != nil {
		t.Fatal(err)
	}
	watched := func() (ok, short bool) {
		w := &c.tl.watcher
		w.mu.Lock()
		defer w.mu.Unlock()
		return w.targets[resolved] != nil, w.targetsShort
	}
	waitFor(t, "the target's directory watched", func() bool { ok, short := watched(); return ok && !short })
	mustRename(t, target, target+".1")
	mustWrite(t, target, lines("b", 0, 5))
	if !waitWithin(5*time.Second, func() bool { return countPrefix(c.records(), "b-") == 5 }) {
		t.Fatalf("the new target not read within 5 s: %d of 5", countPrefix(c.records(), "b-"))
	}
}

// The directory a link points into replaced while the agent runs: removed
// while its file is held open (deleted, read to its end: the kernel holds
// its removal's event back until the file is closed), or renamed away
// (its watch follows it), then made again. Its watch was kept as the
// directory's, and nothing told of the new one: a new target waited for
// the periodic rescan, and one made and rotated away meanwhile was lost.
// A target directory is known by its identity now. From a review.
func TestALinkTargetDirectoryReplacedWhileTheAgentRunsIsWatchedAgain(t *testing.T) {
	for _, how := range []string{"removed while held", "renamed away"} {
		t.Run(how, func(t *testing.T) {
			cdir, target, c := startPodLink(t, func(tl *Tailer) { tl.linger = time.Minute })
			n := c.tl.scans.Load()
			if how == "renamed away" {
				mustRename(t, cdir, cdir+".old")
			} else if err := os.RemoveAll(cdir); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the scan after it", func() bool { return c.tl.scans.Load() > n })
			if err := os.Mkdir(cdir, 0o755); err != nil {
				t.Fatal(err)
			}
			mustWrite(t, target, lines("b", 0, 5))
			if !waitWithin(5*time.Second, func() bool { return countPrefix(c.records(), "b-") == 5 }) {
				t.Fatalf("the target in the directory made again not read within 5 s: %d of 5", countPrefix(c.records(), "b-"))
			}
		})
	}
}

// A pod whose link dangled (its directory removed first) and then went
// (the link removed: an app scaled to zero) leaves no link to dangle: the
// one-second rescan it caused ends. It went on for good. From a review.
func TestTheOneSecondRescanForADanglingLinkEndsWhenTheLinkGoes(t *testing.T) {
	cdir, _, c := startPodLink(t)
	if err := os.RemoveAll(cdir); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the one-second rescan for the dangling link", c.tl.watcher.rescanTargets)
	if err := os.Remove(filepath.Join(c.tl.cfg.Dir, "app.log")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the rescan back to its period", func() bool { return !c.tl.watcher.rescanTargets() })
}
