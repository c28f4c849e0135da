package kernels

import "fmt"

// DotTQ2Q8K returns one output of a TQ2_0 × Q8_K product exactly as ggml's
// ggml_vec_dot_tq2_0_q8_K: per 256-block, the integer Σ t·q times
// (d_act · d_weight), summed in float32 in block order. Block layout (spec
// §2.5): qs[64] then an f16 d; element e sits in byte 32·(e/128) + e%32 at
// bit shift 2·((e%128)/32). da holds one activation scale per block.
//
// len(q) must be a multiple of 256, len(row) >= len(q)/256·66 and len(da)
// >= len(q)/256. Every implementation gives the same float32 bits: the
// integer block sums are exact, and the block scaling and the block-order
// sum are the same float32 operations as here (run in Go, or lane by lane
// in the amd64 assembly, never fused into an FMA).
func DotTQ2Q8K(row []byte, q []int8, da []float32) float32 {
	checkTQ2(len(row), 1, len(q), len(da))
	var out [1]float32
	tq2MatVec(out[:], row, q, da)
	return out[0]
}

// MatVecTQ2 sets out[r] = DotTQ2Q8K(row r, q, da) for r < len(out), the rows
// stored back to back in w (K/256·66 bytes each, K = len(q)).
func MatVecTQ2(out []float32, w []byte, q []int8, da []float32) {
	checkTQ2(len(w), len(out), len(q), len(da))
	if len(out) == 0 {
		return
	}
	tq2MatVec(out, w, q, da)
}

// MatMulTQ2 is the prefill product of rows TQ2_0 rows (stored back to back
// in w, K/256·66 bytes each) with T Q8_K activation rows (q, T×K row-major,
// and their block scales da, T×K/256): out[t·ldo + r] = DotTQ2Q8K(row r,
// q[t·K:(t+1)·K], da[t·K/256:(t+1)·K/256]), bit for bit, so prefill and
// token-by-token decoding agree exactly. The AVX-512 kernel works on tiles
// of 4 rows × 4 tokens, decoding each weight block once for four tokens;
// keep rows small enough (a few dozen) for them to stay in cache across
// the token tiles.
func MatMulTQ2(out []float32, ldo int, w []byte, rows, K, T int, q []int8, da []float32) {
	checkTQ2(len(w), rows, K, K/256) // da is checked below, against T
	nb := K / 256
	if T < 0 || len(q) < T*K || len(da) < T*nb {
		panic(fmt.Sprintf("kernels: MatMulTQ2: %d activations and %d scales for T = %d tokens of K = %d", len(q), len(da), T, K))
	}
	if T == 0 || rows == 0 {
		return
	}
	if ldo < rows || len(out) < (T-1)*ldo+rows {
		panic(fmt.Sprintf("kernels: MatMulTQ2: out (len %d, ldo %d) too small for %d tokens × %d rows", len(out), ldo, T, rows))
	}
	if K == 0 {
		for t := range T {
			clear(out[t*ldo : t*ldo+rows])
		}
		return
	}
	tq2MatMul(out, ldo, w, rows, K, T, q, da)
}

func checkTQ2(wlen, rows, K, nda int) {
	if K%256 != 0 || K < 0 || rows < 0 {
		panic(fmt.Sprintf("kernels: TQ2_0 product with K = %d, rows = %d: K must be a non-negative multiple of 256", K, rows))
	}
	if wlen < rows*(K/256*66) || nda < K/256 {
		panic(fmt.Sprintf("kernels: TQ2_0 product: %d weight bytes and %d scales for %d rows of K = %d", wlen, nda, rows, K))
	}
}
