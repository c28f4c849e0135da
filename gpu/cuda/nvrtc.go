package cuda

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
)

// unavailable builds the error Load returns: ErrUnavailable, a summary and
// every reason.
func unavailable(summary string, reasons []error) error {
	return fmt.Errorf("%w: %s: %w", ErrUnavailable, summary, errors.Join(reasons...))
}

// nvrtcResult is NVRTC's status code.
type nvrtcResult int32

// nvrtcProgram is NVRTC's opaque program handle.
type nvrtcProgram uintptr

// NVRTC is the loaded run-time compiler. It is safe for concurrent use:
// NVRTC is thread-safe across programs, and each Compile uses its own.
type NVRTC struct {
	Path         string // the library file that was opened
	Major, Minor int    // nvrtcVersion
	archs        []int  // supported compute capabilities (e.g. 80, 90); nil if unknown

	// nvrtcResult nvrtcVersion(int *major, int *minor);
	nvrtcVersion func(major, minor *int32) nvrtcResult
	// const char *nvrtcGetErrorString(nvrtcResult result);
	nvrtcGetErrorString func(r nvrtcResult) string
	// nvrtcResult nvrtcCreateProgram(nvrtcProgram *prog, const char *src, const char *name,
	//     int numHeaders, const char * const *headers, const char * const *includeNames);
	nvrtcCreateProgram func(prog *nvrtcProgram, src *byte, name *byte, numHeaders int32, headers, includeNames **byte) nvrtcResult
	// nvrtcResult nvrtcCompileProgram(nvrtcProgram prog, int numOptions, const char * const *options);
	nvrtcCompileProgram func(prog nvrtcProgram, numOptions int32, options **byte) nvrtcResult
	// nvrtcResult nvrtcGetProgramLogSize(nvrtcProgram prog, size_t *logSizeRet);
	nvrtcGetProgramLogSize func(prog nvrtcProgram, size *uint64) nvrtcResult
	// nvrtcResult nvrtcGetProgramLog(nvrtcProgram prog, char *log);
	nvrtcGetProgramLog func(prog nvrtcProgram, log *byte) nvrtcResult
	// nvrtcResult nvrtcGetPTXSize(nvrtcProgram prog, size_t *ptxSizeRet);
	nvrtcGetPTXSize func(prog nvrtcProgram, size *uint64) nvrtcResult
	// nvrtcResult nvrtcGetPTX(nvrtcProgram prog, char *ptx);
	nvrtcGetPTX func(prog nvrtcProgram, ptx *byte) nvrtcResult
	// nvrtcResult nvrtcDestroyProgram(nvrtcProgram *prog);
	nvrtcDestroyProgram func(prog *nvrtcProgram) nvrtcResult
	// nvrtcResult nvrtcGetNumSupportedArchs(int *numArchs);  (optional, NVRTC 11.2+)
	nvrtcGetNumSupportedArchs func(n *int32) nvrtcResult
	// nvrtcResult nvrtcGetSupportedArchs(int *supportedArchs);  (optional, NVRTC 11.2+)
	nvrtcGetSupportedArchs func(archs *int32) nvrtcResult
}

func (nv *NVRTC) symbols() []binding {
	return []binding{
		{"nvrtcVersion", &nv.nvrtcVersion},
		{"nvrtcGetErrorString", &nv.nvrtcGetErrorString},
		{"nvrtcCreateProgram", &nv.nvrtcCreateProgram},
		{"nvrtcCompileProgram", &nv.nvrtcCompileProgram},
		{"nvrtcGetProgramLogSize", &nv.nvrtcGetProgramLogSize},
		{"nvrtcGetProgramLog", &nv.nvrtcGetProgramLog},
		{"nvrtcGetPTXSize", &nv.nvrtcGetPTXSize},
		{"nvrtcGetPTX", &nv.nvrtcGetPTX},
		{"nvrtcDestroyProgram", &nv.nvrtcDestroyProgram},
	}
}

// init reads the version and the supported architectures.
func (nv *NVRTC) init() error {
	var maj, min int32
	if r := nv.nvrtcVersion(&maj, &min); r != 0 {
		return nv.err("nvrtcVersion", r)
	}
	nv.Major, nv.Minor = int(maj), int(min)
	if nv.nvrtcGetNumSupportedArchs != nil && nv.nvrtcGetSupportedArchs != nil {
		var n int32
		if nv.nvrtcGetNumSupportedArchs(&n) == 0 && n > 0 && n < 256 {
			a := make([]int32, n)
			if nv.nvrtcGetSupportedArchs(&a[0]) == 0 {
				for _, v := range a {
					nv.archs = append(nv.archs, int(v))
				}
			}
		}
	}
	return nil
}

func (nv *NVRTC) err(op string, r nvrtcResult) error {
	return fmt.Errorf("cuda: %s: %s (nvrtcResult %d)", op, nv.nvrtcGetErrorString(r), int32(r))
}

// Version is "major.minor".
func (nv *NVRTC) Version() string { return fmt.Sprintf("%d.%d", nv.Major, nv.Minor) }

// SupportedArchs lists the compute capabilities NVRTC can target (e.g. 52
// … 90), or nil when this NVRTC cannot say (before 11.2).
func (nv *NVRTC) SupportedArchs() []int { return slices.Clone(nv.archs) }

// Supports reports whether NVRTC can compile for compute capability arch.
// An NVRTC that cannot list its architectures is assumed to support it.
func (nv *NVRTC) Supports(arch int) bool {
	return nv.archs == nil || slices.Contains(nv.archs, arch)
}

// TargetArch picks the architecture to compile for on a device of
// compute capability arch: arch itself when NVRTC supports it, else the
// newest supported one below it (the driver JIT-compiles older PTX for
// newer devices), else an error.
func (nv *NVRTC) TargetArch(arch int) (int, error) {
	if nv.Supports(arch) {
		return arch, nil
	}
	best := 0
	for _, a := range nv.archs {
		if a <= arch && a > best {
			best = a
		}
	}
	if best == 0 {
		return 0, fmt.Errorf("cuda: NVRTC %s supports none of the architectures up to sm_%d (it supports %v)", nv.Version(), arch, nv.archs)
	}
	return best, nil
}

// CompileError is a failed NVRTC compilation; Log is the compiler's output.
type CompileError struct {
	Name string // program name, e.g. "gemv_i2s.cu"
	Arch int
	Err  error
	Log  string
}

func (e *CompileError) Error() string {
	return fmt.Sprintf("cuda: nvrtc: compiling %s for compute_%d: %v\n%s", e.Name, e.Arch, e.Err, strings.TrimSpace(e.Log))
}

func (e *CompileError) Unwrap() error { return e.Err }

// cstr returns s as a NUL-terminated byte slice.
func cstr(s string) []byte { return append([]byte(s), 0) }

// Compile compiles the CUDA C source src (named name in messages) to PTX
// for virtual architecture compute_<arch> with the extra options opts. It
// returns the PTX (NUL-terminated, as cuModuleLoadData wants it) and the
// compiler log. A compilation failure is a *CompileError carrying the log.
func (nv *NVRTC) Compile(src, name string, arch int, opts ...string) (ptx []byte, log string, err error) {
	if strings.IndexByte(src, 0) >= 0 || strings.IndexByte(name, 0) >= 0 {
		return nil, "", fmt.Errorf("cuda: nvrtc: %s: source or name contains a NUL byte", name)
	}
	if arch < 30 || arch > 1000 {
		return nil, "", fmt.Errorf("cuda: nvrtc: %s: architecture %d out of range", name, arch)
	}
	all := append([]string{fmt.Sprintf("--gpu-architecture=compute_%d", arch)}, opts...)
	csrc, cname := cstr(src), cstr(name)
	var prog nvrtcProgram
	if r := nv.nvrtcCreateProgram(&prog, &csrc[0], &cname[0], 0, nil, nil); r != 0 {
		return nil, "", nv.err("nvrtcCreateProgram("+name+")", r)
	}
	defer nv.nvrtcDestroyProgram(&prog)

	// The option array is Go memory holding pointers to Go memory: pin the
	// strings so that passing it obeys the cgo pointer rules.
	var pin runtime.Pinner
	defer pin.Unpin()
	copts := make([][]byte, len(all))
	ptrs := make([]*byte, len(all))
	for i, o := range all {
		if strings.IndexByte(o, 0) >= 0 {
			return nil, "", fmt.Errorf("cuda: nvrtc: option %q contains a NUL byte", o)
		}
		copts[i] = cstr(o)
		ptrs[i] = &copts[i][0]
		pin.Pin(ptrs[i])
	}
	rc := nv.nvrtcCompileProgram(prog, int32(len(ptrs)), &ptrs[0])
	runtime.KeepAlive(copts)
	log = nv.programLog(prog)
	if rc != 0 {
		return nil, log, &CompileError{Name: name, Arch: arch, Err: nv.err("nvrtcCompileProgram", rc), Log: log}
	}
	var n uint64
	if r := nv.nvrtcGetPTXSize(prog, &n); r != 0 {
		return nil, log, nv.err("nvrtcGetPTXSize", r)
	}
	if n == 0 || n > 1<<30 {
		return nil, log, fmt.Errorf("cuda: nvrtc: %s: PTX size %d out of range", name, n)
	}
	ptx = make([]byte, n)
	if r := nv.nvrtcGetPTX(prog, &ptx[0]); r != 0 {
		return nil, log, nv.err("nvrtcGetPTX", r)
	}
	return ptx, log, nil
}

// programLog returns the compiler log of prog ("" if none).
func (nv *NVRTC) programLog(prog nvrtcProgram) string {
	var n uint64
	if nv.nvrtcGetProgramLogSize(prog, &n) != 0 || n <= 1 || n > 1<<26 {
		return ""
	}
	b := make([]byte, n)
	if nv.nvrtcGetProgramLog(prog, &b[0]) != 0 {
		return ""
	}
	return strings.TrimRight(string(b), "\x00")
}
