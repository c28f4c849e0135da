package kernels

import (
	"math/rand/v2"
	"testing"
)

func TestMatVecU8I8(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	forEachImpl(t, func(t *testing.T) {
		for _, K := range []int{1, 63, 64, 128, 200, 256, 2560} {
			for _, rows := range []int{1, 3, 4, 5, 17} {
				w := make([]int8, rows*K+7)
				a := make([]byte, K)
				for i := range w {
					w[i] = int8(r.IntN(256) - 128)
				}
				for i := range a {
					a[i] = byte(r.IntN(256))
				}
				// Extremes in the first rows: a = 255 and a = 0 (the
				// SDOT kernels see a−128 = 127 and −128) against w =
				// −128 and 127, and both mixed at random.
				for k := range K {
					w[k], a[k] = -128, 255
					if rows > 1 {
						w[K+k] = 127
					}
					if rows > 2 {
						w[2*K+k] = []int8{-128, 127}[r.IntN(2)]
					}
				}
				if K%2 == 0 {
					for k := range K / 2 {
						a[k] = 0
					}
				}
				want := make([]int32, rows)
				matVecU8I8Generic(want, w, a)
				got := make([]int32, rows+1)
				got[rows] = 12345 // guard
				MatVecU8I8(got[:rows], w, a)
				for i := range rows {
					if got[i] != want[i] {
						t.Fatalf("K=%d rows=%d: row %d = %d, want %d", K, rows, i, got[i], want[i])
					}
				}
				if got[rows] != 12345 {
					t.Fatalf("K=%d rows=%d: wrote past the output", K, rows)
				}
			}
		}
	})
}

func TestOffsetU8(t *testing.T) {
	q := []int8{-128, -1, 0, 1, 127}
	a := make([]byte, len(q))
	OffsetU8(a, q)
	for i, v := range q {
		if int(a[i]) != int(v)+128 {
			t.Errorf("OffsetU8(%d) = %d", v, a[i])
		}
	}
}

func BenchmarkMatVecU8I8(b *testing.B) {
	const K, rows = 2560, 4096
	w := make([]int8, rows*K)
	a := make([]byte, K)
	out := make([]int32, rows)
	b.SetBytes(int64(len(w)))
	for b.Loop() {
		MatVecU8I8(out, w, a)
	}
}
