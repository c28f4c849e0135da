//go:build !noasm

package kernels

// arm64 has no kernel for this family yet; it forwards to generic, as the
// noasm build does.
func matMulU8I8(out []int32, ldo int, w []int8, rows, K int, a []byte, lda, T int) {
	matMulU8I8Generic(out, ldo, w, rows, K, a, lda, T)
}
