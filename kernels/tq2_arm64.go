//go:build !noasm

package kernels

// The assembly kernels return the integer block sums Σ (c−1)·q of TQ2_0
// blocks; the block scaling and the float sum stay in Go, in block order,
// so every implementation gives the generic float32 bits. See
// tq2_generic.go.

// tq2Sums4SDOT: out[4b+i] = integer Σ t·q of block b of row i (i < 4, rows
// stride bytes apart, b < nblk).
//
//go:noescape
func tq2Sums4SDOT(w *byte, stride int, q *int8, nblk int, out *int32)

// tq2Sums1SDOT: out[b] = integer Σ t·q of block b of one row.
//
//go:noescape
func tq2Sums1SDOT(w *byte, q *int8, nblk int, out *int32)

// tq2Sums4NEON is tq2Sums4SDOT with SMULL/SMULL2/SADALP.
//
//go:noescape
func tq2Sums4NEON(w *byte, stride int, q *int8, nblk int, out *int32)

// tq2Sums1NEON is tq2Sums1SDOT with SMULL/SMULL2/SADALP.
//
//go:noescape
func tq2Sums1NEON(w *byte, q *int8, nblk int, out *int32)

// tq2BlocksPerCall bounds the blocks per assembly call (the size of the
// stack buffer for the sums).
const tq2BlocksPerCall = 64

func tq2MatVec(out []float32, w []byte, q []int8, da []float32) {
	K := len(q)
	nb, rb := K/256, K/256*66
	if !useNEON || nb == 0 {
		for r := range out {
			out[r] = dotTQ2Generic(w[r*rb:(r+1)*rb], q, da)
		}
		return
	}
	rows := len(out)
	_ = w[rows*rb-1]
	sdot := useSDOT
	var sums [4 * tq2BlocksPerCall]int32
	r := 0
	for ; r+4 <= rows; r += 4 {
		var acc [4]float32
		for b0 := 0; b0 < nb; b0 += tq2BlocksPerCall {
			n := min(tq2BlocksPerCall, nb-b0)
			if sdot {
				tq2Sums4SDOT(&w[r*rb+b0*66], rb, &q[b0*256], n, &sums[0])
			} else {
				tq2Sums4NEON(&w[r*rb+b0*66], rb, &q[b0*256], n, &sums[0])
			}
			for i := range 4 {
				row := w[(r+i)*rb+b0*66 : (r+i+1)*rb]
				acc[i] = tq2AddScaled(acc[i], sums[i:4*n], 4, row, da[b0:b0+n])
			}
		}
		out[r], out[r+1], out[r+2], out[r+3] = acc[0], acc[1], acc[2], acc[3]
	}
	for ; r < rows; r++ {
		var acc float32
		for b0 := 0; b0 < nb; b0 += tq2BlocksPerCall {
			n := min(tq2BlocksPerCall, nb-b0)
			if sdot {
				tq2Sums1SDOT(&w[r*rb+b0*66], &q[b0*256], n, &sums[0])
			} else {
				tq2Sums1NEON(&w[r*rb+b0*66], &q[b0*256], n, &sums[0])
			}
			acc = tq2AddScaled(acc, sums[:n], 1, w[r*rb+b0*66:(r+1)*rb], da[b0:b0+n])
		}
		out[r] = acc
	}
}

// tq2AddScaled continues dotTQ2Generic's float sum from sum over the blocks
// of row, whose integer sums are sums[stride·b]: the same expressions in
// the same order, so the compiler rounds (and, on arm64, fuses) them as it
// does in the reference.
func tq2AddScaled(sum float32, sums []int32, stride int, row []byte, da []float32) float32 {
	for b := range da {
		blk := row[b*66 : b*66+66 : b*66+66]
		d := da[b] * F16ToF32(uint16(blk[64])|uint16(blk[65])<<8)
		sum += float32(sums[stride*b]) * d
	}
	return sum
}
