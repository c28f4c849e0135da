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
