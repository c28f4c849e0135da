package sysinfo

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseCPUInfo(t *testing.T) {
	x86 := `processor	: 0
vendor_id	: AuthenticAMD
model name	: AMD EPYC 9B45 128-Core Processor
physical id	: 0
core id		: 0

processor	: 1
model name	: AMD EPYC 9B45 128-Core Processor
physical id	: 0
core id		: 0

processor	: 2
model name	: AMD EPYC 9B45 128-Core Processor
physical id	: 0
core id		: 1
`
	if m, n := parseCPUInfo(strings.NewReader(x86)); m != "AMD EPYC 9B45 128-Core Processor" || n != 2 {
		t.Errorf("x86: %q, %d cores", m, n)
	}
	arm := "processor\t: 0\nBogoMIPS\t: 50.00\nCPU part\t: 0xd0c\n\nprocessor\t: 1\nCPU part\t: 0xd0c\n"
	if m, n := parseCPUInfo(strings.NewReader(arm)); m != "ARM CPU part 0xd0c" || n != 0 {
		t.Errorf("arm: %q, %d cores", m, n)
	}
}

func TestParseMeminfo(t *testing.T) {
	s := "MemTotal:       24576000 kB\nMemFree:         1000 kB\nMemAvailable:   12288000 kB\n"
	if tot, av := parseMeminfo(strings.NewReader(s)); tot != 24576000*1024 || av != 12288000*1024 {
		t.Errorf("got %d %d", tot, av)
	}
}

func TestParseLdconfigAndFindLibs(t *testing.T) {
	out := "1234 libs found in cache `/etc/ld.so.cache'\n\tlibcuda.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so.1\n\tlibc.so.6 (libc6,x86-64) => /lib/x86_64-linux-gnu/libc.so.6\n"
	want := []string{"/usr/lib/x86_64-linux-gnu/libcuda.so.1", "/lib/x86_64-linux-gnu/libc.so.6"}
	if got := parseLdconfig(out); !reflect.DeepEqual(got, want) {
		t.Errorf("parseLdconfig = %q", got)
	}
	d := t.TempDir()
	for _, n := range []string{"libnvrtc.so.12", "libnvrtc.so.12.4.127", "libnvrtc-builtins.so.12", "libnvrtc.sox"} {
		os.WriteFile(filepath.Join(d, n), nil, 0o644)
	}
	os.Symlink(filepath.Join(d, "gone"), filepath.Join(d, "libnvrtc.so"))
	libs := findLibs([]string{d, d}, "libnvrtc.so")
	if len(libs) != 2 || libs[0].Version != "12.4.127" || libs[1].Version != "12" {
		t.Errorf("findLibs = %+v", libs)
	}
	if m := parseGPUInformation("Model: \t\t NVIDIA H100 80GB HBM3\nIRQ: 1\n"); m != "NVIDIA H100 80GB HBM3" {
		t.Errorf("model %q", m)
	}
}

// TestProbes runs the real probes; they must not fail on any machine.
func TestProbes(t *testing.T) {
	c := CPUInfo()
	if c.Logical < 1 || c.Arch == "" {
		t.Errorf("CPUInfo = %+v", c)
	}
	t.Logf("cpu %+v", c)
	t.Logf("ram %+v", RAM())
	t.Logf("disk %+v", DiskSpace("."))
	t.Logf("gpu %+v", ProbeGPU())
}
