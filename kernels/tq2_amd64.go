//go:build !noasm

package kernels

// tq2Sums4VNNI: out[i·nblk+b] = integer Σ t·q of block b of row i (i < 4,
// rows stride bytes apart). See tq2_generic.go.
//
//go:noescape
func tq2Sums4VNNI(w *byte, stride int, q *int8, nblk int, out *int32)

// tq2Sums1VNNI: out[b] = integer Σ t·q of block b of one row.
//
//go:noescape
func tq2Sums1VNNI(w *byte, q *int8, nblk int, out *int32)

// tq2Chunk bounds the blocks per assembly call (the stack buffer size).
const tq2Chunk = 64

func tq2MatVec(out []float32, w []byte, q []int8, da []float32) {
	K := len(q)
	nb, rb := K/256, K/256*66
	if !useVNNI || nb == 0 {
		for r := range out {
			out[r] = dotTQ2Generic(w[r*rb:(r+1)*rb], q, da)
		}
		return
	}
	rows := len(out)
	_ = w[rows*rb-1]
	var sums [4 * tq2Chunk]int32
	r := 0
	for ; r+4 <= rows; r += 4 {
		var acc [4]float32
		for b0 := 0; b0 < nb; b0 += tq2Chunk {
			n := min(tq2Chunk, nb-b0)
			tq2Sums4VNNI(&w[r*rb+b0*66], rb, &q[b0*256], n, &sums[0])
			for i := range 4 {
				row := w[(r+i)*rb+b0*66 : (r+i+1)*rb]
				acc[i] = tq2Continue(acc[i], sums[i*n:(i+1)*n], row, da[b0:])
			}
		}
		out[r], out[r+1], out[r+2], out[r+3] = acc[0], acc[1], acc[2], acc[3]
	}
	for ; r < rows; r++ {
		var acc float32
		for b0 := 0; b0 < nb; b0 += tq2Chunk {
			n := min(tq2Chunk, nb-b0)
			tq2Sums1VNNI(&w[r*rb+b0*66], &q[b0*256], n, &sums[0])
			acc = tq2Continue(acc, sums[:n], w[r*rb+b0*66:(r+1)*rb], da[b0:])
		}
		out[r] = acc
	}
}

// tq2Continue is tq2Finish starting from sum (chunks of blocks continue
// the same block-order float sum).
func tq2Continue(sum float32, sums []int32, row []byte, da []float32) float32 {
	da = da[:len(sums)]
	for b, si := range sums {
		blk := row[b*66 : b*66+66 : b*66+66]
		d := da[b] * F16ToF32(uint16(blk[64])|uint16(blk[65])<<8)
		sum += float32(si) * d
	}
	return sum
}
