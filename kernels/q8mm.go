package kernels

import "fmt"

// MatMulU8I8 is MatVecU8I8 for T tokens: out[t·ldo + r] = Σ_k a[t·lda+k]·
// w[r·K+k] for r < rows, t < T (unsigned activations times signed int8
// weights, exact in int32). The AVX-512 VNNI kernel multiplies tiles of 4
// rows × 4 tokens, so each weight row is read once for four tokens (the q8
// head of a batched decoding step).
func MatMulU8I8(out []int32, ldo int, w []int8, rows, K int, a []byte, lda, T int) {
	if rows < 0 || K < 0 || T < 0 {
		panic(fmt.Sprintf("kernels: MatMulU8I8: rows %d, K %d, T %d", rows, K, T))
	}
	if rows == 0 || T == 0 {
		return
	}
	if len(w) < rows*K {
		panic(fmt.Sprintf("kernels: MatMulU8I8: %d weights for %d rows of %d", len(w), rows, K))
	}
	if lda < K || len(a) < (T-1)*lda+K {
		panic(fmt.Sprintf("kernels: MatMulU8I8: a (len %d, lda %d) too small for %d tokens of %d", len(a), lda, T, K))
	}
	if ldo < rows || len(out) < (T-1)*ldo+rows {
		panic(fmt.Sprintf("kernels: MatMulU8I8: out (len %d, ldo %d) too small for %d tokens × %d rows", len(out), ldo, T, rows))
	}
	matMulU8I8(out, ldo, w, rows, K, a, lda, T)
}

func matMulU8I8Generic(out []int32, ldo int, w []int8, rows, K int, a []byte, lda, T int) {
	for t := range T {
		matVecU8I8(out[t*ldo:t*ldo+rows], w[:rows*K], a[t*lda:t*lda+K])
	}
}
