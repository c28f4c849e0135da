//go:build (!amd64 && !arm64) || noasm

package kernels

func dotF16(w []uint16, x []float32) float32 { return dotF16Generic(w, x) }
