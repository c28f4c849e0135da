//go:build !noasm

package kernels

// f16Tile4x4: out[4r+t] = 16-lane sum of w[r·ldw:]·x[t·ldx:] over n
// elements (r, t < 4; n a positive multiple of 16). See dotF16Lanes16.
//
//go:noescape
func f16Tile4x4(w *uint16, ldw int, x *float32, ldx int, n int, out *[16]float32)

// f16Tile4x4S is f16Tile4x4 storing out[t·ldo+r] itself (the same bits),
// for n == K: no tail to add.
//
//go:noescape
func f16Tile4x4S(w *uint16, ldw int, x *float32, ldx int, n int, out *float32, ldo int)

// f16Tile4x1: out[r] = 16-lane sum of w[r·ldw:]·x over n elements.
//
//go:noescape
func f16Tile4x1(w *uint16, ldw int, x *float32, n int, out *[4]float32)

// f16Dot1x1 returns the 16-lane sum of w·x over n elements.
//
//go:noescape
func f16Dot1x1(w *uint16, x *float32, n int) float32

// f16Tile2x2AVX2: out[2r+t] = 16-lane sum of w[r·ldw:]·x[t·ldx:] (r, t <
// 2), the lanes in two ymm accumulators: the same bits as the AVX-512
// kernels.
//
//go:noescape
func f16Tile2x2AVX2(w *uint16, ldw int, x *float32, ldx int, n int, out *[4]float32)

// f16Tile4x1AVX2 is f16Tile4x1 with ymm accumulators.
//
//go:noescape
func f16Tile4x1AVX2(w *uint16, ldw int, x *float32, n int, out *[4]float32)

// f16Dot1x1AVX2 is f16Dot1x1 with ymm accumulators.
//
//go:noescape
func f16Dot1x1AVX2(w *uint16, x *float32, n int) float32

// f16RowBlock is the number of rows multiplied by every group of four
// tokens before the next block: 64 rows of the 2B-4T head are 320 KiB of
// f16, which stay in L2 for the four token groups of a 16-stream step.
const f16RowBlock = 64

func matMulF16(out []float32, ldo int, w []uint16, ldw, rows, K int, x []float32, ldx, T int) {
	if !useAVX2 || K < 16 {
		matMulF16Generic(out, ldo, w, ldw, rows, K, x, ldx, T)
		return
	}
	// Tile shape: 4 rows × 4 tokens with AVX-512, 2 × 2 with AVX2 (sixteen
	// ymm registers hold fewer accumulators); tokens left over take
	// 4 rows × 1 token tiles, rows left over one output at a time.
	vnni := useVNNI
	tr, tt := 2, 2
	if vnni {
		tr, tt = 4, 4
	}
	n := K &^ 15
	_ = w[(rows-1)*ldw+K-1]
	_ = x[(T-1)*ldx+K-1]
	_ = out[(T-1)*ldo+rows-1]
	// Blocks of rows (f16RowBlock·K·2 bytes, in L2) are multiplied by
	// groups of tokens (their activations stay in L1 while the block's
	// rows go by); a tile converts each 16 weights once for its tokens.
	for r0 := 0; r0 < rows; r0 += f16RowBlock {
		r1 := min(rows, r0+f16RowBlock)
		t := 0
		for ; t+tt <= T; t += tt {
			r := r0
			for ; r+tr <= r1; r += tr {
				if vnni && n == K {
					f16Tile4x4S(&w[r*ldw], ldw, &x[t*ldx], ldx, n, &out[t*ldo+r], ldo)
					continue
				}
				var acc [16]float32 // acc[tt·i+j]: row r+i, token t+j
				if vnni {
					f16Tile4x4(&w[r*ldw], ldw, &x[t*ldx], ldx, n, &acc)
				} else {
					f16Tile2x2AVX2(&w[r*ldw], ldw, &x[t*ldx], ldx, n, (*[4]float32)(acc[:4]))
				}
				for i := range tr {
					for j := range tt {
						out[(t+j)*ldo+r+i] = f16Tail(acc[tt*i+j], w[(r+i)*ldw:(r+i)*ldw+K], x[(t+j)*ldx:(t+j)*ldx+K], n)
					}
				}
			}
			for ; r < r1; r++ {
				for j := range tt {
					out[(t+j)*ldo+r] = f16Row(w[r*ldw:r*ldw+K], x[(t+j)*ldx:(t+j)*ldx+K], n)
				}
			}
		}
		for ; t < T; t++ {
			xt := x[t*ldx : t*ldx+K]
			r := r0
			for ; r+4 <= r1; r += 4 {
				var acc [4]float32
				if vnni {
					f16Tile4x1(&w[r*ldw], ldw, &xt[0], n, &acc)
				} else {
					f16Tile4x1AVX2(&w[r*ldw], ldw, &xt[0], n, &acc)
				}
				for i := range 4 {
					out[t*ldo+r+i] = f16Tail(acc[i], w[(r+i)*ldw:(r+i)*ldw+K], xt, n)
				}
			}
			for ; r < r1; r++ {
				out[t*ldo+r] = f16Row(w[r*ldw:r*ldw+K], xt, n)
			}
		}
	}
}

// f16Row is one output computed alone (the same sum as in the tiles).
func f16Row(w []uint16, x []float32, n int) float32 {
	if useVNNI {
		return f16Tail(f16Dot1x1(&w[0], &x[0], n), w, x, n)
	}
	return f16Tail(f16Dot1x1AVX2(&w[0], &x[0], n), w, x, n)
}

// f16Tail adds the products past the last multiple of 16, in order.
func f16Tail(s float32, w []uint16, x []float32, n int) float32 {
	for i := n; i < len(w); i++ {
		s += f16Table[w[i]] * x[i]
	}
	return s
}
