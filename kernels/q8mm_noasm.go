//go:build (!amd64 && !arm64) || noasm

package kernels

func matMulU8I8(out []int32, ldo int, w []int8, rows, K int, a []byte, lda, T int) {
	matMulU8I8Generic(out, ldo, w, rows, K, a, lda, T)
}
