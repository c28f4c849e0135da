package sysinfo

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Lib is a shared library found on disk.
type Lib struct {
	Path    string `json:"path"`
	Version string `json:"version,omitempty"` // from the file name: libnvrtc.so.12.4 → "12.4"
}

// GPU is what the file system says about NVIDIA hardware and CUDA
// libraries. It is a presence check only: whether the libraries load and the
// device works is for the CUDA backend to find out.
type GPU struct {
	Driver  string   `json:"driver,omitempty"`  // first line of /proc/driver/nvidia/version
	Devices []string `json:"devices,omitempty"` // model names from /proc/driver/nvidia/gpus/*/information
	LibCUDA []Lib    `json:"libcuda,omitempty"` // libcuda.so* (the driver API)
	NVRTC   []Lib    `json:"nvrtc,omitempty"`   // libnvrtc.so* (the runtime compiler)
	Reasons []string `json:"reasons,omitempty"` // why something was not found
}

// Usable reports whether a driver, a device and libcuda were all found.
func (g GPU) Usable() bool { return g.Driver != "" && len(g.Devices) > 0 && len(g.LibCUDA) > 0 }

// libDirs are searched besides those ldconfig knows and LD_LIBRARY_PATH.
var libDirs = []string{
	"/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib",
	"/usr/local/cuda/lib64", "/usr/local/cuda/lib", "/opt/cuda/lib64", "/usr/lib/wsl/lib",
	"/usr/local/cuda/targets/x86_64-linux/lib", "/usr/local/cuda/targets/sbsa-linux/lib",
}

// ProbeGPU looks for the NVIDIA driver, devices, libcuda and NVRTC.
func ProbeGPU() GPU {
	var g GPU
	if b, err := os.ReadFile("/proc/driver/nvidia/version"); err == nil {
		g.Driver = strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0])
	} else {
		g.Reasons = append(g.Reasons, "no NVIDIA kernel driver (/proc/driver/nvidia/version: "+errText(err)+")")
	}
	infos, _ := filepath.Glob("/proc/driver/nvidia/gpus/*/information")
	for _, p := range infos {
		if b, err := os.ReadFile(p); err == nil {
			if m := parseGPUInformation(string(b)); m != "" {
				g.Devices = append(g.Devices, m)
			}
		}
	}
	if len(g.Devices) == 0 {
		if devs, _ := filepath.Glob("/dev/nvidia[0-9]*"); len(devs) > 0 {
			g.Devices = append(g.Devices, devs...)
		} else {
			g.Reasons = append(g.Reasons, "no NVIDIA device (/proc/driver/nvidia/gpus and /dev/nvidia* are empty)")
		}
	}
	dirs := searchDirs()
	g.LibCUDA = findLibs(dirs, "libcuda.so")
	if len(g.LibCUDA) == 0 {
		g.Reasons = append(g.Reasons, "libcuda.so.1 not found in the ldconfig cache, LD_LIBRARY_PATH or the usual CUDA directories")
	}
	g.NVRTC = findLibs(dirs, "libnvrtc.so")
	if len(g.NVRTC) == 0 {
		g.Reasons = append(g.Reasons, "libnvrtc.so not found (install the CUDA toolkit's NVRTC, e.g. Debian's libnvrtc12)")
	}
	return g
}

func errText(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

// parseGPUInformation returns the "Model:" value of a
// /proc/driver/nvidia/gpus/*/information file.
func parseGPUInformation(s string) string {
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "Model" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// searchDirs returns the library directories to look in: those of the
// ldconfig cache, then LD_LIBRARY_PATH, then libDirs, without duplicates.
func searchDirs() []string {
	var dirs []string
	for _, p := range ldconfigPaths() {
		dirs = append(dirs, filepath.Dir(p))
	}
	dirs = append(dirs, filepath.SplitList(os.Getenv("LD_LIBRARY_PATH"))...)
	dirs = append(dirs, libDirs...)
	seen := map[string]bool{}
	out := dirs[:0]
	for _, d := range dirs {
		if d != "" && !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out
}

// ldconfigPaths runs `ldconfig -p` (briefly) and returns the library paths
// it lists; nil when ldconfig is missing or fails.
func ldconfigPaths() []string {
	for _, bin := range []string{"ldconfig", "/sbin/ldconfig", "/usr/sbin/ldconfig"} {
		path, err := exec.LookPath(bin)
		if err != nil {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		out, err := exec.CommandContext(ctx, path, "-p").Output()
		cancel()
		if err == nil {
			return parseLdconfig(string(out))
		}
	}
	return nil
}

// parseLdconfig returns the paths of `ldconfig -p` output lines such as
// "\tlibcuda.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so.1".
func parseLdconfig(out string) []string {
	var paths []string
	for _, line := range strings.Split(out, "\n") {
		if _, p, ok := strings.Cut(line, "=>"); ok {
			if p = strings.TrimSpace(p); strings.HasPrefix(p, "/") {
				paths = append(paths, p)
			}
		}
	}
	return paths
}

// findLibs lists files in dirs whose name is prefix or prefix.VERSION
// (symbolic links included, dangling ones skipped), longest version first.
func findLibs(dirs []string, prefix string) []Lib {
	var libs []Lib
	seen := map[string]bool{}
	for _, d := range dirs {
		matches, _ := filepath.Glob(filepath.Join(d, prefix+"*"))
		for _, m := range matches {
			base := filepath.Base(m)
			ver, ok := strings.CutPrefix(base, prefix)
			if !ok || (ver != "" && !strings.HasPrefix(ver, ".")) {
				continue // libnvrtc.so-builtins and the like
			}
			if _, err := os.Stat(m); err != nil {
				continue // dangling link
			}
			if seen[m] {
				continue
			}
			seen[m] = true
			libs = append(libs, Lib{Path: m, Version: strings.TrimPrefix(ver, ".")})
		}
	}
	sort.SliceStable(libs, func(i, j int) bool { return len(libs[i].Version) > len(libs[j].Version) })
	return libs
}
