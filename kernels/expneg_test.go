package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestExpNeg: the softmax exponential is the correctly rounded float32 of
// e^x (within one ulp; checked against math.Exp in float64) over the
// softmax range, with exact 1 at 0, 0 below the subnormals and NaN kept.
func TestExpNeg(t *testing.T) {
	check := func(x float32) {
		got := expNeg(x)
		want := math.Exp(float64(x))
		w32 := float32(want)
		if got != w32 {
			// allow one ulp where e^x lies within the polynomial's error of a boundary
			ulp := math.Nextafter32(w32, float32(math.Inf(1))) - w32
			if math.Abs(float64(got)-want) > float64(ulp) {
				t.Fatalf("expNeg(%g) = %g, e^x = %.10g", x, got, want)
			}
		}
	}
	for x := float32(0); x > -110; x -= 0.00137 {
		check(x)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for range 200000 {
		check(-float32(rng.ExpFloat64() * 8))
	}
	if expNeg(0) != 1 || expNeg(-200) != 0 || !math.IsNaN(float64(expNeg(float32(math.NaN())))) || expNeg(float32(math.Inf(-1))) != 0 {
		t.Fatal("special values")
	}
	if got := expNeg(1); got != float32(math.E) {
		t.Fatalf("expNeg(1) = %v", got)
	}
}
