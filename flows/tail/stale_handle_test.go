package tail

import (
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// A file deleted on an NFS server (or by another client) fails every fstat
// and read of its descriptor with ESTALE; here the descriptor is closed
// under the tailer to stand for it (an fstat of it then fails for good),
// and the file removed. It is let go as a deleted file is, its
// unterminated last line shipped, and the errors stop; before, pump
// returned before housekeep could judge it, and it stayed tracked with an
// ERROR a minute and ConsecutiveProcessingErrors climbing for ever.
func TestAFileWhoseDescriptorIsStaleAndWhoseNameIsGoneIsLetGo(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "app.log")
	cfg := testConfig(dir, "*.log")
	var stale atomic.Bool
	c := startTailer(t, cfg, func(tl *Tailer) {
		tl.beforeSize = func(h *harvester) {
			if stale.Load() && h.path == p && h.f != nil {
				h.f.Close() // (again at later passes: harmless)
			}
		}
	})
	mustWrite(t, p, "a1\na2") // a2: an unterminated last line, held in memory
	c.waitRecords(1)
	stale.Store(true)
	// Still at its path: an error of the pass, as before.
	waitFor(t, "the stale descriptor counted as an error", func() bool { return cfg.Stats.ConsecutiveErrors.Load() > 0 })
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the file let go", func() bool { return len(cfg.Stats.Files()) == 0 })
	waitFor(t, "errors back to 0", func() bool { return cfg.Stats.ConsecutiveErrors.Load() == 0 })
	eq(t, c.waitRecords(2), "a1\n", "a2")
}
