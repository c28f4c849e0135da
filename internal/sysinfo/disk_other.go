//go:build !linux && !darwin

package sysinfo

import "runtime"

// DiskSpace reports unknown space: this OS has no probe yet.
func DiskSpace(path string) Disk {
	return Disk{Path: path, Reason: "disk probing is not implemented on " + runtime.GOOS}
}
