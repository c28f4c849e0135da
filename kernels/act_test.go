package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/bitnet-go/bitnet/quant"
)

// TestQuantizeI8MatchesReference: the fast quantizer equals quant's
// reference definition on random, tiny, tied and extreme inputs.
func TestQuantizeI8MatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	cases := [][]float32{
		{0.5, -1.27, 0.003, 1.0},
		{0, 0, 0, 0},
		{1e-7, -1e-7, 0},
		{127, -127, 63.5, -63.5, 0.5, -0.5, 1.5, 2.5},
		{3, -3, 1.5e-5, -2e-6},
	}
	for range 200 {
		x := make([]float32, 1+r.IntN(3000))
		scale := math.Pow(10, float64(r.IntN(12)-6))
		for i := range x {
			x[i] = float32(r.NormFloat64() * scale)
		}
		cases = append(cases, x)
	}
	for ci, x := range cases {
		q1, q2 := make([]int8, len(x)), make([]int8, len(x))
		s1, sum1 := QuantizeI8(x, q1)
		s2, sum2 := quant.QuantizeActI8(x, q2)
		if s1 != s2 || sum1 != sum2 {
			t.Fatalf("case %d: scale %v sum %d, reference %v %d", ci, s1, sum1, s2, sum2)
		}
		for i := range q1 {
			if q1[i] != q2[i] {
				t.Fatalf("case %d element %d (%v): %d, reference %d", ci, i, x[i], q1[i], q2[i])
			}
		}
	}
}

func BenchmarkQuantizeI8(b *testing.B) {
	x := make([]float32, 6912)
	for i := range x {
		x[i] = float32(i%97) - 48
	}
	q := make([]int8, len(x))
	b.SetBytes(int64(4 * len(x)))
	for b.Loop() {
		QuantizeI8(x, q)
	}
}
