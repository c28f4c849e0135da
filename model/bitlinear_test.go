package model

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/bitnet-go/bitnet/gguf"
	"github.com/bitnet-go/bitnet/internal/testutil"
	"github.com/bitnet-go/bitnet/internal/workpool"
	"github.com/bitnet-go/bitnet/quant"
)

// tinyModel is a Model shell with just enough Config for NewState, used to
// call linear directly.
func tinyModel(t *testing.T, dim, hidden int) (*Model, *State) {
	t.Helper()
	c := &Config{Dim: dim, QDim: dim, HiddenDim: hidden, NHeads: 1, NKVHeads: 1, HeadDim: dim, NRot: 2, KVDim: dim, KVMul: 1,
		NLayers: 1, VocabSize: 8, SeqLen: 8}
	m := &Model{Config: c, pool: workpool.New(3)}
	t.Cleanup(m.Close)
	st, err := m.NewState(8, 8)
	if err != nil {
		t.Fatal(err)
	}
	return m, st
}

// TestBitLinearExact checks BitLinear against a straightforward float64
// computation from the same int8 activations: the integer dot products must
// be equal and the rescaled outputs within 1e-6 relative (spec §4.3).
func TestBitLinearExact(t *testing.T) {
	const K, N, T = 512, 37, 5 // N not a multiple of any unroll or chunk
	m, st := tinyModel(t, K, K)
	r := rand.New(rand.NewPCG(1, 2))
	tern := testutil.RandomTernary(r, K*N)
	// Rows of extreme patterns: all +1, all −1, all 0.
	for k := range K {
		tern[0*K+k], tern[1*K+k], tern[2*K+k] = 1, -1, 0
	}
	const beta = float32(0.0234375)
	x := make([]float32, T*K)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	// Token 1: extreme activations at ±absmax everywhere; token 2: all zero.
	for k := range K {
		x[K+k] = float32(1 - 2*(k%2))
		x[2*K+k] = 0
	}

	for _, typ := range []gguf.Type{gguf.TypeI2_S, gguf.TypeTQ2_0} {
		t.Run(typ.String(), func(t *testing.T) {
			var data []byte
			var err error
			if typ == gguf.TypeI2_S {
				data, err = quant.PackI2S(tern, beta)
			} else {
				d := make([]float32, K*N/256)
				for i := range d {
					d[i] = beta
				}
				data, err = quant.PackTQ2_0(tern, d)
			}
			if err != nil {
				t.Fatal(err)
			}
			rowBytes := K / 4
			if typ == gguf.TypeTQ2_0 {
				rowBytes = K / 256 * 66
			}
			lin := Linear{Matrix: Matrix{Name: "w", Type: typ, Cols: K, Rows: N, Data: data, RowBytes: rowBytes}, Beta: 1, OutScale: 1}
			if typ == gguf.TypeI2_S {
				lin.Beta = quant.I2SScale(data, K*N)
			}
			out := make([]float32, T*N)
			in := append([]float32(nil), x...)
			m.linear(st, &lin, in, out, T)

			for tk := range T {
				q := make([]int8, K)
				var s float32
				var qd []float32
				if typ == gguf.TypeI2_S {
					s, _ = quant.QuantizeActI8(x[tk*K:(tk+1)*K], q)
					// The engine's quantization must equal the reference's.
					for k := range K {
						if st.xq[tk*K+k] != q[k] {
							t.Fatalf("token %d: activation %d quantized to %d, reference %d", tk, k, st.xq[tk*K+k], q[k])
						}
					}
				} else {
					qd = make([]float32, K/256)
					quant.QuantizeActQ8K(x[tk*K:(tk+1)*K], q, qd)
				}
				for n := range N {
					var want, mag float64
					if typ == gguf.TypeI2_S {
						var acc int64
						for k := range K {
							acc += int64(tern[n*K+k]) * int64(q[k])
						}
						if got := int64(dotI2SForTest(data[n*rowBytes:(n+1)*rowBytes], q)); got != acc {
							t.Fatalf("token %d row %d: integer dot %d, want %d", tk, n, got, acc)
						}
						want = float64(acc) / float64(s) * float64(beta)
						mag = math.Abs(want)
					} else {
						for b := range K / 256 {
							var acc int64
							for k := b * 256; k < (b+1)*256; k++ {
								acc += int64(tern[n*K+k]) * int64(q[k])
							}
							term := float64(acc) * float64(qd[b]) * float64(quant.F16ToF32(quant.F32ToF16(beta)))
							want += term
							mag += math.Abs(term)
						}
					}
					got := float64(out[tk*N+n])
					if d := math.Abs(got - want); d > 1e-6*mag && d > 1e-30 {
						t.Errorf("token %d row %d: output %v, float64 reference %v (|Δ| %g > 1e-6 × %g)", tk, n, got, want, d, mag)
					}
				}
			}
		})
	}
}
