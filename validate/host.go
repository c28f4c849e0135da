package validate

import (
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"slices"
	"strings"
	"syscall"

	"github.com/bitnet-go/bitnet/config"
	"github.com/bitnet-go/bitnet/internal/sysinfo"
	"github.com/bitnet-go/bitnet/kernels"
)

// KernelSet is one CPU kernel implementation of this build.
type KernelSet struct {
	Name      string `json:"name"`
	Available bool   `json:"available"`
}

// Facts is everything Host judges, gathered by Gather or built by a test.
// Host itself reads nothing, so its policy is a pure function of Facts.
type Facts struct {
	CPU        sysinfo.CPU    `json:"cpu"`
	GOMAXPROCS int            `json:"gomaxprocs"`
	Kernels    string         `json:"kernels_active"` // kernels.Active() at start-up
	KernelSets []KernelSet    `json:"kernel_sets"`    // kernels.Implementations()
	RAM        sysinfo.Memory `json:"ram"`
	Disk       sysinfo.Disk   `json:"disk"`
	GPU        sysinfo.GPU    `json:"gpu"`
	PortErr    string         `json:"port_error,omitempty"`     // why server.addr cannot be bound; "" = it can
	KeyFileErr string         `json:"key_file_error,omitempty"` // why server.api_key_file cannot be read; "" = it can (or is unset)
}

// Gather probes the machine for Host: CPU, kernels, memory, the disk holding
// modelDir, the GPU, whether cfg.Server.Addr can be bound (it listens and
// closes at once) and whether cfg.Server.APIKeyFile is readable.
func Gather(cfg *config.Config, modelDir string) Facts {
	f := Facts{
		CPU:        sysinfo.CPUInfo(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		Kernels:    kernels.Active(),
		RAM:        sysinfo.RAM(),
		Disk:       sysinfo.DiskSpace(modelDir),
		GPU:        sysinfo.ProbeGPU(),
	}
	names, avail := kernels.Implementations()
	for i, n := range names {
		f.KernelSets = append(f.KernelSets, KernelSet{n, avail[i]})
	}
	if ln, err := net.Listen("tcp", cfg.Server.Addr); err != nil {
		f.PortErr = portError(err)
	} else {
		ln.Close()
	}
	if p := cfg.Server.APIKeyFile; p != "" {
		if b, err := os.ReadFile(p); err != nil {
			f.KeyFileErr = err.Error()
		} else if !hasKey(string(b)) {
			f.KeyFileErr = p + " holds no key"
		}
	}
	return f
}

func portError(err error) string {
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return "the address is already in use"
	case errors.Is(err, syscall.EACCES):
		return "permission denied (ports below 1024 need privileges)"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "no local interface has this address"
	}
	return err.Error()
}

func hasKey(s string) bool {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			return true
		}
	}
	return false
}

// Host judges the machine against cfg and, when need is not nil, the memory
// the chosen model needs at the chosen context. The checks (docs/
// configuration.md lists them): cpu, kernels, cores, memory, disk, gpu, port
// and security.
func Host(cfg *config.Config, need *MemoryEstimate, f Facts) *Report {
	r := &Report{Subject: "this machine"}
	checkCPU(r, f)
	checkKernels(r, cfg, f)
	checkCores(r, cfg, f)
	checkMemory(r, cfg, need, f)
	checkDisk(r, f)
	checkGPU(r, cfg, f)
	checkPort(r, cfg, f)
	checkSecurity(r, cfg, f)
	return r
}

func checkCPU(r *Report, f Facts) {
	model := f.CPU.Model
	if model == "" {
		model = "unknown model"
	}
	var have, lack []string
	for _, ft := range f.CPU.Features {
		if ft.Has {
			have = append(have, ft.Name)
		} else {
			lack = append(lack, ft.Name)
		}
	}
	msg := fmt.Sprintf("%s (%s); has: %s", model, f.CPU.Arch, listOr(have, "none of interest"))
	if len(lack) > 0 {
		msg += "; lacks: " + strings.Join(lack, " ")
	}
	switch {
	case f.CPU.Arch == "amd64" && !f.CPU.Has("avx2"):
		r.add("cpu", Warn, "", "run on a CPU with AVX2 (x86 since 2013); check GODEBUG does not switch it off",
			"%s; without AVX2 only the generic Go kernels run, several times slower", msg)
	default:
		r.add("cpu", Pass, "", "", "%s", msg)
	}
}

func listOr(s []string, none string) string {
	if len(s) == 0 {
		return none
	}
	return strings.Join(s, " ")
}

func checkKernels(r *Report, cfg *config.Config, f Facts) {
	var avail, names []string
	best := "generic"
	for _, k := range f.KernelSets {
		names = append(names, k.Name)
		if k.Available {
			avail = append(avail, k.Name)
			best = k.Name // Implementations lists the strongest last
		}
	}
	want := cfg.Runtime.Kernels
	sets := fmt.Sprintf("this build has %s; the CPU supports %s", strings.Join(names, ", "), strings.Join(avail, ", "))
	switch {
	case want == "auto" || want == "":
		if f.Kernels != best {
			r.add("kernels", Warn, "runtime.kernels", "unset BITNET_KERNELS or set it to auto",
				"%s kernels are active although %s is available (%s)", f.Kernels, best, sets)
			return
		}
		r.add("kernels", Pass, "", "", "%s kernels will run (auto; %s)", best, sets)
	case !slices.Contains(names, want):
		r.add("kernels", Fail, "runtime.kernels", "set runtime.kernels to auto or one of "+strings.Join(avail, ", "),
			"runtime.kernels = %s, but this build has no such kernels (%s)", want, sets)
	case !slices.Contains(avail, want):
		r.add("kernels", Fail, "runtime.kernels", "set runtime.kernels to auto or one of "+strings.Join(avail, ", "),
			"runtime.kernels = %s, but the CPU does not support it (%s)", want, sets)
	case want != best:
		r.add("kernels", Warn, "runtime.kernels", "set runtime.kernels to auto unless you are testing",
			"%s kernels forced although %s is faster here (%s)", want, best, sets)
	default:
		r.add("kernels", Pass, "", "", "%s kernels will run (%s)", want, sets)
	}
}

func checkCores(r *Report, cfg *config.Config, f Facts) {
	threads := cfg.Runtime.Threads
	src := "runtime.threads"
	if threads == 0 {
		threads, src = f.GOMAXPROCS, "GOMAXPROCS"
	}
	phys := "unknown"
	if f.CPU.Physical > 0 {
		phys = fmt.Sprint(f.CPU.Physical)
	}
	msg := fmt.Sprintf("%d logical CPUs, %s physical cores; %d worker threads (%s)", f.CPU.Logical, phys, threads, src)
	if threads > f.CPU.Logical {
		r.add("cores", Warn, "runtime.threads", fmt.Sprintf("set runtime.threads to at most %d", f.CPU.Logical),
			"%s: more threads than CPUs slows every step", msg)
		return
	}
	r.add("cores", Pass, "", "", "%s", msg)
}

func checkMemory(r *Report, cfg *config.Config, need *MemoryEstimate, f Facts) {
	if need == nil {
		r.add("memory", Skip, "", "", "no estimate: the model did not load (see the model findings)")
		return
	}
	fixCtx := "lower memory.context (--ctx), use memory.kv_type = q8, or free memory"
	switch {
	case f.RAM.Total == 0:
		r.add("memory", Warn, "", "check free memory yourself", "the model needs %s; RAM is unknown (%s)", need, f.RAM.Reason)
		return
	case uint64(need.Total) > f.RAM.Total:
		r.add("memory", Fail, "memory.context", fixCtx, "the model needs %s, more than the %s of RAM", need, humanBytes(int64(f.RAM.Total)))
		return
	case f.RAM.Available == 0:
		r.add("memory", Warn, "", "check free memory yourself", "the model needs %s of %s RAM; available memory is unknown (%s)", need, humanBytes(int64(f.RAM.Total)), f.RAM.Reason)
		return
	case uint64(need.Total) > f.RAM.Available:
		r.add("memory", Warn, "memory.context", fixCtx, "the model needs %s but only %s of %s is available: expect paging", need, humanBytes(int64(f.RAM.Available)), humanBytes(int64(f.RAM.Total)))
		return
	}
	if cfg.Memory.KVBudget.IsAuto() {
		r.add("memory", Pass, "", "", "the model needs %s; %s of %s RAM available; the KV budget is auto (the engine sizes it for scheduler.max_seqs/4 full contexts)",
			need, humanBytes(int64(f.RAM.Available)), humanBytes(int64(f.RAM.Total)))
		return
	}
	budget := cfg.Memory.KVBudget.Resolve(f.RAM.Total)
	if need.KV > budget {
		r.add("memory", Warn, "memory.kv_budget", "raise memory.kv_budget or lower memory.context",
			"one sequence's KV cache at context %d takes %s, above memory.kv_budget = %s (%s)", need.Context, humanBytes(need.KV), cfg.Memory.KVBudget, humanBytes(budget))
		return
	}
	seqs := "any number of"
	if need.KV > 0 {
		seqs = fmt.Sprint(budget / need.KV)
	}
	r.add("memory", Pass, "", "", "the model needs %s; %s of %s RAM available; the KV budget %s (%s) holds %s full-context sequences",
		need, humanBytes(int64(f.RAM.Available)), humanBytes(int64(f.RAM.Total)), cfg.Memory.KVBudget, humanBytes(budget), seqs)
}

// Disk thresholds: below diskFail nothing can be written; below diskWarn a
// model conversion (a 2B model is about 1.2 GB) may not fit.
const (
	diskFail = 64 << 20
	diskWarn = 4 << 30
)

func checkDisk(r *Report, f Facts) {
	d := f.Disk
	switch {
	case d.Reason != "":
		r.add("disk", Warn, d.Path, "check the free space yourself", "free space unknown: %s", d.Reason)
	case d.Free < diskFail:
		r.add("disk", Fail, d.Path, "free disk space where the models live", "only %s free", humanBytes(int64(d.Free)))
	case d.Free < diskWarn:
		r.add("disk", Warn, d.Path, "free disk space before converting or downloading models", "%s free of %s; a 2B-4T conversion needs about 2.5 GiB", humanBytes(int64(d.Free)), humanBytes(int64(d.Total)))
	default:
		r.add("disk", Pass, d.Path, "", "%s free of %s", humanBytes(int64(d.Free)), humanBytes(int64(d.Total)))
	}
}

func checkGPU(r *Report, cfg *config.Config, f Facts) {
	g := f.GPU
	var parts []string
	if g.Driver != "" {
		parts = append(parts, "driver: "+g.Driver)
	}
	if len(g.Devices) > 0 {
		parts = append(parts, fmt.Sprintf("%d device(s): %s", len(g.Devices), strings.Join(g.Devices, "; ")))
	}
	for _, l := range g.LibCUDA {
		parts = append(parts, "libcuda: "+l.Path)
	}
	for _, l := range g.NVRTC {
		v := l.Version
		if v == "" {
			v = "unversioned"
		}
		parts = append(parts, fmt.Sprintf("nvrtc %s: %s", v, l.Path))
	}
	found := strings.Join(parts, "; ")
	if found == "" {
		found = "nothing found"
	}
	why := strings.Join(g.Reasons, "; ")
	dev := cfg.Runtime.Device
	switch {
	case dev == "cpu":
		r.add("gpu", Pass, "", "", "not used (runtime.device = cpu); %s", found)
	case dev == "auto" && !g.Usable():
		r.add("gpu", Pass, "", "", "unavailable, so runtime.device = auto uses the CPU: %s", why)
	case dev == "auto" && len(g.NVRTC) == 0:
		r.add("gpu", Warn, "", "install NVRTC (the CUDA toolkit's libnvrtc) or set runtime.device = cpu", "%s; without NVRTC the GPU kernels cannot be compiled, so auto falls back to the CPU", found)
	case dev == "auto":
		r.add("gpu", Pass, "", "", "%s (presence only: the CUDA backend checks that the device works)", found)
	case !g.Usable() || len(g.NVRTC) == 0:
		r.add("gpu", Fail, "runtime.device", "install the NVIDIA driver, CUDA and NVRTC, or set runtime.device = auto or cpu",
			"runtime.device = %s but the GPU is unavailable: %s", dev, strings.Join(g.Reasons, "; "))
	default:
		n := 0
		fmt.Sscanf(strings.TrimPrefix(dev, "cuda:"), "%d", &n)
		if n >= len(g.Devices) {
			r.add("gpu", Fail, "runtime.device", fmt.Sprintf("use cuda:0 … cuda:%d", len(g.Devices)-1), "runtime.device = %s but only %d device(s) exist: %s", dev, len(g.Devices), found)
			return
		}
		r.add("gpu", Pass, "", "", "%s (presence only: the CUDA backend checks that the device works)", found)
	}
}

func checkPort(r *Report, cfg *config.Config, f Facts) {
	if f.PortErr != "" {
		r.add("port", Fail, "server.addr", "stop the process using it, or choose another address with --addr or BITNET_SERVER_ADDR",
			"bitnet serve cannot listen on %s: %s", cfg.Server.Addr, f.PortErr)
		return
	}
	r.add("port", Pass, "server.addr", "", "%s is free for bitnet serve", cfg.Server.Addr)
}

func checkSecurity(r *Report, cfg *config.Config, f Facts) {
	if f.KeyFileErr != "" {
		r.add("security", Fail, "server.api_key_file", "create the file with one key per line, or unset server.api_key_file",
			"cannot use the API key file: %s", f.KeyFileErr)
		return
	}
	host, _, _ := net.SplitHostPort(cfg.Server.Addr)
	ip := net.ParseIP(host)
	loopback := host == "localhost" || ip != nil && ip.IsLoopback()
	keys := len(cfg.Server.APIKeys) > 0 || cfg.Server.APIKeyFile != ""
	switch {
	case !loopback && !keys:
		r.add("security", Warn, "server.addr", "set server.api_keys or server.api_key_file, or listen on 127.0.0.1",
			"%s is reachable from the network and no API key is configured: anyone there can use the server", cfg.Server.Addr)
	case slices.Contains(cfg.Server.CORSOrigins, "*") && keys:
		r.add("security", Warn, "server.cors_origins", "list the origins that may call the server",
			"CORS allows every origin while API keys are in use: any web page can call the server with a key it obtains")
	default:
		auth := "no API keys (local only)"
		if keys {
			auth = "API keys required"
		}
		r.add("security", Pass, "", "", "%s; %s", cfg.Server.Addr, auth)
	}
}
