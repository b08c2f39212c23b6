package agent

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/config"
	"github.com/kinesis-agent-go/aws-kinesis-agent/checkpoint"
)

// This file holds the checks of where the agent's files are, as the service
// sees them: a flow or checkpoint file under the unit's private /tmp, a
// checkpoint file on a tmpfs, a checkpoint directory the service may not
// write. Each turns a silent loss of files or positions into a message.

// privateTmpMounts returns the mount points among /tmp and /var/tmp that are
// this process's own, as systemd's PrivateTmp=yes makes them (the package's
// unit sets it), found in mountinfo (/proc/self/mountinfo): their root is a
// directory systemd-private-<boot id>-<unit>-<random>/tmp of the host's /tmp
// or /var/tmp. A unit that sets PrivateTmp=disconnected (a fresh tmpfs, no
// such root) is not recognised.
func privateTmpMounts(mountinfo []byte) []string {
	var out []string
	for line := range bytes.Lines(mountinfo) {
		// id parent major:minor root mountpoint options ... - fstype source ...
		f := strings.Fields(string(line))
		if len(f) < 5 {
			continue
		}
		root, mp := f[3], f[4]
		if (mp == "/tmp" || mp == "/var/tmp") && strings.Contains(root, "/systemd-private-") {
			out = append(out, mp)
		}
	}
	return out
}

// under reports whether path is dir or inside it.
func under(path, dir string) bool {
	path = filepath.Clean(path)
	return path == dir || strings.HasPrefix(path, dir+"/")
}

// warnPrivateTmp warns of what a private /tmp (privateTmpMounts) hides: a
// flow's files there are the service's own directory's, not the host's,
// and a checkpoint file there is deleted by systemd at every stop. The
// Java agent has no such sandbox: its configs (and the AWS documentation's
// first example, /tmp/app.log*) put both there.
func warnPrivateTmp(cfg *config.Config, mounts []string, log *slog.Logger) {
	for _, mp := range mounts {
		for _, fc := range cfg.Flows {
			if under(fc.Dir, mp) {
				log.Warn(fmt.Sprintf("filePattern %s is under %s, which this service has its own of (systemd PrivateTmp=yes): files the host writes there are not seen, and nothing is sent. Move them out of %s, or add PrivateTmp=no in a drop-in (systemctl edit aws-kinesis-agent)",
					fc.FilePattern, mp, mp), "flow", fc.ID, "source", fc.Source)
			}
		}
		if cfg.CheckpointFile != "" && under(cfg.CheckpointFile, mp) {
			log.Warn(fmt.Sprintf("checkpointFile %s is under %s, which this service has its own of (systemd PrivateTmp=yes) and systemd deletes at every stop: file positions are lost at each restart (START_OF_FILE flows send their files again, END_OF_FILE flows skip what was written while stopped). Remove checkpointFile (the default is %s) or set it under /var/lib/aws-kinesis-agent",
				cfg.CheckpointFile, mp, checkpoint.DefaultPath))
		}
	}
}

// File system types (Linux's statfs f_type) that live in memory.
const (
	tmpfsMagic = 0x01021994
	ramfsMagic = 0x858458f6
)

// inMemory reports whether path, or the nearest of its parents that
// exists, is on a tmpfs or ramfs; fsType is the type statfs reports.
func inMemory(path string, fsType func(string) (int64, error)) bool {
	var t int64
	err := atNearest(path, func(d string) (err error) { t, err = fsType(d); return err })
	return err == nil && (t == tmpfsMagic || t == ramfsMagic)
}

func statfsType(path string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return 0, err
	}
	return int64(st.Type), nil
}

// warnCheckpointInMemory warns of a checkpoint file on a tmpfs (a Java
// config naming Java's default, /var/run/aws-kinesis-agent/checkpoints, or
// /dev/shm): its positions are gone at every reboot, and the files start
// again by initialPosition, silently. (One under a private /tmp is warned
// of already: warnPrivateTmp.)
func warnCheckpointInMemory(path string, private []string, fsType func(string) (int64, error), log *slog.Logger) {
	for _, mp := range private {
		if under(path, mp) {
			return
		}
	}
	if inMemory(path, fsType) {
		log.Warn(fmt.Sprintf("The checkpoint file %s is on a file system in memory (tmpfs): file positions are lost at every reboot (START_OF_FILE flows send their files again, END_OF_FILE flows skip what was written around the reboot). Set checkpointFile under /var/lib/aws-kinesis-agent, or remove it (the default is %s)",
			path, checkpoint.DefaultPath))
	}
}

// notWritable names, in an error that the checkpoint file's directory
// cannot be written (a read-only file system: the unit's sandbox,
// ProtectSystem=strict; or permissions), the key and the ways out: the
// service restarts every 5 s on it, and the bare mkdir error named neither.
// Other errors (a lock file another user left, which the lock's own error
// explains) come back as they are. The directory is named absolute: a
// relative checkpointFile is taken from the working directory (/ for the
// service).
func notWritable(cfg *config.Config, path string, err error, writable func(dir string) error) error {
	if !errors.Is(err, syscall.EROFS) && !errors.Is(err, fs.ErrPermission) {
		return err
	}
	dir := filepath.Dir(path)
	if abs, aerr := filepath.Abs(dir); aerr == nil {
		dir = abs // a relative checkpointFile: systemd takes no ReadWritePaths=.
	}
	werr := writable(dir)
	if werr == nil {
		return err
	}
	why := "is on a read-only file system"
	if !errors.Is(werr, syscall.EROFS) {
		why = "is not writable by this agent's user (uid " + strconv.Itoa(os.Getuid()) + ")"
	}
	stateDir := filepath.Dir(checkpoint.DefaultPath)
	switch {
	case cfg.CheckpointFile == "" && errors.Is(werr, syscall.EROFS):
		return fmt.Errorf("the checkpoint file %s (the default): its directory %s %s: mount a writable volume there (a container with a read-only root file system), or set checkpointFile to a directory on a writable one: %w",
			path, dir, why, err)
	case cfg.CheckpointFile == "":
		return fmt.Errorf("the checkpoint file %s (the default): its directory %s %s: the package's unit makes it, owned by aws-kinesis-agent-user (StateDirectory=); run the agent as that user, or set checkpointFile to a directory this user may write: %w",
			path, dir, why, err)
	case under(dir, "/run") || under(dir, "/var/run"):
		return fmt.Errorf("checkpointFile %s: its directory %s %s, and /run is emptied at every boot (positions lost, and a drop-in that allows the directory fails the unit's start once it is gone): remove checkpointFile from agent.json to use the default, %s, or set it under %s: %w",
			path, dir, why, checkpoint.DefaultPath, stateDir, err)
	}
	return fmt.Errorf("checkpointFile %s: its directory %s %s: the agent keeps file positions there. As a service it may write only under %s, /var/log/aws-kinesis-agent and /run/aws-kinesis-agent (systemd ProtectSystem=strict): remove checkpointFile from agent.json to use the default, or create the directory, owned by the service's user (aws-kinesis-agent-user), and allow it with ReadWritePaths=%s in a drop-in (systemctl edit aws-kinesis-agent): %w",
		path, dir, why, stateDir, dir, err)
}

// writableDir reports why dir, or the nearest of its parents that exists
// (the agent creates the rest), cannot be written by this process; nil if
// it can.
func writableDir(dir string) error {
	return atNearest(dir, func(d string) error { return unix.Access(d, unix.W_OK) })
}

// atNearest runs check on path, or on the nearest of its parents that
// exists (check failing with ENOENT), and returns its result.
func atNearest(path string, check func(string) error) error {
	for {
		err := check(path)
		parent := filepath.Dir(path)
		if !errors.Is(err, syscall.ENOENT) || parent == path {
			return err
		}
		path = parent
	}
}
