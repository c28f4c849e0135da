package sysinfo

import "golang.org/x/sys/unix"

func cpuModel() (string, int) {
	model, _ := unix.Sysctl("machdep.cpu.brand_string")
	phys, err := unix.SysctlUint32("hw.physicalcpu")
	if err != nil {
		phys = 0
	}
	return model, int(phys)
}

// RAM returns the physical memory from sysctl hw.memsize; macOS has no
// cheap equivalent of MemAvailable, so Available is unknown.
func RAM() Memory {
	t, err := unix.SysctlUint64("hw.memsize")
	if err != nil {
		return Memory{Reason: "sysctl hw.memsize: " + err.Error()}
	}
	return Memory{Total: t, Reason: "available memory is not reported on macOS"}
}
