package kernels

import "math"

// RopeAngles fills cs with the cos/sin pairs for position pos: cs[2j] =
// cos θ_j, cs[2j+1] = sin θ_j, θ_j = freqScale · pos · base^(−2j/nRot),
// the power computed iteratively in float32 as ggml_rope_cache_init (spec
// §3.4). freqScale is 1/factor for linear RoPE scaling, else 1. freqFactors,
// when non-nil (rope_freqs.weight), divides each θ_j. len(cs) = nRot.
func RopeAngles(cs []float32, pos int, base float32, nRot int, freqScale float32, freqFactors []float32) {
	thetaScale := float32(math.Pow(float64(base), float64(float32(-2)/float32(nRot)))) // powf(base, -2.0f/n_dims)
	theta := float32(pos)
	for j := range nRot / 2 {
		t := theta
		if freqFactors != nil {
			t /= freqFactors[j]
		}
		t *= freqScale
		cs[2*j] = float32(math.Cos(float64(t)))
		cs[2*j+1] = float32(math.Sin(float64(t)))
		theta *= thetaScale
	}
}

// RopeNeoX rotates the pairs (x[j], x[j+nRot/2]) of one head by the angles
// in cs (from RopeAngles). This is ggml's NEOX mode, HF's rotate_half.
func RopeNeoX(x, cs []float32, nRot int) {
	half := nRot / 2
	for j := range half {
		c, s := cs[2*j], cs[2*j+1]
		a, b := x[j], x[j+half]
		x[j] = a*c - b*s
		x[j+half] = a*s + b*c
	}
}

// RopeNorm rotates adjacent pairs (x[2j], x[2j+1]) of one head: ggml's
// normal mode, used by the llama architecture (spec §3.4).
func RopeNorm(x, cs []float32, nRot int) {
	for j := range nRot / 2 {
		c, s := cs[2*j], cs[2*j+1]
		a, b := x[2*j], x[2*j+1]
		x[2*j] = a*c - b*s
		x[2*j+1] = a*s + b*c
	}
}
