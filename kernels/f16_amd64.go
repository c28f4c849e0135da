//go:build !noasm

package kernels

// dotF16AVX512 returns Σ w[i]·x[i] for n a positive multiple of 64
// (VCVTPH2PS + VFMADD231PS, four 16-lane accumulators). See f16_generic.go.
//
//go:noescape
func dotF16AVX512(w *uint16, x *float32, n int) float32

// dotF16AVX2 is dotF16AVX512 for n a positive multiple of 32 with 8-lane
// ymm accumulators.
//
//go:noescape
func dotF16AVX2(w *uint16, x *float32, n int) float32

// dotF16 runs the vector kernel on the largest multiple of its step and
// adds the remaining products in order.
func dotF16(w []uint16, x []float32) float32 {
	n := len(w)
	var s float32
	var i int
	switch {
	case useVNNI && n >= 64:
		i = n &^ 63
		s = dotF16AVX512(&w[0], &x[0], i)
	case useAVX2 && n >= 32:
		i = n &^ 31
		s = dotF16AVX2(&w[0], &x[0], i)
	case !useAVX2:
		return dotF16Generic(w, x)
	}
	x = x[:n]
	for ; i < n; i++ {
		s += f16Table[w[i]] * x[i]
	}
	return s
}
