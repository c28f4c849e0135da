// Package sysinfo probes the machine for `bitnet doctor`: the CPU model and
// instruction-set features, core counts, physical and available memory, free
// disk space, and the NVIDIA driver, devices and CUDA libraries that are
// installed. It only reads: files under /proc, sysctl values, directory
// listings and the output of `ldconfig -p`. It never loads a native library
// (that needs the CUDA backend's loader) and never fails hard: what it cannot
// learn it reports as unknown, with the reason.
//
// The parsers of /proc text and ldconfig output are pure functions, tested on
// captured samples.
package sysinfo

import (
	"bufio"
	"io"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/cpu"
)

// Feature is one instruction-set extension and whether this CPU (and OS)
// supports it, as golang.org/x/sys/cpu reports it (GODEBUG=cpu.X=off
// included).
type Feature struct {
	Name string `json:"name"`
	Has  bool   `json:"has"`
}

// CPU describes the processor.
type CPU struct {
	Model    string    `json:"model"`    // marketing name, "" if unknown
	Arch     string    `json:"arch"`     // runtime.GOARCH
	Logical  int       `json:"logical"`  // logical CPUs (runtime.NumCPU)
	Physical int       `json:"physical"` // physical cores, 0 if unknown
	Features []Feature `json:"features"` // the extensions the kernels care about
}

// CPUInfo returns what is known about the processor.
func CPUInfo() CPU {
	c := CPU{Arch: runtime.GOARCH, Logical: runtime.NumCPU(), Features: Features()}
	c.Model, c.Physical = cpuModel()
	return c
}

// Features lists the extensions relevant to this architecture's kernels:
// on amd64 AVX2, FMA, F16C and the AVX-512 family with VNNI; on arm64 ASIMD
// (NEON), the dot-product extension and half precision. Other
// architectures get an empty list.
func Features() []Feature {
	switch runtime.GOARCH {
	case "amd64", "386":
		x := cpu.X86
		return []Feature{
			{"avx", x.HasAVX}, {"avx2", x.HasAVX2}, {"fma", x.HasFMA}, {"f16c", x.HasF16C},
			{"avx512f", x.HasAVX512F}, {"avx512bw", x.HasAVX512BW}, {"avx512vl", x.HasAVX512VL},
			{"avx512vnni", x.HasAVX512VNNI}, {"avxvnni", x.HasAVXVNNI},
		}
	case "arm64":
		a := cpu.ARM64
		return []Feature{
			{"asimd", a.HasASIMD}, {"asimddp", a.HasASIMDDP}, {"asimdhp", a.HasASIMDHP},
			{"fphp", a.HasFPHP}, {"sve", a.HasSVE},
		}
	}
	return nil
}

// Has reports whether the named feature is present.
func (c CPU) Has(name string) bool {
	for _, f := range c.Features {
		if f.Name == name {
			return f.Has
		}
	}
	return false
}

// parseCPUInfo reads /proc/cpuinfo text: the model name (x86 "model name",
// arm64 "Model" or "Hardware", else "CPU part") and the number of distinct
// (physical id, core id) pairs, 0 when the file lacks them.
func parseCPUInfo(r io.Reader) (model string, physical int) {
	cores := map[string]bool{}
	var phys, core string
	var part string
	flush := func() {
		if core != "" {
			cores[phys+"/"+core] = true
		}
		phys, core = "", ""
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			if strings.TrimSpace(sc.Text()) == "" {
				flush()
			}
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch k {
		case "model name", "Model", "Hardware":
			if model == "" {
				model = v
			}
		case "CPU part":
			if part == "" {
				part = v
			}
		case "physical id":
			phys = v
		case "core id":
			core = v
		}
	}
	flush()
	if model == "" && part != "" {
		model = "ARM CPU part " + part
	}
	return model, len(cores)
}

// Memory is the machine's RAM in bytes.
type Memory struct {
	Total     uint64 `json:"total"`            // physical RAM, 0 if unknown
	Available uint64 `json:"available"`        // RAM available to new work without swapping, 0 if unknown
	Reason    string `json:"reason,omitempty"` // why a value is unknown
}

// parseMeminfo reads /proc/meminfo text: MemTotal and MemAvailable in
// bytes (the file states kB, meaning KiB).
func parseMeminfo(r io.Reader) (total, avail uint64) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fs := strings.Fields(v)
		if len(fs) == 0 {
			continue
		}
		n, err := strconv.ParseUint(fs[0], 10, 64)
		if err != nil {
			continue
		}
		if len(fs) > 1 && strings.EqualFold(fs[1], "kB") {
			n *= 1024
		}
		switch k {
		case "MemTotal":
			total = n
		case "MemAvailable":
			avail = n
		}
	}
	return total, avail
}

// Disk is the space of the file system holding a path.
type Disk struct {
	Path   string `json:"path"`
	Free   uint64 `json:"free"`  // bytes available to an unprivileged user
	Total  uint64 `json:"total"` // bytes
	Reason string `json:"reason,omitempty"`
}
