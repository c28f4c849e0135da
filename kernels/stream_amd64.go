//go:build !noasm

package kernels

// readStreamAVX2 returns the wrapping sum of the 64-bit words of the n
// bytes at p (n a positive multiple of 128): see readStreamGeneric.
//
//go:noescape
func readStreamAVX2(p *byte, n int) uint64

func readStream(b []byte) uint64 {
	n := len(b) &^ 127
	if !useAVX2 || n == 0 {
		return readStreamGeneric(b)
	}
	return readStreamAVX2(&b[0], n) + readStreamGeneric(b[n:])
}
