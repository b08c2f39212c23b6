package agent

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
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
// both; under /run it points away from it (emptied at boot); for the
// default path it names the unit's directory; and a lock file another user
// left in a writable directory keeps the lock's own error (it names the
// chown). From a replay of Java agent users' questions (awslabs#129's
// advice to move checkpointFile to /var/aws-kinesis-agent) and a review.
func TestACheckpointFileTheServiceMayNotWriteNamesTheKeyAndTheWayOut(t *testing.T) {
	cause := func(dir string, errno syscall.Errno) error {
		return fmt.Errorf("checkpoint: lock %s/checkpoints.lock: create directory: %w", dir, &fs.PathError{Op: "mkdir", Path: dir, Err: errno})
	}
	deny := func(errno syscall.Errno) func(string) error { return func(string) error { return errno } }
	for _, tc := range []struct {
		name, file string
		errno      syscall.Errno
		want       []string
	}{
		{"read-only", "/var/aws-kinesis-agent/checkpoints", syscall.EROFS, []string{
			"checkpointFile /var/aws-kinesis-agent/checkpoints: its directory /var/aws-kinesis-agent is on a read-only file system",
			"ReadWritePaths=/var/aws-kinesis-agent", "remove checkpointFile"}},
		{"not writable", "/var/aws-kinesis-agent/checkpoints", syscall.EACCES, []string{
			"its directory /var/aws-kinesis-agent is not writable by this agent's user (uid ", "ReadWritePaths=/var/aws-kinesis-agent"}},
		{"under /run", "/run/myapp/checkpoints", syscall.EROFS, []string{
			"checkpointFile /run/myapp/checkpoints: its directory /run/myapp is on a read-only file system, and /run is emptied at every boot",
			"set it under /var/lib/aws-kinesis-agent"}},
		{"the default", "", syscall.EACCES, []string{
			"the checkpoint file /var/lib/aws-kinesis-agent/checkpoints (the default): its directory /var/lib/aws-kinesis-agent is not writable",
			"StateDirectory="}},
		{"the default, read-only", "", syscall.EROFS, []string{
			"the checkpoint file /var/lib/aws-kinesis-agent/checkpoints (the default): its directory /var/lib/aws-kinesis-agent is on a read-only file system: mount a writable volume there"}},
	} {
		cfg := &config.Config{CheckpointFile: tc.file}
		path := tc.file
		if path == "" {
			path = "/var/lib/aws-kinesis-agent/checkpoints"
		}
		c := cause(filepath.Dir(path), tc.errno)
		err := notWritable(cfg, path, c, deny(tc.errno))
		for _, want := range append(tc.want, c.Error()) {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: no %q in: %v", tc.name, want, err)
			}
		}
		if tc.name != "read-only" && tc.name != "not writable" && strings.Contains(err.Error(), "ReadWritePaths=") {
			t.Errorf("%s: advises ReadWritePaths: %v", tc.name, err)
		}
		if !errors.Is(err, tc.errno) {
			t.Errorf("%s: the cause is not kept: %v", tc.name, err)
		}
	}
	// The directory is writable: the lock file is another user's.
	lockErr := fmt.Errorf("checkpoint: lock /var/lib/x/checkpoints.lock: %w (it belongs to uid 0: sudo chown …)", &fs.PathError{Op: "open", Path: "/var/lib/x/checkpoints.lock", Err: syscall.EACCES})
	if err := notWritable(&config.Config{CheckpointFile: "/var/lib/x/checkpoints"}, "/var/lib/x/checkpoints", lockErr, func(string) error { return nil }); err != lockErr {
		t.Errorf("the lock file's error was rewritten: %v", err)
	}
	other := errors.New("checkpoint: database disk image is malformed")
	if err := notWritable(&config.Config{}, "/var/lib/aws-kinesis-agent/checkpoints", other, deny(syscall.EROFS)); err != other {
		t.Errorf("another error was rewritten: %v", err)
	}
}

// A relative checkpointFile ("agent-checkpoints", the service's working
// directory being /) got the advice "ReadWritePaths=.", which systemd
// rejects: the advice names the directory absolute.
func TestARelativeCheckpointFileIsAdvisedWithItsAbsoluteDirectory(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	cause := fmt.Errorf("checkpoint: lock agent-checkpoints.lock: %w", &fs.PathError{Op: "open", Path: "agent-checkpoints.lock", Err: syscall.EROFS})
	err := notWritable(&config.Config{CheckpointFile: "agent-checkpoints"}, "agent-checkpoints", cause, func(string) error { return syscall.EROFS })
	for _, want := range []string{"checkpointFile agent-checkpoints: its directory " + dir + " is on a read-only file system", "ReadWritePaths=" + dir + " in a drop-in"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("no %q in: %v", want, err)
		}
	}
	if strings.Contains(err.Error(), "ReadWritePaths=.") {
		t.Errorf("advises a relative ReadWritePaths: %v", err)
	}
}

// writableDir looks at the nearest directory that exists.
func TestWritableDirChecksTheNearestExistingParent(t *testing.T) {
	d := t.TempDir()
	if err := writableDir(filepath.Join(d, "a", "b")); err != nil {
		t.Fatalf("a missing directory under a writable one: %v", err)
	}
}

// A checkpointFile on a tmpfs (Java's default /var/run/aws-kinesis-agent
// named explicitly in a Java config, /dev/shm) loses every position at a
// reboot, silently: the start warns, naming the file and the fix; one on
// a disk, or under a private /tmp (warned of already), is not warned. From
// a replay of OpenTelemetry filelog receiver reports (#2947: storage lost,
// files read again).
func TestACheckpointFileOnATmpfsIsWarnedAtStart(t *testing.T) {
	fsTypes := map[string]int64{"/run": tmpfsMagic, "/dev/shm": tmpfsMagic, "/": 0xef53, "/tmp": tmpfsMagic}
	fsType := func(p string) (int64, error) {
		if t, ok := fsTypes[p]; ok {
			return t, nil
		}
		return 0, syscall.ENOENT
	}
	for _, tc := range []struct {
		path    string
		private []string
		warned  bool
	}{
		{"/run/aws-kinesis-agent/checkpoints", nil, true},
		{"/dev/shm/x/checkpoints", nil, true},
		{"/var/lib/aws-kinesis-agent/checkpoints", nil, false},
		{"/tmp/ck/checkpoints", []string{"/tmp"}, false},
	} {
		var logs strings.Builder
		warnCheckpointInMemory(tc.path, tc.private, fsType, slog.New(slog.NewTextHandler(&logs, nil)))
		got := strings.Contains(logs.String(), "The checkpoint file "+tc.path+" is on a file system in memory (tmpfs)")
		if got != tc.warned {
			t.Errorf("%s: warned %v, want %v:\n%s", tc.path, got, tc.warned, logs.String())
		}
	}
	// The real statfs: a directory made here is on whatever /tmp is.
	if _, err := statfsType(t.TempDir()); err != nil {
		t.Fatal(err)
	}
}
