package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// kvq8Guard fills the parts of a buffer that a kernel must not write.
var kvq8Guard = math.Float32frombits(0x7fc0dead) // a NaN with a payload

// kvq8Ints returns n int8 values, uniform over the whole range, with the
// extremes −128 and 127 at the ends.
func kvq8Ints(rng *rand.Rand, n int) []int8 {
	k := make([]int8, n)
	for i := range k {
		k[i] = int8(rng.IntN(256) - 128)
	}
	k[0], k[n-1] = -128, 127
	return k
}

// kvq8Floats returns n float32 values of mixed magnitudes (2^−12 .. 2^12),
// so that the products and sums round and the order of the additions
// shows in the bits.
func kvq8Floats(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64() * math.Ldexp(1, rng.IntN(25)-12))
	}
	return x
}

// kvq8Guarded returns a buffer of n elements at offset 8 of a larger one,
// every element the guard value.
func kvq8Guarded(n int) (buf, s []float32) {
	buf = make([]float32, n+16)
	for i := range buf {
		buf[i] = kvq8Guard
	}
	return buf, buf[8 : 8+n : 8+n]
}

func bitsEqual(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) }

// TestScoresI8: every output equals its definition dotI8Lanes16 bit for
// bit on every kernel set, for strided operands of every tile remainder
// (rows and tokens not multiples of 4 or 2, K not a multiple of 16), with
// the int8 extremes; nothing else in out, the gaps between its rows
// included, is written.
func TestScoresI8(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(81, 82))
		for _, K := range []int{1, 15, 16, 17, 32, 33, 64, 127, 128, 130, 256} {
			for _, rows := range []int{1, 2, 3, 4, 5, 7, 8, 9, 16} {
				for _, T := range []int{1, 2, 3, 4, 5, 7, 9} {
					ldk, ldx, ldo := K+rng.IntN(5), K+rng.IntN(5), rows+rng.IntN(5)
					k := kvq8Ints(rng, (rows-1)*ldk+K)
					x := kvq8Floats(rng, (T-1)*ldx+K)
					x[0] = 3e38 / 128 // the largest products stay finite
					buf, out := kvq8Guarded((T-1)*ldo + rows)
					ScoresI8(out, ldo, k, ldk, rows, K, x, ldx, T)
					want := make([]float32, len(buf))
					for i := range want {
						want[i] = kvq8Guard
					}
					for tt := range T {
						for r := range rows {
							want[8+tt*ldo+r] = dotI8Lanes16(k[r*ldk:r*ldk+K], x[tt*ldx:tt*ldx+K])
						}
					}
					for i := range buf {
						if !bitsEqual(buf[i], want[i]) {
							t.Fatalf("K=%d rows=%d T=%d: out[%d] = %v, want %v", K, rows, T, i-8, buf[i], want[i])
						}
					}
				}
			}
		}
	})
}

// TestScoresI8Definition pins dotI8Lanes16 itself: on small integers, where
// no sum rounds, it is the exact dot product, and its lanes and tree are
// those of dotF16Lanes16 (the same bits on f16-exact operands).
func TestScoresI8Definition(t *testing.T) {
	rng := rand.New(rand.NewPCG(83, 84))
	for _, K := range []int{1, 16, 31, 128} {
		k := kvq8Ints(rng, K)
		x := make([]float32, K)
		w := make([]uint16, K)
		var exact int64
		for i := range x {
			x[i] = float32(rng.IntN(9) - 4)
			exact += int64(x[i]) * int64(k[i])
			w[i] = F32ToF16(float32(k[i]))
		}
		if got := dotI8Lanes16(k, x); got != float32(exact) {
			t.Errorf("K=%d: dotI8Lanes16 = %v, exact %d", K, got, exact)
		}
		xs := kvq8Floats(rng, K)
		for i := range xs {
			xs[i] = F16ToF32(F32ToF16(xs[i] / 4096)) // products exact in float32
		}
		if a, b := dotI8Lanes16(k, xs), dotF16Lanes16(w, xs); !bitsEqual(a, b) {
			t.Errorf("K=%d: dotI8Lanes16 = %v, dotF16Lanes16 %v", K, a, b)
		}
	}
}

// TestWeightedSumI8: every output equals the definition (weights rounded,
// products rounded, added in order of k) bit for bit on every kernel set,
// for strided operands of every tile remainder (nq not a multiple of 4 or
// 2, n not a multiple of 64, 32 or 16), strided scales and the int8
// extremes; nothing outside the n columns of the nq rows is written.
func TestWeightedSumI8(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(85, 86))
		for _, n := range []int{1, 15, 16, 17, 31, 32, 33, 48, 63, 64, 65, 100, 128, 130, 192, 200} {
			for _, nq := range []int{1, 2, 3, 4, 5, 8, 9} {
				for _, nk := range []int{1, 2, 15, 16, 33} {
					ldo, ldp, ldv, ldvs := n+rng.IntN(5), nk+rng.IntN(5), n+rng.IntN(5), 1+rng.IntN(3)
					v := kvq8Ints(rng, (nk-1)*ldv+n)
					vs := kvq8Floats(rng, (nk-1)*ldvs+1)
					p := make([]float32, (nq-1)*ldp+nk)
					for i := range p {
						p[i] = float32(rng.Float64())
					}
					buf, o := kvq8Guarded((nq-1)*ldo + n)
					for j := range nq {
						for i := range n {
							o[j*ldo+i] = float32(rng.NormFloat64())
						}
					}
					want := append([]float32(nil), buf...)
					for j := range nq {
						for kk := range nk {
							a := float32(p[j*ldp+kk] * vs[kk*ldvs])
							for i := range n {
								want[8+j*ldo+i] += float32(a * float32(v[kk*ldv+i]))
							}
						}
					}
					WeightedSumI8(o, ldo, n, p, ldp, nq, v, ldv, vs, ldvs, nk)
					for i := range buf {
						if !bitsEqual(buf[i], want[i]) {
							t.Fatalf("n=%d nq=%d nk=%d: o[%d] = %v, want %v", n, nq, nk, i-8, buf[i], want[i])
						}
					}
				}
			}
		}
	})
}

// TestWeightedSumI8Split: the sum over a k range equals the sums over its
// parts, one after the other (how attention walks the blocks of a cache).
func TestWeightedSumI8Split(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(87, 88))
		const n, nq, nk = 128, 4, 40
		v := kvq8Ints(rng, nk*n)
		vs := kvq8Floats(rng, nk)
		p := kvq8Floats(rng, nq*nk)
		whole, parts := make([]float32, nq*n), make([]float32, nq*n)
		WeightedSumI8(whole, n, n, p, nk, nq, v, n, vs, 1, nk)
		for k0 := 0; k0 < nk; k0 += 16 {
			m := min(16, nk-k0)
			WeightedSumI8(parts, n, n, p[k0:], nk, nq, v[k0*n:], n, vs[k0:], 1, m)
		}
		for i := range whole {
			if !bitsEqual(whole[i], parts[i]) {
				t.Fatalf("o[%d]: whole %v, in parts %v", i, whole[i], parts[i])
			}
		}
	})
}

func TestKVQ8Panics(t *testing.T) {
	k, x, out := make([]int8, 32), make([]float32, 32), make([]float32, 4)
	p, vs := make([]float32, 4), make([]float32, 4)
	for _, tc := range []struct {
		name, msg string
		f         func()
	}{
		{"negative rows", "rows -1", func() { ScoresI8(out, 1, k, 16, -1, 16, x, 16, 1) }},
		{"short k", "k (len 32", func() { ScoresI8(out, 3, k, 16, 3, 16, x, 16, 1) }},
		{"small ldk", "ldk 8", func() { ScoresI8(out, 1, k, 8, 1, 16, x, 16, 1) }},
		{"short x", "x (len 32", func() { ScoresI8(out, 2, k, 16, 2, 16, x, 16, 3) }},
		{"short out", "out (len 4", func() { ScoresI8(out, 3, k, 16, 2, 16, x, 16, 2) }},
		{"small ldo", "ldo 1", func() { ScoresI8(out, 1, k, 16, 2, 16, x, 16, 1) }},
		{"negative nk", "nk -1", func() { WeightedSumI8(x, 16, 16, p, 1, 1, k, 16, vs, 1, -1) }},
		{"short o", "o (len 32", func() { WeightedSumI8(x, 16, 16, p, 1, 3, k, 16, vs, 1, 1) }},
		{"short p", "p (len 4", func() { WeightedSumI8(x, 16, 16, p, 2, 2, k, 16, vs, 1, 3) }},
		{"short v", "v (len 32", func() { WeightedSumI8(x, 16, 16, p, 3, 1, k, 16, vs, 1, 3) }},
		{"short vs", "vs (len 4", func() { WeightedSumI8(x, 16, 16, p, 2, 1, k, 16, vs, 4, 2) }},
		{"zero ldvs", "ldvs 0", func() { WeightedSumI8(x, 16, 16, p, 2, 1, k, 16, vs, 0, 2) }},
	} {
		func() {
			defer func() {
				r := recover()
				if r == nil {
					t.Errorf("%s: no panic", tc.name)
					return
				}
				if s := fmt.Sprint(r); !strings.Contains(s, tc.msg) {
					t.Errorf("%s: panic %q does not name %q", tc.name, s, tc.msg)
				}
			}()
			tc.f()
		}()
	}
}

// BenchmarkScoresI8: 2B-4T-shaped attention scores (128-dim heads, keys
// of 5 KV heads interleaved: ldk 640) over a 4096-position context, for
// one query head (decode) and the 4 query heads of a KV head.
func BenchmarkScoresI8(b *testing.B) {
	const rows, K, ldk = 4096, 128, 640
	rng := rand.New(rand.NewPCG(1, 1))
	k := kvq8Ints(rng, rows*ldk)
	for _, T := range []int{1, 4} {
		x := kvq8Floats(rng, T*K)
		out := make([]float32, T*rows)
		b.Run(fmt.Sprintf("T=%d", T), func(b *testing.B) {
			benchImpls(b, func(b *testing.B) {
				b.SetBytes(int64(rows * K))
				for b.Loop() {
					ScoresI8(out, rows, k, ldk, rows, K, x, K, T)
				}
				b.ReportMetric(float64(rows*K*T)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
			})
		})
	}
}

// BenchmarkWeightedSumI8: the value sums of the same shapes.
func BenchmarkWeightedSumI8(b *testing.B) {
	const n, nk, ldv, kvh = 128, 4096, 640, 5
	rng := rand.New(rand.NewPCG(2, 2))
	v := kvq8Ints(rng, nk*ldv)
	vs := kvq8Floats(rng, nk*kvh)
	for _, nq := range []int{1, 4} {
		p := make([]float32, nq*nk)
		for i := range p {
			p[i] = 1.0 / nk
		}
		o := make([]float32, nq*n)
		b.Run(fmt.Sprintf("heads%d", nq), func(b *testing.B) {
			benchImpls(b, func(b *testing.B) {
				b.SetBytes(int64(nk * n))
				for b.Loop() {
					WeightedSumI8(o, n, n, p, nk, nq, v, ldv, vs, kvh, nk)
				}
				b.ReportMetric(float64(nq*n*nk)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
			})
		})
	}
}
