//go:build linux

package tail

import "syscall"

// fsTypeOf returns the statfs f_type of the file system holding dir.
func fsTypeOf(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return int64(uint32(st.Type)), nil // (f_type is 32 bits; an int32 on 32-bit platforms, where smb2's and cifs's are negative)
}
