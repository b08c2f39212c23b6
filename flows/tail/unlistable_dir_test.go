package tail

import (
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"

	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/syncbuf"
)

// A flow directory the agent's user may not enter (a home directory of
// mode 0700: awslabs/amazon-kinesis-agent#132, #44) can be neither watched
// nor listed, and is rescanned every second. Its problems are reported
// once each, not at every rescan: "Cannot watch directory" and "Cannot
// list directory", two problems of one path, each took the other's for a
// change and both were logged again, with "Error when processing ...",
// three lines a second for as long as it lasted. The count of failing
// iterations goes on in the metrics. From a review of the Java agent's
// issues. Root enters any directory: as root the test runs in a copy of
// this test binary as uid 65534.
func TestADirectoryThatCanNeitherBeWatchedNorListedIsReportedOnceNotAtEveryRescan(t *testing.T) {
	if dir := os.Getenv("TAIL_UNLISTABLE_DIR"); dir != "" {
		fmt.Printf("RESULT %s\n", unlistableLog(t, dir))
		return
	}
	root := t.TempDir()
	dir := filepath.Join(root, "private")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(dir, "a.log"), "a\n")
	var out string
	if os.Getuid() != 0 {
		if err := os.Chmod(dir, 0); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(dir, 0o700)
		out = unlistableLog(t, dir)
	} else {
		for d := root; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		exe, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(exe)
		if err != nil {
			t.Fatal(err)
		}
		bin := filepath.Join(root, "tail.test")
		if err := os.WriteFile(bin, b, 0o755); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "-test.run=^"+t.Name()+"$", "-test.count=1", "-test.timeout=60s")
		cmd.Env = append(os.Environ(), "TAIL_UNLISTABLE_DIR="+dir)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		o, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("as uid 65534: %v\n%s", err, o)
		}
		_, res, ok := strings.Cut(string(o), "RESULT ")
		if !ok {
			t.Fatalf("no result from the run as uid 65534:\n%s", o)
		}
		out = res
	}
	for _, msg := range []string{"Cannot watch directory", "Cannot list directory", "Error when processing current input file"} {
		if n := strings.Count(out, msg); n != 1 {
			t.Errorf("%q logged %d times in six rescans, want once:\n%s", msg, n, out)
		}
	}
	if !regexp.MustCompile(`Cannot list directory" .*path=` + regexp.QuoteMeta(dir) + ` err=".*permission denied`).MatchString(out) {
		t.Errorf("the directory and the reason are not named:\n%s", out)
	}
}

// unlistableLog follows dir, which this process may not enter, for six
// rescans and returns the log, one line.
func unlistableLog(t *testing.T, dir string) string {
	var logs syncbuf.Buffer
	cfg := testConfig(dir, "*.log")
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	c := startTailer(t, cfg)
	waitFor(t, "six rescans", func() bool { return c.tl.scans.Load() >= 6 })
	c.stop()
	return strings.ReplaceAll(logs.String(), "\n", " | ")
}
