//go:build !noasm

package kernels

// i8Dot1x4NEON stores out[t·ldo] = the 16-lane sum of k·x[t·ldx:] over n
// elements (see dotI8Lanes16) for t < 4, n a positive multiple of 16 (ldx
// and ldo in elements): each 16 int8 of the key row are converted once for
// the four tokens.
//
//go:noescape
func i8Dot1x4NEON(k *int8, x *float32, ldx int, n int, out *float32, ldo int)

// i8Dot1x1NEON returns the 16-lane sum of k·x over n elements (a positive
// multiple of 16).
//
//go:noescape
func i8Dot1x1NEON(k *int8, x *float32, n int) float32

// wsumI8x4NEON is WeightedSumI8 on 4 rows × ncols columns (ncols a
// positive multiple of 16, nk > 0; strides in elements): tiles of 4 rows ×
// 16 columns whose accumulators stay in registers over all nk keys.
//
//go:noescape
func wsumI8x4NEON(o *float32, ldo int, p *float32, ldp int, v *int8, ldv int, vs *float32, ldvs int, nk int, ncols int)

// wsumI8x1NEON is wsumI8x4NEON for one row (tiles of 32 columns).
//
//go:noescape
func wsumI8x1NEON(o *float32, p *float32, v *int8, ldv int, vs *float32, ldvs int, nk int, ncols int)

// scoresI8: the kernels sum the 16 lanes of the largest multiple of 16
// elements, one key row against four tokens at a time (then one token at
// a time), and i8Tail adds the K mod 16 remaining products in order: the
// bits of dotI8Lanes16.
func scoresI8(out []float32, ldo int, k []int8, ldk, rows, K int, x []float32, ldx, T int) {
	if !useNEON || K < 16 {
		scoresI8Generic(out, ldo, k, ldk, rows, K, x, ldx, T)
		return
	}
	n := K &^ 15
	_ = k[(rows-1)*ldk+K-1]
	_ = x[(T-1)*ldx+K-1]
	_ = out[(T-1)*ldo+rows-1]
	for r := range rows {
		kr := k[r*ldk : r*ldk+K]
		t := 0
		for ; t+4 <= T; t += 4 {
			i8Dot1x4NEON(&kr[0], &x[t*ldx], ldx, n, &out[t*ldo+r], ldo)
			if n < K {
				for j := t; j < t+4; j++ {
					o := &out[j*ldo+r]
					*o = i8Tail(*o, kr, x[j*ldx:j*ldx+K], n)
				}
			}
		}
		for ; t < T; t++ {
			xt := x[t*ldx : t*ldx+K]
			out[t*ldo+r] = i8Tail(i8Dot1x1NEON(&kr[0], &xt[0], n), kr, xt, n)
		}
	}
}

// weightedSumI8 runs the NEON tiles on the largest multiple of 16
// columns, rows in groups of 4 and the remaining rows one by one, and the
// generic code on the n mod 16 last columns: the same rounded weights and
// products, added in order of k, so the bits of weightedSumI8Generic.
func weightedSumI8(o []float32, ldo, n int, p []float32, ldp, nq int, v []int8, ldv int, vs []float32, ldvs int, nk int) {
	if !useNEON {
		weightedSumI8Generic(o, ldo, n, p, ldp, nq, v, ldv, vs, ldvs, nk)
		return
	}
	m := n &^ 15
	if m > 0 {
		_ = o[(nq-1)*ldo+n-1]
		_ = p[(nq-1)*ldp+nk-1]
		_ = v[(nk-1)*ldv+n-1]
		_ = vs[(nk-1)*ldvs]
		j := 0
		for ; j+4 <= nq; j += 4 {
			wsumI8x4NEON(&o[j*ldo], ldo, &p[j*ldp], ldp, &v[0], ldv, &vs[0], ldvs, nk, m)
		}
		for ; j < nq; j++ {
			wsumI8x1NEON(&o[j*ldo], &p[j*ldp], &v[0], ldv, &vs[0], ldvs, nk, m)
		}
	}
	if m < n {
		weightedSumI8Generic(o[m:], ldo, n-m, p, ldp, nq, v[m:], ldv, vs, ldvs, nk)
	}
}
