//go:build linux

package checkpoint

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/kinesis-agent-go/aws-kinesis-agent/flows/record"
)

// TestS24DAReadOnlyCheckpointFileIsRefusedAtOpen: a checkpoint file the
// agent may not write (chmod 0444) was opened read-only by SQLite without a
// word, and every save failed after it. (Root writes any file: the test
// below covers root.)
func TestS24DAReadOnlyCheckpointFileIsRefusedAtOpen(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes any file; TestACheckpointFileAnotherUserOwnsIsRefusedAtOpenNamingOwnerModeAndFix covers root")
	}
	path := filepath.Join(t.TempDir(), "checkpoints")
	s := mustOpen(t, path)
	if err := s.Save([]record.Position{pos("/var/log/app/a.log", "1:2", 10)}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := os.Chmod(path, 0o444); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(path)
	if err == nil {
		err := s2.Save([]record.Position{pos("/var/log/app/a.log", "1:2", 20)})
		s2.Close()
		t.Fatalf("Open of a file mode 0444 succeeded; the next save: %v", err)
	}
	for _, want := range []string{path, "the agent cannot write it: owner uid", "mode -r--r--r--", "chmod u+w " + path} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("no %q in: %v", want, err)
		}
	}
}

// TestACheckpointFileAnotherUserOwnsIsRefusedAtOpenNamingOwnerModeAndFix:
// a run as root leaves the checkpoint file root:root 0644 in the service
// user's directory. Open as that user used to succeed (SQLite opened it
// read-only), then every save failed ("attempt to write a readonly
// database") and every restart sent everything again. Open refuses it now,
// naming the file, its owner and mode, and the chown that fixes it.
func TestACheckpointFileAnotherUserOwnsIsRefusedAtOpenNamingOwnerModeAndFix(t *testing.T) {
	if p := os.Getenv("CKPT_OPEN_AS_OTHER"); p != "" {
		s, err := Open(p)
		if err == nil {
			err = s.Save([]record.Position{pos("/var/log/app/a.log", "1:2", 20)})
			s.Close()
			fmt.Printf("RESULT opened; save: %v\n", err)
			return
		}
		fmt.Printf("RESULT refused: %v\n", err)
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to leave a root-owned file and drop to another uid; TestS24DAReadOnlyCheckpointFileIsRefusedAtOpen covers other users")
	}
	tmp := t.TempDir()
	for d := tmp; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// The service user's state directory, with a file a run as root left.
	dir := filepath.Join(tmp, "state")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "checkpoints")
	s := mustOpen(t, path)
	if err := s.Save([]record.Position{pos("/var/log/app/a.log", "1:2", 10)}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := os.Chown(dir, 65534, 65534); err != nil {
		t.Fatal(err)
	}
	out := runAsNobody(t, tmp, "CKPT_OPEN_AS_OTHER="+path)
	t.Log(out)
	for _, want := range []string{"RESULT refused: ", path, "the agent cannot write it: owner uid 0, mode -rw-r--r--, and the agent runs as uid 65534", "sudo chown 65534 " + path + ")"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in the run as uid 65534:\n%s", want, out)
		}
	}
	// The file is as it was.
	s = mustOpen(t, path)
	if ps, err := s.Load(testFlow); err != nil || len(ps) != 1 || ps[0].Offset != 10 {
		t.Errorf("Load = %v, %v; want the one position saved (offset 10)", ps, err)
	}
}

// TestOpenOnAFullFileSystemSaysItIsFull: on a full file system the agent
// could not start and said only "disk I/O error (4874)" (WAL mode writes a
// 32 KiB -shm file at every open). The error names the cause now.
func TestOpenOnAFullFileSystemSaysItIsFull(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mnt")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v: %s); needs root and mount permission", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	path := filepath.Join(dir, "checkpoints")
	s := mustOpen(t, path)
	if err := s.Save([]record.Position{pos("/var/log/app/a.log", "1:2", 10)}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	// Fill it.
	f, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			break
		}
	}
	f.Close()
	s2, err := Open(path)
	if err == nil {
		s2.Close()
		t.Fatal("Open on a full file system succeeded")
	}
	want := "the file system holding " + dir + " is full (or out of inodes): free space; the checkpoint file needs about 32 KiB beside it to open"
	if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), path) {
		t.Errorf("Open = %v\nwant it to name %s and say %q", err, path, want)
	}
}
