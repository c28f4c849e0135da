package sysinfo

import (
	"os"
)

func cpuModel() (string, int) {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "", 0
	}
	defer f.Close()
	return parseCPUInfo(f)
}

// RAM returns the physical and available memory from /proc/meminfo.
func RAM() Memory {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return Memory{Reason: err.Error()}
	}
	defer f.Close()
	t, a := parseMeminfo(f)
	m := Memory{Total: t, Available: a}
	if a == 0 {
		m.Reason = "/proc/meminfo has no MemAvailable (kernel older than 3.14)"
	}
	return m
}
