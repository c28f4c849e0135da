//go:build (!amd64 && !arm64) || noasm

package kernels

func matVecU8I8(out []int32, w []int8, a []byte) { matVecU8I8Generic(out, w, a) }
