package kernels

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// tq1Case builds rows TQ1_0 rows of K elements from random bytes (qs bytes
// above 242 and qh bytes above 240 are not produced by the quantizer, but
// the decoding is defined for every byte) with tq2Case's activations.
func tq1Case(rng *rand.Rand, rows, K, T int, qmode, dmode string) ([]byte, []int8, []float32) {
	nb := K / 256
	w := make([]byte, rows*nb*54)
	for r := range rows * nb {
		blk := w[r*54 : r*54+54]
		for i := range 52 {
			blk[i] = byte(rng.IntN(256))
		}
		d := F32ToF16(float32(rng.Float64()*0.1 + 0.001))
		if dmode == "edge" {
			d = tq2Edge[rng.IntN(len(tq2Edge))]
		}
		blk[52], blk[53] = byte(d), byte(d>>8)
	}
	_, q, da := tq2Case(rng, 0, K, T, 0, qmode, dmode)
	return w, q, da
}

// TestTQ1ToTQ2: the rewritten blocks hold the same values (DotTQ2Q8K of
// the rewrite equals DotTQ1Q8K bit for bit), every byte value at every
// position, in every implementation of the rewrite.
func TestTQ1ToTQ2(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(3, 4))
		for pos := range 54 {
			for v := range 256 {
				src := make([]byte, 2*54)
				for i := range src {
					src[i] = byte(rng.IntN(256))
				}
				src[54+pos] = byte(v)
				got, want := make([]byte, 2*66), make([]byte, 2*66)
				tq1ToTQ2(got, src, 2)
				tq1ToTQ2Generic(want, src, 2)
				if !bytes.Equal(got, want) {
					t.Fatalf("byte %d = %#x: rewrite %x, want %x", pos, v, got, want)
				}
			}
		}
		for range 50 {
			w, q, da := tq1Case(rng, 1, 512, 1, "rand", "rand")
			conv := make([]byte, 2*66)
			tq1ToTQ2(conv, w, 2)
			if got, want := dotTQ2Generic(conv, q, da), DotTQ1Q8K(w, q, da); !sameBits(got, want) {
				t.Fatalf("DotTQ2Q8K of the rewrite = %v, DotTQ1Q8K = %v", got, want)
			}
		}
	})
}

// TestMatMulTQ1Equivalence: every implementation equals DotTQ1Q8K bit for
// bit (the integer block sums are exact; the scaling is the same float32
// operations in the same order).
func TestMatMulTQ1Equivalence(t *testing.T) {
	type shape struct{ rows, K, T int }
	shapes := []shape{{1, 256, 1}, {5, 512, 3}, {17, 768, 1}, {16, 2560, 4}, {40, 2560, 17}, {70, 1280, 9}, {3, 6912, 2}}
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(7, 8))
		for _, s := range shapes {
			nb := s.K / 256
			for _, qmode := range []string{"rand", "min", "extreme"} {
				for _, dmode := range []string{"rand", "edge"} {
					name := fmt.Sprintf("rows=%d,K=%d,T=%d,q=%s,d=%s", s.rows, s.K, s.T, qmode, dmode)
					w, q, da := tq1Case(rng, s.rows, s.K, s.T, qmode, dmode)
					w0 := slices.Clone(w)
					ldo := s.rows + 1
					out, check := guardedF32(t, (s.T-1)*ldo+s.rows)
					MatMulTQ1(out, ldo, w, s.rows, s.K, s.T, q, da)
					check()
					for r := range s.rows {
						for tk := range s.T {
							want := DotTQ1Q8K(w[r*nb*54:(r+1)*nb*54], q[tk*s.K:(tk+1)*s.K], da[tk*nb:(tk+1)*nb])
							if got := out[tk*ldo+r]; !sameBits(got, want) {
								t.Fatalf("%s: row %d token %d = %v (%#x), want %v (%#x)", name, r, tk, got, math.Float32bits(got), want, math.Float32bits(want))
							}
						}
					}
					if !bytes.Equal(w, w0) {
						t.Fatalf("%s: weights modified", name)
					}
				}
			}
		}
	})
}

func FuzzTQ1(f *testing.F) {
	f.Add([]byte{1, 2, 3}, uint8(3), uint8(1), uint8(2))
	f.Add([]byte{0xff, 0xf3, 0x00, 0x80}, uint8(33), uint8(2), uint8(17))
	f.Fuzz(func(t *testing.T, data []byte, rows8, nblk8, T8 uint8) {
		rows, K, T := int(rows8%40)+1, (int(nblk8%4)+1)*256, int(T8%20)+1
		nb := K / 256
		rng := rand.New(rand.NewPCG(uint64(len(data)), 11))
		w, q, da := tq1Case(rng, rows, K, T, "rand", "rand")
		for i, b := range data {
			if i < len(w) {
				w[i] = b
			} else if i-len(w) < len(q) {
				q[i-len(w)] = int8(b)
			}
		}
		want := make([]float32, T*rows)
		for tk := range T {
			for r := range rows {
				want[tk*rows+r] = DotTQ1Q8K(w[r*nb*54:(r+1)*nb*54], q[tk*K:(tk+1)*K], da[tk*nb:(tk+1)*nb])
			}
		}
		forEachImpl(t, func(t *testing.T) {
			got := make([]float32, T*rows)
			MatMulTQ1(got, rows, w, rows, K, T, q, da)
			for i := range got {
				if !sameBits(got[i], want[i]) {
					t.Fatalf("output %d: got %v want %v", i, got[i], want[i])
				}
			}
		})
	})
}

func BenchmarkMatMulTQ1(b *testing.B) {
	for _, s := range []struct {
		name       string
		rows, K, T int
	}{
		{"matvec_ffn_down", 2560, 6912, 1},
		{"prefill_512x2560", 512, 2560, 128},
	} {
		rng := rand.New(rand.NewPCG(1, 1))
		w, q, da := tq1Case(rng, s.rows, s.K, s.T, "rand", "rand")
		out := make([]float32, s.rows*s.T)
		b.Run(s.name, func(b *testing.B) {
			benchImpls(b, func(b *testing.B) {
				b.SetBytes(int64(len(w)))
				for b.Loop() {
					MatMulTQ1(out, s.rows, w, s.rows, s.K, s.T, q, da)
				}
				b.ReportMetric(float64(s.rows*s.K*s.T)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
			})
		})
	}
}
