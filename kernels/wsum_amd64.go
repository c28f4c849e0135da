//go:build !noasm

package kernels

// wsumF16x4x64 is WeightedSumF16 on 4 rows × 64 columns (nk > 0): the 16
// accumulators stay in registers over all k.
//
//go:noescape
func wsumF16x4x64(o *float32, ldo int, p *float32, ldp int, v *uint16, ldv int, nk int)

// wsumF16x1x64 is wsumF16x4x64 for one row.
//
//go:noescape
func wsumF16x1x64(o *float32, p *float32, v *uint16, ldv int, nk int)

func weightedSumF16(o []float32, ldo, n int, p []float32, ldp, nq int, v []uint16, ldv, nk int) {
	if !useVNNI || n < 64 {
		weightedSumF16Generic(o, ldo, n, p, ldp, nq, v, ldv, nk)
		return
	}
	m := n &^ 63
	j := 0
	for ; j+4 <= nq; j += 4 {
		for c := 0; c < m; c += 64 {
			wsumF16x4x64(&o[j*ldo+c], ldo, &p[j*ldp], ldp, &v[c], ldv, nk)
		}
	}
	for ; j < nq; j++ {
		for c := 0; c < m; c += 64 {
			wsumF16x1x64(&o[j*ldo+c], &p[j*ldp], &v[c], ldv, nk)
		}
	}
	if m < n {
		weightedSumF16Generic(o[m:], ldo, n-m, p, ldp, nq, v[m:], ldv, nk)
	}
}
