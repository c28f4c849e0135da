package convert

import "math"

// npBlock is NumPy's reduction buffer size: np.add.reduce sums a float32
// array in blocks of this many elements, pairwise inside each block and
// sequentially (in float32) across blocks.
const npBlock = 8192

// absmeanBlock adds one block to the sum behind mean(|w|) as NumPy computes np.mean(np.abs(w)) for a
// float32 array: acc is the running float32 sum of the blocks before w
// (w is one block of at most npBlock elements, all blocks but the last
// full), and the caller divides the final sum by n in float32. This is
// the β of the BitNet-embedding packer (spec §10.3, §4.1 "computed in
// f32"); a float64 mean differs from it in the last bit for 4 of the 14
// projections of shared/embeddings/qwen3-student-i2_s.
func absmeanBlock(acc float32, w []float32) float32 {
	for i, v := range w {
		w[i] = float32(math.Abs(float64(v)))
	}
	return acc + pairwiseSum32(w)
}

// pairwiseSum32 is NumPy's pairwise_sum for float32 (loops_utils.h.src):
// fewer than 8 elements are summed in order; up to 128 with eight
// interleaved accumulators combined as ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7))
// and the remainder added in order; longer inputs split at n/2 rounded
// down to a multiple of 8.
func pairwiseSum32(a []float32) float32 {
	n := len(a)
	switch {
	case n < 8:
		var r float32
		for _, v := range a {
			r += v
		}
		return r
	case n <= 128:
		var r [8]float32
		copy(r[:], a[:8])
		i := 8
		for ; i < n-n%8; i += 8 {
			b := a[i : i+8 : i+8]
			for j := range r {
				r[j] += b[j]
			}
		}
		res := ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
		for ; i < n; i++ {
			res += a[i]
		}
		return res
	}
	n2 := n / 2
	n2 -= n2 % 8
	return pairwiseSum32(a[:n2]) + pairwiseSum32(a[n2:])
}
