package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestDotF16Equivalence: the vector kernels sum in another order and fuse
// the multiply-add, so they may differ from the generic loop by float32
// rounding. Any two summation orders of n products differ by at most
// about 2·n·u·Σ|w·x| (u = 2⁻²⁴, Higham's bound for recursive summation),
// which is the tolerance checked here.
func TestDotF16Equivalence(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(3, 4))
		for _, n := range []int{0, 1, 7, 31, 32, 33, 63, 64, 65, 127, 128, 200, 2560, 2561} {
			for off := range 4 {
				wb := make([]uint16, n+off)
				xb := make([]float32, n+off)
				w, x := wb[off:], xb[off:]
				var abs float64
				for i := range w {
					w[i] = F32ToF16(float32(rng.NormFloat64()))
					x[i] = float32(rng.NormFloat64() * 3)
					abs += math.Abs(float64(F16ToF32(w[i]) * x[i]))
				}
				w0, x0 := slices.Clone(w), slices.Clone(x)
				got, want := DotF16(w, x), dotF16Generic(w, x)
				tol := 2*float64(n)*0x1p-24*abs + 1e-30
				if d := math.Abs(float64(got - want)); d > tol {
					t.Fatalf("n=%d off=%d: DotF16 = %v, generic %v, |Δ| %g > tol %g", n, off, got, want, d, tol)
				}
				if !slices.Equal(w, w0) || !slices.Equal(x, x0) {
					t.Fatal("inputs modified")
				}
			}
		}
	})
}

func BenchmarkDotF16(b *testing.B) {
	const rows, K = 4096, 2560 // 21 MB of head rows
	rng := rand.New(rand.NewPCG(1, 1))
	w := make([]uint16, rows*K)
	for i := range w {
		w[i] = F32ToF16(float32(rng.NormFloat64()))
	}
	x := make([]float32, K)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	benchImpls(b, func(b *testing.B) {
		b.SetBytes(int64(len(w) * 2))
		var s float32
		for b.Loop() {
			for r := range rows {
				s += DotF16(w[r*K:(r+1)*K], x)
			}
		}
		_ = fmt.Sprint(s)
	})
}
