//go:build (!amd64 && !arm64) || noasm

package kernels

func tq2MatVec(out []float32, w []byte, q []int8, da []float32) {
	rb := len(q) / 256 * 66
	for r := range out {
		out[r] = dotTQ2Generic(w[r*rb:(r+1)*rb], q, da)
	}
}
