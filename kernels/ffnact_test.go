package kernels

import (
	"math"
	"testing"
)

// TestReluSqrMul: relu(g)²·u, exact for these small values.
func TestReluSqrMul(t *testing.T) {
	g := []float32{-3, -0, 0, 0.5, 2, 10}
	u := []float32{7, 7, 7, 4, 3, -0.5}
	want := []float32{0, 0, 0, 1, 12, -50}
	ReluSqrMul(g, u)
	for i := range g {
		if g[i] != want[i] {
			t.Errorf("ReluSqrMul: g[%d] = %g, want %g", i, g[i], want[i])
		}
	}
}

// TestSiluMul: z/(1+e^−z)·u against float64, within 2 ulp (the float32
// exponential and the two roundings of the division and the product).
func TestSiluMul(t *testing.T) {
	g := []float32{-20, -3, -1, -1e-3, 0, 1e-3, 0.5, 1, 4, 30}
	u := []float32{1, 2, -1, 3, 5, 1, -2, 0.25, 1, 1}
	orig := append([]float32(nil), g...)
	SiluMul(g, u)
	for i, z := range orig {
		want := float64(z) / (1 + math.Exp(-float64(z))) * float64(u[i])
		ulp := math.Abs(float64(math.Nextafter32(float32(want), float32(math.Inf(1))) - float32(want)))
		if math.Abs(float64(g[i])-want) > 2*ulp {
			t.Errorf("SiluMul(%g)·%g = %g, want %g", z, u[i], g[i], want)
		}
	}
}
