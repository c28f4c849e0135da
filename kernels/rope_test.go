package kernels

import (
	"math"
	"testing"
)

// TestRopeAngles: position 0 is the identity rotation, and every θ_j is
// freqScale · pos · base^(−2j/nRot) / freqFactors[j] within the error of
// the iterated float32 power (about j ulp of the power, so 1e-5 relative
// over 64 pairs).
func TestRopeAngles(t *testing.T) {
	tests := []struct {
		name      string
		pos, nRot int
		base      float32
		freqScale float32
		factors   []float32
	}{
		{"pos0", 0, 128, 500000, 1, nil},
		{"llama", 17, 128, 10000, 1, nil},
		{"bitnet", 4095, 128, 500000, 1, nil},
		{"linear scaling", 300, 64, 10000, 0.25, nil},
		{"freq factors", 9, 8, 10000, 1, []float32{1, 2, 4, 8}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := make([]float32, tt.nRot)
			RopeAngles(cs, tt.pos, tt.base, tt.nRot, tt.freqScale, tt.factors)
			for j := range tt.nRot / 2 {
				theta := float64(tt.freqScale) * float64(tt.pos) * math.Pow(float64(tt.base), -2*float64(j)/float64(tt.nRot))
				if tt.factors != nil {
					theta /= float64(tt.factors[j])
				}
				// Compare the angle, not cos/sin: large θ amplifies its
				// relative error into the trigonometric values.
				got := math.Atan2(float64(cs[2*j+1]), float64(cs[2*j]))
				want := math.Remainder(theta, 2*math.Pi)
				d := math.Abs(math.Remainder(got-want, 2*math.Pi))
				if d > 1e-5*max(1, theta)+1e-6 {
					t.Errorf("pair %d: angle %g, want %g (θ = %g)", j, got, want, theta)
				}
				if n := math.Hypot(float64(cs[2*j]), float64(cs[2*j+1])); math.Abs(n-1) > 1e-6 {
					t.Errorf("pair %d: |(cos, sin)| = %g, want 1", j, n)
				}
			}
		})
	}
}

// TestRopePairs: NeoX rotates (x[j], x[j+nRot/2]) and normal mode
// (x[2j], x[2j+1]); a quarter turn maps (1, 0) to (0, 1), and rotating
// by θ then by −θ gives back the input within float32 rounding.
func TestRopePairs(t *testing.T) {
	const nRot = 8
	quarter := make([]float32, nRot)
	for j := range nRot / 2 {
		quarter[2*j], quarter[2*j+1] = 0, 1 // cos, sin of π/2
	}
	x := []float32{1, 1, 1, 1, 0, 0, 0, 0}
	RopeNeoX(x, quarter, nRot)
	if want := []float32{0, 0, 0, 0, 1, 1, 1, 1}; !equalF32(x, want) {
		t.Errorf("RopeNeoX quarter turn = %v, want %v", x, want)
	}
	x = []float32{1, 0, 1, 0, 1, 0, 1, 0}
	RopeNorm(x, quarter, nRot)
	if want := []float32{0, 1, 0, 1, 0, 1, 0, 1}; !equalF32(x, want) {
		t.Errorf("RopeNorm quarter turn = %v, want %v", x, want)
	}

	fwd, back := make([]float32, nRot), make([]float32, nRot)
	RopeAngles(fwd, 1234, 10000, nRot, 1, nil)
	for j := range nRot / 2 {
		back[2*j], back[2*j+1] = fwd[2*j], -fwd[2*j+1]
	}
	for _, rot := range []struct {
		name string
		f    func(x, cs []float32, nRot int)
	}{{"RopeNeoX", RopeNeoX}, {"RopeNorm", RopeNorm}} {
		orig := []float32{0.5, -1.25, 3, 0.125, -2, 7, 1e-3, -0.75}
		x := append([]float32(nil), orig...)
		rot.f(x, fwd, nRot)
		rot.f(x, back, nRot)
		for i := range x {
			if math.Abs(float64(x[i]-orig[i])) > 1e-5*max(1, math.Abs(float64(orig[i]))) {
				t.Errorf("%s forth and back: x[%d] = %g, want %g", rot.name, i, x[i], orig[i])
			}
		}
	}
}

func equalF32(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(float64(a[i]-b[i])) > 1e-7 {
			return false
		}
	}
	return true
}
