package cuda

import (
	"fmt"
	"runtime"
	"sync"
)

// RepackI2S converts rows I2_S rows of K elements (spec §2.4: blocks of
// 128 elements in 32 bytes, byte p holding elements p, p+32, p+64, p+96
// from the most significant bit pair down) into the layout of the GPU
// kernels (kernels/gemv_i2s.cu), one row after another:
//
//	row n is K/16 u32 words; word i holds elements 16i..16i+15;
//	element 16i + 4s + b is at bits 8b + 2s (b, s ∈ 0..3)
//
// so that (word >> 2s) & 0x03030303 holds the codes of four consecutive
// elements 16i+4s..16i+4s+3, one per byte, ready for a dp4a with four
// consecutive int8 activations. Codes are unchanged (0, 1, 2 = −1, 0, +1),
// and the size is the same K/4 bytes per row. It is the layout of the
// official W2A8 kernel (spec §6, pack_weight.py step 4) without its 16×32
// tile permutation: rows stay contiguous, which keeps fused matrices
// ([q;k;v], [gate;up]) a plain concatenation.
//
// len(src) must be at least rows·K/4, len(dst) at least rows·K/16, and K
// a multiple of 128. Rows are converted in parallel.
func RepackI2S(dst []uint32, src []byte, rows, K int) {
	if K <= 0 || K%128 != 0 || rows < 0 {
		panic(fmt.Sprintf("cuda: RepackI2S: K = %d must be a positive multiple of 128, rows = %d", K, rows))
	}
	if len(src) < rows*(K/4) || len(dst) < rows*(K/16) {
		panic(fmt.Sprintf("cuda: RepackI2S: %d rows of %d elements need %d source bytes and %d words, have %d and %d",
			rows, K, rows*(K/4), rows*(K/16), len(src), len(dst)))
	}
	workers := min(runtime.GOMAXPROCS(0), max(1, rows/64))
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := rows*w/workers, rows*(w+1)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := lo; n < hi; n++ {
				repackRow(dst[n*(K/16):(n+1)*(K/16)], src[n*(K/4):(n+1)*(K/4)])
			}
		}()
	}
	wg.Wait()
}

// repackRow converts one row. Byte p of block b holds elements 128b +
// 32g + p (g = 0..3, at shift 6−2g); element e = 128b + 32g + p goes to
// word e/16 = 8b + 2g + p/16 at bit 8·(p%4) + 2·((p%16)/4), which does
// not depend on g.
func repackRow(dst []uint32, src []byte) {
	clear(dst)
	for b := 0; b < len(src)/32; b++ {
		blk := src[32*b : 32*b+32 : 32*b+32]
		w := dst[8*b : 8*b+8 : 8*b+8]
		for p, v := range blk {
			bit := uint(8*(p%4) + 2*((p%16)/4))
			hi := p / 16
			w[hi] |= uint32(v>>6&3) << bit
			w[2+hi] |= uint32(v>>4&3) << bit
			w[4+hi] |= uint32(v>>2&3) << bit
			w[6+hi] |= uint32(v&3) << bit
		}
	}
}

// dotRepacked is the Go definition of what i2s_gemv computes for one row
// and one token: Σ_i dp4a(code bytes, activation bytes) − Σ q, with the
// codes extracted as the kernel extracts them. It equals
// kernels.DotI2S on the original row.
func dotRepacked(row []uint32, q []int8) int32 {
	var acc, sum int32
	for i, w := range row {
		for s := range 4 {
			cw := w >> (2 * s) & 0x03030303
			for b := range 4 {
				acc += int32(int8(cw>>(8*b))) * int32(q[16*i+4*s+b])
			}
		}
	}
	for _, v := range q {
		sum += int32(v)
	}
	return acc - sum
}
