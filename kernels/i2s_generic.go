package kernels

// i2sDotGeneric is the reference definition of DotI2S (spec §2.4).
func i2sDotGeneric(row []byte, q []int8) int32 {
	var acc int32
	for b := 0; b+128 <= len(q); b += 128 {
		qs := q[b : b+128 : b+128]
		ws := row[b/4 : b/4+32 : b/4+32]
		for p, w := range ws {
			acc += int32(qs[p])*(int32(w>>6)-1) +
				int32(qs[p+32])*(int32(w>>4&3)-1) +
				int32(qs[p+64])*(int32(w>>2&3)-1) +
				int32(qs[p+96])*(int32(w&3)-1)
		}
	}
	return acc
}

// i2sMatMulGeneric is the reference of MatMulI2S: one DotI2S per (row,
// token). qsum is not needed by this formulation.
func i2sMatMulGeneric(out []int32, ldo int, w []byte, rows, K int, q []int8, qsum []int32) {
	rb := K / 4
	for r := range rows {
		row := w[r*rb : (r+1)*rb]
		for t := range qsum {
			out[t*ldo+r] = i2sDotGeneric(row, q[t*K:(t+1)*K])
		}
	}
}
