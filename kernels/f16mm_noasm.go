//go:build (!amd64 && !arm64) || noasm

package kernels

func matMulF16(out []float32, ldo int, w []uint16, ldw, rows, K int, x []float32, ldx, T int) {
	matMulF16Generic(out, ldo, w, ldw, rows, K, x, ldx, T)
}
