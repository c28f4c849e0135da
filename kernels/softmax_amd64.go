//go:build !noasm

package kernels

// softmaxScaleAVX512 is softmaxScaleGeneric for n > 0 elements: the
// maximum, the exponentials (expNeg in eight float64 lanes: the same fused
// operations, VRNDSCALEPD for the floor and VSCALEFPD for 2^n), the
// 16-lane float64 sum and its tree are those of the Go code, so the bits
// are equal.
//
//go:noescape
func softmaxScaleAVX512(x *float32, n int, scale float32)

func softmaxScale(x []float32, scale float32) {
	if useVNNI && len(x) > 0 {
		softmaxScaleAVX512(&x[0], len(x), scale)
		return
	}
	softmaxScaleGeneric(x, scale)
}
