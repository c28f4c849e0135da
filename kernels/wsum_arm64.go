//go:build !noasm

package kernels

// The NEON AxpyF16 (FMUL then FADD) per row and key: the generic bits.
func weightedSumF16(o []float32, ldo, n int, p []float32, ldp, nq int, v []uint16, ldv, nk int) {
	weightedSumF16Axpy(o, ldo, n, p, ldp, nq, v, ldv, nk)
}
