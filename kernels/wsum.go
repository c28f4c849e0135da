package kernels

import "fmt"

// WeightedSumF16 adds to nq output rows the weighted sums of nk f16 rows —
// attention's probabilities times the values of one KV block:
//
//	o[j·ldo+i] += Σ_{k<nk} p[j·ldp+k]·v[k·ldv+i]   (j < nq, i < n)
//
// The terms are added in order of k, each product rounded to float32
// before its sum (never fused), so every output is the same whatever the
// split of the rows, the columns or the k range: a prompt's rows and a
// decoded token get the same bits. The AVX-512 kernel keeps tiles of 4
// rows × 64 columns in registers over all k (AVX2 4 × 16, NEON 4 × 16).
func WeightedSumF16(o []float32, ldo, n int, p []float32, ldp, nq int, v []uint16, ldv, nk int) {
	if n < 0 || nq < 0 || nk < 0 {
		panic(fmt.Sprintf("kernels: WeightedSumF16: n %d, nq %d, nk %d", n, nq, nk))
	}
	if n == 0 || nq == 0 || nk == 0 {
		return
	}
	if ldo < n || len(o) < (nq-1)*ldo+n {
		panic(fmt.Sprintf("kernels: WeightedSumF16: o (len %d, ldo %d) too small for %d rows of %d", len(o), ldo, nq, n))
	}
	if ldp < nk || len(p) < (nq-1)*ldp+nk {
		panic(fmt.Sprintf("kernels: WeightedSumF16: p (len %d, ldp %d) too small for %d rows of %d", len(p), ldp, nq, nk))
	}
	if ldv < n || len(v) < (nk-1)*ldv+n {
		panic(fmt.Sprintf("kernels: WeightedSumF16: v (len %d, ldv %d) too small for %d rows of %d", len(v), ldv, nk, n))
	}
	weightedSumF16(o, ldo, n, p, ldp, nq, v, ldv, nk)
}
