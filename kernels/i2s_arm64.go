//go:build !noasm

package kernels

// The assembly kernels compute Σ c·q over the 2-bit codes c ∈ {0,1,2} and
// int8 activations q, for nblk > 0 blocks of 128 elements, with SDOT (the
// codes are valid signed bytes) or, on cores without FEAT_DotProd, with
// SMULL/SADALP; the wrappers subtract Σ q to get Σ (c−1)·q. See
// i2s_generic.go for the reference.

// i2sDot1SDOT returns Σ_k c(w, k)·q[k].
//
//go:noescape
func i2sDot1SDOT(w *byte, q *int8, nblk int) int32

// i2sDot4SDOT: out[i] = Σ_k c(w[i·stride:], k)·q[k] for i < 4.
//
//go:noescape
func i2sDot4SDOT(w *byte, stride int, q *int8, nblk int, out *[4]int32)

// i2sTile4x4SDOT: out[4i+j] = Σ_k c(w[i·wstride:], k)·q[j·qstride+k] for
// i, j < 4 (4 rows × 4 tokens, each weight block decoded once for 4 tokens).
//
//go:noescape
func i2sTile4x4SDOT(w *byte, wstride int, q *int8, qstride int, nblk int, out *[16]int32)

// i2sDot1NEON is i2sDot1SDOT with SMULL/SMULL2/SADALP.
//
//go:noescape
func i2sDot1NEON(w *byte, q *int8, nblk int) int32

// i2sDot4NEON is i2sDot4SDOT with SMULL/SMULL2/SADALP.
//
//go:noescape
func i2sDot4NEON(w *byte, stride int, q *int8, nblk int, out *[4]int32)

func i2sDot(row []byte, q []int8) int32 {
	if !useNEON {
		return i2sDotGeneric(row, q)
	}
	nblk := len(q) / 128
	_ = row[nblk*32-1]
	if useSDOT {
		return i2sDot1SDOT(&row[0], &q[0], nblk) - SumI8(q)
	}
	return i2sDot1NEON(&row[0], &q[0], nblk) - SumI8(q)
}

// i2sMatMul: preconditions checked by MatMulI2S (K > 0, T > 0, rows > 0,
// sizes).
func i2sMatMul(out []int32, ldo int, w []byte, rows, K int, q []int8, qsum []int32) {
	if !useNEON {
		i2sMatMulGeneric(out, ldo, w, rows, K, q, qsum)
		return
	}
	T := len(qsum)
	rb, nblk := K/4, K/128
	_ = w[rows*rb-1]
	_ = q[T*K-1]
	_ = out[(T-1)*ldo+rows-1]
	sdot := useSDOT
	r := 0
	for ; r+4 <= rows; r += 4 {
		t := 0
		if sdot {
			for ; t+4 <= T; t += 4 {
				var acc [16]int32
				i2sTile4x4SDOT(&w[r*rb], rb, &q[t*K], K, nblk, &acc)
				for j := range 4 {
					o := out[(t+j)*ldo+r : (t+j)*ldo+r+4 : (t+j)*ldo+r+4]
					s := qsum[t+j]
					o[0], o[1], o[2], o[3] = acc[j]-s, acc[4+j]-s, acc[8+j]-s, acc[12+j]-s
				}
			}
		}
		for ; t < T; t++ {
			var acc [4]int32
			if sdot {
				i2sDot4SDOT(&w[r*rb], rb, &q[t*K], nblk, &acc)
			} else {
				i2sDot4NEON(&w[r*rb], rb, &q[t*K], nblk, &acc)
			}
			o := out[t*ldo+r : t*ldo+r+4 : t*ldo+r+4]
			s := qsum[t]
			o[0], o[1], o[2], o[3] = acc[0]-s, acc[1]-s, acc[2]-s, acc[3]-s
		}
	}
	for ; r < rows; r++ {
		for t := range T {
			var c int32
			if sdot {
				c = i2sDot1SDOT(&w[r*rb], &q[t*K], nblk)
			} else {
				c = i2sDot1NEON(&w[r*rb], &q[t*K], nblk)
			}
			out[t*ldo+r] = c - qsum[t]
		}
	}
}
