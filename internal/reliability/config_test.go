package reliability

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestBadConfigExitsOneNamingFileAndKey starts the real binary (serve mode,
// not --validate) on bad agent.json files and agent.d files: each exits 1
// within seconds, and stderr names the file and the key. The cases are the
// ones cmd/aws-kinesis-agent's table does not cover.
func TestBadConfigExitsOneNamingFileAndKey(t *testing.T) {
	parallel(t)
	dir := t.TempDir()
	_ = os.Chmod(dir, 0o755)
	logs := filepath.Join(dir, "logs")
	if err := os.Mkdir(logs, 0o755); err != nil {
		t.Fatal(err)
	}
	flow := `{"filePattern": "` + logs + `/*.log", "kinesisStream": "s"}`
	top := `"kinesis.region": "us-east-1", "checkpointFile": "` + filepath.Join(dir, "ckpt") + `", `
	type tc struct {
		main, d  string // agent.json, one agent.d file ("" = none)
		uid      int    // run as this uid when non-zero
		want     []string
		wantFile string // "main", "d": which file stderr must name
	}
	tests := map[string]tc{
		"JSON syntax error (truncated file)": {
			main: `{` + top + `"flows": [` + flow, want: []string{"line 1, column"}, wantFile: "main",
		},
		"empty file": {main: ``, want: []string{"empty"}, wantFile: "main"},
		"value of the wrong type": {
			main: `{` + top + `"flows": [{"filePattern": "` + logs + `/*.log", "kinesisStream": "s", "maxBufferSizeRecords": "lots"}]}`,
			want: []string{"maxBufferSizeRecords"}, wantFile: "main",
		},
		"flow without a destination": {
			main: `{` + top + `"flows": [{"filePattern": "` + logs + `/*.log"}]}`,
			want: []string{"flows[0]"}, wantFile: "main",
		},
		"bad key in an agent.d file": {
			main: `{` + top + `"flows": [` + flow + `]}`,
			d:    `{"flows": [{"filePattern": "` + logs + `/*.txt", "kinesisStream": "s2", "maxBufferSizeRecords": 501}]}`,
			want: []string{"maxBufferSizeRecords"}, wantFile: "d",
		},
		"secret key of the wrong type is not echoed": {
			main: `{` + top + `"awsAccessKeyId": "AKIDX", "awsSecretAccessKey": {"k": "` + secretKey + `"}, "flows": [` + flow + `]}`,
			want: []string{"awsSecretAccessKey"}, wantFile: "main",
		},
		"config file not readable by the service user": {
			main: `{` + top + `"flows": [` + flow + `]}`, uid: nobody,
			want: []string{"not accessible"}, wantFile: "main",
		},
	}
	for name, c := range tests {
		t.Run(name, func(t *testing.T) {
			sub := t.TempDir()
			_ = os.Chmod(sub, 0o755)
			main := filepath.Join(sub, "agent.json")
			if err := os.WriteFile(main, []byte(c.main), 0o600); err != nil {
				t.Fatal(err)
			}
			d := filepath.Join(sub, "agent.d")
			if err := os.Mkdir(d, 0o755); err != nil {
				t.Fatal(err)
			}
			dfile := filepath.Join(d, "extra.json")
			if c.d != "" {
				if err := os.WriteFile(dfile, []byte(c.d), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			var attr *syscall.SysProcAttr
			if c.uid != 0 {
				if os.Getuid() != 0 {
					t.Skip("needs root to run as another user")
				}
				attr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(c.uid), Gid: uint32(c.uid)}}
			}
			logPath := filepath.Join(sub, "agent.log")
			p := startProc(t, []string{"-c", main, "-d", d, "-l", logPath}, []string{"PATH=/usr/bin:/bin"}, attr)
			p.logPath = logPath
			code := p.wait(t, 15*time.Second)
			stderr := p.stderr.String()
			file := main
			if c.wantFile == "d" {
				file = dfile
			}
			if code != 1 {
				t.Errorf("exit %d, want 1\nstderr: %s", code, stderr)
			}
			for _, w := range append([]string{file}, c.want...) {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			checkNoSecrets(t, "stderr and log of a bad config", stderr+p.log())
			t.Logf("exit %d: %s", code, strings.ReplaceAll(strings.TrimSpace(stderr), "\n", " | "))
		})
	}
}
