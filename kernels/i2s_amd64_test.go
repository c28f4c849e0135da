//go:build !noasm

package kernels

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// i2sMatMulUntiledAVX2 is the AVX2 prefill as it was before the 2×4 tile:
// one i2sDot4AVX2 call (4 rows × 1 token) per token, so every token
// decodes the weights again. Kept for BenchmarkI2SPrefillAVX2's same-run
// comparison.
func i2sMatMulUntiledAVX2(out []int32, ldo int, w []byte, rows, K int, q []int8, qsum []int32) {
	rb, nblk := K/4, K/128
	for r := 0; r+4 <= rows; r += 4 {
		for t := range qsum {
			var acc [4]int32
			i2sDot4AVX2(&w[r*rb], rb, &q[t*K], nblk, &acc)
			o := out[t*ldo+r : t*ldo+r+4 : t*ldo+r+4]
			o[0], o[1], o[2], o[3] = acc[0]-qsum[t], acc[1]-qsum[t], acc[2]-qsum[t], acc[3]-qsum[t]
		}
	}
}

// BenchmarkI2SPrefillAVX2 times one prefill product the way model/linear.go
// calls it (blocks of 64 rows, all tokens per call) with the untiled and
// the tiled AVX2 kernels, in the same run so their ratio is meaningful on
// a busy machine.
func BenchmarkI2SPrefillAVX2(b *testing.B) {
	if !hasAVX2 {
		b.Skip("CPU lacks AVX2/FMA/F16C")
	}
	const rows, rowBlock, T = 512, 64, 128
	for _, K := range []int{2560, 6912} {
		rng := rand.New(rand.NewPCG(1, 1))
		w, q := i2sCase(rng, rows, K, T, 0, "rand")
		qsum := make([]int32, T)
		for t := range T {
			qsum[t] = SumI8(q[t*K : (t+1)*K])
		}
		out := make([]int32, rowBlock*T)
		for _, v := range []struct {
			name string
			f    func(out []int32, ldo int, w []byte, rows, K int, q []int8, qsum []int32)
		}{{"untiled", i2sMatMulUntiledAVX2}, {"tile2x4", i2sMatMulTiledAVX2}} {
			b.Run(v.name+"/K="+strconv.Itoa(K), func(b *testing.B) {
				rb := K / 4
				for b.Loop() {
					for r := 0; r < rows; r += rowBlock {
						v.f(out, rowBlock, w[r*rb:(r+rowBlock)*rb], rowBlock, K, q, qsum)
					}
				}
				b.ReportMetric(float64(rows*K*T)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
			})
		}
	}
}

// BenchmarkI2SDecodeAVX2 compares the AVX2 mat-vec kernels in one
// interleaved run (see benchInterleaved), single-threaded, over 24 copies
// of ffn_down in DRAM (106 MB): the previous i2sDot4AVX2 (4 interleaved
// row streams, int32 sums every block, prefetching the row group after
// the next) and i2sRows16AVX2 (one sequential stream, int16 partial
// sums) at prefetch distances 0, 256 and 1024 bytes.
func BenchmarkI2SDecodeAVX2(b *testing.B) {
	if !hasAVX2 {
		b.Skip("CPU lacks AVX2/FMA/F16C")
	}
	const rows, K, copies = 2560, 6912, 24
	rng := rand.New(rand.NewPCG(1, 1))
	w, q := i2sCase(rng, rows, K, 1, 0, "rand")
	buf, free := streamCopies(w, copies)
	defer free()
	rb, nblk := K/4, K/128
	var acc [4]int32
	sweep := func(f func(w *byte)) func() {
		return func() {
			for r := 0; r < rows*copies; r += 4 {
				f(&buf[r*rb])
			}
		}
	}
	vs := []variant{{"dot4", int64(len(buf)), sweep(func(w *byte) { i2sDot4AVX2(w, rb, &q[0], nblk, &acc) })}}
	out := make([]int32, rows)
	for _, pf := range []int{0, 256, 1024} {
		vs = append(vs, variant{"rows16_pf" + strconv.Itoa(pf) + "B", int64(len(buf)), func() {
			for c := range copies {
				i2sRows16AVX2(&buf[c*len(w)], rows, &q[0], nblk, &out[0], pf)
			}
		}})
	}
	benchInterleaved(b, vs)
}
