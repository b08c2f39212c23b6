package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/kinesis-agent-go/aws-kinesis-agent/internal/kinesistest"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// agentBinary builds the command once per test run.
func agentBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "agent-cli-test")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "aws-kinesis-agent")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = errors.New(string(out))
		}
	})
	if buildErr != nil {
		t.Fatalf("build: %v", buildErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	kinesistest.Stop()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

func runAgent(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(agentBinary(t), args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("run: %v", err)
	}
	return o.String(), e.String(), code
}

func TestCommandLine(t *testing.T) {
	tmp := t.TempDir()
	emptyDir := filepath.Join(tmp, "agent.d")
	if err := os.Mkdir(emptyDir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, text string) string {
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	logs := filepath.Join(tmp, "logs")
	if err := os.Mkdir(logs, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"a.log", "b.log", "c.txt"} {
		write(filepath.Join("logs", n), "x\n")
	}
	matching := write("matching.json", `{"flows":[{"filePattern": "`+logs+`/*.log", "deliveryStream": "d"}]}`)
	bad := write("bad.json", `{"flows":[{"filePattern": "/a/b", "kinesisStream": "s", "maxBufferAgeMillis": 999}]}`)
	noFlows := write("noflows.json", `{"flows":[]}`)
	typo := write("typo.json", `{"flows":[{"filePattern": "/a/b", "kinesisStream": "s", "initialPostion": "START_OF_FILE"}]}`)

	tests := map[string]struct {
		args       []string
		wantCode   int
		wantStdout []string
		wantStderr []string
	}{
		"-h prints usage on stdout (spec 10.1)": {
			args: []string{"-h"}, wantCode: 0, wantStdout: []string{"Usage: aws-kinesis-agent", "--configuration"},
		},
		"--help prints usage on stdout": {
			args: []string{"--help"}, wantCode: 0, wantStdout: []string{"Usage: aws-kinesis-agent"},
		},
		"missing -c file (spec 10.1)": {
			args: []string{"-c", "/nonexistent"}, wantCode: 1,
			wantStderr: []string{"Parameter --configuration points to a file that doesn't exist: /nonexistent", "Usage:"},
		},
		"missing --configuration= file": {
			args: []string{"--configuration=/nonexistent"}, wantCode: 1,
			wantStderr: []string{"Parameter --configuration points to a file that doesn't exist: /nonexistent"},
		},
		"unknown flag": {
			args: []string{"--bogus"}, wantCode: 1, wantStderr: []string{"bogus", "Usage:"},
		},
		"stray argument": {
			args: []string{"extra"}, wantCode: 1, wantStderr: []string{"unexpected argument: extra", "Usage:"},
		},
		"--check-destinations needs --validate": {
			args: []string{"--check-destinations"}, wantCode: 1, wantStderr: []string{"only valid with --validate"},
		},
		"bad log level": {
			args: []string{"-L", "LOUD"}, wantCode: 1, wantStderr: []string{"unknown log level"},
		},
		"--version": {
			args: []string{"--version"}, wantCode: 0, wantStdout: []string{"aws-kinesis-agent "},
		},
		"--validate on the repository example": {
			args: []string{"--validate", "-c", "../../agent.json.example", "-d", emptyDir}, wantCode: 0,
			wantStdout: []string{"kinesis:airline_tickets:/var/log/airline_tickets/*log", "Kinesis stream airline_tickets"},
		},
		"--validate lists the files matching now": {
			args: []string{"--validate", "--configuration=" + matching, "--config-dir", emptyDir}, wantCode: 0,
			wantStdout: []string{"fh:d:" + logs + "/*.log", "Firehose delivery stream d", filepath.Join(logs, "a.log"), filepath.Join(logs, "b.log")},
		},
		"--validate reports a config error naming file and key": {
			args: []string{"--validate", "-c", bad, "-d", emptyDir}, wantCode: 1,
			wantStderr: []string{bad + ": flows[0]: 'maxBufferAgeMillis' value 999 is outside of valid range ([1000..900000])"},
		},
		"--validate prints warnings with the hint": {
			args: []string{"--validate", "-c", typo, "-d", emptyDir}, wantCode: 0,
			wantStderr: []string{`WARN ` + typo + `: flows[0]: unknown key "initialPostion" is ignored; did you mean "initialPosition"?`},
		},
		"no flows: exit 1 and the Java message (spec 10.2)": {
			args: []string{"-c", noFlows, "-d", emptyDir, "-l", "-"}, wantCode: 1,
			wantStderr: []string{"Reading configuration from file: " + noFlows, noFlows + ": There are no flows configured in configuration file."},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			stdout, stderr, code := runAgent(t, tc.args...)
			if code != tc.wantCode {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.wantCode, stdout, stderr)
			}
			for _, w := range tc.wantStdout {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout)
				}
			}
			for _, w := range tc.wantStderr {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if strings.Contains(strings.Join(tc.args, " "), "--validate") && strings.Contains(stdout, "c.txt") {
				t.Errorf("non-matching file listed:\n%s", stdout)
			}
		})
	}
}

func TestLogFileGetsStartupLinesAndWarnings(t *testing.T) {
	tmp := t.TempDir()
	cfg := filepath.Join(tmp, "agent.json")
	if err := os.WriteFile(cfg, []byte(`{"log.level": "DEBUG", "flows":[{"filePattern": "/a/b", "kinesisStream": "s"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	logFile := filepath.Join(tmp, "log", "agent.log")
	_, _, _ = runAgent(t, "-c", cfg, "-d", filepath.Join(tmp, "none"), "-l", logFile)
	data, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{" INFO Reading configuration from file: " + cfg, ` WARN ` + cfg + `: key "log.level" has no effect here`} {
		if !strings.Contains(string(data), w) {
			t.Errorf("log lacks %q:\n%s", w, data)
		}
	}
}

// A fatal configuration error still logs what the loading found before it
// (spec §1.2: agent.d is merged before the flows are validated), in order:
// here the agent.d file skipped for a syntax error is the real cause of
// "no flows". --validate prints the WARN too.
func TestFatalConfigErrorLogsTheAgentDLinesBeforeIt(t *testing.T) {
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "agent.d")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "app.json"), []byte(`{"flows":[{"filePattern":"/tmp/x.log","deliveryStream":"s"},]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(tmp, "agent.json")
	if err := os.WriteFile(cfg, []byte(`{"flows":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	logFile := filepath.Join(tmp, "agent.log")
	_, _, code := runAgent(t, "-c", cfg, "-d", dir, "-l", logFile)
	data, _ := os.ReadFile(logFile)
	log := string(data)
	read := strings.Index(log, " INFO Reading flow configuration from file: app.json")
	skipped := strings.Index(log, " WARN "+filepath.Join(dir, "app.json")+": Error reading configuration file, ignoring - app.json")
	fatal := strings.Index(log, "Unhandled error.")
	if code != 1 || read < 0 || skipped < read || fatal < skipped || !strings.Contains(log, "There are no flows configured") {
		t.Errorf("exit %d; want the agent.d lines, in order, before the error:\n%s", code, log)
	}
	_, stderr, code := runAgent(t, "--validate", "-c", cfg, "-d", dir)
	if code != 1 || !strings.Contains(stderr, "WARN "+filepath.Join(dir, "app.json")+": Error reading configuration file, ignoring") {
		t.Errorf("--validate exit %d, stderr:\n%s", code, stderr)
	}
}

// AWS_CBOR_DISABLE is read as the AWS SDK for Java reads it: set to
// anything but "false" (any case), even empty, PutRecords travel as JSON.
func TestAWSCBORDisableIsReadAsTheJavaSDKReadsIt(t *testing.T) {
	for _, c := range []struct {
		value string
		set   bool
		want  bool
	}{
		{"", false, false}, {"true", true, true}, {"1", true, true}, {"", true, true},
		{"false", true, false}, {"FALSE", true, false}, {"no", true, true},
	} {
		lookup := func(k string) (string, bool) {
			if k != "AWS_CBOR_DISABLE" {
				t.Fatalf("looked up %s", k)
			}
			return c.value, c.set
		}
		if got := cborDisabled(lookup); got != c.want {
			t.Errorf("AWS_CBOR_DISABLE=%q (set %v): disabled %v, want %v", c.value, c.set, got, c.want)
		}
	}
}
