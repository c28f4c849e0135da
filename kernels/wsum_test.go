package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestWeightedSumF16: every output equals nk axpyF16Generic steps in
// order of k, bit for bit, on strided operands of every tile remainder;
// nothing outside the n columns of the nq rows is written.
func TestWeightedSumF16(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(41, 42))
		for _, n := range []int{1, 8, 16, 17, 31, 32, 48, 63, 64, 80, 100, 112, 128, 192, 200} {
			for _, nq := range []int{1, 2, 3, 4, 5, 8, 9} {
				for _, nk := range []int{1, 2, 15, 16, 33} {
					ldo, ldp, ldv := n+rng.IntN(5), nk+rng.IntN(5), n+rng.IntN(5)
					v := make([]uint16, (nk-1)*ldv+n)
					for i := range v {
						v[i] = F32ToF16(float32(rng.NormFloat64() * 4))
					}
					p := make([]float32, (nq-1)*ldp+nk)
					for i := range p {
						p[i] = float32(rng.Float64())
					}
					o := make([]float32, (nq-1)*ldo+n)
					for i := range o {
						o[i] = float32(rng.NormFloat64())
					}
					want := slices.Clone(o)
					for j := range nq {
						for k := range nk {
							axpyF16Generic(want[j*ldo:j*ldo+n], p[j*ldp+k], v[k*ldv:k*ldv+n])
						}
					}
					WeightedSumF16(o, ldo, n, p, ldp, nq, v, ldv, nk)
					for i := range o {
						if math.Float32bits(o[i]) != math.Float32bits(want[i]) {
							t.Fatalf("n=%d nq=%d nk=%d: o[%d] = %v, want %v", n, nq, nk, i, o[i], want[i])
						}
					}
				}
			}
		}
	})
}

func BenchmarkWeightedSumF16(b *testing.B) {
	// One KV block (16 positions) of a 128-dim head against the 4 query
	// heads of its group, as in prefill and grouped decoding.
	for _, nq := range []int{1, 4} {
		const n, nk = 128, 16
		v := make([]uint16, nk*640)
		for i := range v {
			v[i] = F32ToF16(float32(i%7) - 3)
		}
		p := make([]float32, nq*nk)
		for i := range p {
			p[i] = 0.01
		}
		o := make([]float32, nq*n)
		b.Run(fmt.Sprintf("heads%d", nq), func(b *testing.B) {
			benchImpls(b, func(b *testing.B) {
				b.SetBytes(int64(nk * n * 2))
				for b.Loop() {
					WeightedSumF16(o, n, n, p, nk, nq, v, 640, nk)
				}
				b.ReportMetric(float64(nq*n*nk)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
			})
		})
	}
}

// axpyF16Generic adds a·x[i] to y[i], the product rounded to float32
// before the add: one key's step of WeightedSumF16's definition. The explicit conversion says so to the
// compiler, which otherwise fuses the two into one FMADD on arm64 (and on
// amd64 with GOAMD64=v3), as the Go spec allows.
func axpyF16Generic(y []float32, a float32, x []uint16) {
	x = x[:len(y)]
	for i := range y {
		y[i] += float32(a * f16Table[x[i]])
	}
}
