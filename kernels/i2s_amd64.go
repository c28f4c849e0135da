//go:build !noasm

package kernels

// The assembly kernels compute Σ c·q over the 2-bit codes c ∈ {0,1,2}
// (unsigned) and int8 activations q (signed), for nblk blocks of 128
// elements, the form VPDPBUSD and VPMADDUBSW multiply; the wrappers
// subtract Σ q to get Σ (c−1)·q. See i2s_generic.go for the reference.

// i2sDot4VNNI: out[i] = Σ_k c(w[i·stride:], k)·q[k] for i < 4.
//
//go:noescape
func i2sDot4VNNI(w *byte, stride int, q *int8, nblk int, out *[4]int32)

// i2sDot1VNNI returns Σ_k c(w, k)·q[k].
//
//go:noescape
func i2sDot1VNNI(w *byte, q *int8, nblk int) int32

// i2sTile4x4VNNI: out[4i+j] = Σ_k c(w[i·wstride:], k)·q[j·qstride+k] for
// i, j < 4 (4 rows × 4 tokens, each weight block decoded once for 4 tokens).
//
//go:noescape
func i2sTile4x4VNNI(w *byte, wstride int, q *int8, qstride int, nblk int, out *[16]int32)

// i2sDot4AVX2 is i2sDot4VNNI with AVX2 VPMADDUBSW.
//
//go:noescape
func i2sDot4AVX2(w *byte, stride int, q *int8, nblk int, out *[4]int32)

// i2sRows16AVX2: out[r] = Σ_k c(w[r·32·nblk:], k)·q[k] for r < rows, the
// rows read as one sequential stream, prefetching pf bytes ahead (0: no
// prefetch).
//
//go:noescape
func i2sRows16AVX2(w *byte, rows int, q *int8, nblk int, out *int32, pf int)

// i2sTile2x4AVX2: out[4i+j] = Σ_k c(w[i·wstride:], k)·q[j·qstride+k] for
// i < 2, j < 4 (2 rows × 4 tokens, each weight block decoded once for 4
// tokens, int16 partial sums widened every 8 blocks).
//
//go:noescape
func i2sTile2x4AVX2(w *byte, wstride int, q *int8, qstride int, nblk int, out *[8]int32)

// i2sDot1AVX2 is i2sDot1VNNI with AVX2 VPMADDUBSW.
//
//go:noescape
func i2sDot1AVX2(w *byte, q *int8, nblk int) int32

func i2sDot(row []byte, q []int8) int32 {
	nblk := len(q) / 128
	_ = row[nblk*32-1]
	switch {
	case useVNNI:
		return i2sDot1VNNI(&row[0], &q[0], nblk) - SumI8(q)
	case useAVX2:
		return i2sDot1AVX2(&row[0], &q[0], nblk) - SumI8(q)
	}
	return i2sDotGeneric(row, q)
}

// i2sMatMul: preconditions checked by MatMulI2S (K > 0, T > 0, rows > 0,
// sizes).
func i2sMatMul(out []int32, ldo int, w []byte, rows, K int, q []int8, qsum []int32) {
	if !useAVX2 {
		i2sMatMulGeneric(out, ldo, w, rows, K, q, qsum)
		return
	}
	T := len(qsum)
	rb, nblk := K/4, K/128
	_ = w[rows*rb-1]
	_ = q[T*K-1]
	_ = out[(T-1)*ldo+rows-1]
	vnni := useVNNI
	if !vnni {
		if T >= 4 {
			i2sMatMulTiledAVX2(out, ldo, w, rows, K, q, qsum)
			return
		}
		// Decode and short batches: each token's products as one
		// sequential stream over the rows (BenchmarkI2SDecodeAVX2:
		// about 1.7 × the 4-row kernel from DRAM on one thread).
		for t := range T {
			o := out[t*ldo : t*ldo+rows : t*ldo+rows]
			i2sRows16AVX2(&w[0], rows, &q[t*K], nblk, &o[0], 256)
			for i := range o {
				o[i] -= qsum[t]
			}
		}
		return
	}
	r := 0
	for ; r+4 <= rows; r += 4 {
		t := 0
		if vnni {
			for ; t+4 <= T; t += 4 {
				var acc [16]int32
				i2sTile4x4VNNI(&w[r*rb], rb, &q[t*K], K, nblk, &acc)
				for j := range 4 {
					o := out[(t+j)*ldo+r : (t+j)*ldo+r+4 : (t+j)*ldo+r+4]
					s := qsum[t+j]
					o[0], o[1], o[2], o[3] = acc[j]-s, acc[4+j]-s, acc[8+j]-s, acc[12+j]-s
				}
			}
		}
		for ; t < T; t++ {
			var acc [4]int32
			if vnni {
				i2sDot4VNNI(&w[r*rb], rb, &q[t*K], nblk, &acc)
			} else {
				i2sDot4AVX2(&w[r*rb], rb, &q[t*K], nblk, &acc)
			}
			o := out[t*ldo+r : t*ldo+r+4 : t*ldo+r+4]
			s := qsum[t]
			o[0], o[1], o[2], o[3] = acc[0]-s, acc[1]-s, acc[2]-s, acc[3]-s
		}
	}
	for ; r < rows; r++ {
		for t := range T {
			var c int32
			if vnni {
				c = i2sDot1VNNI(&w[r*rb], &q[t*K], nblk)
			} else {
				c = i2sDot1AVX2(&w[r*rb], &q[t*K], nblk)
			}
			out[t*ldo+r] = c - qsum[t]
		}
	}
}

// i2sMatMulTiledAVX2 is i2sMatMul on AVX2 for T >= 4: token groups of 4
// outside, row pairs inside, so the group's activations (4·K bytes) stay in
// L1 while the weight rows (the caller passes a few dozen) come from L2;
// each weight block is decoded once per token group. The last T%4 tokens
// and an odd last row use the one-token kernels.
func i2sMatMulTiledAVX2(out []int32, ldo int, w []byte, rows, K int, q []int8, qsum []int32) {
	T := len(qsum)
	rb, nblk := K/4, K/128
	t := 0
	for ; t+4 <= T; t += 4 {
		s := qsum[t : t+4 : t+4]
		r := 0
		for ; r+2 <= rows; r += 2 {
			var acc [8]int32
			i2sTile2x4AVX2(&w[r*rb], rb, &q[t*K], K, nblk, &acc)
			for j := range 4 {
				o := out[(t+j)*ldo+r : (t+j)*ldo+r+2 : (t+j)*ldo+r+2]
				o[0], o[1] = acc[j]-s[j], acc[4+j]-s[j]
			}
		}
		if r < rows {
			for j := range 4 {
				out[(t+j)*ldo+r] = i2sDot1AVX2(&w[r*rb], &q[(t+j)*K], nblk) - s[j]
			}
		}
	}
	for ; t < T; t++ {
		r := 0
		for ; r+4 <= rows; r += 4 {
			var acc [4]int32
			i2sDot4AVX2(&w[r*rb], rb, &q[t*K], nblk, &acc)
			o := out[t*ldo+r : t*ldo+r+4 : t*ldo+r+4]
			s := qsum[t]
			o[0], o[1], o[2], o[3] = acc[0]-s, acc[1]-s, acc[2]-s, acc[3]-s
		}
		for ; r < rows; r++ {
			out[t*ldo+r] = i2sDot1AVX2(&w[r*rb], &q[t*K], nblk) - qsum[t]
		}
	}
}
