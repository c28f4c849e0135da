package kernels

// tq2MatMulPerToken runs the mat-vec of this build (generic, or the arm64
// kernels) once per token. Builds without a TQ2_0 mat-mul kernel forward
// tq2MatMul here.
func tq2MatMulPerToken(out []float32, ldo int, w []byte, rows, K, T int, q []int8, da []float32) {
	nb, rb := K/256, K/256*66
	for t := range T {
		tq2MatVec(out[t*ldo:t*ldo+rows], w[:rows*rb], q[t*K:(t+1)*K], da[t*nb:(t+1)*nb])
	}
}
