package tail

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/syncbuf"
)

// A flow directory on NFS (statfs f_type 0x6969, faked here): files made
// by another client give no inotify event, so the directory is rescanned
// every second, with one INFO line, rather than at MaxRefresh; before, a
// file made and deleted between two full rescans (10 s by default) was
// never read.
func TestAFlowDirectoryOnNFSIsRescannedEverySecond(t *testing.T) {
	dir := t.TempDir()
	cfg := testConfig(dir, "*.log")
	cfg.MaxRefresh = time.Hour
	var logs syncbuf.Buffer
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	c := startTailer(t, cfg, func(tl *Tailer) {
		tl.fsType = func(string) (int64, error) { return 0x6969, nil }
	})
	waitFor(t, "the first scan", func() bool { return c.tl.scans.Load() >= 1 })
	from := c.tl.scans.Load()
	deadline := time.Now().Add(5 * time.Second)
	for c.tl.scans.Load() < from+2 {
		if time.Now().After(deadline) {
			t.Fatalf("%d full rescans in 5 s of a flow directory on NFS, want one a second", c.tl.scans.Load()-from)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := logs.String(); strings.Count(got, "rescanning it every second") != 1 || !strings.Contains(got, "fs=nfs") ||
		!strings.Contains(got, "dir="+filepath.Clean(dir)) {
		t.Errorf("want one INFO naming the directory and nfs; log:\n%s", got)
	}
}

// A flow directory that appears after the start on a network file system
// (a share mounted late, a directory the application makes there) is
// rescanned every second too.
func TestAFlowDirectoryMadeAfterStartOnNFSIsRescannedEverySecond(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "logs")
	cfg := testConfig(dir, "*.log")
	cfg.MaxRefresh = time.Hour
	c := startTailer(t, cfg, func(tl *Tailer) {
		tl.fsType = func(d string) (int64, error) {
			if _, err := os.Stat(d); err != nil {
				return 0, err
			}
			return 0x6969, nil
		}
	})
	c.settle()
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(dir, "a.log"), "x\n")
	c.waitRecords(1)
	from := c.tl.scans.Load()
	if !waitWithin(5*time.Second, func() bool { return c.tl.scans.Load()-from >= 2 }) {
		t.Fatalf("%d full rescans in 5 s, want a rescan every second", c.tl.scans.Load()-from)
	}
}
