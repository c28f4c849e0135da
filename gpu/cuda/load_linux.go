//go:build linux && !nocuda

package cuda

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/ebitengine/purego"
)

var (
	loadOnce sync.Once
	loaded   *Driver
	loadErr  error

	nvrtcOnce   sync.Once
	nvrtcLoaded *NVRTC
	nvrtcErr    error
)

// Load opens the CUDA driver API and NVRTC, initialises the driver and
// checks that there is at least one device. It runs once per process;
// later calls return the same result. On failure the error wraps
// ErrUnavailable and every reason (each library name tried, the cuInit
// status, the device count). The libraries stay open for the life of the
// process, because the registered functions point into them.
func Load() (*Driver, error) {
	loadOnce.Do(func() { loaded, loadErr = load() })
	return loaded, loadErr
}

// driverNames are the libcuda sonames to try, in order: the versioned
// soname the driver package always installs, then the development link.
var driverNames = []string{"libcuda.so.1", "libcuda.so"}

func load() (*Driver, error) {
	d := &Driver{}
	lib, path, reasons := dlopenFirst(driverNames)
	if lib == 0 {
		return nil, unavailable("no CUDA driver library", reasons)
	}
	d.Path = path
	if err := register(lib, d.symbols()); err != nil {
		purego.Dlclose(lib)
		return nil, unavailable("CUDA driver library "+path+" is incomplete", []error{err})
	}
	if r := d.cuInit(0); r != Success {
		err := d.check("cuInit", r)
		purego.Dlclose(lib)
		if r == ErrorNoDevice {
			return nil, unavailable("no CUDA device", []error{err})
		}
		return nil, unavailable("the CUDA driver did not initialise", []error{err})
	}
	n, err := d.DeviceCount()
	if err != nil {
		return nil, unavailable("cannot count CUDA devices", []error{err})
	}
	if n == 0 {
		return nil, unavailable("no CUDA device", []error{errors.New("cuDeviceGetCount returned 0")})
	}
	nv, err := LoadNVRTC()
	if err != nil {
		return nil, err
	}
	d.NVRTC = nv
	return d, nil
}

// LoadNVRTC opens NVRTC alone: it is all that compiling kernels needs, so
// the PTX tests run on machines without a GPU. It tries, in order, the
// file named by $BITNET_NVRTC_PATH, then libnvrtc.so, libnvrtc.so.12,
// libnvrtc.so.11.2, then versioned names found in /etc/ld.so.cache and the
// usual CUDA directories, newest first. It runs once per process.
func LoadNVRTC() (*NVRTC, error) {
	nvrtcOnce.Do(func() { nvrtcLoaded, nvrtcErr = loadNVRTC() })
	return nvrtcLoaded, nvrtcErr
}

// NVRTCPathEnv names the environment variable that overrides the NVRTC
// library path.
const NVRTCPathEnv = "BITNET_NVRTC_PATH"

func nvrtcCandidates() []string {
	var names []string
	if p := os.Getenv(NVRTCPathEnv); p != "" {
		names = append(names, p)
	}
	names = append(names, "libnvrtc.so", "libnvrtc.so.12", "libnvrtc.so.11.2")
	var found []string
	if b, err := os.ReadFile("/etc/ld.so.cache"); err == nil {
		found = append(found, nvrtcInCache(b)...)
	}
	dirs := []string{"/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib", "/usr/local/cuda/targets/sbsa-linux/lib",
		"/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/opt/cuda/lib64"}
	for _, env := range []string{"CUDA_HOME", "CUDA_PATH"} {
		if p := os.Getenv(env); p != "" {
			dirs = append(dirs, filepath.Join(p, "lib64"), filepath.Join(p, "lib"))
		}
	}
	if m, _ := filepath.Glob("/usr/local/cuda-*/lib64"); len(m) > 0 {
		dirs = append(dirs, m...)
	}
	for _, dir := range dirs {
		m, _ := filepath.Glob(filepath.Join(dir, "libnvrtc.so.*"))
		for _, f := range m {
			if nvrtcSoname.MatchString(filepath.Base(f)) {
				found = append(found, f)
			}
		}
	}
	sortNewestFirst(found)
	for _, f := range found {
		if !slices.Contains(names, f) {
			names = append(names, f)
		}
	}
	return names
}

// nvrtcSoname matches libnvrtc.so.<version> (not libnvrtc-builtins).
var nvrtcSoname = regexp.MustCompile(`^libnvrtc\.so\.[0-9]+(\.[0-9]+)*$`)

// nvrtcInCache extracts the NVRTC library paths named in an ld.so.cache
// image: its string table holds the sonames and full paths as
// NUL-terminated strings.
func nvrtcInCache(b []byte) []string {
	var out []string
	for _, s := range bytes.Split(b, []byte{0}) {
		if len(s) == 0 || s[0] != '/' || len(s) > 4096 {
			continue
		}
		p := string(s)
		if nvrtcSoname.MatchString(filepath.Base(p)) && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// sortNewestFirst orders library paths by the version after ".so.",
// highest first.
func sortNewestFirst(paths []string) {
	version := func(p string) []int {
		_, v, _ := strings.Cut(filepath.Base(p), ".so.")
		var out []int
		for _, f := range strings.Split(v, ".") {
			n, _ := strconv.Atoi(f)
			out = append(out, n)
		}
		return out
	}
	slices.SortStableFunc(paths, func(a, b string) int { return slices.Compare(version(b), version(a)) })
}

func loadNVRTC() (*NVRTC, error) {
	lib, path, reasons := dlopenFirst(nvrtcCandidates())
	if lib == 0 {
		return nil, unavailable("no NVRTC library (install CUDA's libnvrtc, e.g. Debian's libnvrtc11.2, or set "+NVRTCPathEnv+")", reasons)
	}
	nv := &NVRTC{Path: path}
	if err := register(lib, nv.symbols()); err != nil {
		purego.Dlclose(lib)
		return nil, unavailable("NVRTC library "+path+" is incomplete", []error{err})
	}
	// Optional symbols (NVRTC 11.2+).
	for _, b := range []binding{{"nvrtcGetNumSupportedArchs", &nv.nvrtcGetNumSupportedArchs}, {"nvrtcGetSupportedArchs", &nv.nvrtcGetSupportedArchs}} {
		if sym, err := purego.Dlsym(lib, b.name); err == nil && sym != 0 {
			if registerOne(b, sym) != nil {
				nv.nvrtcGetNumSupportedArchs, nv.nvrtcGetSupportedArchs = nil, nil
			}
		}
	}
	if err := nv.init(); err != nil {
		purego.Dlclose(lib)
		return nil, unavailable("NVRTC library "+path+" does not work", []error{err})
	}
	return nv, nil
}

// dlopenFirst opens the first library of names that loads, returning its
// handle and name, or 0 and one reason per name.
func dlopenFirst(names []string) (uintptr, string, []error) {
	var reasons []error
	for _, n := range names {
		lib, err := purego.Dlopen(n, purego.RTLD_NOW|purego.RTLD_GLOBAL)
		if err == nil && lib != 0 {
			return lib, n, nil
		}
		reasons = append(reasons, fmt.Errorf("could not load %q: %v", n, err))
	}
	return 0, "", reasons
}

// register resolves every binding with Dlsym and RegisterFunc. It never
// calls RegisterLibFunc, which panics on a missing symbol; a missing
// symbol is an error naming it.
func register(lib uintptr, bs []binding) error {
	var missing []error
	for _, b := range bs {
		sym, err := purego.Dlsym(lib, b.name)
		if err != nil || sym == 0 {
			missing = append(missing, fmt.Errorf("could not load %q: %v", b.name, err))
			continue
		}
		if err := registerOne(b, sym); err != nil {
			missing = append(missing, err)
		}
	}
	return errors.Join(missing...)
}

// registerOne registers one symbol, turning a RegisterFunc panic (an
// unsupported Go signature: a bug here) into an error.
func registerOne(b binding, sym uintptr) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("could not register %q: %v", b.name, r)
		}
	}()
	purego.RegisterFunc(b.fptr, sym)
	return nil
}
