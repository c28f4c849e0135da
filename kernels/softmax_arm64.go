//go:build !noasm

package kernels

// softmaxScaleMaxNEON replaces x[i] by x[i]·scale (float32 products) for n
// a positive multiple of 16 and returns the largest (FMAX: a NaN makes the
// result NaN, and then every output of the softmax is NaN, as in the Go
// code, where the NaN element's exponential is NaN).
//
//go:noescape
func softmaxScaleMaxNEON(x *float32, n int, scale float32) float32

// softmaxExpNEON replaces x[i] by expNeg(x[i] − max) for n a positive
// multiple of 16 and stores the float64 lane sums of the results in acc
// (element i into lane i mod 16, in order): expNeg's fused operations in
// two float64 lanes per register, four chains at a time (see the .s file).
//
//go:noescape
func softmaxExpNEON(x *float32, n int, max float32, acc *[16]float64)

// softmaxMulNEON replaces x[i] by x[i]·s for n a positive multiple of 16.
//
//go:noescape
func softmaxMulNEON(x *float32, n int, s float32)

// softmaxScale runs the three passes of softmaxScaleGeneric with the NEON
// kernels on the largest multiple of 16 elements and the Go code on the
// rest: the tail's exponentials continue the lane sums where the kernel
// left them (lanes 0..n mod 16 − 1 after every full chunk), so every lane
// adds its elements in the order of the Go code and the bits are equal.
func softmaxScale(x []float32, scale float32) {
	n := len(x)
	if !useNEON || n < 16 {
		softmaxScaleGeneric(x, scale)
		return
	}
	m := n &^ 15
	maxv := softmaxScaleMaxNEON(&x[0], m, scale)
	for i := m; i < n; i++ {
		v := x[i] * scale
		x[i] = v
		if v > maxv {
			maxv = v
		}
	}
	var acc [16]float64
	softmaxExpNEON(&x[0], m, maxv, &acc)
	for i := m; i < n; i++ {
		e := expNeg(x[i] - maxv)
		x[i] = e
		acc[i&15] += float64(e)
	}
	inv := float32(1 / sumLanes16(&acc))
	softmaxMulNEON(&x[0], m, inv)
	for i := m; i < n; i++ {
		x[i] *= inv
	}
}
