package kernels

import "fmt"

// MatMulF16 is the product of an f16 matrix (rows × K, row r at w[r·ldw:])
// with T float32 activation rows: out[t·ldo + r] = Σ_k w[r·ldw+k]·x[t·ldx+k]
// for r < rows, t < T. It is the f16 head's product (and that of f16
// linear weights), for one token or a batch, and the attention scores of
// the query heads sharing a KV head against a block of f16 keys.
//
// Every output depends only on its row and token, never on T, on the
// position of the row in w, or on how a caller splits the rows, so a batch
// of tokens produces exactly the bits that single tokens produce. The
// AVX-512 and AVX2 kernels accumulate each product in 16 lanes (element k
// into lane k mod 16, ascending; one zmm or two ymm registers), reduce the
// lanes in a fixed tree and add the K mod 16 remaining products in order,
// so both give the same bits; they convert every 16 weights once for
// several tokens (tiles of 4 rows × 4 tokens with AVX-512, 2 × 2 with
// AVX2). The other kernel sets compute each output with DotF16. Against
// the generic DotF16, outputs differ by float32 summation order only (the
// bound TestDotF16Equivalence states).
func MatMulF16(out []float32, ldo int, w []uint16, ldw, rows, K int, x []float32, ldx, T int) {
	if rows < 0 || K < 0 || T < 0 {
		panic(fmt.Sprintf("kernels: MatMulF16: rows %d, K %d, T %d", rows, K, T))
	}
	if rows == 0 || T == 0 {
		return
	}
	if ldw < K || len(w) < (rows-1)*ldw+K {
		panic(fmt.Sprintf("kernels: MatMulF16: %d weights (ldw %d) for %d rows of %d", len(w), ldw, rows, K))
	}
	if ldx < K || len(x) < (T-1)*ldx+K {
		panic(fmt.Sprintf("kernels: MatMulF16: x (len %d, ldx %d) too small for %d tokens of %d", len(x), ldx, T, K))
	}
	if ldo < rows || len(out) < (T-1)*ldo+rows {
		panic(fmt.Sprintf("kernels: MatMulF16: out (len %d, ldo %d) too small for %d tokens × %d rows", len(out), ldo, T, rows))
	}
	matMulF16(out, ldo, w, ldw, rows, K, x, ldx, T)
}

// matMulF16Generic computes every output with dotF16 (the active kernel
// set's DotF16).
func matMulF16Generic(out []float32, ldo int, w []uint16, ldw, rows, K int, x []float32, ldx, T int) {
	for r := range rows {
		row := w[r*ldw : r*ldw+K]
		for t := range T {
			out[t*ldo+r] = dotF16(row, x[t*ldx:t*ldx+K])
		}
	}
}

// dotF16Lanes16 is the definition of the AVX-512 MatMulF16 kernels' sum
// (the test oracle): 16 lane sums, a fixed reduction tree, then the tail.
func dotF16Lanes16(w []uint16, x []float32) float32 {
	var l [16]float32
	n := len(w) &^ 15
	for i := 0; i < n; i += 16 {
		for j := range 16 {
			l[j] += f16Table[w[i+j]] * x[i+j] // exact product: FMA == mul+add here only when x is f16-representable
		}
	}
	var h [8]float32 // zmm → ymm: low half + high half
	for j := range 8 {
		h[j] = l[j] + l[j+8]
	}
	var q [4]float32 // ymm → xmm
	for j := range 4 {
		q[j] = h[j] + h[j+4]
	}
	// VPERMILPS $0x4e swaps the 64-bit halves: [q2 q3 q0 q1]
	p0, p1 := q[0]+q[2], q[1]+q[3]
	// VPERMILPS $0xb1 swaps neighbours; VADDSS keeps lane 0.
	s := p0 + p1
	for i := n; i < len(w); i++ {
		s += f16Table[w[i]] * x[i]
	}
	return s
}
