package quant

import (
	"math/rand/v2"
	"testing"

	"github.com/bitnet-go/bitnet/gguf"
	"github.com/bitnet-go/bitnet/internal/testutil"
)

func BenchmarkDequantize(b *testing.B) {
	const n = 2560 * 256 // one 2B-4T-width slice
	rng := rand.New(rand.NewPCG(1, 1))
	tern := testutil.RandomTernary(rng, n)
	ds := make([]float32, n/QKK)
	for i := range ds {
		ds[i] = 0.02
	}
	i2s, _ := PackI2S(tern, 0.02)
	tq2, _ := PackTQ2_0(tern, ds)
	tq1, _ := PackTQ1_0(tern, ds)
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	f16 := make([]byte, 2*n)
	for _, c := range []struct {
		typ  gguf.Type
		data []byte
	}{
		{gguf.TypeI2_S, i2s},
		{gguf.TypeTQ2_0, tq2},
		{gguf.TypeTQ1_0, tq1},
		{gguf.TypeQ8_0, QuantizeQ8_0(x)},
		{gguf.TypeF16, f16},
	} {
		b.Run(c.typ.String(), func(b *testing.B) {
			out := make([]float32, n)
			b.SetBytes(int64(len(c.data)))
			b.ReportAllocs()
			for b.Loop() {
				if err := Dequantize(c.typ, c.data, out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkQuantizeActI8(b *testing.B) {
	rng := rand.New(rand.NewPCG(2, 2))
	x := make([]float32, 2560)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	q := make([]int8, len(x))
	b.SetBytes(int64(4 * len(x)))
	b.ReportAllocs()
	for b.Loop() {
		QuantizeActI8(x, q)
	}
}
