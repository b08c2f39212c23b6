package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// docs/INSTALL.md has users run --validate as the service's user to prove
// it can read the files; it listed a file that user cannot read as matched
// (a false all-clear: the service then logged "permission denied"). Each
// unreadable file is marked, with a WARN naming the flow and what to do.
// From a replay of Java agent users' questions (awslabs#44, #132).
func TestValidateMarksTheMatchedFilesThisUserCannotRead(t *testing.T) {
	// Not t.TempDir: its parent is 0700, and the agent runs as nobody.
	tmp, err := os.MkdirTemp("", "validate-unreadable")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	if err := os.Chmod(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	logs := filepath.Join(tmp, "logs")
	if err := os.Mkdir(logs, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, mode := range map[string]os.FileMode{"access_log": 0o600, "error_log": 0o644} {
		if err := os.WriteFile(filepath.Join(logs, name), []byte("x\n"), mode); err != nil {
			t.Fatal(err)
		}
	}
	cfgPath := filepath.Join(tmp, "agent.json")
	if err := os.WriteFile(cfgPath, []byte(`{"flows": [{"filePattern": "`+logs+`/*_log", "kinesisStream": "s"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := agentBinary(t)
	var attr *syscall.SysProcAttr
	if os.Getuid() == 0 {
		// As nobody (root reads every file), from a directory nobody may
		// enter.
		bdir := filepath.Join(tmp, "bin")
		if err := os.Mkdir(bdir, 0o755); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(bin)
		if err != nil {
			t.Fatal(err)
		}
		bin = filepath.Join(bdir, "aws-kinesis-agent")
		if err := os.WriteFile(bin, b, 0o755); err != nil {
			t.Fatal(err)
		}
		attr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	} else if err := os.Chmod(filepath.Join(logs, "access_log"), 0o000); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--validate", "-c", cfgPath, "-d", filepath.Join(tmp, "none"))
	cmd.SysProcAttr = attr
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			t.Fatal(err)
		}
		t.Fatalf("--validate exited %d\nstdout:\n%s\nstderr:\n%s", ee.ExitCode(), o.String(), e.String())
	}
	stdout, stderr := o.String(), e.String()
	for _, want := range []string{
		filepath.Join(logs, "access_log") + "  (cannot be read by this user: permission denied)",
		"    " + filepath.Join(logs, "error_log") + "\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("no %q in stdout:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "1 of its 2 files cannot be read by this user") {
		t.Errorf("no WARN of the unreadable file:\n%s", stderr)
	}
}
