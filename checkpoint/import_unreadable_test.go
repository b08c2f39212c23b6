package checkpoint

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A Java checkpoint file this process may not read (a Java agent that ran
// as root under umask 077 leaves it 0600 root:root; this agent runs as its
// own user) is reported as such: an error wrapping fs.ErrPermission that
// names the file and its mode. It was reported as SQLite's "unable to
// open database file", an error that may pass, so the agent refused every
// start telling the operator to stop a Java agent that was not running.
func TestAJavaCheckpointFileThisProcessMayNotReadIsReportedAsPermissionDenied(t *testing.T) {
	if src := os.Getenv("CKPT_IMPORT_SRC"); src != "" {
		_, err := ImportJava(os.Getenv("CKPT_IMPORT_DST"), src)
		fmt.Printf("RESULT permission=%v err=%v\n", errors.Is(err, ErrJavaCheckpointsUnreadable) && errors.Is(err, fs.ErrPermission), err)
		return
	}
	tmp := t.TempDir()
	src, dst, db := javaFileToImport(t, tmp)
	db.Close()
	if err := os.Chmod(src, 0o600); err != nil {
		t.Fatal(err)
	}

	var permission bool
	var msg string
	if os.Geteuid() != 0 {
		if err := os.Chmod(src, 0); err != nil {
			t.Fatal(err)
		}
		_, err := ImportJava(dst, src)
		permission, msg = errors.Is(err, ErrJavaCheckpointsUnreadable) && errors.Is(err, fs.ErrPermission), fmt.Sprint(err)
	} else {
		// Root reads any file: the import runs in a copy of this test
		// binary as uid 65534.
		for d := tmp; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		// The agent's own state directory is its user's.
		if err := os.Mkdir(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(filepath.Dir(dst), 65534, 65534); err != nil {
			t.Fatal(err)
		}
		line := strings.TrimPrefix(runAsNobody(t, tmp, "CKPT_IMPORT_SRC="+src, "CKPT_IMPORT_DST="+dst), "RESULT ")
		permission, msg = strings.HasPrefix(line, "permission=true"), line
	}
	if !permission || !strings.Contains(msg, src) || !strings.Contains(msg, "mode") {
		t.Fatalf("import of an unreadable Java file: %s; want ErrJavaCheckpointsUnreadable wrapping fs.ErrPermission, naming %s and its mode", msg, src)
	}
	if _, err := os.Stat(dst); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("%s was created: %v", dst, err)
	}
}
