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

// wsumF16x4x16AVX2 is wsumF16x4x64 for AVX2 on 4 rows × 16 columns (nk >
// 0): 8 ymm accumulators stay in registers over all k.
//
//go:noescape
func wsumF16x4x16AVX2(o *float32, ldo int, p *float32, ldp int, v *uint16, ldv int, nk int)

// wsumF16x1x32AVX2 is wsumF16x4x16AVX2 for one row and 32 columns.
//
//go:noescape
func wsumF16x1x32AVX2(o *float32, p *float32, v *uint16, ldv int, nk int)

func weightedSumF16(o []float32, ldo, n int, p []float32, ldp, nq int, v []uint16, ldv, nk int) {
	switch {
	case useVNNI && n >= 64:
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
			weightedSumF16AVX2(o[m:], ldo, n-m, p, ldp, nq, v[m:], ldv, nk)
		}
	case useAVX2:
		weightedSumF16AVX2(o, ldo, n, p, ldp, nq, v, ldv, nk)
	default:
		weightedSumF16Generic(o, ldo, n, p, ldp, nq, v, ldv, nk)
	}
}

// weightedSumF16AVX2 runs the AVX2 tiles: 4 rows × 16 columns, then the
// remaining rows 32 columns at a time, and the Go code on the columns
// left over. Every output gets the same operations in the same order of
// k, so the split does not change the bits.
func weightedSumF16AVX2(o []float32, ldo, n int, p []float32, ldp, nq int, v []uint16, ldv, nk int) {
	j := 0
	if m := n &^ 15; m > 0 && nq >= 4 {
		for ; j+4 <= nq; j += 4 {
			for c := 0; c < m; c += 16 {
				wsumF16x4x16AVX2(&o[j*ldo+c], ldo, &p[j*ldp], ldp, &v[c], ldv, nk)
			}
		}
		if m < n {
			weightedSumF16Generic(o[m:], ldo, n-m, p, ldp, j, v[m:], ldv, nk)
		}
	}
	if j == nq {
		return
	}
	m := n &^ 31
	for r := j; r < nq; r++ {
		for c := 0; c < m; c += 32 {
			wsumF16x1x32AVX2(&o[r*ldo+c], &p[r*ldp], &v[c], ldv, nk)
		}
	}
	if m < n {
		weightedSumF16Generic(o[j*ldo+m:], ldo, n-m, p[j*ldp:], ldp, nq-j, v[m:], ldv, nk)
	}
}
