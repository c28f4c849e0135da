//go:build !amd64 || noasm

package kernels

func axpyF16Heads(y []float32, ldy int, a []float32, x []uint16) {
	n := len(x)
	for j := range a {
		axpyF16(y[j*ldy:j*ldy+n], a[j], x)
	}
}
