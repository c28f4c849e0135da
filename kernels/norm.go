package kernels

import "math"

// RMSNorm writes out[i] = (x[i] · r) · w[i] with r = 1/sqrt(mean(x²) + eps),
// as ggml_compute_forward_rms_norm followed by ggml_mul: the squares are
// summed in float64, the mean and r are float32. out may alias x.
func RMSNorm(out, x, w []float32, eps float32) {
	var sum float64
	for _, v := range x {
		sum += float64(v * v)
	}
	mean := float32(sum / float64(len(x)))
	r := 1 / float32(math.Sqrt(float64(mean+eps)))
	w = w[:len(x)]
	out = out[:len(x)]
	for i, v := range x {
		out[i] = (v * r) * w[i]
	}
}

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

// ReluSqrMul sets g[i] = relu(g[i])² · u[i] (relu² gated FFN, LLM_FFN_RELU_SQR
// with LLM_FFN_PAR).
func ReluSqrMul(g, u []float32) {
	u = u[:len(g)]
	for i, v := range g {
		v = max(v, 0)
		g[i] = (v * v) * u[i]
	}
}

// SiluMul sets g[i] = silu(g[i]) · u[i] with silu(z) = z/(1+e^−z) in float32.
func SiluMul(g, u []float32) {
	u = u[:len(g)]
	for i, v := range g {
		g[i] = v / (1 + float32(math.Exp(float64(-v)))) * u[i]
	}
}
