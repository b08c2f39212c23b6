package tail

import (
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// watchErrors samples ConsecutiveErrors over n more tailer iterations
// once it is above 0, and reports whether it went back to 0 meanwhile.
func errorsDroppedToZero(t *testing.T, c *collector, cfg Config, n int64) bool {
	t.Helper()
	waitFor(t, "a first error", func() bool { return cfg.Stats.ConsecutiveErrors.Load() > 0 })
	dropped := false
	from := c.tl.loops.Load()
	waitFor(t, "iterations", func() bool {
		if cfg.Stats.ConsecutiveErrors.Load() == 0 {
			dropped = true
		}
		return c.tl.loops.Load() >= from+n
	})
	return dropped
}

// A directory that cannot be listed keeps ConsecutiveProcessingErrors above
// 0 between the scans that retry it (iterations without a scan reset it,
// so the documented alarms, Minimum > 0 and `for: 10m`, never fired).
func TestConsecutiveErrorsStayAboveZeroWhileTheDirectoryCannotBeListed(t *testing.T) {
	notDir := filepath.Join(t.TempDir(), "logs")
	mustWrite(t, notDir, "x") // listing it fails, as for a directory the agent may not read
	cfg := testConfig(notDir, "*.log")
	c := startTailer(t, cfg)
	if errorsDroppedToZero(t, c, cfg, 30) {
		t.Fatal("ConsecutiveErrors went back to 0 while the directory still could not be listed")
	}
}

// A matched file that cannot be opened counts too (OBSERVABILITY.md: "a
// directory or file that cannot be read"), until it can be read.
func TestConsecutiveErrorsCountAFileThatCannotBeOpenedUntilItCanBe(t *testing.T) {
	dir := t.TempDir()
	denied := filepath.Join(dir, "secure.log")
	mustWrite(t, denied, "s1\n")
	cfg := testConfig(dir, "*.log")
	var deny atomic.Bool
	deny.Store(true)
	c := startTailer(t, cfg, func(tl *Tailer) {
		tl.openFn = openDenying(func(name string) bool { return name == denied && deny.Load() })
	})
	if errorsDroppedToZero(t, c, cfg, 30) {
		t.Fatal("ConsecutiveErrors went back to 0 while the file still could not be opened")
	}
	deny.Store(false) // access granted: read at the next scan, count back to 0
	c.waitRecords(1)
	waitFor(t, "count back to 0", func() bool { return cfg.Stats.ConsecutiveErrors.Load() == 0 })
}

// A tracked file closed for inactivity that can no longer be reopened
// (permissions changed) counts as a file that cannot be read.
func TestConsecutiveErrorsCountATrackedFileThatCannotBeReopened(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	mustWrite(t, p, "a1\n")
	cfg := testConfig(dir, "*.log")
	var deny atomic.Bool
	c := startTailer(t, cfg, func(tl *Tailer) {
		tl.inactive = 300 * time.Millisecond
		tl.openFn = openDenying(func(name string) bool { return name == p && deny.Load() })
	})
	c.waitRecords(1)
	waitFor(t, "closed for inactivity", func() bool { return !c.tl.isOpen(p) })
	deny.Store(true)
	mustAppend(t, p, "a2\n") // unread, and the file cannot be reopened
	waitFor(t, "the unreadable file counted", func() bool { return cfg.Stats.ConsecutiveErrors.Load() > 0 })
	deny.Store(false)
	waitFor(t, "a2 read once it can be", func() bool { return len(c.records()) == 2 })
	waitFor(t, "count back to 0", func() bool { return cfg.Stats.ConsecutiveErrors.Load() == 0 })
}
