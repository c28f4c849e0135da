//go:build !linux && !darwin

package sysinfo

import "runtime"

func cpuModel() (string, int) { return "", 0 }

// RAM reports unknown memory: this OS has no probe yet.
func RAM() Memory {
	return Memory{Reason: "memory probing is not implemented on " + runtime.GOOS}
}
