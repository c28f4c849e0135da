package kernels

import (
	"math/rand/v2"
	"testing"
	"unsafe"

	"github.com/bitnet-go/bitnet/internal/bigmem"
)

// BenchmarkDecodeDRAM streams decode-sized weights from DRAM (in memory
// advised for huge pages, as the model loader allocates them) through the
// decode kernels: the f16 head's mat-vec over 205 MB of rows and the I2_S
// mat-vec over 106 MB of ffn_down copies. Run with -benchtime 20x; GB/s is
// the figure to compare with the machine's streaming bandwidth.
func BenchmarkDecodeDRAM(b *testing.B) {
	b.Run("f16_head", func(b *testing.B) {
		const rows, K = 40000, 2560
		buf, free := bigmem.Bytes(rows * K * 2)
		defer free()
		w := unsafe.Slice((*uint16)(unsafe.Pointer(&buf[0])), rows*K)
		rng := rand.New(rand.NewPCG(1, 1))
		for i := range w {
			w[i] = F32ToF16(float32(rng.NormFloat64()) * 0.02)
		}
		x := make([]float32, K)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		out := make([]float32, rows)
		benchImpls(b, func(b *testing.B) {
			b.SetBytes(int64(len(buf)))
			for b.Loop() {
				MatMulF16(out, rows, w, K, rows, K, x, K, 1)
			}
		})
	})
	b.Run("i2s_ffn_down", func(b *testing.B) {
		const rows, K, copies = 2560, 6912, 24
		rng := rand.New(rand.NewPCG(1, 1))
		w, q := i2sCase(rng, rows, K, 1, 0, "rand")
		buf, free := bigmem.Bytes(len(w) * copies)
		defer free()
		for c := range copies {
			copy(buf[c*len(w):], w)
		}
		out := make([]int32, rows)
		benchImpls(b, func(b *testing.B) {
			b.SetBytes(int64(len(buf)))
			for b.Loop() {
				for c := range copies {
					MatVecI2S(out, buf[c*len(w):(c+1)*len(w)], q)
				}
			}
		})
	})
}
