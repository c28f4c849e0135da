package kernels

import (
	"math"
	"testing"
)

// TestRMSNorm: the result against the float64 definition within 2 ulp
// of float32 (r and each product are rounded), in place (out aliasing x)
// and into a separate buffer.
func TestRMSNorm(t *testing.T) {
	x := []float32{1, -2, 3, -4, 0.5, 0, 100, -1e-3}
	w := []float32{1, 1, 0.5, 2, -1, 3, 0.01, 1000}
	const eps = 1e-5
	var ss float64
	for _, v := range x {
		ss += float64(v) * float64(v)
	}
	r := 1 / math.Sqrt(ss/float64(len(x))+eps)
	check := func(name string, out []float32) {
		for i := range x {
			want := float64(x[i]) * r * float64(w[i])
			ulp := math.Abs(float64(math.Nextafter32(float32(want), float32(math.Inf(1))) - float32(want)))
			if math.Abs(float64(out[i])-want) > 2*ulp {
				t.Errorf("%s: out[%d] = %g, want %g", name, i, out[i], want)
			}
		}
	}
	out := make([]float32, len(x))
	RMSNorm(out, x, w, eps)
	check("separate", out)
	in := append([]float32(nil), x...)
	RMSNorm(in, in, w, eps)
	check("in place", in)
}
