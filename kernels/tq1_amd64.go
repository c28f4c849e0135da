//go:build !noasm

package kernels

// tq1ToTQ2AVX512 is tq1ToTQ2Generic with AVX-512 BW (see tq1_amd64.s).
//
//go:noescape
func tq1ToTQ2AVX512(dst *byte, src *byte, nblk int)

// tq1ToTQ2AVX2 is tq1ToTQ2Generic with AVX2.
//
//go:noescape
func tq1ToTQ2AVX2(dst *byte, src *byte, nblk int)

// tq1ToTQ2 rewrites nblk TQ1_0 blocks of src as TQ2_0 blocks in dst.
func tq1ToTQ2(dst, src []byte, nblk int) {
	if !useAVX2 || nblk == 0 {
		tq1ToTQ2Generic(dst, src, nblk)
		return
	}
	_, _ = dst[nblk*66-1], src[nblk*54-1]
	if useVNNI {
		tq1ToTQ2AVX512(&dst[0], &src[0], nblk)
	} else {
		tq1ToTQ2AVX2(&dst[0], &src[0], nblk)
	}
}
