//go:build !amd64 || noasm

package kernels

// No assembly in this build: on arm64 the NEON/SDOT family is not written
// yet (it is registered as unavailable so --kernels neon gives a clear
// error), elsewhere, and with -tags noasm, only the generic kernels exist.

const useAVX2, useVNNI = false, false

func disableAll() {}

func init() {
	register("neon", false, func() {})
}
