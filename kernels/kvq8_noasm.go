//go:build (!amd64 && !arm64) || noasm

package kernels

func scoresI8(out []float32, ldo int, k []int8, ldk, rows, K int, x []float32, ldx, T int) {
	scoresI8Generic(out, ldo, k, ldk, rows, K, x, ldx, T)
}

func weightedSumI8(o []float32, ldo, n int, p []float32, ldp, nq int, v []int8, ldv int, vs []float32, ldvs int, nk int) {
	weightedSumI8Generic(o, ldo, n, p, ldp, nq, v, ldv, vs, ldvs, nk)
}
