package kernels

import "fmt"

// MatMulTQ1 is the product of rows TQ1_0 rows (stored back to back in w,
// K/256·54 bytes each) with T Q8_K activation rows (q, T×K row-major, and
// their block scales da, T×K/256): out[t·ldo + r] = DotTQ1Q8K(row r,
// q[t·K:(t+1)·K], da[t·K/256:(t+1)·K/256]), bit for bit. T = 1 is the
// decode product.
//
// It rewrites the rows a chunk at a time as TQ2_0 blocks holding the same
// ternary values and the same f16 scales (tq1ToTQ2) and runs the TQ2_0
// kernels on them: per block both formats give the integer Σ t·q and then
// float32(Σ)·(da·d), so the results are those of DotTQ1Q8K.
func MatMulTQ1(out []float32, ldo int, w []byte, rows, K, T int, q []int8, da []float32) {
	if K%256 != 0 || K < 0 || rows < 0 || T < 0 {
		panic(fmt.Sprintf("kernels: TQ1_0 product with K = %d, rows = %d, T = %d: K must be a non-negative multiple of 256", K, rows, T))
	}
	nb := K / 256
	rb1, rb2 := nb*54, nb*66
	if len(w) < rows*rb1 || len(q) < T*K || len(da) < T*nb {
		panic(fmt.Sprintf("kernels: MatMulTQ1: %d weight bytes, %d activations and %d scales for %d rows and %d tokens of K = %d", len(w), len(q), len(da), rows, T, K))
	}
	if T == 0 || rows == 0 {
		return
	}
	if ldo < rows || len(out) < (T-1)*ldo+rows {
		panic(fmt.Sprintf("kernels: MatMulTQ1: out (len %d, ldo %d) too small for %d tokens × %d rows", len(out), ldo, T, rows))
	}
	if K == 0 {
		for t := range T {
			clear(out[t*ldo : t*ldo+rows])
		}
		return
	}
	var buf [tq1ChunkBytes]byte
	step := tq1ChunkBytes / rb2
	switch {
	case step >= 32:
		step &^= 31 // whole groups of the prefill kernels
	case step >= 16:
		step &^= 15
	case step == 0:
		// A row beyond the buffer (K > 251 904): the reference.
		for t := range T {
			for r := range rows {
				out[t*ldo+r] = DotTQ1Q8K(w[r*rb1:(r+1)*rb1], q[t*K:(t+1)*K], da[t*nb:(t+1)*nb])
			}
		}
		return
	}
	for r0 := 0; r0 < rows; r0 += step {
		n := min(step, rows-r0)
		tq1ToTQ2(buf[:n*rb2], w[r0*rb1:(r0+n)*rb1], n*nb)
		tq2MatMul(out[r0:], ldo, buf[:n*rb2], n, K, T, q, da)
	}
}

// tq1ChunkBytes is the stack buffer for the rows rewritten as TQ2_0.
const tq1ChunkBytes = 64 << 10

// tq1Codes[n][x] is trit n of TQ1_0 byte x as a TQ2_0 code t+1 ∈ {0,1,2}
// (spec §2.5: v = x·3ⁿ mod 256, code = (v·3) >> 8).
var tq1Codes = func() (c [5][256]byte) {
	for n := range 5 {
		for x := range 256 {
			c[n][x] = byte(trit(byte(x), n) + 1)
		}
	}
	return c
}()

// tq1ToTQ2Generic rewrites nblk TQ1_0 blocks (54 bytes: qs[48], qh[4], f16
// d) as TQ2_0 blocks (66 bytes: qs[64], f16 d) with the same values. TQ1_0
// element placement (spec §2.5): qs[m] trit n is element 32n+m (m < 32);
// qs[32+m] trit n is 160+m+16n (m < 16); qh[j] trit n is 240+j+4n. TQ2_0
// holds element 128h+32j+m in byte 32h+m at bit shift 2j.
func tq1ToTQ2Generic(dst, src []byte, nblk int) {
	c := &tq1Codes
	for b := range nblk {
		s := src[b*54 : b*54+54 : b*54+54]
		d := dst[b*66 : b*66+66 : b*66+66]
		for m := range 32 {
			x := s[m]
			d[m] = c[0][x] | c[1][x]<<2 | c[2][x]<<4 | c[3][x]<<6
		}
		for m := range 16 {
			x, y := s[m], s[32+m]
			// Elements 128+m, 160+m, 192+m, 224+m.
			d[32+m] = c[4][x] | c[0][y]<<2 | c[2][y]<<4 | c[4][y]<<6
			// Elements 144+m, 176+m, 208+m, 240+m.
			x = s[16+m]
			d[48+m] = c[4][x] | c[1][y]<<2 | c[3][y]<<4 | c[m/4][s[48+m%4]]<<6
		}
		d[64], d[65] = s[52], s[53]
	}
}
