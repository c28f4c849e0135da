//go:build (!amd64 && !arm64) || noasm

package kernels

func readStream(b []byte) uint64 { return readStreamGeneric(b) }
