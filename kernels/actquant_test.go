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

// TestQuantizeQ8KMatchesReference: the fast Q8_K quantizer equals quant's
// reference definition (ggml's quantize_row_q8_K_ref) on random, tied,
// zero, tiny, huge and non-finite blocks.
func TestQuantizeQ8KMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	special := []float32{0, float32(math.Copysign(0, -1)), 1e-45, -1e-45, 3e38, -3e38,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 0.5, -0.5, 127, -127}
	for c := range 400 {
		nb := 1 + r.IntN(4)
		x := make([]float32, 256*nb)
		scale := math.Pow(10, float64(r.IntN(16)-8))
		for i := range x {
			x[i] = float32(r.NormFloat64() * scale)
		}
		switch c % 5 {
		case 1: // ties of the largest magnitude, both signs
			m := x[r.IntN(len(x))]
			for range 3 {
				x[r.IntN(len(x))] = m
				x[r.IntN(len(x))] = -m
			}
		case 2: // an all-zero block
			clear(x[:256])
		case 3: // special values
			for range 1 + r.IntN(4) {
				x[r.IntN(len(x))] = special[r.IntN(len(special))]
			}
		case 4: // half-way values after scaling
			for i := range x {
				x[i] = float32(r.IntN(255)-127) / 2
			}
		}
		q1, q2 := make([]int8, len(x)), make([]int8, len(x))
		d1, d2 := make([]float32, nb), make([]float32, nb)
		QuantizeQ8K(x, q1, d1)
		quant.QuantizeActQ8K(x, q2, d2)
		for b := range nb {
			if math.Float32bits(d1[b]) != math.Float32bits(d2[b]) && !(d1[b] != d1[b] && d2[b] != d2[b]) {
				t.Fatalf("case %d block %d: d = %v, reference %v", c, b, d1[b], d2[b])
			}
		}
		for i := range q1 {
			if q1[i] != q2[i] {
				t.Fatalf("case %d element %d (%v): %d, reference %d", c, i, x[i], q1[i], q2[i])
			}
		}
	}
}

func BenchmarkQuantizeQ8K(b *testing.B) {
	x := make([]float32, 6912)
	for i := range x {
		x[i] = float32(i%97) - 48
	}
	q := make([]int8, len(x))
	d := make([]float32, len(x)/256)
	b.SetBytes(int64(4 * len(x)))
	for b.Loop() {
		QuantizeQ8K(x, q, d)
	}
}
