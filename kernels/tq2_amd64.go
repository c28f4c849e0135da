//go:build !noasm

package kernels

import "math"

// The assembly kernels return finished outputs: they bring the exact
// integer block sums of 16 (or 8) outputs into the lanes of one vector and
// then run dotTQ2Generic's float32 operations lane by lane, in block order,
// so every output is bit-identical to it. See tq2_amd64.s and
// tq2_generic.go.

// tq2Tile4x4VNNI: acc[4j+i] continues DotTQ2Q8K of row i (w[i·wstride:])
// with token j (q[j·qstride:]) over nblk blocks, i, j < 4: each weight
// block is decoded once for four tokens. sc holds a 32-word record per
// block, as tq2TileScales writes it: the activation scales da of token j
// (float32 bits) in words 4j..4j+3, their Σ q (int32) in words 16+4j..19+4j.
//
//go:noescape
func tq2Tile4x4VNNI(w *byte, wstride int, q *int8, qstride int, sc *uint32, nblk int, acc *[16]float32)

// tq2QSums16VNNI: out[b] = Σ q[256b:256b+256] for b < n (1 <= n <= 16),
// out[b] = 0 for the rest.
//
//go:noescape
func tq2QSums16VNNI(q *int8, n int, out *[16]int32)

// tq2Rows16VNNI: acc[i] continues DotTQ2Q8K of the row at w[offs[i]:] with
// one token (q, da) over nblk blocks, i < 16; qsum[b] is Σ q of block b.
// It prefetches the bytes next beyond those it reads (the next 16 rows).
//
//go:noescape
func tq2Rows16VNNI(w *byte, offs *[16]int32, q *int8, da *float32, qsum *int32, nblk int, acc *[16]float32, next int)

// tq2Prep32VNNI decodes nblk blocks of 32 rows (w[i·rb:], i < 32) for
// tq2Lanes32x8VNNI: block b fills codes[8320b:8320(b+1)] with 64 pairs of
// code vectors (vector v, lane i: the codes of elements 4v..4v+3 of row i,
// rows 0..15 then 16..31) and the 32 weight scales as float32.
//
//go:noescape
func tq2Prep32VNNI(w *byte, rb int, nblk int, codes *byte)

// tq2Lanes32x8VNNI adds nblk blocks of the products of the 32 rows in
// codes with tokens j < 8 (q[j·qstride:]) to out[j·ldo+i], i < 32, in
// block order. rec holds per block (recstride bytes apart) two words per
// token: the bits of its da and its Σ q.
//
//go:noescape
func tq2Lanes32x8VNNI(codes *byte, q *int8, qstride int, rec *uint32, recstride int, nblk int, out *float32, ldo int)

// tq2Prep16AVX2 is tq2Prep32VNNI for 16 rows with AVX2: block b fills
// codes[4160b:4160(b+1)] (vector v at 64v: rows 0..7, then 8..15; the 16
// weight scales at 4096).
//
//go:noescape
func tq2Prep16AVX2(w *byte, rb int, nblk int, codes *byte)

// tq2Lanes16x4AVX2 is tq2Lanes32x8VNNI for the 16 rows of tq2Prep16AVX2
// and 4 tokens, with VPMADDUBSW.
//
//go:noescape
func tq2Lanes16x4AVX2(codes *byte, q *int8, qstride int, rec *uint32, recstride int, nblk int, out *float32, ldo int)

// tq2QSumsAVX2: out[b] = Σ q[256b:256b+256] for b < nblk.
//
//go:noescape
func tq2QSumsAVX2(q *int8, nblk int, out *int32)

// tq2Rows8AVX2 is tq2Rows16VNNI for 8 rows with AVX2 (VPMADDUBSW).
//
//go:noescape
func tq2Rows8AVX2(w *byte, offs *[8]int32, q *int8, da *float32, qsum *int32, nblk int, acc *[8]float32, next int)

func tq2MatVec(out []float32, w []byte, q []int8, da []float32) {
	tq2MatMul(out, len(out), w, len(out), len(q), 1, q, da)
}

// tq2MaxBlocks bounds K (in blocks) for the assembly kernels, whose
// per-block scale records live in stack arrays; larger K (beyond any
// BitNet model) runs the generic code.
const tq2MaxBlocks = 128

// tq2TileBytes is about the weight bytes one pass of the tiles sweeps for
// each group of tokens, so that the rows stay in L2 across the groups.
const tq2TileBytes = 256 << 10

// The lanes path (tq2Prep32VNNI and tq2Lanes32x8VNNI, or tq2Prep16AVX2
// and tq2Lanes16x4AVX2) takes calls with at least tq2LanesMinT tokens: its
// decoding of the weights, once per call, must be shared by enough tokens.
const (
	tq2LanesMinT = 16
	tq2LaneRecs  = 4096  // records (token × block) per group of tokens
	tq2LaneRows  = 256   // rows whose outputs stay in cache across the chunks
	tq2LaneBytes = 16640 // decoded codes per chunk: 2 blocks of 32 rows (VNNI), 4 of 16 (AVX2)
)

// tq2MatMul: preconditions checked by MatMulTQ2 (K > 0, T > 0, rows > 0,
// sizes). Many tokens take the lanes path (VNNI: 32 rows × 8 tokens per
// kernel call; AVX2: 16 × 4); with VNNI, 4..15 tokens take 4 rows × 4
// tokens tiles. The rows and tokens left over, and every token of a
// mat-vec, go through the 16- (AVX2: 8-) row kernel.
func tq2MatMul(out []float32, ldo int, w []byte, rows, K, T int, q []int8, da []float32) {
	nb, rb := K/256, K/256*66
	if !useAVX2 || nb == 0 || nb > tq2MaxBlocks {
		tq2MatMulGeneric(out, ldo, w, rows, K, T, q, da)
		return
	}
	_ = w[rows*rb-1]
	_ = q[T*K-1]
	_ = da[T*nb-1]
	_ = out[(T-1)*ldo+rows-1]
	t0 := 0
	lanesRows, lanesT := 16, 4
	if useVNNI {
		lanesRows, lanesT = 32, 8
	}
	switch {
	case T >= tq2LanesMinT && rows >= lanesRows:
		t0 = T / lanesT * lanesT
		r := rows / lanesRows * lanesRows
		tq2Lanes(out, ldo, w, r, K, t0, q, da)
		if r < rows {
			for t := range t0 {
				tq2Rows(out[t*ldo+r:t*ldo+rows], w[r*rb:rows*rb], rb, q[t*K:(t+1)*K], da[t*nb:(t+1)*nb])
			}
		}
	case useVNNI && T >= 4 && rows >= 4:
		t0 = T &^ 3
		var sc [tq2MaxBlocks * 32]uint32
		step := max(4, tq2TileBytes/rb&^3)
		for r0 := 0; r0 < rows; r0 += step {
			r1 := min(rows, r0+step)
			for t := 0; t < t0; t += 4 {
				tq2TileScales(sc[:nb*32], q[t*K:(t+4)*K], da[t*nb:(t+4)*nb], K)
				r := r0
				for ; r+4 <= r1; r += 4 {
					var acc [16]float32
					tq2Tile4x4VNNI(&w[r*rb], rb, &q[t*K], K, &sc[0], nb, &acc)
					for j := range 4 {
						o := out[(t+j)*ldo+r : (t+j)*ldo+r+4 : (t+j)*ldo+r+4]
						a := acc[4*j : 4*j+4 : 4*j+4]
						o[0], o[1], o[2], o[3] = a[0], a[1], a[2], a[3]
					}
				}
				if r < r1 {
					for j := t; j < t+4; j++ {
						tq2Rows(out[j*ldo+r:j*ldo+r1], w[r*rb:r1*rb], rb, q[j*K:(j+1)*K], da[j*nb:(j+1)*nb])
					}
				}
			}
		}
	}
	for t := t0; t < T; t++ {
		tq2Rows(out[t*ldo:t*ldo+rows], w[:rows*rb], rb, q[t*K:(t+1)*K], da[t*nb:(t+1)*nb])
	}
}

// tq2QSums sets qsum[b] = Σ q[256b:256b+256] for b < len(qsum).
func tq2QSums(qsum []int32, q []int8) {
	if !useVNNI {
		tq2QSumsAVX2(&q[0], len(qsum), &qsum[0])
		return
	}
	var s [16]int32
	for b0 := 0; b0 < len(qsum); b0 += 16 {
		n := min(16, len(qsum)-b0)
		tq2QSums16VNNI(&q[b0*256], n, &s)
		copy(qsum[b0:b0+n], s[:n])
	}
}

// tq2Lanes computes rows × T outputs with the lanes kernels (rows and T
// multiples of their 32 × 8, AVX2 16 × 4). Per group of tokens it writes
// their records (da and Σ q per block); then, per block of tq2LaneRows
// rows, per chunk of blocks and per 32 (16) rows, it decodes the weights
// once and runs every token of the group over them, adding each block into
// out in block order (out starts at zero, as the reference's sum does).
func tq2Lanes(out []float32, ldo int, w []byte, rows, K, T int, q []int8, da []float32) {
	nb, rb := K/256, K/256*66
	vnni := useVNNI
	lanesRows, lanesT, bb := 16, 4, 4160
	if vnni {
		lanesRows, lanesT, bb = 32, 8, 8320
	}
	chunk := tq2LaneBytes / bb
	var codes [tq2LaneBytes]byte
	var rec [2 * tq2LaneRecs]uint32
	var qs [tq2MaxBlocks]int32
	g := max(lanesT, tq2LaneRecs/nb/lanesT*lanesT)
	for t0 := 0; t0 < T; t0 += g {
		nt := min(g, T-t0)
		for j := range nt {
			t := t0 + j
			clear(out[t*ldo : t*ldo+rows])
			tq2QSums(qs[:nb], q[t*K:(t+1)*K])
			for b, d := range da[t*nb : (t+1)*nb] {
				rec[2*(b*nt+j)] = math.Float32bits(d)
				rec[2*(b*nt+j)+1] = uint32(qs[b])
			}
		}
		for r0 := 0; r0 < rows; r0 += tq2LaneRows {
			r1 := min(rows, r0+tq2LaneRows)
			for c0 := 0; c0 < nb; c0 += chunk {
				nc := min(chunk, nb-c0)
				for r := r0; r < r1; r += lanesRows {
					if vnni {
						tq2Prep32VNNI(&w[r*rb+c0*66], rb, nc, &codes[0])
					} else {
						tq2Prep16AVX2(&w[r*rb+c0*66], rb, nc, &codes[0])
					}
					for j := 0; j < nt; j += lanesT {
						t := t0 + j
						if vnni {
							tq2Lanes32x8VNNI(&codes[0], &q[t*K+c0*256], K, &rec[2*(c0*nt+j)], 8*nt, nc, &out[t*ldo+r], ldo)
						} else {
							tq2Lanes16x4AVX2(&codes[0], &q[t*K+c0*256], K, &rec[2*(c0*nt+j)], 8*nt, nc, &out[t*ldo+r], ldo)
						}
					}
				}
			}
		}
	}
}

// tq2TileScales writes the per-block records of the tile for 4 tokens (q,
// da): sc[32b+4j+i] = bits of da[j·nb+b], sc[32b+16+4j+i] = Σ q of block b
// of token j, for i < 4.
func tq2TileScales(sc []uint32, q []int8, da []float32, K int) {
	nb := K / 256
	var s [16]int32
	for j := range 4 {
		for b, d := range da[j*nb : (j+1)*nb] {
			r := sc[32*b+4*j : 32*b+4*j+4 : 32*b+4*j+4]
			v := math.Float32bits(d)
			r[0], r[1], r[2], r[3] = v, v, v, v
		}
		for b0 := 0; b0 < nb; b0 += 16 {
			n := min(16, nb-b0)
			tq2QSums16VNNI(&q[j*K+b0*256], n, &s)
			for i, v := range s[:n] {
				r := sc[32*(b0+i)+16+4*j : 32*(b0+i)+20+4*j : 32*(b0+i)+20+4*j]
				r[0], r[1], r[2], r[3] = uint32(v), uint32(v), uint32(v), uint32(v)
			}
		}
	}
}

// tq2Rows sets out[r] = DotTQ2Q8K(w[r·rb:(r+1)·rb], q, da) for every r <
// len(out), 16 (AVX2: 8) rows per kernel call. A last, partial group
// repeats its last row in the unused lanes.
func tq2Rows(out []float32, w []byte, rb int, q []int8, da []float32) {
	nb := len(da)
	var qsum [tq2MaxBlocks]int32
	tq2QSums(qsum[:nb], q)
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
			tq2Rows16VNNI(&w[r0*rb], &offs, &q[0], &da[0], &qsum[0], nb, &acc, 16*rb)
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
		tq2Rows8AVX2(&w[r0*rb], &offs, &q[0], &da[0], &qsum[0], nb, &acc, 8*rb)
		copy(out[r0:r0+n], acc[:n])
	}
}
