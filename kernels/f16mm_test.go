package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// f16Operands returns rows×K f16 weights and T×ldx activations; with
// round, the activations are f16-representable (as the head's input is),
// which makes every product exact in float32.
func f16Operands(rng *rand.Rand, rows, K, T, ldx int, round bool) ([]uint16, []float32) {
	w := make([]uint16, rows*K)
	for i := range w {
		w[i] = F32ToF16(float32(rng.NormFloat64()))
	}
	x := make([]float32, (T-1)*ldx+K)
	for i := range x {
		x[i] = float32(rng.NormFloat64() * 4)
		if round {
			x[i] = F16ToF32(F32ToF16(x[i]))
		}
	}
	return w, x
}

// TestMatMulF16BatchBits: an output's bits depend only on its row and token:
// a batch equals each token alone, and any split of the rows equals the
// whole, in every kernel set (what makes batched decoding reproduce
// single-stream logits).
func TestMatMulF16BatchBits(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(11, 12))
		for _, K := range []int{1, 15, 16, 17, 64, 200, 2560, 2561} {
			for _, T := range []int{1, 2, 4, 5, 7, 16} {
				for _, rows := range []int{1, 3, 4, 5, 9, 70, 131} {
					ldx, ldo := K+rng.IntN(3), rows+rng.IntN(3)
					w, x := f16Operands(rng, rows, K, T, ldx, rng.IntN(2) == 0)
					out := make([]float32, (T-1)*ldo+rows)
					MatMulF16(out, ldo, w, K, rows, K, x, ldx, T)
					for tt := range T {
						one := make([]float32, rows)
						MatMulF16(one, rows, w, K, rows, K, x[tt*ldx:tt*ldx+K], K, 1)
						// and rows one at a time, from an odd offset
						for r := range rows {
							var single [1]float32
							MatMulF16(single[:], 1, w[r*K:(r+1)*K], K, 1, K, x[tt*ldx:tt*ldx+K], K, 1)
							if got, a, b := out[tt*ldo+r], one[r], single[0]; math.Float32bits(got) != math.Float32bits(a) || math.Float32bits(a) != math.Float32bits(b) {
								t.Fatalf("K=%d T=%d rows=%d: row %d token %d: batch %v, token alone %v, row alone %v", K, T, rows, r, tt, got, a, b)
							}
						}
					}
				}
			}
		}
	})
}

// TestMatMulF16Equivalence: every kernel set is within the float32
// reordering bound of the generic DotF16, and the AVX-512 kernels equal
// their definition dotF16Lanes16 bit for bit on f16-representable inputs
// (so the avx2 and avx512vnni sets agree exactly).
func TestMatMulF16Equivalence(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(13, 14))
		for _, K := range []int{1, 16, 33, 48, 128, 2560, 2563} {
			const rows, T = 9, 6
			w, x := f16Operands(rng, rows, K, T, K, true)
			// extremes: the largest f16 weights against large activations
			w[0], w[K-1], x[0] = 0x7bff, 0xfbff, 60000
			out := make([]float32, T*rows)
			MatMulF16(out, rows, w, K, rows, K, x, K, T)
			for tt := range T {
				for r := range rows {
					wr, xt := w[r*K:(r+1)*K], x[tt*K:(tt+1)*K]
					got, want := out[tt*rows+r], dotF16Generic(wr, xt)
					var abs float64
					for i := range wr {
						abs += math.Abs(float64(F16ToF32(wr[i]) * xt[i]))
					}
					if d := math.Abs(float64(got - want)); d > 2*float64(K)*0x1p-24*abs+1e-30 {
						t.Fatalf("K=%d row %d token %d: %v, generic %v", K, r, tt, got, want)
					}
					if Active() == "avx512vnni" || Active() == "avx2" {
						if l := dotF16Lanes16(wr, xt); math.Float32bits(got) != math.Float32bits(l) {
							t.Fatalf("K=%d row %d token %d: %v, dotF16Lanes16 %v", K, r, tt, got, l)
						}
					}
				}
			}
		}
	})
}

func TestMatMulF16Panics(t *testing.T) {
	w, x := make([]uint16, 32), make([]float32, 32)
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"short w", func() { MatMulF16(make([]float32, 3), 3, w, 16, 3, 16, x, 16, 1) }},
		{"short x", func() { MatMulF16(make([]float32, 4), 2, w, 16, 2, 16, x, 16, 3) }},
		{"short out", func() { MatMulF16(make([]float32, 1), 2, w, 16, 2, 16, x, 16, 1) }},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", tc.name)
				}
			}()
			tc.f()
		}()
	}
}

// BenchmarkMatMulF16: a 2B-4T-shaped head block (K = 2560) against 1 and 16
// tokens, the decode and 16-stream batched-decode shapes.
func BenchmarkMatMulF16(b *testing.B) {
	const rows, K = 2048, 2560 // 10 MiB of f16 rows
	for _, T := range []int{1, 16} {
		rng := rand.New(rand.NewPCG(1, 1))
		w, x := f16Operands(rng, rows, K, T, K, true)
		out := make([]float32, T*rows)
		b.Run(fmt.Sprintf("T=%d", T), func(b *testing.B) {
			benchImpls(b, func(b *testing.B) {
				b.SetBytes(int64(len(w) * 2))
				for b.Loop() {
					MatMulF16(out, rows, w, K, rows, K, x, K, T)
				}
				b.ReportMetric(float64(rows*K*T)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
			})
		})
	}
}
