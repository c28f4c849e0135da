package kernels

import "fmt"

// DotI2S returns Σ_k t_k·q_k for one I2_S row (spec §2.4): blocks of 128
// elements in 32 bytes, byte p holding elements p, p+32, p+64, p+96 from the
// most significant bit pair down, code c meaning t = c−1. len(q) must be a
// multiple of 128 and len(row) >= len(q)/4.
//
// bitnet.cpp (ggml_vec_dot_i2_i8_s) computes Σ c·q and subtracts Σ q; the
// integer result is the same. Codes of 3 are rejected when a model loads
// (the kernels compute Σ (c−1)·q for them too, identically in every
// implementation).
func DotI2S(row []byte, q []int8) int32 {
	checkI2S(len(row), 1, len(q))
	if len(q) == 0 {
		return 0
	}
	return i2sDot(row, q)
}

// MatVecI2S sets out[r] = DotI2S(w[r·K/4:(r+1)·K/4], q) for every r <
// len(out), with K = len(q): the decode product of an I2_S matrix whose
// rows are stored back to back.
func MatVecI2S(out []int32, w []byte, q []int8) {
	K := len(q)
	checkI2S(len(w), len(out), K)
	if K == 0 || len(out) == 0 {
		clear(out)
		return
	}
	qsum := [1]int32{SumI8(q)}
	i2sMatMul(out, len(out), w, len(out), K, q, qsum[:])
}

// MatMulI2S is the prefill product of rows I2_S rows (stored back to back
// in w, K elements each) with T = len(qsum) int8 activation rows (q, T×K
// row-major): out[t·ldo + r] = DotI2S(row r, q[t·K:(t+1)·K]). qsum[t] must
// be Σ q[t·K:(t+1)·K] (QuantizeI8 returns it; SumI8 computes it); the
// kernels compute Σ c·q over the 2-bit codes and subtract it, as
// bitnet.cpp does. Each weight row is read once for every group of tokens
// (tiles of 4 rows × 4 tokens in the AVX-512 and arm64 SDOT kernels).
func MatMulI2S(out []int32, ldo int, w []byte, rows, K int, q []int8, qsum []int32) {
	T := len(qsum)
	checkI2S(len(w), rows, K)
	if len(q) < T*K {
		panic(fmt.Sprintf("kernels: MatMulI2S: len(q) = %d < T·K = %d·%d", len(q), T, K))
	}
	if T == 0 || rows == 0 {
		return
	}
	if ldo < rows || len(out) < (T-1)*ldo+rows {
		panic(fmt.Sprintf("kernels: MatMulI2S: out (len %d, ldo %d) too small for %d tokens × %d rows", len(out), ldo, T, rows))
	}
	if K == 0 {
		for t := range T {
			clear(out[t*ldo : t*ldo+rows])
		}
		return
	}
	i2sMatMul(out, ldo, w, rows, K, q, qsum)
}

func checkI2S(wlen, rows, K int) {
	if K%128 != 0 || K < 0 || rows < 0 {
		panic(fmt.Sprintf("kernels: I2_S product with K = %d, rows = %d: K must be a non-negative multiple of 128", K, rows))
	}
	if wlen < rows*(K/4) {
		panic(fmt.Sprintf("kernels: I2_S weights of %d bytes hold fewer than %d rows of %d bytes", wlen, rows, K/4))
	}
}

// SumI8 returns Σ q[i].
func SumI8(q []int8) int32 {
	var s0, s1, s2, s3 int32
	i := 0
	for ; i+8 <= len(q); i += 8 {
		qq := q[i : i+8 : i+8]
		s0 += int32(qq[0]) + int32(qq[4])
		s1 += int32(qq[1]) + int32(qq[5])
		s2 += int32(qq[2]) + int32(qq[6])
		s3 += int32(qq[3]) + int32(qq[7])
	}
	for ; i < len(q); i++ {
		s0 += int32(q[i])
	}
	return s0 + s1 + s2 + s3
}
