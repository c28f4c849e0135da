//go:build !noasm

package kernels

// tq2MatMul has no dedicated kernel in this build; see tq2mm_generic.go.
func tq2MatMul(out []float32, ldo int, w []byte, rows, K, T int, q []int8, da []float32) {
	tq2MatMulPerToken(out, ldo, w, rows, K, T, q, da)
}
