package agent

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/config"
)

// As systemd's PrivateTmp=yes mounts them: /tmp on the root file system,
// /var/tmp too; and a host whose /tmp is a tmpfs of its own.
const privateMountinfo = `22 1 259:1 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p1 rw
612 22 259:1 /tmp/systemd-private-6c1d1e0f9a5b4c7e8d2f3a4b5c6d7e8f-aws-kinesis-agent.service-Xy12Ab/tmp /tmp rw,relatime shared:300 master:1 - ext4 /dev/nvme0n1p1 rw
613 22 259:1 /var/tmp/systemd-private-6c1d1e0f9a5b4c7e8d2f3a4b5c6d7e8f-aws-kinesis-agent.service-Qw34Cd/tmp /var/tmp rw,relatime shared:301 master:1 - ext4 /dev/nvme0n1p1 rw
`

const hostMountinfo = `22 1 259:1 / / rw,relatime shared:1 - ext4 /dev/nvme0n1p1 rw
30 22 0:40 / /tmp rw,nosuid,nodev shared:20 - tmpfs tmpfs rw
31 22 0:41 /systemd-private-aa-other.service-bb/tmp /srv/x rw shared:21 - tmpfs tmpfs rw
`

// The package's unit gives the service its own /tmp (PrivateTmp=yes), which
// the Java agent never had: a flow on /tmp/app.log* (the AWS documentation's
// first example) saw nothing, and a checkpointFile under /tmp (Java users'
// configs, awslabs/amazon-kinesis-agent#114, #116, #117) was deleted at every
// stop, silently (lines skipped or sent again at each restart). The start
// warns of both, naming the key and the fix. From a replay of Java agent
// users' questions.
func TestAPrivateTmpHidingAFlowsFilesOrTheCheckpointFileIsWarnedAtStart(t *testing.T) {
	if got := privateTmpMounts([]byte(privateMountinfo)); !slices.Equal(got, []string{"/tmp", "/var/tmp"}) {
		t.Fatalf("private mounts %q, want /tmp and /var/tmp", got)
	}
	if got := privateTmpMounts([]byte(hostMountinfo)); len(got) != 0 {
		t.Fatalf("private mounts %q on a host's own /tmp", got)
	}
	cfg := &config.Config{
		CheckpointFile: "/tmp/aws-kinesis-agent-checkpoints/main.log",
		Flows: []config.Flow{
			{ID: "kinesis:s:/tmp/app.log*", FilePattern: "/tmp/app.log*", Dir: "/tmp"},
			{ID: "kinesis:s:/var/tmp/jobs/*.log", FilePattern: "/var/tmp/jobs/*.log", Dir: "/var/tmp/jobs"},
			{ID: "kinesis:s:/var/log/app/*.log", FilePattern: "/var/log/app/*.log", Dir: "/var/log/app"},
			{ID: "kinesis:s:/tmpdata/*.log", FilePattern: "/tmpdata/*.log", Dir: "/tmpdata"},
		},
	}
	var logs, hostLogs strings.Builder
	warnPrivateTmp(cfg, privateTmpMounts([]byte(privateMountinfo)), slog.New(slog.NewTextHandler(&logs, nil)))
	out := logs.String()
	for _, want := range []string{"filePattern /tmp/app.log* is under /tmp", "filePattern /var/tmp/jobs/*.log is under /var/tmp",
		"checkpointFile /tmp/aws-kinesis-agent-checkpoints/main.log is under /tmp", "PrivateTmp=no", "/var/lib/aws-kinesis-agent"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in:\n%s", want, out)
		}
	}
	for _, not := range []string{"/var/log/app", "/tmpdata"} {
		if strings.Contains(out, not) {
			t.Errorf("warned of %s, not under a private /tmp:\n%s", not, out)
		}
	}
	warnPrivateTmp(cfg, privateTmpMounts([]byte(hostMountinfo)), slog.New(slog.NewTextHandler(&hostLogs, nil)))
	if hostLogs.String() != "" {
		t.Errorf("warned on a host's own /tmp:\n%s", hostLogs.String())
	}
}

// A checkpointFile the service may not write (outside the unit's writable
// directories: ProtectSystem=strict makes the rest read-only) stopped the
// start, every 5 s, with "checkpoint: lock …: create directory: mkdir …:
// read-only file system": neither the key nor a way out. The error names
// both. From a replay of Java agent users' questions (awslabs#129's advice
// to move checkpointFile to /var/aws-kinesis-agent).
func TestACheckpointFileTheServiceMayNotWriteNamesTheKeyAndTheWayOut(t *testing.T) {
	for _, tc := range []struct {
		errno syscall.Errno
		why   string
	}{{syscall.EROFS, "is on a read-only file system"}, {syscall.EACCES, "is not writable by this agent's user"}} {
		cause := fmt.Errorf("checkpoint: lock /var/aws-kinesis-agent/checkpoints.lock: create directory: %w",
			&fs.PathError{Op: "mkdir", Path: "/var/aws-kinesis-agent", Err: tc.errno})
		cfg := &config.Config{CheckpointFile: "/var/aws-kinesis-agent/checkpoints"}
		err := notWritable(cfg, cfg.CheckpointFile, cause)
		for _, want := range []string{"checkpointFile /var/aws-kinesis-agent/checkpoints: its directory /var/aws-kinesis-agent " + tc.why,
			"ReadWritePaths=/var/aws-kinesis-agent", "remove checkpointFile", cause.Error()} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("no %q in: %v", want, err)
			}
		}
		if !errors.Is(err, tc.errno) {
			t.Errorf("the cause is not kept: %v", err)
		}
	}
	other := errors.New("checkpoint: database disk image is malformed")
	if err := notWritable(&config.Config{}, "/var/lib/aws-kinesis-agent/checkpoints", other); err != other {
		t.Errorf("another error was rewritten: %v", err)
	}
}
