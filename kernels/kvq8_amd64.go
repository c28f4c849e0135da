//go:build !noasm

package kernels

// i8Tile4x4 stores out[t·ldo+r] = 16-lane sum of k[r·ldk:]·x[t·ldx:] over n
// elements (r, t < 4; n a positive multiple of 16). See dotI8Lanes16.
//
//go:noescape
func i8Tile4x4(k *int8, ldk int, x *float32, ldx int, n int, out *float32, ldo int)

// i8Tile4x1 stores out[r] = 16-lane sum of k[r·ldk:]·x over n elements
// (r < 4).
//
//go:noescape
func i8Tile4x1(k *int8, ldk int, x *float32, n int, out *float32)

// i8Dot1x1 returns the 16-lane sum of k·x over n elements.
//
//go:noescape
func i8Dot1x1(k *int8, x *float32, n int) float32

// i8Tile2x2AVX2 is i8Tile4x4 for r, t < 2, the lanes in two ymm
// accumulators: the same bits as the AVX-512 kernels.
//
//go:noescape
func i8Tile2x2AVX2(k *int8, ldk int, x *float32, ldx int, n int, out *float32, ldo int)

// i8Tile4x1AVX2 is i8Tile4x1 with ymm accumulators.
//
//go:noescape
func i8Tile4x1AVX2(k *int8, ldk int, x *float32, n int, out *float32)

// i8Dot1x1AVX2 is i8Dot1x1 with ymm accumulators.
//
//go:noescape
func i8Dot1x1AVX2(k *int8, x *float32, n int) float32

func scoresI8(out []float32, ldo int, k []int8, ldk, rows, K int, x []float32, ldx, T int) {
	if !useAVX2 || K < 16 {
		scoresI8Generic(out, ldo, k, ldk, rows, K, x, ldx, T)
		return
	}
	vnni := useVNNI
	tr, tt := 2, 2
	if vnni {
		tr, tt = 4, 4
	}
	n := K &^ 15
	_ = k[(rows-1)*ldk+K-1]
	_ = x[(T-1)*ldx+K-1]
	_ = out[(T-1)*ldo+rows-1]
	t := 0
	for ; t+tt <= T; t += tt {
		r := 0
		for ; r+tr <= rows; r += tr {
			if vnni {
				i8Tile4x4(&k[r*ldk], ldk, &x[t*ldx], ldx, n, &out[t*ldo+r], ldo)
			} else {
				i8Tile2x2AVX2(&k[r*ldk], ldk, &x[t*ldx], ldx, n, &out[t*ldo+r], ldo)
			}
			if n < K {
				for j := range tt {
					xt := x[(t+j)*ldx : (t+j)*ldx+K]
					for i := range tr {
						o := &out[(t+j)*ldo+r+i]
						*o = i8Tail(*o, k[(r+i)*ldk:(r+i)*ldk+K], xt, n)
					}
				}
			}
		}
		for ; r < rows; r++ {
			for j := range tt {
				out[(t+j)*ldo+r] = i8Row(k[r*ldk:r*ldk+K], x[(t+j)*ldx:(t+j)*ldx+K], n)
			}
		}
	}
	for ; t < T; t++ {
		xt := x[t*ldx : t*ldx+K]
		r := 0
		for ; r+4 <= rows; r += 4 {
			if vnni {
				i8Tile4x1(&k[r*ldk], ldk, &xt[0], n, &out[t*ldo+r])
			} else {
				i8Tile4x1AVX2(&k[r*ldk], ldk, &xt[0], n, &out[t*ldo+r])
			}
			if n < K {
				for i := range 4 {
					o := &out[t*ldo+r+i]
					*o = i8Tail(*o, k[(r+i)*ldk:(r+i)*ldk+K], xt, n)
				}
			}
		}
		for ; r < rows; r++ {
			out[t*ldo+r] = i8Row(k[r*ldk:r*ldk+K], xt, n)
		}
	}
}

// i8Row is one output computed alone (the same sum as in the tiles).
func i8Row(k []int8, x []float32, n int) float32 {
	if useVNNI {
		return i8Tail(i8Dot1x1(&k[0], &x[0], n), k, x, n)
	}
	return i8Tail(i8Dot1x1AVX2(&k[0], &x[0], n), k, x, n)
}

// wsumI8x4x64 is WeightedSumI8 on 4 rows × 64 columns (nk > 0): the 16
// accumulators stay in registers over all k.
//
//go:noescape
func wsumI8x4x64(o *float32, ldo int, p *float32, ldp int, v *int8, ldv int, vs *float32, ldvs int, nk int)

// wsumI8x4x16 is wsumI8x4x64 on 16 columns.
//
//go:noescape
func wsumI8x4x16(o *float32, ldo int, p *float32, ldp int, v *int8, ldv int, vs *float32, ldvs int, nk int)

// wsumI8x1x64 is wsumI8x4x64 for one row.
//
//go:noescape
func wsumI8x1x64(o *float32, p *float32, v *int8, ldv int, vs *float32, ldvs int, nk int)

// wsumI8x1x16 is wsumI8x1x64 on 16 columns.
//
//go:noescape
func wsumI8x1x16(o *float32, p *float32, v *int8, ldv int, vs *float32, ldvs int, nk int)

// wsumI8x2x32AVX2 is WeightedSumI8 on 2 rows × 32 columns with ymm
// accumulators.
//
//go:noescape
func wsumI8x2x32AVX2(o *float32, ldo int, p *float32, ldp int, v *int8, ldv int, vs *float32, ldvs int, nk int)

// wsumI8x1x32AVX2 is wsumI8x2x32AVX2 for one row.
//
//go:noescape
func wsumI8x1x32AVX2(o *float32, p *float32, v *int8, ldv int, vs *float32, ldvs int, nk int)

func weightedSumI8(o []float32, ldo, n int, p []float32, ldp, nq int, v []int8, ldv int, vs []float32, ldvs int, nk int) {
	if !useAVX2 || n < 16 || (!useVNNI && n < 32) {
		weightedSumI8Generic(o, ldo, n, p, ldp, nq, v, ldv, vs, ldvs, nk)
		return
	}
	_ = o[(nq-1)*ldo+n-1]
	_ = p[(nq-1)*ldp+nk-1]
	_ = v[(nk-1)*ldv+n-1]
	_ = vs[(nk-1)*ldvs]
	m := n &^ 31 // columns done in assembly
	if !useVNNI {
		j := 0
		for ; j+2 <= nq; j += 2 {
			for c := 0; c < m; c += 32 {
				wsumI8x2x32AVX2(&o[j*ldo+c], ldo, &p[j*ldp], ldp, &v[c], ldv, &vs[0], ldvs, nk)
			}
		}
		for ; j < nq; j++ {
			for c := 0; c < m; c += 32 {
				wsumI8x1x32AVX2(&o[j*ldo+c], &p[j*ldp], &v[c], ldv, &vs[0], ldvs, nk)
			}
		}
	} else {
		m64 := n &^ 63
		m = n &^ 15
		j := 0
		for ; j+4 <= nq; j += 4 {
			for c := 0; c < m64; c += 64 {
				wsumI8x4x64(&o[j*ldo+c], ldo, &p[j*ldp], ldp, &v[c], ldv, &vs[0], ldvs, nk)
			}
			for c := m64; c < m; c += 16 {
				wsumI8x4x16(&o[j*ldo+c], ldo, &p[j*ldp], ldp, &v[c], ldv, &vs[0], ldvs, nk)
			}
		}
		for ; j < nq; j++ {
			for c := 0; c < m64; c += 64 {
				wsumI8x1x64(&o[j*ldo+c], &p[j*ldp], &v[c], ldv, &vs[0], ldvs, nk)
			}
			for c := m64; c < m; c += 16 {
				wsumI8x1x16(&o[j*ldo+c], &p[j*ldp], &v[c], ldv, &vs[0], ldvs, nk)
			}
		}
	}
	if m < n {
		weightedSumI8Generic(o[m:], ldo, n-m, p, ldp, nq, v[m:], ldv, vs, ldvs, nk)
	}
}
