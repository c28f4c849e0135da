//go:build (!amd64 && !arm64) || noasm

package kernels

func dotF16(w []uint16, x []float32) float32 { return dotF16Generic(w, x) }

func axpyF16(y []float32, a float32, x []uint16) { axpyF16Generic(y, a, x) }
