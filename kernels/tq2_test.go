package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func tq2Case(rng *rand.Rand, rows, K, off int, qmode string) ([]byte, []int8, []float32) {
	nb := K / 256
	wb := make([]byte, off+rows*nb*66)
	w := wb[off:]
	for r := range rows * nb {
		blk := w[r*66 : r*66+66]
		for i := range 64 {
			blk[i] = byte(rng.IntN(256)) // every code, 3 included
		}
		d := F32ToF16(float32(rng.Float64()*0.1 + 0.001))
		blk[64], blk[65] = byte(d), byte(d>>8)
	}
	x := make([]float32, K)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	q := make([]int8, off+K)[off:]
	da := make([]float32, nb)
	QuantizeQ8K(x, q, da)
	for i := range q {
		switch qmode {
		case "min":
			q[i] = -128
		case "max":
			q[i] = 127
		}
	}
	return w, q, da
}

// TestTQ2Equivalence: the integer block sums are exact and the float
// scaling runs in the same order in Go, so results must be bit-identical.
func TestTQ2Equivalence(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 6))
		for _, rows := range []int{1, 2, 3, 4, 5, 8, 13, 17} {
			for _, K := range []int{256, 512, 2560, 6912, 256 * 70} {
				for _, qmode := range []string{"rand", "min", "max"} {
					off := rows % 4
					w, q, da := tq2Case(rng, rows, K, off, qmode)
					w0, q0 := slices.Clone(w), slices.Clone(q)
					out := make([]float32, rows+2)
					out[0], out[rows+1] = 12345, 12345
					MatVecTQ2(out[1:rows+1], w, q, da)
					if out[0] != 12345 || out[rows+1] != 12345 {
						t.Fatal("guard overwritten")
					}
					rb := K / 256 * 66
					for r := range rows {
						want := dotTQ2Generic(w[r*rb:(r+1)*rb], q, da)
						if got := out[r+1]; math.Float32bits(got) != math.Float32bits(want) {
							t.Fatalf("rows=%d K=%d %s row %d: got %v want %v", rows, K, qmode, r, got, want)
						}
						if got := DotTQ2Q8K(w[r*rb:(r+1)*rb], q, da); math.Float32bits(got) != math.Float32bits(want) {
							t.Fatalf("DotTQ2Q8K rows=%d K=%d row %d: got %v want %v", rows, K, r, got, want)
						}
					}
					if !slices.Equal(w, w0) || !slices.Equal(q, q0) {
						t.Fatal("inputs modified")
					}
				}
			}
		}
	})
}

func BenchmarkMatVecTQ2(b *testing.B) {
	const rows, K = 2560, 6912
	rng := rand.New(rand.NewPCG(1, 1))
	w, q, da := tq2Case(rng, rows, K, 0, "rand")
	out := make([]float32, rows)
	benchImpls(b, func(b *testing.B) {
		b.SetBytes(int64(len(w)))
		for b.Loop() {
			MatVecTQ2(out, w, q, da)
		}
		_ = fmt.Sprint(out[0])
	})
}
