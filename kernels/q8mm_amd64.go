//go:build !noasm

package kernels

// u8i8Tile4x4VNNI: out[4t+r] = Σ_{k<64·n64} a[t·lda+k]·w[r·ldw+k] for
// r, t < 4.
//
//go:noescape
func u8i8Tile4x4VNNI(w *int8, ldw int, a *byte, lda int, n64 int, out *[16]int32)

func matMulU8I8(out []int32, ldo int, w []int8, rows, K int, a []byte, lda, T int) {
	if !useVNNI || K < 64 || T < 4 || rows < 4 {
		matMulU8I8Generic(out, ldo, w, rows, K, a, lda, T)
		return
	}
	n := K &^ 63
	_ = w[rows*K-1]
	_ = a[(T-1)*lda+K-1]
	_ = out[(T-1)*ldo+rows-1]
	r4 := rows &^ 3
	t := 0
	for ; t+4 <= T; t += 4 {
		for r := 0; r < r4; r += 4 {
			var acc [16]int32
			u8i8Tile4x4VNNI(&w[r*K], K, &a[t*lda], lda, n/64, &acc)
			for j := range 4 {
				o := out[(t+j)*ldo+r : (t+j)*ldo+r+4 : (t+j)*ldo+r+4]
				o[0], o[1], o[2], o[3] = acc[4*j], acc[4*j+1], acc[4*j+2], acc[4*j+3]
				if n < K {
					at := a[(t+j)*lda+n : (t+j)*lda+K]
					for i := range 4 {
						row := w[(r+i)*K+n : (r+i+1)*K]
						var s int32
						for k, v := range row {
							s += int32(at[k]) * int32(v)
						}
						o[i] += s
					}
				}
			}
		}
		if r4 < rows {
			for j := range 4 {
				matVecU8I8(out[(t+j)*ldo+r4:(t+j)*ldo+rows], w[r4*K:rows*K], a[(t+j)*lda:(t+j)*lda+K])
			}
		}
	}
	for ; t < T; t++ {
		matVecU8I8(out[t*ldo:t*ldo+rows], w[:rows*K], a[t*lda:t*lda+K])
	}
}
