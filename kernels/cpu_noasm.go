//go:build (!amd64 && !arm64) || noasm

package kernels

// No assembly in this build: on architectures other than amd64 and arm64,
// and with -tags noasm, only the generic kernels exist. "neon" stays
// registered as unavailable so --kernels neon gives a clear error.

const useAVX2, useVNNI = false, false

func disableAll() {}

func init() {
	register("neon", false, func() {})
}
