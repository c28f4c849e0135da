package kernels

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestMatMulU8I8Equivalence: every kernel set gives the exact integers of
// the reference loop, for random and extreme bytes, K with and without a
// tail past the last 64, and row and token counts off the 4×4 tile.
func TestMatMulU8I8Equivalence(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(21, 22))
		for _, K := range []int{1, 63, 64, 65, 128, 2560, 2600} {
			for _, T := range []int{1, 3, 4, 5, 8, 16} {
				for _, rows := range []int{1, 4, 6, 9, 33} {
					for _, kind := range []string{"rand", "max", "min"} {
						lda, ldo := K+rng.IntN(5), rows+rng.IntN(3)
						w := make([]int8, rows*K)
						a := make([]byte, (T-1)*lda+K)
						for i := range w {
							switch kind {
							case "rand":
								w[i] = int8(rng.IntN(256) - 128)
							case "max":
								w[i] = 127
							case "min":
								w[i] = -128
							}
						}
						for i := range a {
							a[i] = byte(rng.IntN(256))
							if kind != "rand" {
								a[i] = 255
							}
						}
						got := make([]int32, (T-1)*ldo+rows)
						MatMulU8I8(got, ldo, w, rows, K, a, lda, T)
						for tt := range T {
							want := make([]int32, rows)
							matVecU8I8Generic(want, w, a[tt*lda:tt*lda+K])
							if g := got[tt*ldo : tt*ldo+rows]; !slices.Equal(g, want) {
								t.Fatalf("K=%d T=%d rows=%d %s token %d: got %v want %v", K, T, rows, kind, tt, g, want)
							}
						}
					}
				}
			}
		}
	})
}

// BenchmarkMatMulU8I8: the int8 head of a 2B-4T-shaped model (K = 2560),
// a block of rows against 1 and 16 tokens.
func BenchmarkMatMulU8I8(b *testing.B) {
	const rows, K = 4096, 2560 // 10 MiB of int8 rows
	for _, T := range []int{1, 16} {
		rng := rand.New(rand.NewPCG(1, 1))
		w := make([]int8, rows*K)
		for i := range w {
			w[i] = int8(rng.IntN(256) - 128)
		}
		a := make([]byte, T*K)
		for i := range a {
			a[i] = byte(rng.IntN(256))
		}
		out := make([]int32, T*rows)
		b.Run(fmt.Sprintf("T=%d", T), func(b *testing.B) {
			benchImpls(b, func(b *testing.B) {
				b.SetBytes(int64(len(w)))
				for b.Loop() {
					for r0 := 0; r0 < rows; r0 += 256 {
						MatMulU8I8(out[r0:], rows, w[r0*K:(r0+256)*K], 256, K, a, K, T)
					}
				}
				b.ReportMetric(float64(rows*K*T)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
			})
		})
	}
}
