package kernels

import "math"

// Softmax replaces x with softmax(x) in place: exponentials in float32,
// their sum in float64, then one float32 multiply, as ggml_vec_soft_max_f32.
// The maximum is taken with > as ggml's MAX macro does (a NaN never
// becomes the maximum, and any NaN makes every output NaN), and the
// exponential is expNeg (within one ulp of the exact value; ggml itself
// uses a SIMD approximation, ggml_v_expf). The float64 sum runs in 16
// lanes (element i into lane i mod 16) reduced in a fixed tree, so the
// vector kernels give exactly the bits of the Go code.
func Softmax(x []float32) { softmaxScale(x, 1) }

// SoftmaxScale replaces x with softmax(scale·x): each x[i] is first
// rounded to the float32 product x[i]·scale, then Softmax runs. It is the
// attention's scaled softmax in one pass over the scores.
func SoftmaxScale(x []float32, scale float32) { softmaxScale(x, scale) }

// softmaxScaleGeneric is the definition of SoftmaxScale.
func softmaxScaleGeneric(x []float32, scale float32) {
	maxv := float32(math.Inf(-1))
	for i, v := range x {
		v *= scale
		x[i] = v
		if v > maxv {
			maxv = v
		}
	}
	var acc [16]float64
	for i, v := range x {
		e := expNeg(v - maxv)
		x[i] = e
		acc[i&15] += float64(e)
	}
	inv := float32(1 / sumLanes16(&acc))
	for i := range x {
		x[i] *= inv
	}
}

// sumLanes16 adds the 16 lanes in the tree of the vector kernels: lane l
// + lane l+8, then l+4, l+2, l+1.
func sumLanes16(acc *[16]float64) float64 {
	for w := 8; w >= 1; w /= 2 {
		for l := range w {
			acc[l] += acc[l+w]
		}
	}
	return acc[0]
}

// expNeg returns e^x rounded to float32 for x ≤ 0 (softmax arguments, x −
// max). The range reduction e^x = 2^n · e^r with |r| ≤ ln2/2 runs in
// float64 with fused multiply-adds (n = ⌊x·log2e + ½⌋, r = x − n·ln2 in
// two parts) and a degree-7 Taylor polynomial in Horner form (truncation
// below 3e-9 relative) gives e^r, so the float32 result is the correctly
// rounded value except within 3e-9 of a rounding boundary. The vector
// kernels run the same operations lane by lane (math.FMA is one rounding,
// as VFMADD), so every kernel set gives the same bits. Below −104 (under
// the smallest subnormal, e^−103.98) the result is 0; NaN gives NaN, and
// positive x is handled by math.Exp.
func expNeg(x float32) float32 {
	if !(x <= 0) || x < -104 { // NaN or positive; or below the smallest subnormal
		if x < -104 {
			return 0
		}
		return float32(math.Exp(float64(x)))
	}
	v := float64(x)
	n := math.Floor(math.FMA(v, expLog2e, 0.5))
	r := math.FMA(-n, expLn2hi, v)
	r = math.FMA(-n, expLn2lo, r)
	p := math.FMA(expC7, r, expC6)
	p = math.FMA(p, r, expC5)
	p = math.FMA(p, r, expC4)
	p = math.FMA(p, r, expC3)
	p = math.FMA(p, r, expC2)
	p = math.FMA(p, r, 1)
	p = math.FMA(p, r, 1)
	// 2^n with n in [-150, 0]: a normal float64, so the product is exact scaling.
	return float32(p * math.Float64frombits(uint64(int64(n)+1023)<<52))
}

// The constants of expNeg (and of the vector kernels' tables).
const (
	expLog2e = 1.4426950408889634
	expLn2hi = 6.93147180369123816490e-01
	expLn2lo = 1.90821492927058770002e-10
	expC7    = 1.0 / 5040
	expC6    = 1.0 / 720
	expC5    = 1.0 / 120
	expC4    = 1.0 / 24
	expC3    = 1.0 / 6
	expC2    = 1.0 / 2
)
