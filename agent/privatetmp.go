package agent

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/kinesis-agent-go/aws-kinesis-agent/agent/config"
	"github.com/kinesis-agent-go/aws-kinesis-agent/checkpoint"
)

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

// File system types (statfs f_type) that live in memory.
const (
	tmpfsMagic = 0x01021994
	ramfsMagic = 0x858458f6
)

// inMemory reports whether path, or the nearest of its parents that
// exists, is on a tmpfs or ramfs; fsType is the type statfs reports.
func inMemory(path string, fsType func(string) (int64, error)) bool {
	for dir := path; ; {
		t, err := fsType(dir)
		if err == nil {
			return t == tmpfsMagic || t == ramfsMagic
		}
		parent := filepath.Dir(dir)
		if !errors.Is(err, syscall.ENOENT) || parent == dir {
			return false
		}
		dir = parent
	}
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
