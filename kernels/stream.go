package kernels

import (
	"encoding/binary"
	"fmt"
)

// ReadStream returns the wrapping sum of the little-endian 64-bit words of
// b, reading every byte once, front to back, with no software prefetch:
// the plain streaming read the hardware prefetchers are built for. Timed
// over a buffer much larger than the last-level cache it measures the read
// bandwidth a kernel can at best reach; the sum only proves that the
// bytes were read. len(b) must be a multiple of 8.
func ReadStream(b []byte) uint64 {
	if len(b)%8 != 0 {
		panic(fmt.Sprintf("kernels: ReadStream of %d bytes: want a multiple of 8", len(b)))
	}
	return readStream(b)
}

// readStreamGeneric is the reference of ReadStream.
func readStreamGeneric(b []byte) uint64 {
	var s0, s1, s2, s3 uint64
	i := 0
	for ; i+32 <= len(b); i += 32 {
		w := b[i : i+32 : i+32]
		s0 += binary.LittleEndian.Uint64(w[0:])
		s1 += binary.LittleEndian.Uint64(w[8:])
		s2 += binary.LittleEndian.Uint64(w[16:])
		s3 += binary.LittleEndian.Uint64(w[24:])
	}
	for ; i+8 <= len(b); i += 8 {
		s0 += binary.LittleEndian.Uint64(b[i:])
	}
	return s0 + s1 + s2 + s3
}
