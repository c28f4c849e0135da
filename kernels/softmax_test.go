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
	for _, n := range []int{1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 23, 24, 25, 31, 32, 33, 47, 48, 49, 100, 255, 256, 257, 1000, 4097} {
		for kind := range 7 {
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
				case 5:
					x[i] = -100 - 10*float32(rng.Float64()) // around the −104 cut-off
				case 6:
					x[i] = -1 - float32(rng.Float64()) // all negative
				}
			}
			if kind == 5 {
				x[rng.IntN(n)] = 0 // the maximum, in a full chunk or in the tail
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
		// is a relative error of |d|·2⁻²⁴ in e^d. A subnormal e^d and
		// the subnormal output are each rounded to half of 2⁻¹⁴⁹.
		if e := math.Abs(float64(y[i]) - want); e > (4e-7+math.Abs(d)*0x1p-24)*want+0x1.8p-149 {
			t.Fatalf("%s element %d: %v, float64 softmax %v", name, i, y[i], want)
		}
	}
}

// TestSoftmaxSpecial: a NaN anywhere makes every output NaN (as the
// generic code does), so do +Inf and an all-masked row, and one finite
// entry among masked ones gets probability 1.
func TestSoftmaxSpecial(t *testing.T) {
	inf := float32(math.Inf(-1))
	allNaN := func(t *testing.T, what string, x []float32) {
		t.Helper()
		for i, v := range x {
			if !math.IsNaN(float64(v)) {
				t.Fatalf("n %d %s: element %d is %v", len(x), what, i, v)
			}
		}
	}
	forEachImpl(t, func(t *testing.T) {
		for _, n := range []int{1, 3, 4, 5, 8, 9, 15, 16, 17, 24, 33, 40} {
			x := make([]float32, n)
			for _, at := range []int{0, n / 2, n - 1} {
				for i := range x {
					x[i] = float32(i%5) - 2
				}
				x[at] = float32(math.NaN())
				Softmax(x)
				allNaN(t, fmt.Sprintf("NaN input at %d", at), x)
				for i := range x {
					x[i] = float32(i%5) - 2
				}
				x[at] = float32(math.Inf(1))
				Softmax(x)
				allNaN(t, fmt.Sprintf("+Inf input at %d", at), x)
			}
			for i := range x {
				x[i] = inf
			}
			Softmax(x)
			allNaN(t, "all masked", x)
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

// TestSoftmaxClamp: every float32 x − max in [−200, −104) gives 0, as
// expNeg does. The AVX2 kernel does not test for −104: it clamps x − max
// to −200 and relies on its exponential rounding to 0 below −104, which
// this checks for every such float32 (and so for everything below −200).
func TestSoftmaxClamp(t *testing.T) {
	lo, hi := math.Float32bits(-104), math.Float32bits(-200)
	step := uint32(1)
	if testing.Short() {
		step = 97
	}
	forEachImpl(t, func(t *testing.T) {
		x := make([]float32, 4099) // full chunks and a tail
		for b := lo + 1; b <= hi; {
			x[0] = 0
			i := 1
			for ; i < len(x) && b <= hi; i, b = i+1, b+step {
				x[i] = math.Float32frombits(b)
			}
			y := x[:i]
			SoftmaxScale(y, 1)
			if y[0] != 1 {
				t.Fatalf("max element %v, want 1", y[0])
			}
			for j := 1; j < i; j++ {
				if math.Float32bits(y[j]) != 0 {
					t.Fatalf("x − max = %v: %v, want 0", math.Float32frombits(b-uint32(i-j)*step), y[j])
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
			benchImpls(b, func(b *testing.B) {
				b.SetBytes(int64(4 * n))
				for b.Loop() {
					copy(x, src)
					SoftmaxScale(x, 0.0883)
				}
			})
		})
	}
}
