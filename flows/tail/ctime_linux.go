//go:build linux

package tail

import (
	"syscall"
	"time"
)

// changeTime is the inode's change time.
func changeTime(st *syscall.Stat_t) time.Time { return time.Unix(st.Ctim.Unix()) }
