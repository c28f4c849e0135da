//go:build !noasm

package kernels

// dotF16NEON returns Σ w[i]·x[i] for n a positive multiple of 32 (FCVTL +
// FMLA, eight 4-lane accumulators). See f16_generic.go.
//
//go:noescape
func dotF16NEON(w *uint16, x *float32, n int) float32

// dotF16 runs the vector kernel on the largest multiple of its step and
// adds the remaining products in order.
func dotF16(w []uint16, x []float32) float32 {
	n := len(w)
	if !useNEON || n < 32 {
		return dotF16Generic(w, x)
	}
	i := n &^ 31
	s := dotF16NEON(&w[0], &x[0], i)
	x = x[:n]
	for ; i < n; i++ {
		s += f16Table[w[i]] * x[i]
	}
	return s
}
