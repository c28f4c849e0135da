//go:build !noasm

package kernels

// wsumF16x4NEON is WeightedSumF16 on 4 rows × ncols columns (ncols a
// positive multiple of 16, nk > 0), with ldo, ldp and ldv in elements:
// tiles of 4 rows × 16 columns whose accumulators stay in registers over
// all nk keys; each key's f16 values are widened once for the four rows.
//
//go:noescape
func wsumF16x4NEON(o *float32, ldo int, p *float32, ldp int, v *uint16, ldv int, nk int, ncols int)

// wsumF16x1NEON is wsumF16x4NEON for one row (tiles of 32 columns).
//
//go:noescape
func wsumF16x1NEON(o *float32, p *float32, v *uint16, ldv int, nk int, ncols int)

// weightedSumF16 runs the NEON tiles on the largest multiple of 16
// columns, rows in groups of 4 and the remaining rows one by one; the
// n mod 16 last columns go through the Go code. Every kernel
// multiplies then adds (each product rounded) in order of k: the bits of
// weightedSumF16Generic.
func weightedSumF16(o []float32, ldo, n int, p []float32, ldp, nq int, v []uint16, ldv, nk int) {
	if !useNEON {
		weightedSumF16Generic(o, ldo, n, p, ldp, nq, v, ldv, nk)
		return
	}
	m := n &^ 15
	if m > 0 {
		_ = o[(nq-1)*ldo+n-1]
		_ = p[(nq-1)*ldp+nk-1]
		_ = v[(nk-1)*ldv+n-1]
		j := 0
		for ; j+4 <= nq; j += 4 {
			wsumF16x4NEON(&o[j*ldo], ldo, &p[j*ldp], ldp, &v[0], ldv, nk, m)
		}
		for ; j < nq; j++ {
			wsumF16x1NEON(&o[j*ldo], &p[j*ldp], &v[0], ldv, nk, m)
		}
	}
	if m < n {
		weightedSumF16Generic(o[m:], ldo, n-m, p, ldp, nq, v[m:], ldv, nk)
	}
}
