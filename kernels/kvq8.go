package kernels

import "fmt"

// ScoresI8 is the product of int8 rows (rows × K, row r at k[r·ldk:]) with
// T float32 rows: out[t·ldo + r] = Σ_i x[t·ldx+i]·k[r·ldk+i] for r < rows,
// t < T. It computes the attention scores of query rows against a block of
// keys of the q8 KV cache (the caller multiplies each by its key's scale).
//
// The sum is defined by dotI8Lanes16, so that every kernel set gives the
// same bits and an output depends only on its row and token, never on T,
// rows or the tiling: 16 float32 lanes (element i into lane i mod 16,
// ascending), each product rounded to float32 before it is added (never
// fused), the lanes reduced in the tree of dotF16Lanes16, then the K mod
// 16 remaining products added in order. The AVX-512 kernels convert each
// 16 int8 of four rows once for four tokens (tiles of 4 rows × 4 tokens);
// the AVX2 kernels keep the 16 lanes in two ymm registers (2 × 2 tiles).
func ScoresI8(out []float32, ldo int, k []int8, ldk, rows, K int, x []float32, ldx, T int) {
	if rows < 0 || K < 0 || T < 0 {
		panic(fmt.Sprintf("kernels: ScoresI8: rows %d, K %d, T %d", rows, K, T))
	}
	if rows == 0 || T == 0 {
		return
	}
	if ldk < K || len(k) < (rows-1)*ldk+K {
		panic(fmt.Sprintf("kernels: ScoresI8: k (len %d, ldk %d) too small for %d rows of %d", len(k), ldk, rows, K))
	}
	if ldx < K || len(x) < (T-1)*ldx+K {
		panic(fmt.Sprintf("kernels: ScoresI8: x (len %d, ldx %d) too small for %d tokens of %d", len(x), ldx, T, K))
	}
	if ldo < rows || len(out) < (T-1)*ldo+rows {
		panic(fmt.Sprintf("kernels: ScoresI8: out (len %d, ldo %d) too small for %d tokens × %d rows", len(out), ldo, T, rows))
	}
	scoresI8(out, ldo, k, ldk, rows, K, x, ldx, T)
}

// WeightedSumI8 adds to nq output rows the weighted sums of nk int8 rows
// with one scale each — attention's probabilities times the values of one
// block of the q8 KV cache:
//
//	o[j·ldo+i] += Σ_{k<nk} a_jk·v[k·ldv+i],  a_jk = p[j·ldp+k]·vs[k·ldvs]
//
// for j < nq, i < n. The weight a_jk is rounded to float32, each product
// a_jk·v is rounded before it is added (never fused), and the terms are
// added in order of k, as in WeightedSumF16: every output is the same on
// every kernel set and for any split of the rows, columns or k range. The
// AVX-512 kernel keeps tiles of 4 rows × 64 columns in registers over all
// k; the AVX2 kernel tiles of 2 rows × 32 columns.
func WeightedSumI8(o []float32, ldo, n int, p []float32, ldp, nq int, v []int8, ldv int, vs []float32, ldvs int, nk int) {
	if n < 0 || nq < 0 || nk < 0 {
		panic(fmt.Sprintf("kernels: WeightedSumI8: n %d, nq %d, nk %d", n, nq, nk))
	}
	if n == 0 || nq == 0 || nk == 0 {
		return
	}
	if ldo < n || len(o) < (nq-1)*ldo+n {
		panic(fmt.Sprintf("kernels: WeightedSumI8: o (len %d, ldo %d) too small for %d rows of %d", len(o), ldo, nq, n))
	}
	if ldp < nk || len(p) < (nq-1)*ldp+nk {
		panic(fmt.Sprintf("kernels: WeightedSumI8: p (len %d, ldp %d) too small for %d rows of %d", len(p), ldp, nq, nk))
	}
	if ldv < n || len(v) < (nk-1)*ldv+n {
		panic(fmt.Sprintf("kernels: WeightedSumI8: v (len %d, ldv %d) too small for %d rows of %d", len(v), ldv, nk, n))
	}
	if ldvs < 1 || len(vs) < (nk-1)*ldvs+1 {
		panic(fmt.Sprintf("kernels: WeightedSumI8: vs (len %d, ldvs %d) too small for %d scales", len(vs), ldvs, nk))
	}
	weightedSumI8(o, ldo, n, p, ldp, nq, v, ldv, vs, ldvs, nk)
}
