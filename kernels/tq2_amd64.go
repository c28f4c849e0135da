//go:build !noasm

package kernels

import "math"

// The assembly kernels return finished outputs: they reduce the integer
// block sums of 16 (or 8) outputs into the lanes of one vector and then run
// dotTQ2Generic's float32 operations lane by lane, so every output is
// bit-identical to it. See tq2_amd64.s and tq2_generic.go.

// tq2Tile4x4VNNI: acc[4i+j] continues DotTQ2Q8K of row i (w[i·wstride:])
// with token j (q[j·qstride:], da[j·dastride:]) over nblk blocks, i, j < 4:
// each weight block is decoded once for four tokens.
//
//go:noescape
func tq2Tile4x4VNNI(w *byte, wstride int, q *int8, qstride int, da *float32, dastride int, nblk int, acc *[16]float32)

// tq2Rows16VNNI: acc[i] continues DotTQ2Q8K of the row at w[offs[i]:] with
// one token (q, da) over nblk blocks, i < 16.
//
//go:noescape
func tq2Rows16VNNI(w *byte, offs *[16]int32, q *int8, da *float32, nblk int, acc *[16]float32)

// tq2Rows8AVX2 is tq2Rows16VNNI for 8 rows with AVX2 (VPMADDUBSW).
//
//go:noescape
func tq2Rows8AVX2(w *byte, offs *[8]int32, q *int8, da *float32, nblk int, acc *[8]float32)

// tq2Sums4VNNI and tq2Sums1VNNI are the earlier kernels that returned the
// integer block sums (the scaling ran in Go). They are no longer called;
// their TEXT blocks are in i2s_amd64.s, so the declarations stay until that
// file drops them.
//
//go:noescape
func tq2Sums4VNNI(w *byte, stride int, q *int8, nblk int, out *int32)

//go:noescape
func tq2Sums1VNNI(w *byte, q *int8, nblk int, out *int32)

func tq2MatVec(out []float32, w []byte, q []int8, da []float32) {
	tq2MatMul(out, len(out), w, len(out), len(q), 1, q, da)
}

// tq2MatMul: preconditions checked by MatMulTQ2 (K > 0, T > 0, rows > 0,
// sizes). Tiles of 4 rows × 4 tokens (VNNI); the rows and tokens left over,
// and every token without VNNI, go through the 16- (8-) row kernel.
func tq2MatMul(out []float32, ldo int, w []byte, rows, K, T int, q []int8, da []float32) {
	nb, rb := K/256, K/256*66
	if !useAVX2 || nb == 0 || 16*rb > math.MaxInt32 {
		tq2MatMulGeneric(out, ldo, w, rows, K, T, q, da)
		return
	}
	_ = w[rows*rb-1]
	_ = q[T*K-1]
	_ = da[T*nb-1]
	_ = out[(T-1)*ldo+rows-1]
	t := 0
	if useVNNI {
		for ; t+4 <= T; t += 4 {
			r := 0
			for ; r+4 <= rows; r += 4 {
				var acc [16]float32
				tq2Tile4x4VNNI(&w[r*rb], rb, &q[t*K], K, &da[t*nb], nb, nb, &acc)
				for j := range 4 {
					o := out[(t+j)*ldo+r : (t+j)*ldo+r+4 : (t+j)*ldo+r+4]
					o[0], o[1], o[2], o[3] = acc[j], acc[4+j], acc[8+j], acc[12+j]
				}
			}
			if r < rows {
				for j := t; j < t+4; j++ {
					tq2Rows(out[j*ldo+r:j*ldo+rows], w[r*rb:rows*rb], rb, q[j*K:(j+1)*K], da[j*nb:(j+1)*nb])
				}
			}
		}
	}
	for ; t < T; t++ {
		tq2Rows(out[t*ldo:t*ldo+rows], w[:rows*rb], rb, q[t*K:(t+1)*K], da[t*nb:(t+1)*nb])
	}
}

// tq2Rows sets out[r] = DotTQ2Q8K(w[r·rb:(r+1)·rb], q, da) for every r <
// len(out), 16 (AVX2: 8) rows per kernel call. A last, partial group
// repeats its last row in the unused lanes.
func tq2Rows(out []float32, w []byte, rb int, q []int8, da []float32) {
	nb := len(da)
	if useVNNI {
		var offs [16]int32
		for i := range offs {
			offs[i] = int32(i * rb)
		}
		for r0 := 0; r0 < len(out); r0 += 16 {
			n := min(16, len(out)-r0)
			for i := n; i < 16; i++ {
				offs[i] = int32((n - 1) * rb)
			}
			var acc [16]float32
			tq2Rows16VNNI(&w[r0*rb], &offs, &q[0], &da[0], nb, &acc)
			copy(out[r0:r0+n], acc[:n])
		}
		return
	}
	var offs [8]int32
	for i := range offs {
		offs[i] = int32(i * rb)
	}
	for r0 := 0; r0 < len(out); r0 += 8 {
		n := min(8, len(out)-r0)
		for i := n; i < 8; i++ {
			offs[i] = int32((n - 1) * rb)
		}
		var acc [8]float32
		tq2Rows8AVX2(&w[r0*rb], &offs, &q[0], &da[0], nb, &acc)
		copy(out[r0:r0+n], acc[:n])
	}
}
