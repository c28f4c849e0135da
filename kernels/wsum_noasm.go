//go:build (!amd64 && !arm64) || noasm

package kernels

func weightedSumF16(o []float32, ldo, n int, p []float32, ldp, nq int, v []uint16, ldv, nk int) {
	weightedSumF16Generic(o, ldo, n, p, ldp, nq, v, ldv, nk)
}
