//go:build !noasm

package kernels

// arm64 has no kernel for this family yet; it forwards to generic, as the
// noasm build does.
func matMulF16(out []float32, ldo int, w []uint16, ldw, rows, K int, x []float32, ldx, T int) {
	matMulF16Generic(out, ldo, w, ldw, rows, K, x, ldx, T)
}
