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

// softmaxScaleAVX2 is softmaxScaleAVX512 for AVX2 (+FMA): four float64
// lanes per ymm, so the 16 lane sums are four accumulators; VROUNDPD for
// the floor, and 2^n built from the bits of n and multiplied (no
// VSCALEFPD). x − max is clamped to −200 rather than tested against −104
// (the exponentials in between round to 0: TestSoftmaxClamp), and the n
// mod 16 tail runs through a 16-element frame buffer padded with −Inf.
// The same operations in the same lanes give the bits of the Go code.
//
//go:noescape
func softmaxScaleAVX2(x *float32, n int, scale float32)

func softmaxScale(x []float32, scale float32) {
	switch {
	case len(x) == 0:
	case useVNNI:
		softmaxScaleAVX512(&x[0], len(x), scale)
	case useAVX2:
		softmaxScaleAVX2(&x[0], len(x), scale)
	default:
		softmaxScaleGeneric(x, scale)
	}
}
