package agent

import (
	"bytes"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"

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
