package kernels

// Row sizes in bytes of one K-element row of each ternary layout.

// I2SRowBytes is the size of one I2_S row of k elements (k a multiple of 128).
func I2SRowBytes(k int) int { return k / 4 }

// TQ2RowBytes is the size of one TQ2_0 row (k a multiple of 256).
func TQ2RowBytes(k int) int { return k / 256 * 66 }

// TQ1RowBytes is the size of one TQ1_0 row (k a multiple of 256).
func TQ1RowBytes(k int) int { return k / 256 * 54 }

// pow3 are the multipliers that bring trit n of a TQ1_0 byte to the top.
var pow3 = [5]uint8{1, 3, 9, 27, 81}

// trit decodes trit n (0 = most significant) of a TQ1_0 byte as t ∈ {−1,0,1}
// (spec §2.5: v = byte·3ⁿ mod 256, u = (v·3) >> 8).
func trit(b byte, n int) int32 {
	v := b * pow3[n]
	return int32((uint16(v)*3)>>8) - 1
}

// DotTQ1Q8K returns one output of a TQ1_0 × Q8_K product as ggml's
// ggml_vec_dot_tq1_0_q8_K: blocks of 256 in 54 bytes (qs[48], qh[4], f16 d).
// qs[0..31] hold elements m+32n (n = 0..4), qs[32..47] elements 160+m+16n,
// qh[0..3] elements 240+j+4n (n = 0..3).
func DotTQ1Q8K(row []byte, q []int8, da []float32) float32 {
	var sum float32
	for b := range len(q) / 256 {
		blk := row[b*54 : b*54+54]
		qs := q[b*256 : b*256+256]
		var sumi int32
		for n := range 5 {
			for m := range 32 {
				sumi += trit(blk[m], n) * int32(qs[32*n+m])
			}
			for m := range 16 {
				sumi += trit(blk[32+m], n) * int32(qs[160+16*n+m])
			}
		}
		for n := range 4 {
			for j := range 4 {
				sumi += trit(blk[48+j], n) * int32(qs[240+4*n+j])
			}
		}
		d := da[b] * F16ToF32(uint16(blk[52])|uint16(blk[53])<<8)
		sum += float32(sumi) * d
	}
	return sum
}
