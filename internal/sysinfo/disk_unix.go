//go:build linux || darwin

package sysinfo

import "golang.org/x/sys/unix"

// DiskSpace returns the free and total space of the file system holding
// path (unix.Statfs).
func DiskSpace(path string) Disk {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return Disk{Path: path, Reason: "statfs: " + err.Error()}
	}
	bs := uint64(st.Bsize)
	return Disk{Path: path, Free: uint64(st.Bavail) * bs, Total: uint64(st.Blocks) * bs}
}
