package kernels

// dotTQ2Generic is the reference definition of DotTQ2Q8K.
func dotTQ2Generic(row []byte, q []int8, da []float32) float32 {
	var sum float32
	for b := range len(q) / 256 {
		blk := row[b*66 : b*66+66]
		qs := q[b*256 : b*256+256]
		var sumi int32
		for h := range 2 {
			ws := blk[32*h : 32*h+32]
			qh := qs[128*h : 128*h+128]
			for m, w := range ws {
				sumi += int32(qh[m])*(int32(w&3)-1) +
					int32(qh[m+32])*(int32(w>>2&3)-1) +
					int32(qh[m+64])*(int32(w>>4&3)-1) +
					int32(qh[m+96])*(int32(w>>6)-1)
			}
		}
		d := da[b] * F16ToF32(uint16(blk[64])|uint16(blk[65])<<8)
		sum += float32(sumi) * d
	}
	return sum
}

// tq2MatMulGeneric is the reference definition of MatMulTQ2.
func tq2MatMulGeneric(out []float32, ldo int, w []byte, rows, K, T int, q []int8, da []float32) {
	nb, rb := K/256, K/256*66
	for t := range T {
		qt, dt := q[t*K:(t+1)*K], da[t*nb:(t+1)*nb]
		for r := range rows {
			out[t*ldo+r] = dotTQ2Generic(w[r*rb:(r+1)*rb], qt, dt)
		}
	}
}
