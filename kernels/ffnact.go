package kernels

import "math"

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
