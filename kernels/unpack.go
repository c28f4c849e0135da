package kernels

// The prefill path multiplies one weight row by many tokens. Decoding the
// row's 2-bit or base-3 codes once into int8 ternary values and reusing
// them for every token costs one decode per row instead of one per token.

// UnpackI2S decodes one I2_S row into t (len(t) = 4·len(row)), t ∈ {−1,0,1}.
func UnpackI2S(row []byte, t []int8) {
	for b := 0; b+128 <= len(t); b += 128 {
		ts := t[b : b+128]
		ws := row[b/4 : b/4+32]
		for p, w := range ws {
			ts[p] = int8(w>>6) - 1
			ts[p+32] = int8(w>>4&3) - 1
			ts[p+64] = int8(w>>2&3) - 1
			ts[p+96] = int8(w&3) - 1
		}
	}
}

// UnpackTQ2 decodes one TQ2_0 row into ternary values t and per-block
// weight scales d (one per 256 elements).
func UnpackTQ2(row []byte, t []int8, d []float32) {
	for b := range len(t) / 256 {
		blk := row[b*66 : b*66+66]
		ts := t[b*256 : b*256+256]
		for h := range 2 {
			ws := blk[32*h : 32*h+32]
			th := ts[128*h : 128*h+128]
			for m, w := range ws {
				th[m] = int8(w&3) - 1
				th[m+32] = int8(w>>2&3) - 1
				th[m+64] = int8(w>>4&3) - 1
				th[m+96] = int8(w>>6) - 1
			}
		}
		d[b] = F16ToF32(uint16(blk[64]) | uint16(blk[65])<<8)
	}
}

// UnpackTQ1 decodes one TQ1_0 row into ternary values t and per-block
// weight scales d.
func UnpackTQ1(row []byte, t []int8, d []float32) {
	for b := range len(t) / 256 {
		blk := row[b*54 : b*54+54]
		ts := t[b*256 : b*256+256]
		for n := range 5 {
			for m := range 32 {
				ts[32*n+m] = int8(trit(blk[m], n))
			}
			for m := range 16 {
				ts[160+16*n+m] = int8(trit(blk[32+m], n))
			}
		}
		for n := range 4 {
			for j := range 4 {
				ts[240+4*n+j] = int8(trit(blk[48+j], n))
			}
		}
		d[b] = F16ToF32(uint16(blk[52]) | uint16(blk[53])<<8)
	}
}

// DotI8 returns Σ a[i]·b[i] in int32. len(b) >= len(a).
func DotI8(a, b []int8) int32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 int32
	i := 0
	for ; i+8 <= len(a); i += 8 {
		aa, bb := a[i:i+8:i+8], b[i:i+8:i+8]
		s0 += int32(aa[0])*int32(bb[0]) + int32(aa[4])*int32(bb[4])
		s1 += int32(aa[1])*int32(bb[1]) + int32(aa[5])*int32(bb[5])
		s2 += int32(aa[2])*int32(bb[2]) + int32(aa[6])*int32(bb[6])
		s3 += int32(aa[3])*int32(bb[3]) + int32(aa[7])*int32(bb[7])
	}
	for ; i < len(a); i++ {
		s0 += int32(a[i]) * int32(b[i])
	}
	return s0 + s1 + s2 + s3
}

// DotBlocksQ8K returns Σ_b float32(Σ_{i∈b} t_i·q_i) · (da[b]·dw[b]) over
// 256-element blocks, summed in block order: the same value as DotTQ2Q8K
// and DotTQ1Q8K for an unpacked row.
func DotBlocksQ8K(t, q []int8, dw, da []float32) float32 {
	var sum float32
	for b := range len(t) / 256 {
		sumi := DotI8(t[b*256:b*256+256], q[b*256:b*256+256])
		sum += float32(sumi) * (da[b] * dw[b])
	}
	return sum
}

// F16ToF32Slice converts a binary16 vector to float32.
func F16ToF32Slice(dst []float32, src []uint16) {
	dst = dst[:len(src)]
	for i, h := range src {
		dst[i] = f16Table[h]
	}
}
