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
// kernels compute the integer block sums, and the block scaling and sum run
// in Go in block order.
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

func checkTQ2(wlen, rows, K, nda int) {
	if K%256 != 0 || rows < 0 {
		panic(fmt.Sprintf("kernels: TQ2_0 product with K = %d: K must be a multiple of 256", K))
	}
	if wlen < rows*(K/256*66) || nda < K/256 {
		panic(fmt.Sprintf("kernels: TQ2_0 product: %d weight bytes and %d scales for %d rows of K = %d", wlen, nda, rows, K))
	}
}
