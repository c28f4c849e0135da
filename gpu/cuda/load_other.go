//go:build !linux || nocuda

package cuda

import (
	"errors"
	"runtime"
)

// NVRTCPathEnv names the environment variable that overrides the NVRTC
// library path (Linux builds without the nocuda tag only).
const NVRTCPathEnv = "BITNET_NVRTC_PATH"

// reasonNoLoader says why this build cannot load CUDA: the package opens
// the driver with dlopen through purego on Linux only, and the nocuda
// build tag leaves purego out so that the binary stays fully static.
func reasonNoLoader() error {
	if runtime.GOOS == "linux" {
		return unavailable("this binary was built with -tags nocuda", []error{errors.New("no CUDA loader compiled in")})
	}
	return unavailable("the CUDA backend supports Linux only", []error{errors.New("GOOS=" + runtime.GOOS)})
}

// Load reports that CUDA is unavailable in this build.
func Load() (*Driver, error) { return nil, reasonNoLoader() }

// LoadNVRTC reports that NVRTC is unavailable in this build.
func LoadNVRTC() (*NVRTC, error) { return nil, reasonNoLoader() }
