package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// softmaxCases returns score vectors of the lengths and shapes attention
// produces: random magnitudes, ties at the maximum, masked (−Inf) entries,
// entries far below the maximum (exponentials of 0), and lengths around
// the 16-lane chunks.
func softmaxCases() [][]float32 {
	rng := rand.New(rand.NewPCG(3, 9))
	var cases [][]float32
	for _, n := range []int{1, 2, 7, 15, 16, 17, 31, 32, 33, 100, 255, 256, 257, 1000, 4097} {
		for kind := range 5 {
			x := make([]float32, n)
			for i := range x {
				switch kind {
				case 0:
					x[i] = float32(rng.NormFloat64() * 3)
				case 1:
					x[i] = float32(rng.NormFloat64() * 60) // many below −104 after the shift
				case 2:
					x[i] = float32(rng.IntN(3)) // ties
				case 3:
					x[i] = float32(rng.NormFloat64())
					if rng.IntN(3) == 0 {
						x[i] = float32(math.Inf(-1))
					}
				case 4:
					x[i] = float32(rng.NormFloat64()*1e4) + 1e5 // large, close together
				}
			}
			cases = append(cases, x)
		}
	}
	return cases
}

// TestSoftmaxEquivalence: every kernel set gives the generic code's bits,
// with and without a scale, and the outputs are the softmax within a few
// float32 ulps of the float64 computation.
func TestSoftmaxEquivalence(t *testing.T) {
	cases := softmaxCases()
	forEachImpl(t, func(t *testing.T) {
		for c, x := range cases {
			for _, scale := range []float32{1, 0.08838835, 3} {
				want := append([]float32(nil), x...)
				softmaxScaleGeneric(want, scale)
				buf := make([]float32, len(x)+32)
				for i := range buf {
					buf[i] = 12345
				}
				got := buf[16 : 16+len(x)]
				copy(got, x)
				SoftmaxScale(got, scale)
				for i := range got {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("case %d (n %d) scale %v element %d: %v, generic %v", c, len(x), scale, i, got[i], want[i])
					}
				}
				for i := range 16 {
					if buf[i] != 12345 || buf[16+len(x)+i] != 12345 {
						t.Fatalf("case %d: wrote outside the slice", c)
					}
				}
				checkSoftmax(t, fmt.Sprintf("case %d scale %v", c, scale), x, scale, got)
			}
		}
	})
}

// checkSoftmax compares y with softmax(scale·x) computed in float64.
func checkSoftmax(t *testing.T, name string, x []float32, scale float32, y []float32) {
	t.Helper()
	maxv := math.Inf(-1)
	for _, v := range x {
		maxv = math.Max(maxv, float64(v*scale))
	}
	var sum float64
	for _, v := range x {
		sum += math.Exp(float64(v*scale) - maxv)
	}
	for i, v := range x {
		d := float64(v*scale) - maxv
		want := math.Exp(d) / sum
		// x − max is rounded to float32 (as ggml does): half an ulp of d
		// is a relative error of |d|·2⁻²⁴ in e^d.
		if e := math.Abs(float64(y[i]) - want); e > (4e-7+math.Abs(d)*0x1p-24)*want+1e-45 {
			t.Fatalf("%s element %d: %v, float64 softmax %v", name, i, y[i], want)
		}
	}
}

// TestSoftmaxSpecial: a NaN anywhere makes every output NaN (as the
// generic code does), an all-masked row is NaN, and one finite entry among
// masked ones gets probability 1.
func TestSoftmaxSpecial(t *testing.T) {
	inf := float32(math.Inf(-1))
	forEachImpl(t, func(t *testing.T) {
		for _, n := range []int{1, 5, 16, 40} {
			x := make([]float32, n)
			x[n/2] = float32(math.NaN())
			Softmax(x)
			for i, v := range x {
				if !math.IsNaN(float64(v)) {
					t.Fatalf("n %d NaN input: element %d is %v", n, i, v)
				}
			}
			for i := range x {
				x[i] = inf
			}
			x[n-1] = 2
			Softmax(x)
			for i, v := range x {
				if want := float32(0); i == n-1 && v != 1 || i < n-1 && v != want {
					t.Fatalf("n %d one finite entry: element %d is %v", n, i, v)
				}
			}
		}
	})
}

func BenchmarkSoftmaxScale(b *testing.B) {
	for _, n := range []int{128, 4096} {
		x := make([]float32, n)
		rng := rand.New(rand.NewPCG(1, 2))
		src := make([]float32, n)
		for i := range src {
			src[i] = float32(rng.NormFloat64() * 10)
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			b.SetBytes(int64(4 * n))
			for b.Loop() {
				copy(x, src)
				SoftmaxScale(x, 0.0883)
			}
		})
	}
}
