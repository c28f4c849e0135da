//go:build !noasm

package kernels

// readStream on arm64 is the Go loop: untimed on NEON hardware so far
// (issue 14), and the four independent 64-bit sums already issue one load
// per word without a dependency chain.
func readStream(b []byte) uint64 { return readStreamGeneric(b) }
