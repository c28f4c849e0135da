//go:build arm64 && !noasm

package kernels

import (
	"math"
	"testing"
)

// TestSoftmaxExpNEONExhaustive runs the NEON exponential kernel directly
// (max 0, so x − max is x) on every float32 in [−200, −104), where the
// kernel relies on its rounding to give expNeg's 0 instead of testing for
// −104, on a sample of [−104, 0] and on the special values, and compares
// every output and the 16 float64 lane sums with expNeg bit for bit.
func TestSoftmaxExpNEONExhaustive(t *testing.T) {
	if !hasNEON {
		t.Skip("no NEON")
	}
	var vals []float32
	lo, hi := math.Float32bits(-104), math.Float32bits(-200)
	step := uint32(1)
	if testing.Short() {
		step = 89
	}
	for b := lo + 1; b <= hi; b += step {
		vals = append(vals, math.Float32frombits(b))
	}
	sample := uint32(997)
	if testing.Short() {
		sample = 99991
	}
	for b := uint32(0x80000000); b <= lo; b += sample {
		vals = append(vals, math.Float32frombits(b))
	}
	vals = append(vals, -104, float32(math.Copysign(0, -1)), 0, -0x1p-149, -0x1p-126,
		-1e-10, -0.5, -0.34657359, -0.34657362, -103.97208, -103.97209,
		float32(math.Inf(-1)), float32(math.NaN()), -float32(math.NaN()),
		-math.MaxFloat32, -1e30)
	for len(vals)%16 != 0 {
		vals = append(vals, -1)
	}
	const chunk = 4096
	for c := 0; c < len(vals); c += chunk {
		in := vals[c:min(c+chunk, len(vals))]
		x := append([]float32(nil), in...)
		var acc, want [16]float64
		softmaxExpNEON(&x[0], len(x), 0, &acc)
		for i, v := range in {
			e := expNeg(v)
			want[i&15] += float64(e)
			if math.Float32bits(x[i]) != math.Float32bits(e) && !(e != e && x[i] != x[i]) {
				t.Fatalf("x − max = %v (%#08x): %v (%#08x), expNeg %v (%#08x)",
					v, math.Float32bits(v), x[i], math.Float32bits(x[i]), e, math.Float32bits(e))
			}
		}
		for l := range acc {
			if math.Float64bits(acc[l]) != math.Float64bits(want[l]) && !(acc[l] != acc[l] && want[l] != want[l]) {
				t.Fatalf("chunk at %d: lane %d sum %v, want %v", c, l, acc[l], want[l])
			}
		}
	}
}
