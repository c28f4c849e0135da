package validate

import (
	"strings"
	"testing"

	"github.com/bitnet-go/bitnet/config"
	"github.com/bitnet-go/bitnet/internal/sysinfo"
)

// goodFacts is a healthy AVX-512 machine without a GPU.
func goodFacts() Facts {
	return Facts{
		CPU: sysinfo.CPU{Model: "Test CPU", Arch: "amd64", Logical: 8, Physical: 4, Features: []sysinfo.Feature{
			{Name: "avx2", Has: true}, {Name: "avx512vnni", Has: true}}},
		GOMAXPROCS: 8,
		Kernels:    "avx512vnni",
		KernelSets: []KernelSet{{"generic", true}, {"avx2", true}, {"avx512vnni", true}},
		RAM:        sysinfo.Memory{Total: 16 << 30, Available: 8 << 30},
		Disk:       sysinfo.Disk{Path: "/models", Free: 100 << 30, Total: 200 << 30},
		GPU:        sysinfo.GPU{Reasons: []string{"no NVIDIA kernel driver"}},
	}
}

func TestHost(t *testing.T) {
	need := &MemoryEstimate{Context: 4096, KVType: "f16", Weights: 1 << 30, KV: 600 << 20, Total: 2 << 30}
	for _, tc := range []struct {
		name   string
		cfg    func(c *config.Config)
		facts  func(f *Facts)
		need   *MemoryEstimate
		check  string
		status Status
		msg    string
	}{
		{"all good", nil, nil, need, "", Pass, ""},
		{"no avx2", nil, func(f *Facts) { f.CPU.Features = nil; f.Kernels = "generic"; f.KernelSets = f.KernelSets[:1] }, need, "cpu", Warn, "without AVX2"},
		{"kernels unavailable", func(c *config.Config) { c.Runtime.Kernels = "neon" }, nil, need, "kernels", Fail, "no such kernels"},
		{"kernels unsupported", func(c *config.Config) { c.Runtime.Kernels = "avx512vnni" }, func(f *Facts) { f.KernelSets[2].Available = false; f.Kernels = "avx2" }, need, "kernels", Fail, "does not support"},
		{"kernels forced generic", func(c *config.Config) { c.Runtime.Kernels = "generic" }, nil, need, "kernels", Warn, "generic kernels forced"},
		{"env forced generic", nil, func(f *Facts) { f.Kernels = "generic" }, need, "kernels", Warn, "although avx512vnni"},
		{"too many threads", func(c *config.Config) { c.Runtime.Threads = 64 }, nil, need, "cores", Warn, "more threads than CPUs"},
		{"model too big", nil, func(f *Facts) { f.RAM.Total = 1 << 30 }, need, "memory", Fail, "more than"},
		{"paging", nil, func(f *Facts) { f.RAM.Available = 1 << 30 }, need, "memory", Warn, "paging"},
		{"ram unknown", nil, func(f *Facts) { f.RAM = sysinfo.Memory{Reason: "no probe"} }, need, "memory", Warn, "no probe"},
		{"kv budget", func(c *config.Config) { c.Memory.KVBudget = config.KVBudget{Bytes: 100 << 20} }, nil, need, "memory", Warn, "memory.kv_budget"},
		{"no model", nil, nil, nil, "memory", Skip, "did not load"},
		{"disk full", nil, func(f *Facts) { f.Disk.Free = 1 << 20 }, need, "disk", Fail, "free"},
		{"disk low", nil, func(f *Facts) { f.Disk.Free = 1 << 30 }, need, "disk", Warn, "free"},
		{"cuda missing", func(c *config.Config) { c.Runtime.Device = "cuda" }, nil, need, "gpu", Fail, "no NVIDIA kernel driver"},
		{"cuda index", func(c *config.Config) { c.Runtime.Device = "cuda:1" }, func(f *Facts) {
			f.GPU = sysinfo.GPU{Driver: "NVRM 550", Devices: []string{"H100"}, LibCUDA: []sysinfo.Lib{{Path: "/l/libcuda.so.1"}}, NVRTC: []sysinfo.Lib{{Path: "/l/libnvrtc.so.12", Version: "12"}}}
		}, need, "gpu", Fail, "only 1 device"},
		{"gpu ok", func(c *config.Config) { c.Runtime.Device = "cuda:0" }, func(f *Facts) {
			f.GPU = sysinfo.GPU{Driver: "NVRM 550", Devices: []string{"H100"}, LibCUDA: []sysinfo.Lib{{Path: "/l/libcuda.so.1"}}, NVRTC: []sysinfo.Lib{{Path: "/l/libnvrtc.so.12", Version: "12"}}}
		}, need, "gpu", Pass, "nvrtc 12"},
		{"no nvrtc", func(c *config.Config) { c.Runtime.Device = "auto" }, func(f *Facts) {
			f.GPU = sysinfo.GPU{Driver: "NVRM 550", Devices: []string{"H100"}, LibCUDA: []sysinfo.Lib{{Path: "/l/libcuda.so.1"}}}
		}, need, "gpu", Warn, "without NVRTC"},
		{"port busy", nil, func(f *Facts) { f.PortErr = "the address is already in use" }, need, "port", Fail, "already in use"},
		{"open to network", func(c *config.Config) { c.Server.Addr = "0.0.0.0:8080" }, nil, need, "security", Warn, "no API key"},
		{"key file", func(c *config.Config) { c.Server.APIKeyFile = "/nope" }, func(f *Facts) { f.KeyFileErr = "open /nope: no such file" }, need, "security", Fail, "/nope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := config.Default()
			if tc.cfg != nil {
				tc.cfg(cfg)
			}
			f := goodFacts()
			if tc.facts != nil {
				tc.facts(&f)
			}
			r := Host(cfg, tc.need, f)
			if tc.check == "" {
				if r.Worst() != Pass || r.ExitCode() != 0 {
					for _, x := range r.Findings {
						t.Log(x)
					}
					t.Fatalf("worst %v", r.Worst())
				}
				return
			}
			for _, x := range r.Findings {
				if x.Check == tc.check {
					if x.Status != tc.status || !strings.Contains(x.Message, tc.msg) {
						t.Errorf("%v; want %v mentioning %q", x, tc.status, tc.msg)
					}
					if x.Status >= Warn && x.Fix == "" {
						t.Errorf("%v has no fix", x)
					}
					want := map[Status]int{Pass: 0, Skip: 0, Warn: 1, Fail: 2}[tc.status]
					if r.ExitCode() < want {
						t.Errorf("exit %d, want at least %d", r.ExitCode(), want)
					}
					return
				}
			}
			t.Errorf("no %s finding", tc.check)
		})
	}
}

func TestGatherRuns(t *testing.T) {
	cfg := config.Default()
	cfg.Server.Addr = "127.0.0.1:0"
	f := Gather(cfg, t.TempDir())
	if f.CPU.Logical < 1 || len(f.KernelSets) == 0 || f.PortErr != "" {
		t.Errorf("Gather = %+v", f)
	}
	r := Host(cfg, nil, f)
	for _, x := range r.Findings {
		t.Log(x)
	}
}
